import Foundation
import Synchronization
import WatershedCore

/// The federation's and CAP ingest's view of the log, folded in memory from the committed events (issue 18,
/// "Nothing that only one node knows"): what ``PeerStore`` and ``CAPStore`` read, the same on every node because
/// every node folds the same log in the same order.
///
/// It holds what the SQLite tables `peer_share`, `peer_outbox`, `peer_inbox`, `peer_inbound`, `cap_message` and
/// `cap_held` hold (``PeerProjections``, the `v4-cap` migration), with the same rules:
///
/// | part | one entry per | changed by |
/// | --- | --- | --- |
/// | shares | our incident and a neighbour it is shared with | `PeerNotified`, `PeerReceived`, `PeerAccepted` |
/// | outbox | neighbour and seq of an event it must get | `PeerNotified`, then each shared event of a shared incident |
/// | inbox | neighbour and its event id | `PeerEventReceived`; `IncidentReported` with an `origin` |
/// | inbound | neighbour and its incident | `IncidentReported` with an `origin`; its notification task |
/// | applied CAP | CAP identity | `CAPReceived` (the first one wins) |
/// | held CAP | CAP identity | Core's ``HeldCAPLedger`` |
///
/// The outbox keeps seqs only: the events themselves are read from the log (``EventStore``).
/// Events must be folded once each, in seq order (the log's commit observers guarantee it).
public final class FederationBook: Sendable {
    /// One outbox entry: the seq of an event a neighbour must get, and its incident.
    struct Queued: Sendable, Hashable, Comparable {
        var seq: Int64
        var incident: UUID
        static func < (a: Queued, b: Queued) -> Bool { a.seq < b.seq }
    }

    /// The part of `peer_inbound` the incident's later events change.
    struct Inbound: Sendable, Hashable {
        var incident: InboundIncident
        var notificationTask: UUID?
        var acceptedSeq: Int64?
    }

    struct State: Sendable {
        /// The last seq folded.
        var folded: Int64 = 0
        /// Seqs of every incident's events of the shared types (``PeerProjections/sharedTypes``), in order.
        var sharedEvents: [UUID: [Int64]] = [:]
        var shares: [UnitCode: [SharedIncident]] = [:]
        /// Provinces each incident is shared with.
        var sharedWith: [UUID: [UnitCode]] = [:]
        /// Per neighbour, sorted by seq, no duplicates.
        var outbox: [UnitCode: [Queued]] = [:]
        /// Per neighbour: its event ids stored here, and the highest origin seq among them.
        var inbox: [UnitCode: Set<UUID>] = [:]
        var inboxCursor: [UnitCode: Int64] = [:]
        /// Per neighbour, by its incident; and our incidents that mirror one (unique, as `localIncident`).
        var inbound: [UnitCode: [UUID: Inbound]] = [:]
        var inboundOrder: [UnitCode: [UUID]] = [:]
        var mirrors: [UUID: (province: UnitCode, origin: UUID)] = [:]
        var applied: [CAPIdentity: CAPMessageRecord] = [:]
        var held = HeldCAPLedger()
    }

    private let state = Mutex(State())

    /// An empty book (before seq 1).
    public init() {}

    /// The event types that change the book: no other event need be read to fold it.
    public static let eventTypes: Set<EventType> = Set(PeerProjections.sharedTypes)
        .union([.peerNotified, .peerReceived, .peerAccepted, .peerEventReceived])
        .union(TaskChange.eventTypes).union(HeldCAPLedger.eventTypes)

    /// The last seq folded.
    public var folded: Int64 { state.withLock { $0.folded } }

    /// A committed event as the book needs it: the whole event, or — for the shared types whose payload it never
    /// reads (``markerTypes``) — only its seq, type and incident, so that a start-up fold need not read plans.
    public enum Entry: Sendable {
        case event(StoredEvent)
        case marker(seq: Int64, type: EventType, incident: UUID?)

        public var seq: Int64 {
            switch self {
            case .event(let event): event.seq
            case .marker(let seq, _, _): seq
            }
        }
    }

    /// The types whose payload the book never reads: an ``Entry/marker(seq:type:incident:)`` is enough.
    public static let markerTypes: Set<EventType> = [.planComputed, .reportFiled, .levelSet, .incidentClosed]

    /// Folds committed events (contiguous, in seq order; events at or below ``folded`` are skipped, so a batch
    /// handed twice changes nothing).
    ///
    /// - Throws: ``RecordedEventError`` for a CAP event whose payload does not have its type's shape (nothing after
    ///   it in `events` is folded).
    public func fold(_ events: some Sequence<StoredEvent>) throws {
        try fold(entries: events.lazy.map { Entry.event($0) })
    }

