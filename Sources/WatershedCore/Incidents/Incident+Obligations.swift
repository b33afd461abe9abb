import Foundation

extension Incident {
    /// A report obligation of the incident and where it stands.
    ///
    /// Each obligation is met by its own unit's report (MEP Order No. 17 Art. 3): a report filed as its `fromUnit`,
    /// or — for the province's report to MEE counted from receipt — the lower unit's report forwarded. A report
    /// filed or forwarded after `dueBy` meets it late: `state` is `met` and ``lateBy`` says by how much.
    ///
    /// JSON (in `GET /v1/incidents/{id}`): `{"seq", "at", "obligation": {…ReportObligation}, "state": "due" | "met" |
    /// "cancelled", "metSeq"?, "metAt"?, "lateBy"?, "titleZh"?, "stateZh"?, "ruleZh"?}`; the Chinese text is filled in for a
    /// reader (``withTextZh(units:)``), never kept in the incident model.
    public struct Obligation: Codable, Sendable, Hashable {
        /// Due, met by a report, or cancelled with its report task.
        public enum State: String, Codable, Sendable, Hashable {
            case due, met, cancelled
        }

        /// The seq of its `ObligationDue`.
        public var seq: Int64
        /// When it became due (wall clock).
        public var at: Date
        /// What is owed, to whom, by when.
        public var obligation: ReportObligation
        /// Where it stands.
        public var state: State
        /// The seq of the `ObligationMet`, once met.
        public var metSeq: Int64?
        /// When the report that met it was filed (or forwarded), on the incident's clock: the `ObligationMet`'s
        /// `filedAt`.
        public var metAt: Date?
        /// Seconds (at millisecond precision) by which the report that met it came after `dueBy`; `nil` when met on
        /// time (at `dueBy` to the millisecond is on time), not met, or without a `dueBy`.
        public var lateBy: Double?
        /// The obligation in Chinese, who owes what to whom within how long (``ReportWordsZh/obligation(_:units:)``):
        /// `宜州区生态环境局向宜州区人民政府、河池市生态环境局报送初报，发现后4小时内（…第三条）`.
        public var titleZh: String?
        /// Where it stands in Chinese (``ReportWordsZh/state(_:)``): `待报`, `已报`, `逾期补报（迟报1小时12分钟）`, `已取消`.
        public var stateZh: String?
        /// The rule's path and time allowed in Chinese (``ReportWordsZh/rule(_:)``): `第三条（重大、特别重大：2小时）`.
        public var ruleZh: String?

        public init(
            seq: Int64, at: Date, obligation: ReportObligation, state: State, metSeq: Int64? = nil, metAt: Date? = nil,
            lateBy: Double? = nil
        ) {
            self.seq = seq
            self.at = at
            self.obligation = obligation
            self.state = state
            self.metSeq = metSeq
            self.metAt = metAt
            self.lateBy = lateBy
        }

        /// This obligation with its Chinese title and state, unit names from `units` (their `nameZh`).
        public func withTextZh(units: [UnitCode: AdministrativeUnit]) -> Obligation {
            var obligation = self
            obligation.titleZh = ReportWordsZh.obligation(self.obligation, units: units)
            obligation.stateZh = ReportWordsZh.state(self)
            obligation.ruleZh = ReportWordsZh.rule(self.obligation)
            return obligation
        }

        /// Whether it was met after its deadline.
        public var metLate: Bool { state == .met && lateBy != nil }

        /// Takes its `ObligationMet` (seq `seq`): met at `filedAt`, late by `filedAt − dueBy` when that is more than
        /// zero at the millisecond (DESIGN.md "Clocks").
        mutating func meet(_ met: ObligationMetPayload, seq: Int64) {
            state = .met
            metSeq = seq
            metAt = met.filedAt
            lateBy = obligation.dueBy.flatMap { due in
                let late = CanonicalJSON.milliseconds(met.filedAt) - CanonicalJSON.milliseconds(due)
                return late > 0 ? Double(late) / 1000 : nil
            }
        }
    }

    /// A follow-up or final report as filed.
    public struct FiledReport: Codable, Sendable, Hashable {
        /// The seq of its `ReportFiled`.
        public var seq: Int64
        /// When it was filed (wall clock).
        public var at: Date
        /// Who filed it.
        public var actor: EventActor
        /// The report.
        public var report: FollowUpReport

        public init(seq: Int64, at: Date, actor: EventActor, report: FollowUpReport) {
            self.seq = seq
            self.at = at
            self.actor = actor
            self.report = report
        }
    }

    /// A report the province forwarded (`ReportForwarded`).
    public struct Forward: Codable, Sendable, Hashable {
        /// The seq of the `ReportForwarded`.
        public var seq: Int64
        /// When (wall clock), and by whom.
        public var at: Date
        public var actor: EventActor
        /// Which report, signed by whom, from which unit to which recipient.
        public var forwarded: ReportForwardedPayload

        public init(seq: Int64, at: Date, actor: EventActor, forwarded: ReportForwardedPayload) {
            self.seq = seq
            self.at = at
            self.actor = actor
            self.forwarded = forwarded
        }
    }

    /// The last entry of each obligation id (a later `ObligationDue` with the same id replaces an earlier one), in
    /// the order they became due.
    public var currentObligations: [Obligation] {
        let last = Dictionary(obligations.map { ($0.obligation.id, $0.seq) }, uniquingKeysWith: { max($0, $1) })
        return obligations.filter { last[$0.obligation.id] == $0.seq }
    }

    /// A report of the incident by its seq: the initial report (seq of `IncidentReported`) or a follow-up or final
    /// report (seq of its `ReportFiled`), with its kind and signing unit; `nil` for any other seq.
    public func report(seq: Int64) -> (kind: ReportKind, reportingUnit: UnitCode)? {
        if seq == reportedSeq, let initialReport { return (.initial, initialReport.signature.reportingUnit) }
        return reports.first { $0.seq == seq }.map { ($0.report.kind, $0.report.signature.reportingUnit) }
    }
}
