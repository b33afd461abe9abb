import Foundation

/// One incident as its events make it: the one fold of the incident model (DESIGN.md "Targets", `WatershedCore`).
///
/// Everything that shows an incident — the list, the task lists, the detail, `incident show`, the console, the CAP
/// export — is a read-out of this state; nothing else folds incident events. It is built from the incident's
/// `IncidentReported` (``init(opening:)``) and then takes every later event of the incident in seq order
/// (``apply(_:)``), which records what the log says and checks nothing: the decisions that produce the events check.
///
/// Times are the events' wall-clock `at` (millisecond precision, UTC); a drill incident's deadlines inside tasks and
/// obligations are on its drill clock (``drill``).
public struct Incident: Sendable, Hashable {
    /// Open until the final report (MEP Order No. 17 Art. 12, 处理结果报告) closes it; an incident opened by a
    /// neighbour's CAP alert is cancelled when its sender withdraws it (CAP `msgType` Cancel).
    public enum State: String, Codable, Sendable, Hashable {
        case open, closed, cancelled
    }

    /// The incident's UUID.
    public let id: UUID
    /// `GX-2026-0007`.
    public let reference: String
    /// The seq of its `IncidentReported`.
    public let reportedSeq: Int64
    /// Whether it is a drill's (every event of it is an exercise).
    public let exercise: Bool
    /// The initial report as filed; `nil` for an incident opened by a neighbour's CAP alert (``cap``).
    public let initialReport: InitialReport?
    /// For an incident opened by a CAP 1.2 alert from a neighbour that does not run Watershed: its thread.
    public private(set) var cap: CAPThread?
    /// When it was discovered: the initial report's time, or the CAP alert's `sent`.
    public let discoveredAt: Date
    /// For an incident a neighbouring province reported to us: its incident there; `nil` for our own.
    public let origin: IncidentOrigin?
    /// For a drill incident: the drill and its clock.
    public let drill: DrillLink?

    /// Open or closed.
    public private(set) var state: State = .open
    /// When it was closed.
    public private(set) var closedAt: Date?
    /// The severity level (GB/T level I–IV; DOMAIN.md §2); `nil` while ungraded.
    public private(set) var level: SeverityLevel?
    /// How many `LevelSet` events it has had (numbers the obligations a change starts).
    public private(set) var levelChanges = 0
    /// Whether a person here set the level (a report's level change), rather than the report or a neighbour's level
    /// followed: from then on our province keeps the last word on it.
    public private(set) var levelSetHere = false
    /// For a neighbour's incident mirrored here: what its events said so far.
    public private(set) var neighbour: Neighbour?
    /// The latest plan, as its event holds it (decoded on first read: ``PlanRecord``).
    public private(set) var planRecord: PlanRecord?
    /// The latest plan; `nil` without one (or when its stored bytes are not a plan: ``PlanRecord/document()``).
    public var plan: PlanDocument? { try? planRecord?.document() }
    /// The unit where the spill is: the plan's, or the reporting unit's until there is a plan.
    public private(set) var spillUnit: UnitCode
    /// Follow-up and final reports, in the order filed.
    public private(set) var reports: [FiledReport] = []
    /// Response tasks in dispatch order.
    public private(set) var tasks: [ResponseTask] = []
    /// Report obligations in the order they became due.
    public private(set) var obligations: [Obligation] = []
    /// Reports the province forwarded (to MEE), in the order forwarded.
    public private(set) var forwards: [Forward] = []
    /// Notifications to neighbouring provinces, in the order recorded.
    public private(set) var notifications: [Notification] = []
    /// Incidents linked to this one.
    public private(set) var linked: [Link] = []
    /// The text messages its tasks called for, in the order first sent or failed (issue 19).
    public internal(set) var texts: [TaskText] = []
    /// Every event of the incident, one line each.
    public private(set) var timeline: [TimelineEntry] = []
    /// The seq of its latest event.
    public private(set) var lastSeq: Int64
    /// Task id → its index in ``tasks``.
    private(set) var taskIndex: [UUID: Int] = [:]

