import Foundation

/// Drills folded from the log (issue 6), once, in Core: each drill's scenario, clock, played injects and incidents,
/// and which incident belongs to which drill — so that every deadline of a drill incident runs on its drill's clock.
///
/// A drill run here is known from its `DrillStarted`; a neighbour's joint drill only through the `IncidentReported`
/// of its incident mirrored here (its link: drill id, clock, title), so it has no scenario (``Drill/started`` is
/// `nil`) and nothing to play.
public struct DrillBook: Sendable {
    /// One drill as the log leaves it.
    public struct Drill: Sendable, Hashable {
        public var id: UUID
        /// The start, for a drill run here; `nil` for a neighbour's joint drill mirrored from its incident.
        public var started: DrillStartedPayload?
        /// The scenario's id (`""` for a neighbour's drill).
        public var scenario: String
        public var title: String
        public var titleZh: String?
        public var clock: DrillClock
        /// The province that runs it (GB/T 2260): a neighbour's for a joint drill mirrored here.
        public var origin: UnitCode?
        /// The neighbours a drill run here reaches (the scenario's `peers`).
        public var peers: [UnitCode]
        /// The seq of its `DrillStarted` (or of its first mirrored incident's report).
        public var startedSeq: Int64
        /// When it ended (wall time), `nil` while it runs.
        public var endedAt: Date?
        public var endReason: String?
        /// The indexes of the injects played.
        public var played: Set<Int> = []
        /// Its incidents, in the order they were reported.
        public var incidents: [UUID] = []

        public var isRunning: Bool { endedAt == nil }

        /// The first inject not played yet (injects are in offset order); `nil` when all are played, the drill
        /// has ended or it is a neighbour's.
        public var nextInject: Int? {
            guard let started, isRunning else { return nil }
            return started.scenario.injects.indices.first { !played.contains($0) }
        }

        /// The wall time inject `index` plays at: the scenario's start plus its `atMin` on the drill clock.
        public func wallTime(ofInject index: Int) -> Date? {
            guard let started, started.scenario.injects.indices.contains(index) else { return nil }
            return clock.wallTime(atDrill: clock.drillTime(offsetMin: started.scenario.injects[index].atMin))
        }

        /// The wall time the scenario ends at (`endsAtMin` after its start on the drill clock), `nil` without one.
        public var wallEnd: Date? {
            started?.scenario.endsAtMin.map { clock.wallTime(atDrill: clock.drillTime(offsetMin: $0)) }
        }
    }

    /// What a folded event changes for the drill tokens kept at the edge.
    public enum TokenChange: Sendable, Hashable {
        /// A drill started: register its participants' token hashes.
        case started(drill: UUID, participants: [DrillParticipantToken])
        /// A drill ended: its tokens may only read drills from now on.
        case ended(drill: UUID)
    }

    public private(set) var drills: [UUID: Drill] = [:]
    /// Drill ids in the order they started (or were first seen).
    public private(set) var order: [UUID] = []
    /// Incident → its drill.
    public private(set) var ofIncident: [UUID: UUID] = [:]

    /// The event types that change a drill (the runner wakes on them).
    public static let eventTypes: Set<EventType> = [.drillStarted, .drillInjected, .drillEnded, .incidentReported]

    public init() {}

    /// The clock of a drill incident, `nil` for a real one.
    public func clock(of incident: UUID) -> DrillClock? { ofIncident[incident].flatMap { drills[$0]?.clock } }

    /// A drill by UUID or by a unique prefix of it (at least 8 characters, either case); `nil` when none or several.
    public func find(_ key: String) -> Drill? {
        if let id = UUID(uuidString: key) { return drills[id] }
        let prefix = key.lowercased()
        guard prefix.count >= 8 else { return nil }
        let found = drills.values.filter { $0.id.uuidString.lowercased().hasPrefix(prefix) }
        return found.count == 1 ? found[0] : nil
    }

    /// Applies one committed event (only exercises concern drills); returns what it changes for drill tokens.
    @discardableResult
    public mutating func fold(_ event: RecordedEvent) -> TokenChange? {
        guard event.exercise else { return nil }
        switch event.event {
        case .drillStarted(let started):
            drills[started.drill] = Drill(
                id: started.drill, started: started, scenario: started.scenario.id, title: started.scenario.title,
                titleZh: started.scenario.titleZh, clock: started.clock, origin: started.origin,
                peers: started.scenario.peers, startedSeq: event.seq)
            order.append(started.drill)
            return .started(drill: started.drill, participants: started.participants)
        case .drillInjected(let injected):
            drills[injected.drill]?.played.insert(injected.index)
            if let incident = event.incident { add(incident, to: injected.drill) }
        case .drillEnded(let ended):
            drills[ended.drill]?.endedAt = event.at
            drills[ended.drill]?.endReason = ended.reason
            return .ended(drill: ended.drill)
        case .reported(let reported):
            guard let incident = event.incident, let link = reported.drill else { return nil }
            if drills[link.drill] == nil {
                // A neighbour's joint drill, known here through its incident.
                drills[link.drill] = Drill(
                    id: link.drill, started: nil, scenario: "", title: link.title, titleZh: nil, clock: link.clock,
                    origin: reported.origin?.province, peers: [], startedSeq: event.seq)
                order.append(link.drill)
            }
            add(incident, to: link.drill)
        default:
            break
        }
        return nil
    }

    private mutating func add(_ incident: UUID, to drill: UUID) {
        ofIncident[incident] = drill
        if drills[drill]?.incidents.contains(incident) == false { drills[drill]?.incidents.append(incident) }
    }

    /// What a running drill must do next at the wall time `wall`, earliest drill first (in start order): play its
    /// next inject when that inject's time has come, else end it when its `endsAtMin` has passed; `nil` when
    /// nothing is due. After a restart this plays what came due while the server was down, once each (a played
    /// inject's `DrillInjected` is in the log).
    public func due(atWall wall: Date) -> Due? {
        for id in order {
            guard let drill = drills[id], drill.isRunning, drill.started != nil else { continue }
            if let index = drill.nextInject, let at = drill.wallTime(ofInject: index), at <= wall {
                return .inject(drill: drill, index: index)
            }
            if let end = drill.wallEnd, end <= wall { return .end(drill: drill) }
        }
        return nil
    }

    /// A drill's next step (``due(atWall:)``).
    public enum Due: Sendable, Hashable {
        case inject(drill: Drill, index: Int)
        case end(drill: Drill)
    }

    /// The wall time of the next thing a running drill must do (an inject, or its end at `endsAtMin`).
    public func nextWake() -> Date? {
        drills.values.compactMap { drill -> Date? in
            guard drill.started != nil, drill.isRunning else { return nil }
            return [drill.nextInject.flatMap(drill.wallTime(ofInject:)), drill.wallEnd].compactMap { $0 }.min()
        }.min()
    }

    /// The drill a drill event (`DrillStarted`, `DrillInjected`, `DrillEnded`) belongs to; `nil` for any other.
    public static func drill(of event: RecordedEvent) -> UUID? {
        switch event.event {
        case .drillStarted(let started): started.drill
        case .drillInjected(let injected): injected.drill
        case .drillEnded(let ended): ended.drill
        default: nil
        }
    }
}