    /// Folds entries (in seq order, as ``fold(_:)``): what a start-up read of the log hands in.
    ///
    /// - Throws: as ``fold(_:)``.
    public func fold(entries: some Sequence<Entry>) throws {
        try state.withLock { state in
            for entry in entries where entry.seq > state.folded {
                switch entry {
                case .event(let event):
                    try Self.fold(event, into: &state)
                case .marker(let seq, let type, let incident):
                    if let incident, PeerProjections.sharedTypes.contains(type) {
                        Self.foldShared(seq: seq, incident: incident, into: &state)
                    }
                }
                state.folded = entry.seq
            }
        }
    }

    // MARK: Reads

    /// The seqs queued for `province` after `after`, in order, at most `limit`.
    public func outbox(for province: UnitCode, after: Int64, limit: Int) -> [Int64] {
        state.withLock { state in
            guard let queue = state.outbox[province] else { return [] }
            let start = Self.firstIndex(in: queue, after: after)
            return queue[start..<min(queue.count, start + max(0, limit))].map(\.seq)
        }
    }

    public func inboxCursor(for province: UnitCode) -> Int64 {
        state.withLock { $0.inboxCursor[province] ?? 0 }
    }

    public func hasInbound(from province: UnitCode, event id: UUID) -> Bool {
        state.withLock { $0.inbox[province]?.contains(id) ?? false }
    }

    /// In the order they were reported to us.
    public func inboundIncidents(from province: UnitCode, origin: UUID?) -> [InboundIncident] {
        state.withLock { state in
            let order = origin.map { [$0] } ?? state.inboundOrder[province] ?? []
            return order.compactMap { state.inbound[province]?[$0]?.incident }
        }
    }

    public func sharedIncidents(with province: UnitCode) -> [SharedIncident] {
        state.withLock { $0.shares[province] ?? [] }
    }

    public func firstOutboxSeqs(for province: UnitCode) -> [UUID: Int64] {
        state.withLock { state in
            var firsts: [UUID: Int64] = [:]
            for queued in state.outbox[province] ?? [] where firsts[queued.incident] == nil {
                firsts[queued.incident] = queued.seq
            }
            return firsts
        }
    }

    public func capMessage(_ identity: CAPIdentity) -> CAPMessageRecord? {
        state.withLock { $0.applied[identity] }
    }

    public func heldCAPMessage(_ identity: CAPIdentity) -> HeldCAPMessage? {
        state.withLock { state in state.held.held[identity].map { Self.message(identity, $0) } }
    }

    /// Oldest first (by `receivedAt`, then by the seq that held it).
    public func heldCAPMessages(peer: UnitCode?, includingRefused: Bool) -> [HeldCAPMessage] {
        state.withLock { state in
            state.held.held
                .filter { (includingRefused || $0.value.refusal == nil) && (peer == nil || $0.value.peer == peer) }
                .sorted { ($0.value.receivedAt, $0.value.heldSeq) < ($1.value.receivedAt, $1.value.heldSeq) }
                .map { Self.message($0.key, $0.value) }
        }
    }

    private static func message(_ identity: CAPIdentity, _ entry: HeldCAPLedger.Entry) -> HeldCAPMessage {
        HeldCAPMessage(
            sender: identity.sender, identifier: identity.identifier, sentUTC: identity.sentUTC, peer: entry.peer,
            receivedAt: entry.receivedAt, xml: Data(entry.xml.utf8), refusal: entry.refusal)
    }

    // MARK: Folding

