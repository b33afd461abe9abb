import Foundation

/// Report obligations of MEP Order No. 17 (《突发环境事件信息报告办法》, in force 2011-05-01).
///
/// - Art. 3: for level IV or III the county/city bureau reports to its own government and the
///   next-higher environment bureau within 4 h of discovery; for II or I, to its own government,
///   the provincial department and MEE at once, within 2 h; the province reports to MEE within
///   1 h of receipt. A level change during handling re-runs the rule at the new level, counted
///   from the change (DOMAIN.md §2).
/// - Art. 4: while ungraded, any of six triggers puts the incident on the II/I path.
/// - Until a person sets a level, a grading hint of II or I (the 2014 national plan's table, 国办函〔2014〕119号
///   §1.5, read from the report's facts and the plan's predicted impacts) counts as the determination Art. 3
///   reads, and the stricter II/I path applies (issue 17); a hint of III or IV never takes an incident off the II/I
///   path an Art. 4 trigger put it on.
public enum ReportingRules {
    /// Hours allowed on the III/IV path (Art. 3).
    public static let ordinaryWithinH = 4.0
    /// Hours allowed on the II/I path (Art. 3).
    public static let majorWithinH = 2.0
    /// Hours the province has to report to MEE after receipt (Art. 3).
    public static let provinceToMinistryWithinH = 1.0

    /// Whether reports go on the II/I path: a level I or II set; or, while ungraded, a grading hint of II or I or
    /// any Art. 4 trigger.
    public static func isMajorPath(level: SeverityLevel?, triggers: Set<Art4Trigger>, hint: SeverityLevel? = nil)
        -> Bool
    {
        if let level { return level.isMajorPath }
        return hint?.isMajorPath == true || !triggers.isEmpty
    }

    /// Why an incident is on its path, in the words its obligations carry (`reason`): the level set; else the
    /// grading hint of II or I that counts as the determination, and the Art. 4 triggers that hold; else "no Art. 4
    /// trigger", saying when a hint of III or IV leaves the path as it is.
    public static func pathReason(level: SeverityLevel?, triggers: Set<Art4Trigger>, hint: GradingHint?) -> String {
        if let level { return "level \(level)" }
        var parts = ["not yet graded"]
        if let hinted = hint?.level, hinted.isMajorPath {
            let why = hint.map { $0.reasons.isEmpty ? "" : " (" + $0.reasons.joined(separator: "; ") + ")" } ?? ""
            parts.append(
                "grading hint level \(hinted)\(why) counts as the determination until a level is set "
                    + "(2014 national plan §1.5): the II/I path applies")
        }
        if !triggers.isEmpty {
            parts.append(triggers.sorted().map(\.citation).joined(separator: ", "))
        } else if hint?.level?.isMajorPath != true {
            parts.append("no Art. 4 trigger")
        }
        if let hinted = hint?.level, !hinted.isMajorPath {
            parts.append("grading hint level \(hinted) does not change the path")
        }
        return parts.joined(separator: "; ")
    }

    /// The initial-report obligations for an incident in `spillUnit`.
    ///
    /// - Parameters:
    ///   - level: the level set, or `nil` while not yet graded.
    ///   - triggers: the Art. 4 triggers that hold (used only while ungraded).
    ///   - hint: the grading hint (used only while ungraded: II or I puts the incident on the II/I path).
    ///   - anchorAt: discovery time, or the time of the level change.
    ///   - anchor: `.discovery` or `.levelChange`.
    ///   - spillUnit: the county (or city) where the incident is, from the reach's owner.
    ///   - units: resolves a unit code to its unit (for parents and names).
    /// - Returns: the county/city bureau's report, and on the II/I path the province's report to MEE
    ///   (anchored on receipt).
    public static func initialObligations(
        level: SeverityLevel?, triggers: Set<Art4Trigger>, hint: GradingHint? = nil, anchorAt: Date,
        anchor: ObligationAnchor, spillUnit: UnitCode, units: [UnitCode: AdministrativeUnit]
    ) -> [ReportObligation] {
        let major = isMajorPath(level: level, triggers: triggers, hint: hint?.level)
        let unit = units[spillUnit] ?? AdministrativeUnit(code: spillUnit, name: spillUnit, kind: .county)
        let parent = unit.parent.flatMap { units[$0] }
        let province = units[spillUnit.provinceCode] ?? unit
        let reason = pathReason(level: level, triggers: triggers, hint: hint)
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