    /// An incident opened by `event`: an `IncidentReported`, or the `CAPReceived` that starts a neighbour's CAP thread
    /// (``init(cap:event:)``); `nil` for any other event.
    public init?(opening event: RecordedEvent) {
        if case .capReceived(let payload) = event.event, let id = event.incident {
            self = Incident(cap: payload, id: id, event: event)
            return
        }
        guard case .reported(let payload) = event.event, let id = event.incident else { return nil }
        self.id = id
        self.reference = payload.reference
        self.reportedSeq = event.seq
        self.exercise = event.exercise
        self.initialReport = payload.report
        self.discoveredAt = payload.report.discoveredAt
        self.origin = payload.origin
        self.drill = payload.drill
        self.level = payload.report.level
        self.spillUnit = payload.report.signature.reportingUnit
        self.lastSeq = event.seq
        if let origin = payload.origin {
            neighbour = Neighbour(province: origin.province, reference: origin.reference, level: payload.report.level)
        }
        timeline.append(TimelineEntry(seq: event.seq, type: event.type, at: event.at, actor: event.actor))
    }

    /// An incident opened by a neighbour's CAP message: its reference as recorded (or `CAP-` and the start of its
    /// UUID, for a message stored before references were recorded), discovered at the message's `sent`, reported by
    /// the peer.
    private init(cap payload: CAPReceivedPayload, id: UUID, event: RecordedEvent) {
        self.id = id
        self.reference = payload.reference ?? "CAP-" + id.uuidString.prefix(8)
        self.reportedSeq = event.seq
        self.exercise = event.exercise
        self.initialReport = nil
        self.discoveredAt = CanonicalJSON.date(fromTimestamp: payload.sent) ?? event.at
        self.origin = nil
        self.drill = nil
        self.spillUnit = payload.peer
        self.lastSeq = event.seq
        self.cap = CAPThread(payload, seq: event.seq)
        if payload.msgType == "Cancel" { state = .cancelled }
        timeline.append(
            TimelineEntry(
                seq: event.seq, type: event.type, at: event.at, actor: event.actor, province: payload.peer,
                summary: CAPThread.describe(payload)))
    }

    /// The incident folded from its events in seq order; `nil` when the first does not open one. Events of other
    /// incidents are skipped.
    public static func fold(_ events: some Sequence<RecordedEvent>) -> Incident? {
        var iterator = events.makeIterator()
        guard let first = iterator.next(), var incident = Incident(opening: first) else { return nil }
        while let event = iterator.next() { incident.apply(event) }
        return incident
    }

    /// The task with this UUID.
    public func task(_ id: UUID) -> ResponseTask? { taskIndex[id].map { tasks[$0] } }

    /// When the plume is predicted to have passed the last place of `province` it reaches: the latest trailing edge
    /// (likely arrival plus passage time) of the plan's arrivals in that province; `nil` without a plan or arrivals
    /// there.
    public func clearsAt(in province: UnitCode) -> Date? {
        plan?.arrivals.filter { $0.province == province }
            .map { $0.likelyArrival.addingTimeInterval(($0.passageH ?? 0) * 3_600) }.max()
    }

    /// Whether a place of `province` is still at risk at `now`: the plume has not passed it yet (``clearsAt(in:)``
    /// after now), or a site task there is still open.
    public func atRisk(in province: UnitCode, now: Date) -> Bool {
        if let clears = clearsAt(in: province), clears > now { return true }
        return tasks.contains { $0.kind == .site && $0.state.isOpen }
    }

    /// Whether it is open.
    public var isOpen: Bool { state == .open }

