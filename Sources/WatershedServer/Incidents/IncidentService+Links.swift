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
    /// - Throws: ``APIError`` 404 `unknown_incident` for an unknown incident (`field` `id` or `incident`); 409
    ///   `same_incident` for an incident linked to itself and `already_linked` for a pair linked before (`field`
    ///   `incident`); 422 `exercise_mismatch` for an exercise incident and a real one (drills are isolated, DESIGN.md
    ///   "Rules that hold everywhere"); the log's errors (nothing is appended).
    func link(_ key: String, to other: String, by identity: Identity, now: Date) async throws -> IncidentLinks {
        guard let first = find(key) else { throw Self.unknown(key) }
        guard let second = find(other) else {
            throw APIError(
                .notFound, code: "unknown_incident", message: "no incident \"\(other)\" to link", field: "incident")
        }
        guard first.id != second.id else {
            throw APIError(
                .conflict, code: "same_incident",
                message: "\(first.reference) cannot be linked to itself", field: "incident")
        }
        guard first.exercise == second.exercise else {
            throw APIError(
                .unprocessableContent, code: "exercise_mismatch",
                message: "\(first.exercise ? first.reference : second.reference) is an exercise and "
                    + "\(first.exercise ? second.reference : first.reference) is not: drills stay apart from real "
                    + "incidents",
                field: "incident")
        }
        // Both incidents' locks, in one order, so two commanders linking the same pair either way cannot deadlock.
        let locks = [first.id, second.id].map { "incident " + $0.uuidString }.sorted()
        for lock in locks { await acquire(lock) }
        defer { for lock in locks.reversed() { release(lock) } }
        guard let detail = book.incident(first.id), let other = book.incident(second.id) else {
            throw Self.unknown(key)
        }
        guard !detail.linked.contains(where: { $0.incident == second.id }) else {
            throw APIError(
                .conflict, code: "already_linked",
                message: "\(first.reference) and \(second.reference) are already linked", field: "incident")
        }
        let origins = [detail.origin, other.origin]
        var events: [NewEvent] = []
        for (this, that, origin) in [(first, second, origins[1]), (second, first, origins[0])] {
            let make = EventMaker(incident: this.id, identity: identity, now: now, exercise: this.exercise)
            events.append(
                try make(.linked(IncidentLinkedPayload(linked: that.id, reference: that.reference, origin: origin))))
        }
        _ = try await append(events)
        return IncidentLinks(
            incident: first.id, reference: first.reference, linked: book.incident(first.id)?.linked ?? detail.linked)
    }
}
