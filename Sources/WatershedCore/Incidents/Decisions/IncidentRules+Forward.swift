import Foundation

extension IncidentRules {
    /// The events of the province forwarding a lower unit's report of `incident` to `recipient` (MEP Order No. 17
    /// Art. 3: on a II/I incident the province reports to MEE within 1 h of receiving the county's report; it may do
    /// so by forwarding that report, or by filing its own signed as the province —
    /// ``report(_:on:by:now:drillPeers:claim:)``). In the order they are appended together: `ReportForwarded` (the
    /// report's seq, kind and signing unit, from this province to `recipient`; by `holder`), `ObligationMet` for each
    /// obligation of this province still due that is counted from receipt and names `recipient` among its
    /// recipients (`filedAt` = `now`: met late when after its `dueBy`, ``Incident/Obligation/lateBy``), and their
    /// open report tasks done.
    ///
    /// Worked example (II/I path, discovered 08:00): the county files at 08:30 → the province's `initial-450000-mee`
    /// is due 09:30; forwarded at 09:20 it is met on time, at 09:45 met late by 15 min (900 s).
    ///
    /// The caller has checked the commander role (403 at the edge).
    ///
    /// - Parameters:
    ///   - reportSeq: the seq of the report (its `IncidentReported` or `ReportFiled`); `nil` for the latest report
    ///     signed by a unit other than this province.
    ///   - recipient: `"MEE"` or a unit the basin knows (surrounding blanks ignored).
    ///   - now: the time on the incident's clock (the drill's for a drill).
    /// - Throws: ``DomainError`` invalid (`invalid_field`, field `to`) for a blank or unknown recipient; not found
    ///   (`unknown_report`, field `report`) for a seq that is no report of the incident; conflict
    ///   (`nothing_to_forward`, field `report`) when the incident has no report of another unit or the report named is
    ///   this province's own (filing it was its report), (`already_forwarded`, field `to`) when that report went to
    ///   that recipient already.
    public func forward(
        report reportSeq: Int64?, to recipient: UnitCode, on incident: Incident, by holder: TokenHolder, now: Date
    ) throws(DomainError) -> [IncidentEvent] {
        let to = recipient.trimmingCharacters(in: .whitespaces)
        guard to == "MEE" || basin.unit(to) != nil else {
            throw DomainError(
                .invalid, code: "invalid_field",
                message: "to is the recipient: \"MEE\" (the Ministry) or a unit code; \"\(recipient)\" is neither",
                field: "to")
        }
        let seq: Int64
        if let reportSeq {
            seq = reportSeq
        } else {
            let seqs = [incident.reportedSeq] + incident.reports.map(\.seq)
            let others = seqs.filter { incident.report(seq: $0).map { $0.reportingUnit != province } ?? false }
            guard let latest = others.last else {
                throw DomainError(
                    .conflict, code: "nothing_to_forward",
                    message: "incident \(incident.reference) has no report of another unit for \(province) to forward",
                    field: "report")
            }
            seq = latest
        }
        guard let report = incident.report(seq: seq) else {
            throw DomainError(
                .notFound, code: "unknown_report",
                message: "incident \(incident.reference) has no report with seq \(seq)", field: "report")
        }
        guard report.reportingUnit != province else {
            throw DomainError(
                .conflict, code: "nothing_to_forward",
                message: "report seq \(seq) is \(province)'s own: filing it was the province's report", field: "report")
        }
        if incident.forwards.contains(where: { $0.forwarded.reportSeq == seq && $0.forwarded.to == to }) {
            throw DomainError(
                .conflict, code: "already_forwarded",
                message: "report seq \(seq) of incident \(incident.reference) was forwarded to \(to) already",
                field: "to")
        }
        var events: [IncidentEvent] = [
            .reportForwarded(
                ReportForwardedPayload(
                    reportSeq: seq, report: report.kind, reportingUnit: report.reportingUnit, from: province, to: to))
        ]
        let met = incident.currentObligations.filter {
            $0.state == .due && $0.obligation.fromUnit == province && $0.obligation.anchor == .receipt
                && $0.obligation.recipients.contains { $0.unit == to }
        }.map(\.obligation)
        events += met.map {
            .obligationMet(ObligationMetPayload(obligation: $0.id, reportSeq: seq, filedAt: now, unit: province))
        }
        for obligation in met {
            if let task = incident.tasks.first(where: { $0.obligation == obligation.id && $0.state.isOpen }) {
                events += ((try? task.complete(by: holder.assignee, at: now)) ?? []).map { .task($0) }
            }
        }
        return events
    }
}
