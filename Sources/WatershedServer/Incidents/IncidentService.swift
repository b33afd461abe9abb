import Foundation
import WatershedCore
import WatershedStore
import WatershedWire

/// An incident as the API lists it, folded from its events.
public struct IncidentSummary: Codable, Sendable, Hashable {
    /// The incident's UUID.
    public var id: UUID
    /// Human reference, `GX-2026-0007`.
    public var reference: String
    /// `open` or `closed`.
    public var state: String
    /// The level set, or `nil` while not yet graded.
    public var level: SeverityLevel?
    /// When it was discovered.
    public var discoveredAt: Date
    /// Where.
    public var place: SpillLocation
    /// The pollutant's id.
    public var pollutant: String
    /// The unit where it is.
    public var spillUnit: UnitCode
    /// Whether it is an exercise.
    public var exercise: Bool
    /// The seq of its first event.
    public var reportedSeq: Int64
    /// The current plan.
    public var plan: PlanDocument?
}

/// The `IncidentReported` payload: the reference and the initial report.
public struct IncidentReportedPayload: Codable, Sendable, Hashable {
    /// `GX-2026-0007`.
    public var reference: String
    /// The report as filed.
    public var report: InitialReport
}

/// The `TaskDispatched` payload: the task's number within its incident and the planned task.
public struct TaskDispatchedPayload: Codable, Sendable, Hashable {
    /// `GX-2026-0007/T3`.
    public var reference: String
    /// The task.
    public var task: PlannedTask
}

/// Files reports: checks them, plans, appends the events, keeps the incident list, and hands
/// committed events to the push hub. Incident references are handed out one at a time here.
public actor IncidentService {
    let log: EventLog
    let basin: Basin
    let province: UnitCode
    let hub: PushHub
    private var incidents: [UUID: IncidentSummary] = [:]
    private var order: [UUID] = []

    /// Loads the incident list from the log.
    public init(log: EventLog, basin: Basin, province: UnitCode, hub: PushHub) throws {
        self.log = log
        self.basin = basin
        self.province = province
        self.hub = hub
        var after: Int64 = 0
        var incidents: [UUID: IncidentSummary] = [:]
        var order: [UUID] = []
        while true {
            let page = try log.events(after: after, limit: 1_000)
            for event in page { Self.fold(event, into: &incidents, order: &order) }
            guard let last = page.last, page.count == 1_000 else { break }
            after = last.seq
        }
        self.incidents = incidents
        self.order = order
    }

    /// GB/T 2260 province → the abbreviation in incident references (桂 GX, 粤 GD, 黔 GZ, 滇 YN, 湘 HN, 琼 HI).
    public static func abbreviation(_ province: UnitCode) -> String {
        ["450000": "GX", "440000": "GD", "520000": "GZ", "530000": "YN", "430000": "HN", "460000": "HI"][province]
            ?? String(province.prefix(2))
    }

    private static func fold(
        _ event: StoredEvent, into incidents: inout [UUID: IncidentSummary], order: inout [UUID]
    ) {
        switch event.type {
        case .incidentReported:
            guard let incident = event.incident, let payload = try? event.payload.decode(IncidentReportedPayload.self)
            else { return }
            incidents[incident] = IncidentSummary(
                id: incident, reference: payload.reference, state: "open", level: payload.report.level,
                discoveredAt: payload.report.discoveredAt, place: payload.report.place,
                pollutant: payload.report.pollutant, spillUnit: payload.report.signature.reportingUnit,
                exercise: event.exercise, reportedSeq: event.seq, plan: nil)
            order.append(incident)
        case .planComputed:
            guard let incident = event.incident, let plan = try? event.payload.decode(PlanDocument.self) else { return }
            incidents[incident]?.plan = plan
            incidents[incident]?.spillUnit = plan.spillUnit
        case .incidentClosed:
            if let incident = event.incident { incidents[incident]?.state = "closed" }
        default:
            break
        }
    }

    /// Incidents, newest first; `state` filters.
    public func list(state: String?) -> [IncidentSummary] {
        order.reversed().compactMap { incidents[$0] }.filter { state == nil || $0.state == state }
    }

    /// One incident by UUID or reference.
    public func find(_ key: String) -> IncidentSummary? {
        if let id = UUID(uuidString: key) { return incidents[id] }
        return incidents.values.first { $0.reference == key }
    }

    /// Files an initial report: checks it, plans it and appends `IncidentReported`, `PlanComputed`,
    /// one `ObligationDue` per report obligation and one `TaskDispatched` per task for this
    /// province's units — all in one append, so they are committed together and in that order.
    ///
    /// - Throws: ``APIError`` 422 naming the first field at fault (nothing is appended).
    func fileInitialReport(_ report: InitialReport, by identity: Identity, now: Date, exercise: Bool) async throws
        -> (IncidentSummary, [StoredEvent])
    {
        if let problem = report.problems(in: basin, ownProvince: province).first {
            throw APIError(.unprocessableContent, code: "invalid_field", message: problem.message, field: problem.field)
        }
        let plan: PlanDocument
        do {
            plan = try Planner(basin: basin).plan(report.spillInput(ownProvince: province))
        } catch {
            throw APIError(error)
        }
        let year =
            Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "Asia/Shanghai")!, from: now)
            .year ?? 2026
        let prefix = "\(Self.abbreviation(province))-\(year)-"
        let serial = incidents.values.filter { $0.reference.hasPrefix(prefix) }.count + 1
        let reference = prefix + String(format: "%04d", serial)
        let incident = UUID()
        let actor = EventActor.person(
            unit: identity.unit, position: identity.dutyPosition.rawValue, token: identity.tokenID)
        func event(_ type: EventType, _ payload: some Encodable) throws -> NewEvent {
            NewEvent(
                at: now, incident: incident, type: type, actor: actor, exercise: exercise,
                payload: try JSONValue(encoding: payload))
        }
        var events = [
            try event(.incidentReported, IncidentReportedPayload(reference: reference, report: report)),
            try event(.planComputed, plan),
        ]
        for obligation in plan.obligations { events.append(try event(.obligationDue, obligation)) }
        for task in plan.tasks where task.province == province {
            events.append(
                try event(.taskDispatched, TaskDispatchedPayload(reference: "\(reference)/T\(task.number)", task: task))
            )
        }
        let stored = try await log.append(events)
        for event in stored { Self.fold(event, into: &incidents, order: &order) }
        await hub.publish(try stored.map(StreamFrame.init))
        return (incidents[incident]!, stored)
    }
}