    /// Folds one later event of the incident (events of another incident, and a second `IncidentReported`, are
    /// ignored).
    public mutating func apply(_ event: RecordedEvent) {
        guard event.incident == id, event.seq > reportedSeq else { return }
        lastSeq = max(lastSeq, event.seq)
        var entry = TimelineEntry(seq: event.seq, type: event.type, at: event.at, actor: event.actor)
        defer { timeline.append(entry) }
        switch event.event {
        case .reported:
            break
        case .levelSet(let payload):
            level = payload.to
            levelChanges += 1
            if case .person = event.actor { levelSetHere = true }
        case .reportFiled(let payload):
            reports.append(FiledReport(seq: event.seq, at: event.at, actor: event.actor, report: payload.report))
        case .planComputed(let record):
            planRecord = record
            spillUnit = record.spillUnit
        case .closed:
            state = .closed
            closedAt = event.at
        case .linked(let payload):
            linked.append(
                Link(
                    seq: event.seq, at: event.at, actor: event.actor, incident: payload.linked,
                    reference: payload.reference, origin: payload.origin))
        case .obligationDue(let obligation):
            // A later `ObligationDue` of an obligation still due replaces it in place (the province's report counted
            // from receipt gets its `dueBy` when the lower unit's report is filed).
            if let index = obligations.lastIndex(where: { $0.obligation.id == obligation.id && $0.state == .due }) {
                obligations[index].obligation = obligation
            } else {
                obligations.append(Obligation(seq: event.seq, at: event.at, obligation: obligation, state: .due))
            }
        case .obligationMet(let met):
            if let index = obligations.lastIndex(where: { $0.obligation.id == met.obligation }) {
                obligations[index].meet(met, seq: event.seq)
            }
        case .reportForwarded(let forwarded):
            forwards.append(Forward(seq: event.seq, at: event.at, actor: event.actor, forwarded: forwarded))
        case .peerNotified(let payload):
            entry.province = payload.notification.province
            // A later notification to the same neighbour (a dam release warning) travels the same link, in order: it
            // starts where the delivery to that neighbour has got to.
            var notification = Notification(seq: event.seq, notification: payload.notification)
            if let earlier = notifications.last(where: { $0.notification.province == payload.notification.province }) {
                notification.delivery = earlier.delivery
                notification.receivedAt = earlier.receivedAt
                notification.acceptedAt = earlier.acceptedAt
                notification.acceptedBy = earlier.acceptedBy
                notification.peerReference = earlier.peerReference
            }
            notifications.append(notification)
        case .peerReceived(let payload):
            entry.province = payload.province
            for index in notifications.indices where notifications[index].notification.province == payload.province {
                notifications[index].receivedAt = notifications[index].receivedAt ?? event.at
                if notifications[index].delivery == .pending { notifications[index].delivery = .received }
            }
        case .peerAccepted(let payload):
            entry.province = payload.province
            for index in notifications.indices where notifications[index].notification.province == payload.province {
                notifications[index].acceptedAt = event.at
                notifications[index].acceptedBy = payload.by
                notifications[index].peerReference = payload.peerReference
                notifications[index].delivery = .accepted
            }
        case .task(let change):
            if case .dispatched(let dispatched) = change {
                taskIndex[dispatched.task] = tasks.count
                tasks.append(ResponseTask(incident: id, dispatched: dispatched))
                entry.task = dispatched.reference
            } else if let index = taskIndex[change.task] {
                tasks[index].apply(change)
                entry.task = tasks[index].reference
                // A cancelled report task takes its obligation with it: nobody is to file that report any more.
                if case .cancelled = change, let obligation = tasks[index].obligation,
                    let due = obligations.lastIndex(where: { $0.obligation.id == obligation && $0.state == .due })
                {
                    obligations[due].state = .cancelled
                }
            }
        case .textSent, .textDelivered, .textFailed:
            entry.task = applyText(event.event).map { tasks[$0].reference }
        case .capReceived(let payload):
            entry.province = payload.peer
            entry.summary = CAPThread.describe(payload)
            cap?.messages.append(CAPThread.Message(payload, seq: event.seq))
            if payload.msgType == "Cancel", isOpen {
                state = .cancelled
                closedAt = event.at
            }
        case .peerEventReceived(let received):
            entry.province = received.province
            guard var neighbour, let theirs = try? RecordedEvent(received.event) else { break }
            entry.summary = neighbour.apply(theirs)
            self.neighbour = neighbour
        case .drillStarted, .drillInjected, .drillEnded, .capHeld, .capHeldRefused, .capHeldDropped, .rotaOverridden,
            .tokenIssued, .tokenRevoked:
            // Events outside any incident (the guard above keeps them out); held CAP messages are folded by
            // ``HeldCAPLedger``.
            break
        }
    }
}

