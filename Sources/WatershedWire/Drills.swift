import Foundation
import WatershedCore

/// `POST /v1/drills`: a scenario (reports inline) and, optionally, another clock factor than the scenario's.
public struct DrillStartRequest: Codable, Sendable {
    /// The scenario.
    public var scenario: DrillScenario
    /// Drill seconds per wall second, 1…3600; default the scenario's `clockFactor`.
    public var clockFactor: Double?

    /// Creates the request.
    public init(scenario: DrillScenario, clockFactor: Double? = nil) {
        self.scenario = scenario
        self.clockFactor = clockFactor
    }
}

/// A drill as `GET /v1/drills` and `GET /v1/drills/{id}` show it.
public struct DrillSummary: Codable, Sendable, Hashable {
    /// The drill's id.
    public var id: UUID
    /// The scenario's id.
    public var scenario: String
    /// The scenario's title.
    public var title: String
    /// Its Chinese title.
    public var titleZh: String?
    /// `running` or `ended`.
    public var state: String
    /// The drill clock.
    public var clock: DrillClock
    /// When it ended (wall time), and why.
    public var endedAt: Date?
    public var endReason: String?
    /// For a joint drill run by a neighbour: that province (the drill is mirrored here from its incident).
    public var origin: UnitCode?
    /// The neighbours taking part.
    public var peers: [UnitCode]
    /// This server's participants.
    public var participants: [DrillParticipant]
    /// The drill's incidents on this server.
    public var incidents: [DrillIncident]
    /// Injects played and in all.
    public var injectsPlayed: Int
    public var injectsTotal: Int
    /// Drill time of the next inject, if one is still to come (what it is stays a surprise).
    public var nextInjectAt: Date?
    /// The seq of the drill's first event here (`DrillStarted`, or a mirrored drill's incident report): a
    /// participant's stream starts after `sinceSeq - 1`.
    public var sinceSeq: Int64

    /// Creates a summary.
    public init(
        id: UUID, scenario: String, title: String, titleZh: String?, state: String, clock: DrillClock,
        endedAt: Date?, endReason: String?, origin: UnitCode?, peers: [UnitCode], participants: [DrillParticipant],
        incidents: [DrillIncident], injectsPlayed: Int, injectsTotal: Int, nextInjectAt: Date?, sinceSeq: Int64
    ) {
        self.sinceSeq = sinceSeq
        self.id = id
        self.scenario = scenario
        self.title = title
        self.titleZh = titleZh
        self.state = state
        self.clock = clock
        self.endedAt = endedAt
        self.endReason = endReason
        self.origin = origin
        self.peers = peers
        self.participants = participants
        self.incidents = incidents
        self.injectsPlayed = injectsPlayed
        self.injectsTotal = injectsTotal
        self.nextInjectAt = nextInjectAt
    }
}

/// An incident of a drill.
public struct DrillIncident: Codable, Sendable, Hashable {
    /// Its UUID.
    public var id: UUID
    /// Its reference (`GX-2026-0003`).
    public var reference: String

    /// Creates the entry.
    public init(id: UUID, reference: String) {
        self.id = id
        self.reference = reference
    }
}

/// A participant's drill token, shown once, to whoever started the drill.
public struct DrillJoinToken: Codable, Sendable, Hashable {
    /// The unit.
    public var unit: UnitCode
    /// The duty position.
    public var dutyPosition: DutyPosition
    /// Who plays it.
    public var name: String?
    /// The token's id.
    public var tokenID: String
    /// The secret (`wsd-drill-…`); it reaches exercise incidents only and stops working when the drill ends.
    public var token: String

    /// Creates the entry.
    public init(unit: UnitCode, dutyPosition: DutyPosition, name: String?, tokenID: String, token: String) {
        self.unit = unit
        self.dutyPosition = dutyPosition
        self.name = name
        self.tokenID = tokenID
        self.token = token
    }
}

/// `201` to `POST /v1/drills`: the drill and one token per participant.
public struct DrillStarted: Codable, Sendable {
    /// The drill.
    public var drill: DrillSummary
    /// The participants' tokens.
    public var tokens: [DrillJoinToken]

    /// Creates the answer.
    public init(drill: DrillSummary, tokens: [DrillJoinToken]) {
        self.drill = drill
        self.tokens = tokens
    }
}
