import Foundation
import WatershedCore
import WatershedStore
import WatershedWire

extension IncidentService {
    /// Forwards a lower unit's report of an incident to `to` (MEE) for this province (MEP Order No. 17 Art. 3:
    /// within 1 h of receiving the county's report), appending ``IncidentRules/forward(report:to:on:by:now:)``'s
    /// events under the incident's lock, decided again on a newer fold when another node committed to the incident
    /// meanwhile (``decideAndAppend(on:_:)``: the same report forwarded on two nodes at once is forwarded once). A
    /// drill incident's forward is timed on its drill clock. The caller has checked the commander role.
    ///
    /// - Parameters:
    ///   - key: the incident's UUID or reference.
    ///   - report: the report's seq, or `nil` for the latest report of another unit.
    /// - Returns: the incident after it, the forward, the obligations it met and the seqs appended.
    /// - Throws: ``DomainError`` `notFound` (404) for an unknown incident; what
    ///   ``IncidentRules/forward(report:to:on:by:now:)`` refuses (404 `unknown_report`, 409 `nothing_to_forward` /
    ///   `already_forwarded`, 422 on `to`); the log's errors.
    func forward(_ key: String, report: Int64?, to: String, by identity: Identity, now wall: Date) async throws
        -> ReportForwardAnswer
    {
        guard let id = book.incident(key)?.id else { throw Self.unknown(key) }
        let lock = "incident " + id.uuidString
        await acquire(lock)
        defer { release(lock) }
        var events: [IncidentEvent] = []
        let stored = try await decideAndAppend(on: id) {
            guard let incident = book.incident(id) else { throw Self.unknown(key) }
            let (now, drillWall) = times(of: id, wall: wall)
            events = try rules.forward(report: report, to: to, on: incident, by: identity.holder, now: now)
            let make = EventMaker(
                incident: id, identity: identity, now: now, exercise: incident.exercise, wall: drillWall)
            return try make(events)
        }
        guard let after = book.incident(id), let forward = after.forwards.last else { throw Self.unknown(key) }
        let metIDs = Set(events.compactMap { if case .obligationMet(let met) = $0 { met.obligation } else { nil } })
        return ReportForwardAnswer(
            incident: IncidentSummary(after, withPlan: false), forward: forward,
            met: after.currentObligations.filter { metIDs.contains($0.obligation.id) },
            firstSeq: stored.first?.seq ?? 0, lastSeq: stored.last?.seq ?? 0)
    }
}