extension Incident {
    /// One event of the incident, as a line of its timeline.
    public struct TimelineEntry: Codable, Sendable, Hashable {
        /// The event's seq.
        public var seq: Int64
        /// Its type.
        public var type: EventType
        /// When (wall clock).
        public var at: Date
        /// Who caused it.
        public var actor: EventActor
        /// For a task event, the task's reference (`GX-2026-0007/T3`).
        public var task: String?
        /// For a peer event, the neighbouring province.
        public var province: UnitCode?
        /// For a neighbour's event, what it said, in words (`440000 GD-2026-0003: level set to I (was II)`).
        public var summary: String?

        public init(
            seq: Int64, type: EventType, at: Date, actor: EventActor, task: String? = nil, province: UnitCode? = nil,
            summary: String? = nil
        ) {
            self.summary = summary
            self.seq = seq
            self.type = type
            self.at = at
            self.actor = actor
            self.task = task
            self.province = province
        }
    }

    /// A notification to a neighbouring province and its two acknowledgements (DESIGN.md "Terms used in names",
    /// *peer notification*).
    public struct Notification: Codable, Sendable, Hashable {
        /// Pending until the neighbour's server has stored it (*received*), then *accepted* by its duty officer.
        public enum Delivery: String, Codable, Sendable, Hashable {
            case pending, received, accepted
        }

        /// The seq of its `PeerNotified`.
        public var seq: Int64
        /// What the plan said is due.
        public var notification: PeerNotification
        /// Where delivery stands.
        public var delivery: Delivery
        /// When the neighbour's server first stored it.
        public var receivedAt: Date?
        /// When it was accepted, by whom (`unit/position` there), and the neighbour's incident reference.
        public var acceptedAt: Date?
        public var acceptedBy: String?
        public var peerReference: String?
        /// The notification in Chinese (``ReportWordsZh/notification(_:units:placeNames:)``), filled in for a
        /// reader, never kept in the incident model.
        public var textZh: String?

        /// A notification not delivered yet.
        public init(seq: Int64, notification: PeerNotification) {
            self.seq = seq
            self.notification = notification
            self.delivery = .pending
        }
    }

    /// An incident linked to this one (`IncidentLinked`).
    public struct Link: Codable, Sendable, Hashable {
        /// The seq of the `IncidentLinked` on this incident.
        public var seq: Int64
        /// When, and by whom.
        public var at: Date
        public var actor: EventActor
        /// The other incident on this server.
        public var incident: UUID
        /// Its reference on this server.
        public var reference: String
        /// When a neighbour reported it: its incident there.
        public var origin: IncidentOrigin?

        public init(
            seq: Int64, at: Date, actor: EventActor, incident: UUID, reference: String, origin: IncidentOrigin? = nil
        ) {
            self.seq = seq
            self.at = at
            self.actor = actor
            self.incident = incident
            self.reference = reference
            self.origin = origin
        }
    }
}

extension Incident {
    /// The neighbour's incident as its events received here say it stands.
    public struct Neighbour: Codable, Sendable, Hashable {
        /// The origin province.
        public var province: UnitCode
        /// Its reference there.
        public var reference: String
        /// Its level.
        public var level: SeverityLevel?
        /// When it was closed there (the event's time there).
        public var closedAt: Date?
        /// Its follow-up and final reports received, in order: their summaries.
        public var reports: [String] = []