    private static func fold(_ event: StoredEvent, into state: inout State) throws {
        guard eventTypes.contains(event.type) else { return }
        if HeldCAPLedger.eventTypes.contains(event.type) {
            let recorded = try RecordedEvent(event)
            if case .capReceived(let payload) = recorded.event, let identity = payload.identity,
                let incident = event.incident, state.applied[identity] == nil
            {
                state.applied[identity] = CAPMessageRecord(
                    sender: identity.sender, identifier: identity.identifier, sentUTC: identity.sentUTC,
                    peer: payload.peer, msgType: payload.msgType, incident: incident, seq: event.seq)
            }
            state.held.apply(recorded)
            return
        }
        if event.type == .peerEventReceived, let payload = try? event.payload.decode(PeerEventReceivedPayload.self) {
            receive(
                from: payload.province, event: payload.event.id, originSeq: payload.event.seq, into: &state)
            return
        }
        guard let incident = event.incident else { return }
        if TaskChange.eventTypes.contains(event.type) {
            foldNotificationTask(event, incident: incident, into: &state)
            return
        }
        switch event.type {
        case .incidentReported:
            // Only a neighbour's incident carries `origin`; our own skip decoding the whole report here.
            if let value = event.payload["origin"], let origin = try? value.decode(IncidentOrigin.self) {
                foldInbound(origin, incident: incident, into: &state)
            }
        case .peerNotified:
            guard let payload = try? event.payload.decode(PeerNotifiedPayload.self) else { return }
            let province = payload.notification.province
            guard !(state.sharedWith[incident] ?? []).contains(province) else { return }
            state.sharedWith[incident, default: []].append(province)
            state.shares[province, default: []].append(
                SharedIncident(incident: incident, province: province, notifiedSeq: event.seq))
            for seq in state.sharedEvents[incident] ?? [] {
                enqueue(Queued(seq: seq, incident: incident), for: province, into: &state)
            }
        case .peerReceived, .peerAccepted:
            guard let payload = try? event.payload.decode(PeerAcknowledgementPayload.self),
                let index = state.shares[payload.province]?.firstIndex(where: { $0.incident == incident })
            else { return }
            if event.type == .peerReceived {
                if state.shares[payload.province]![index].receivedSeq == nil {
                    state.shares[payload.province]![index].receivedSeq = event.seq
                }
            } else if state.shares[payload.province]![index].acceptedSeq == nil {
                state.shares[payload.province]![index].acceptedSeq = event.seq
            }
        default:
            break
        }
        if PeerProjections.sharedTypes.contains(event.type) {
            foldShared(seq: event.seq, incident: incident, into: &state)
        }
    }

    /// An event of a shared type: queued for every neighbour its incident is shared with, and remembered for any
    /// neighbour it is shared with later.
    private static func foldShared(seq: Int64, incident: UUID, into state: inout State) {
        state.sharedEvents[incident, default: []].append(seq)
        for province in state.sharedWith[incident] ?? [] {
            enqueue(Queued(seq: seq, incident: incident), for: province, into: &state)
        }
    }

    private static func receive(from province: UnitCode, event id: UUID, originSeq: Int64, into state: inout State) {
        guard state.inbox[province, default: []].insert(id).inserted else { return }
        state.inboxCursor[province] = max(state.inboxCursor[province] ?? 0, originSeq)
    }

    private static func foldInbound(_ origin: IncidentOrigin, incident: UUID, into state: inout State) {
        let province = origin.province
        if state.inbound[province]?[origin.incident] == nil, state.mirrors[incident] == nil {
            state.inbound[province, default: [:]][origin.incident] = Inbound(
                incident: InboundIncident(
                    province: province, originIncident: origin.incident, originReference: origin.reference,
                    localIncident: incident))
            state.inboundOrder[province, default: []].append(origin.incident)
            state.mirrors[incident] = (province, origin.incident)
        }
        receive(from: province, event: origin.event, originSeq: origin.seq, into: &state)
    }

    /// A neighbour's incident's notification task (the first `notification` task dispatched on the mirror), and
    /// *accepted* when that task is first acknowledged, started or completed.
    private static func foldNotificationTask(_ event: StoredEvent, incident: UUID, into state: inout State) {
        guard let (province, origin) = state.mirrors[incident],
            var inbound = state.inbound[province]?[origin],
            let change = try? TaskChange(eventType: event.type, payload: event.payload)
        else { return }
        if case .dispatched(let dispatched) = change {
            guard dispatched.kind == .notification, inbound.notificationTask == nil else { return }
            inbound.notificationTask = dispatched.task
        } else if let by = PeerProjections.acknowledgedBy(change), inbound.notificationTask == change.task,
            inbound.acceptedSeq == nil
        {
            inbound.acceptedSeq = event.seq
            inbound.incident.acceptedBy = "\(by.unit)/\(by.position.rawValue)"
            inbound.incident.acceptedAt = event.at
        } else {
            return
        }
        state.inbound[province]![origin] = inbound
    }

    private static func enqueue(_ queued: Queued, for province: UnitCode, into state: inout State) {
        var queue = state.outbox[province] ?? []
        state.outbox[province] = nil
        let index = firstIndex(in: queue, after: queued.seq - 1)
        if index == queue.count || queue[index].seq != queued.seq { queue.insert(queued, at: index) }
        state.outbox[province] = queue
    }

    /// The index of the first entry with a seq above `after` (binary search).
    private static func firstIndex(in queue: [Queued], after: Int64) -> Int {
        var low = 0
        var high = queue.count
        while low < high {
            let middle = (low + high) / 2
            if queue[middle].seq <= after { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
