import Foundation

/// The triggers of MEP Order No. 17, Art. 4: an incident that cannot yet be graded
/// is reported on the II/I path (2 h) if any of them holds.
public enum Art4Trigger: String, Codable, Sendable, CaseIterable, Comparable {
    /// (1) A drinking-water source protection zone is affected or threatened.
    case drinkingWaterSource
    /// (2) Residential areas, schools, hospitals or other sensitive places or people are involved.
    case sensitivePlaces
    /// (3) Heavy metals or metalloids (Cd, Tl, Pb, Hg, Cr, As, Sb…).
    case heavyMetals
    /// (4) Possible cross-provincial or cross-border impact.
    case crossBoundary
    /// (5) Mass incidents or large social impact.
    case massIncident
    /// (6) Anything else the bureau judges necessary (an explicit flag).
    case bureauJudgement

    /// Article and item, e.g. `"Art. 4(3)"`.
    public var citation: String {
        let item = Art4Trigger.allCases.firstIndex(of: self)! + 1
        return "MEP Order No. 17, Art. 4(\(item))"
    }

    public static func < (lhs: Art4Trigger, rhs: Art4Trigger) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// The three kinds of written report (MEP Order No. 17, Art. 12).
public enum ReportKind: String, Codable, Sendable, CaseIterable {
    /// 初报, on discovery.
    case initial
    /// 续报, whenever facts or developments are established.
    case followUp
    /// 处理结果报告, after handling ends.
    case final
}

/// Who receives a report.
public struct ReportRecipient: Codable, Sendable, Hashable {
    /// The body that receives it.
    public enum Body: String, Codable, Sendable {
        /// The people's government of the unit.
        case government
        /// The unit's ecology and environment bureau (or the provincial department).
        case environmentBureau
        /// The Ministry of Ecology and Environment (its duty office, Art. 6).
        case ministry
    }
    /// The unit (`"MEE"` for the ministry).
    public var unit: UnitCode
    /// The body.
    public var body: Body
    /// Display text, e.g. `"Hechi environment bureau"`.
    public var name: String
}

/// What a deadline is counted from.
public enum ObligationAnchor: String, Codable, Sendable {
    /// The time the incident was discovered.
    case discovery
    /// The time the level changed (the rule re-runs at the new level).
    case levelChange
    /// The time the province receives the lower unit's report.
    case receipt
}

/// A legal report due: from which unit to whom, by when, under which rule.
public struct ReportObligation: Codable, Sendable, Hashable, Identifiable {
    /// Stable id within a plan, e.g. `"initial-451203"` or `"initial-450000-mee"`.
    public var id: String
    /// The report kind.
    public var report: ReportKind
    /// The unit that must report (its environment bureau).
    public var fromUnit: UnitCode
    /// Display name of that unit.
    public var fromName: String
    /// The duty position that files it.
    public var dutyPosition: DutyPosition
    /// Who must receive it.
    public var recipients: [ReportRecipient]
    /// What the deadline counts from.
    public var anchor: ObligationAnchor
    /// Hours allowed from the anchor.
    public var withinH: Double
    /// The deadline, when the anchor time is known (not for `receipt` before the report is received).
    public var dueBy: Date?
    /// The latest the deadline can be (for `receipt`: the lower unit's deadline plus `withinH`).
    public var latestDueBy: Date
    /// Whether this is the II/I path (2 h) or the III/IV path (4 h).
    public var majorPath: Bool
    /// The rule, with article.
    public var rule: String
    /// Why this path applies, e.g. `"level III"` or `"ungraded; Art. 4(3) heavy metals"`.
    public var reason: String
}