        public init(province: UnitCode, reference: String, level: SeverityLevel?) {
            self.province = province
            self.reference = reference
            self.level = level
        }

        /// Takes one of its events; returns what it said, in words (``describe(_:province:reference:)``).
        mutating func apply(_ event: RecordedEvent) -> String {
            switch event.event {
            case .levelSet(let payload): level = payload.to
            case .reportFiled(let payload): reports.append(payload.report.summary)
            case .closed: closedAt = event.at
            default: break
            }
            return Self.describe(event, province: province, reference: reference)
        }

        /// What an event of a neighbour's incident says, in words, for the timeline, `incident show` and `tail`:
        /// `450000 GX-2026-0007: level set to I (was II)`, `… follow-up report (their seq 22): <summary>`,
        /// `… closed (finalReport)`, `… plan re-estimated; crossing 440000 at <time>`.
        public static func describe(_ event: RecordedEvent, province: UnitCode, reference: String) -> String {
            let prefix = "\(province) \(reference): "
            switch event.event {
            case .levelSet(let payload):
                return prefix + "level set to \(payload.to) (was \(payload.from.map { "\($0)" } ?? "ungraded"))"
            case .reportFiled(let payload):
                let kind = payload.report.kind == .final ? "final report" : "follow-up report"
                return prefix + "\(kind) (their seq \(event.seq)): \(payload.report.summary)"
            case .closed(let payload):
                return prefix + "closed (\(payload.reason))"
            case .planComputed(let record):
                let crossing = ((try? record.document())?.peerNotifications ?? []).map {
                    "\($0.province) at \(CanonicalJSON.timestamp($0.crossingAt))"
                }
                return prefix + "plan re-estimated"
                    + (crossing.isEmpty ? "" : "; crossing \(crossing.joined(separator: ", "))")
            case .task(let change):
                return prefix + "task \(change.eventType.rawValue)"
            default:
                return prefix + event.type.rawValue
            }
        }
    }
}

/// A neighbour's CAP 1.2 thread an incident was opened by (DESIGN.md "Interfaces", CAP ingest): who sent it and each
/// message applied, in order. The documents themselves stay in the `CAPReceived` payloads.
public struct CAPThread: Codable, Sendable, Hashable {
    /// One message of the thread.
    public struct Message: Codable, Sendable, Hashable {
        /// The seq of its `CAPReceived`.
        public var seq: Int64
        /// CAP `identifier`, `sent` (as written), `msgType`, `status`.
        public var identifier: String
        public var sent: String
        public var msgType: String
        public var status: String
        /// The first `info` block's `headline` (or `event`).
        public var headline: String?

        public init(_ payload: CAPReceivedPayload, seq: Int64) {
            self.seq = seq
            self.identifier = payload.identifier
            self.sent = payload.sent
            self.msgType = payload.msgType
            self.status = payload.status
            self.headline = payload.headline
        }
    }

    /// The peer province that sent it (from its client certificate).
    public var peer: UnitCode
    /// CAP `sender` of the opening message.
    public var sender: String
    /// Its messages in the order applied.
    public var messages: [Message]

    public init(_ opening: CAPReceivedPayload, seq: Int64) {
        self.peer = opening.peer
        self.sender = opening.sender
        self.messages = [Message(opening, seq: seq)]
    }

    /// The latest headline.
    public var headline: String? { messages.last { $0.headline != nil }?.headline }

    /// A CAP message in words: `440000 CAP Alert (Actual): <headline>`.
    public static func describe(_ payload: CAPReceivedPayload) -> String {
        "\(payload.peer) CAP \(payload.msgType) (\(payload.status))" + (payload.headline.map { ": \($0)" } ?? "")
    }
}
