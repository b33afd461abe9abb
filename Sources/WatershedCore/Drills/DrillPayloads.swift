import Foundation

/// `DrillStarted` (outside any incident): the scenario, its clock, and the participants with the ids and SHA-256
/// hashes of the drill tokens made for them (never the secrets, which only the starter sees, once).
public struct DrillStartedPayload: Codable, Sendable, Hashable {
    /// The drill's id.
    public var drill: UUID
    /// Its scenario, with reports inline.
    public var scenario: DrillScenario
    /// Its clock.
    public var clock: DrillClock
    /// This server's participants and their drill tokens.
    public var participants: [DrillParticipantToken]
    /// For a joint drill mirrored from a neighbour: the province that runs it; `nil` when it runs here.
    public var origin: UnitCode?

    /// Creates the payload.
    public init(
        drill: UUID, scenario: DrillScenario, clock: DrillClock, participants: [DrillParticipantToken],
        origin: UnitCode? = nil
    ) {
        self.drill = drill
        self.scenario = scenario
        self.clock = clock
        self.participants = participants
        self.origin = origin
    }
}

/// A participant's drill token, as stored: its id and the SHA-256 of its secret.
public struct DrillParticipantToken: Codable, Sendable, Hashable {
    /// The unit.
    public var unit: UnitCode
    /// The duty position.
    public var dutyPosition: DutyPosition
    /// Who plays it.
    public var name: String?
    /// The token's id (`drill-<drill prefix>-<n>`).
    public var tokenID: String
    /// Hex SHA-256 of the secret.
    public var sha256: String

    /// Creates the entry.
    public init(unit: UnitCode, dutyPosition: DutyPosition, name: String?, tokenID: String, sha256: String) {
        self.unit = unit
        self.dutyPosition = dutyPosition
        self.name = name
        self.tokenID = tokenID
        self.sha256 = sha256
    }
}

/// `DrillInjected`: inject `index` of the drill was played (on the drill's incident once it has one).
public struct DrillInjectedPayload: Codable, Sendable, Hashable {
    /// The drill.
    public var drill: UUID
    /// The inject's index in the scenario.
    public var index: Int
    /// Its kind.
    public var kind: DrillInjectKind
    /// What the participants see.
    public var summary: String
    /// The same in Chinese.
    public var summaryZh: String?

    /// Creates the payload.
    public init(drill: UUID, index: Int, kind: DrillInjectKind, summary: String, summaryZh: String?) {
        self.drill = drill
        self.index = index
        self.kind = kind
        self.summary = summary
        self.summaryZh = summaryZh
    }
}

/// `DrillEnded`: the drill is over; its open tasks were cancelled and its incidents closed with it.
public struct DrillEndedPayload: Codable, Sendable, Hashable {
    /// The drill.
    public var drill: UUID
    /// Why: `ended by <token id>` or `endsAtMin`.
    public var reason: String

    /// Creates the payload.
    public init(drill: UUID, reason: String) {
        self.drill = drill
        self.reason = reason
    }
}

/// On a drill incident's `IncidentReported`: the drill it belongs to and the drill's clock, so that the server
/// (and a neighbour receiving it in a joint drill) keeps every deadline of the incident on that clock.
public struct DrillLink: Codable, Sendable, Hashable {
    /// The drill.
    public var drill: UUID
    /// Its clock.
    public var clock: DrillClock
    /// Its title.
    public var title: String

    /// Creates the link.
    public init(drill: UUID, clock: DrillClock, title: String) {
        self.drill = drill
        self.clock = clock
        self.title = title
    }
}
