import Foundation
import WatershedCore
import WatershedStore
import WatershedWire

/// Every incident of the log as Core's ``Incident`` folds it, in the order reported, with the indexes the service
/// reads by: reference, task id and task reference. The service's one read model (DESIGN.md "Read models"): the
/// list, the task lists, the detail and the deadlines are read out of it, in memory.
struct IncidentBook: Sendable {
    private(set) var byID: [UUID: Incident] = [:]
    /// Incident ids in the order reported.
    private(set) var order: [UUID] = []
    private var byReference: [String: UUID] = [:]
    /// Task id → its incident.
    private var taskOwner: [UUID: UUID] = [:]
    /// Task reference (`GX-2026-0007/T3`) → task id.
    private var taskByReference: [String: UUID] = [:]
    /// The duty rota's overrides made through the API (`RotaOverridden`), in log order.
    private(set) var rotaOverrides: [RotaOverriddenPayload] = []

    /// Folds one committed event: an `IncidentReported` (or the `CAPReceived` of a neighbour's new CAP thread) opens
    /// an incident, any other event of a known incident is applied to it, events outside incidents are left to their
    /// own books (drills).
    mutating func fold(_ event: RecordedEvent) {
        if case .rotaOverridden(let override) = event.event { rotaOverrides.append(override) }
        guard let id = event.incident else { return }
        if byID[id] == nil, let incident = Incident(opening: event) {
            byID[id] = incident
            order.append(id)
            byReference[incident.reference] = id
            return
        }
        guard byID[id] != nil else { return }
        byID[id]!.apply(event)
        if case .task(.dispatched(let dispatched)) = event.event {
            taskOwner[dispatched.task] = id
            taskByReference[dispatched.reference] = dispatched.task
        }
    }

    /// The incident with this UUID.
    func incident(_ id: UUID) -> Incident? { byID[id] }

    /// The incident with this UUID (as text) or reference.
    func incident(_ key: String) -> Incident? {
        if let id = UUID(uuidString: key) { return byID[id] }
        return byReference[key].flatMap { byID[$0] }
    }

    /// The task with this UUID.
    func task(_ id: UUID) -> ResponseTask? { taskOwner[id].flatMap { byID[$0]?.task(id) } }

    /// The task with this UUID (as text) or reference.
    func task(_ key: String) -> ResponseTask? {
        if let id = UUID(uuidString: key) { return task(id) }
        return taskByReference[key].flatMap { task($0) }
    }

    /// Every overdue notification of every incident (``Incident/overdueNotifications(at:)``), by deadline.
    func overdueNotifications(at now: Date) -> [(incident: UUID, overdue: Incident.OverdueNotification)] {
        order.flatMap { id in (byID[id]?.overdueNotifications(at: now) ?? []).map { (id, $0) } }
            .sorted { $0.overdue.deadline < $1.overdue.deadline }
    }

    /// An incident's tasks in dispatch order.
    func tasks(of incident: UUID) -> [ResponseTask] { byID[incident]?.tasks ?? [] }

    /// Every task of every incident.
    var allTasks: some Sequence<ResponseTask> { byID.values.lazy.flatMap(\.tasks) }

    /// The `Idempotency-Key` record an event carries (the first event of a report's append), with the seqs it
    /// covers.
    static func idempotency(of event: RecordedEvent) -> (record: IdempotencyRecord, entry: Idempotency.Entry)? {
        let carried: IdempotencyRecord? =
            switch event.event {
            case .reported(let payload): payload.idempotency
            case .reportFiled(let payload): payload.idempotency
            default: nil
            }
        guard let record = carried, let incident = event.incident else { return nil }
        return (
            record,
            Idempotency.Entry(
                requestSHA256: record.requestSHA256, incident: incident, firstSeq: event.seq,
                lastSeq: event.seq + Int64(max(1, record.eventCount)) - 1, at: event.at)
        )
    }
}
