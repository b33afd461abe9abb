import Foundation

extension IncidentRules {
    /// Links `first` and `second` as reports of the same spill (issue 5, "Inbound": a commander can link two
    /// provinces' reports of the same spill into one incident): an `IncidentLinked` on each, naming the other and,
    /// when the other mirrors a neighbour's incident, its origin. A link is between two incidents of this server; a
    /// closed incident may be linked (a duplicate report is often found late).
    ///
    /// - Returns: the events to append, each with the incident it belongs to: `first`'s, then `second`'s.
    /// - Throws: ``DomainError`` `conflict` `same_incident` for an incident linked to itself and `already_linked`
    ///   for a pair linked before; `invalid` `exercise_mismatch` for an exercise and a real incident (drills stay
    ///   apart from real incidents, DESIGN.md "Rules that hold everywhere"). Each names the field `incident`.
    public func link(_ first: Incident, to second: Incident) throws(DomainError) -> [(
        incident: UUID, event: IncidentEvent
    )] {
        guard first.id != second.id else {
            throw DomainError(
                .conflict, code: "same_incident", message: "\(first.reference) cannot be linked to itself",
                field: "incident")
        }
        guard first.exercise == second.exercise else {
            throw DomainError(
                .invalid, code: "exercise_mismatch",
                message: "\(first.exercise ? first.reference : second.reference) is an exercise and "
                    + "\(first.exercise ? second.reference : first.reference) is not: drills stay apart from real "
                    + "incidents",
                field: "incident")
        }
        guard !first.linked.contains(where: { $0.incident == second.id }) else {
            throw DomainError(
                .conflict, code: "already_linked",
                message: "\(first.reference) and \(second.reference) are already linked", field: "incident")
        }
        return [
            (
                first.id,
                .linked(IncidentLinkedPayload(linked: second.id, reference: second.reference, origin: second.origin))
            ),
            (
                second.id,
                .linked(IncidentLinkedPayload(linked: first.id, reference: first.reference, origin: first.origin))
            ),
        ]
    }
}
