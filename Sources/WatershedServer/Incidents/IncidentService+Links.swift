import Foundation
import WatershedCore
import WatershedStore
import WatershedWire

extension IncidentService {
    /// Links two incidents of this server as reports of the same spill (issue 5, "Inbound": a commander can link two
    /// provinces' reports of the same spill into one incident; DESIGN.md "Who uses it"): appends `IncidentLinked` on
    /// both, each naming the other (``IncidentLinkedPayload``), in one commit. A link is between two incidents; it
    /// is not carried to neighbours (`IncidentLinked` is not among ``PeerProjections/sharedTypes``) and a closed
    /// incident may be linked (a duplicate report is often found late). The caller has checked the commander role.
    ///
    /// - Parameters:
    ///   - key: the incident of the path, by UUID or reference.
    ///   - other: the incident to link, by UUID or reference (the body's `incident`).
    /// - Returns: the incident of the path and all its links, the new one last.
    /// - Throws: ``DomainError`` `notFound` `unknown_incident` for an unknown incident (`field` `id` or `incident`);
    ///   what ``IncidentRules/link(_:to:)`` refuses; the log's errors (nothing is appended).
    func link(_ key: String, to other: String, by identity: Identity, now: Date) async throws -> IncidentLinks {
        // Read from the book, not as summaries: a summary decodes the plan, which a link does not need.
        guard let first = book.incident(key) else { throw Self.unknown(key) }
        guard let second = book.incident(other) else {
            throw DomainError(
                .notFound, code: "unknown_incident", message: "no incident \"\(other)\" to link", field: "incident")
        }
        // Both incidents' locks, in one order, so two commanders linking the same pair either way cannot deadlock.
        let locks = Set([first.id, second.id]).map { "incident " + $0.uuidString }.sorted()
        for lock in locks { await acquire(lock) }
        defer { for lock in locks.reversed() { release(lock) } }
        guard let incident = book.incident(first.id), let linked = book.incident(second.id) else {
            throw Self.unknown(key)
        }
        let events = try rules.link(incident, to: linked).map { link in
            try EventMaker(
                incident: link.incident, identity: identity, now: now, exercise: incident.exercise
            )(link.event)
        }
        _ = try await append(events)
        return IncidentLinks(
            incident: first.id, reference: first.reference, linked: book.incident(first.id)?.linked ?? incident.linked)
    }
}
