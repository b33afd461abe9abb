import Foundation

/// Report obligations of MEP Order No. 17 (《突发环境事件信息报告办法》, in force 2011-05-01).
///
/// - Art. 3: for level IV or III the county/city bureau reports to its own government and the
///   next-higher environment bureau within 4 h of discovery; for II or I, to its own government,
///   the provincial department and MEE at once, within 2 h; the province reports to MEE within
///   1 h of receipt. A level change during handling re-runs the rule at the new level, counted
///   from the change (DOMAIN.md §2).
/// - Art. 4: while ungraded, any of six triggers puts the incident on the II/I path.
public enum ReportingRules {
    /// Hours allowed on the III/IV path (Art. 3).
    public static let ordinaryWithinH = 4.0
    /// Hours allowed on the II/I path (Art. 3).
    public static let majorWithinH = 2.0
    /// Hours the province has to report to MEE after receipt (Art. 3).
    public static let provinceToMinistryWithinH = 1.0

    /// Whether reports go on the II/I path: a level I or II, or, while ungraded, any Art. 4 trigger.
    public static func isMajorPath(level: SeverityLevel?, triggers: Set<Art4Trigger>) -> Bool {
        if let level { return level.isMajorPath }
        return !triggers.isEmpty
    }

    /// The initial-report obligations for an incident in `spillUnit`.
    ///
    /// - Parameters:
    ///   - level: the level set, or `nil` while not yet graded.
    ///   - triggers: the Art. 4 triggers that hold (used only while ungraded).
    ///   - anchorAt: discovery time, or the time of the level change.
    ///   - anchor: `.discovery` or `.levelChange`.
    ///   - spillUnit: the county (or city) where the incident is, from the reach's owner.
    ///   - units: resolves a unit code to its unit (for parents and names).
    /// - Returns: the county/city bureau's report, and on the II/I path the province's report to MEE
    ///   (anchored on receipt).
    public static func initialObligations(
        level: SeverityLevel?, triggers: Set<Art4Trigger>, anchorAt: Date, anchor: ObligationAnchor,
        spillUnit: UnitCode, units: [UnitCode: AdministrativeUnit]
    ) -> [ReportObligation] {
        let major = isMajorPath(level: level, triggers: triggers)
        let unit = units[spillUnit] ?? AdministrativeUnit(code: spillUnit, name: spillUnit, kind: .county)
        let parent = unit.parent.flatMap { units[$0] }
        let province = units[spillUnit.provinceCode] ?? unit
        let reason: String
        if let level {
            reason = "level \(level)"
        } else if major {
            reason = "not yet graded; " + triggers.sorted().map(\.citation).joined(separator: ", ")
        } else {
            reason = "not yet graded; no Art. 4 trigger"
        }
        let within = major ? majorWithinH : ordinaryWithinH
        let due = anchorAt.addingTimeInterval(within * 3_600)
        var recipients = [ReportRecipient(unit: unit.code, body: .government, name: "\(unit.name) People's Government")]
        if major {
            if unit.kind != .province {
                recipients.append(
                    ReportRecipient(
                        unit: province.code, body: .environmentBureau,
                        name: "\(province.name) Department of Ecology and Environment"))
            }
            recipients.append(
                ReportRecipient(unit: "MEE", body: .ministry, name: "Ministry of Ecology and Environment"))
        } else if let parent {
            recipients.append(
                ReportRecipient(
                    unit: parent.code, body: .environmentBureau, name: "\(parent.name) ecology and environment bureau"))
        }
        let rule = major ? "MEP Order No. 17, Art. 3 (II/I: 2 h)" : "MEP Order No. 17, Art. 3 (IV/III: 4 h)"
        var obligations = [
            ReportObligation(
                id: "initial-\(unit.code)", report: .initial, fromUnit: unit.code, fromName: unit.name,
                dutyPosition: .standard(for: unit.kind), recipients: recipients, anchor: anchor, withinH: within,
                dueBy: due, latestDueBy: due, majorPath: major, rule: rule, reason: reason)
        ]
        if major && unit.kind != .province {
            obligations.append(
                ReportObligation(
                    id: "initial-\(province.code)-mee", report: .initial, fromUnit: province.code,
                    fromName: province.name, dutyPosition: .provincialDutyChief,
                    recipients: [
                        ReportRecipient(unit: "MEE", body: .ministry, name: "Ministry of Ecology and Environment")
                    ],
                    anchor: .receipt, withinH: provinceToMinistryWithinH, dueBy: nil,
                    latestDueBy: due.addingTimeInterval(provinceToMinistryWithinH * 3_600), majorPath: true,
                    rule: "MEP Order No. 17, Art. 3 (province → MEE: 1 h after receipt)", reason: reason))
        }
        return obligations
    }
}
