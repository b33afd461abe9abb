import Foundation
import WatershedCore

/// `seeds/<province>/organisation.yaml`: a province's units that act in a response, their duty positions and
/// escalation policies (issue 4).
///
/// ```yaml
/// schemaVersion: 1
/// kind: organisation
/// province: "450000"
/// source: "…"
/// note: "…"
/// defaultPolicy: {ackMinutes: 15, repeats: 2}
/// units:
///   - {code: "450000", dutyPositions: [provincial-duty-chief], policy: {ackMinutes: 5, repeats: 2}}
///   - {code: "450200", dutyPositions: [city-duty-chief], policy: {ackMinutes: 10, repeats: 2}}
///   - {code: "450206", dutyPositions: [county-duty-officer]}
/// ```
struct OrganisationFile: Codable, Sendable {
    struct Entry: Codable, Sendable {
        var code: UnitCode
        var dutyPositions: [DutyPosition]
        var policy: EscalationPolicy?
        var note: String?
    }
    var schemaVersion: Int
    var kind: String
    var province: UnitCode
    var source: String
    var note: String?
    var defaultPolicy: EscalationPolicy
    var units: [Entry]
}

/// Reads a province's organisation seed into a Core ``Organisation``.
public enum OrganisationSeed {
    /// Reads `organisation.yaml` (the shape is on `OrganisationFile` above): `schemaVersion: 1`,
    /// `kind: organisation`, `province`, `source`, an optional `note`, `defaultPolicy: {ackMinutes, repeats}` and
    /// `units`, each with `code`, `dutyPositions`, an optional `policy` and an optional `note`.
    ///
    /// Besides the strict decoder's problems (YAML errors, unknown or repeated keys, wrong types, missing fields),
    /// it reports: a schema version other than 1; a `kind` other than `organisation`; a `province` that is not a
    /// province of `units`; a unit code not in `units` (`playbooks/units.yaml`), of another province, or listed
    /// twice; a unit with no duty position, a position listed twice, or without its tier's standard position
    /// (``DutyPosition/standard(for:)``, which escalation chains send tasks to); the province itself not listed;
    /// `ackMinutes` outside ``EscalationPolicy/ackMinutesRange`` (1…1440) and `repeats` outside
    /// ``EscalationPolicy/repeatsRange`` (0…10). The minutes are the province's choice; no regulation sets them.
    ///
    /// - Parameters:
    ///   - file: The path, as it is to appear in diagnostics.
    ///   - units: The units of `playbooks/units.yaml` by code (``Basin/units``).
    /// - Throws: ``PlaybookLoadError`` with one `file:line:column: field: message` diagnostic per problem, sorted
    ///   by position; an unreadable file is `file:1:1: cannot read the file: …`.
    public static func load(file: String, units: [UnitCode: AdministrativeUnit]) throws(PlaybookLoadError)
        -> Organisation
    {
        let (text, unreadable) = PlaybookLoader.read(file)
        if let unreadable { throw PlaybookLoadError(diagnostics: [unreadable]) }
        return try decode(text ?? "", file: file, units: units)
    }

    /// Decodes and checks the text of an organisation file (see ``load(file:units:)``).
    ///
    /// - Throws: ``PlaybookLoadError`` with every problem.
    public static func decode(_ text: String, file: String, units: [UnitCode: AdministrativeUnit])
        throws(PlaybookLoadError) -> Organisation
    {
        let result = StrictYAMLDecoder().decodeCollectingProblems(OrganisationFile.self, from: text, file: file)
        var problems = result.diagnostics
        func problem(_ path: String, _ message: String) {
            let (line, column) = result.sourceMap.position(of: path)
            problems.append(PlaybookDiagnostic(file: file, line: line, column: column, field: path, message: message))
        }
        // Checks of meaning run on a file that decoded cleanly (placeholders would give false alarms).
        guard let decoded = result.value, problems.isEmpty else {
            throw PlaybookLoadError(diagnostics: problems)
        }
        if decoded.schemaVersion != 1 {
            problem("schemaVersion", "schema version \(decoded.schemaVersion) is not supported; expected 1")
        }
        if decoded.kind != "organisation" { problem("kind", "\"\(decoded.kind)\" is not \"organisation\"") }
        let province = decoded.province
        if let unit = units[province] {
            if unit.kind != .province {
                problem("province", "\"\(province)\" (\(unit.name)) is not a province")
            }
        } else {
            problem("province", "unit \"\(province)\" is not in playbooks/units.yaml")
        }
        check(decoded.defaultPolicy, at: "defaultPolicy", problem)
        var firstIndex: [UnitCode: Int] = [:]
        for (index, entry) in decoded.units.enumerated() {
            let path = "units[\(index)]"
            if let earlier = firstIndex[entry.code] {
                problem("\(path).code", "duplicate unit \"\(entry.code)\" (first at units[\(earlier)])")
                continue
            }
            firstIndex[entry.code] = index
            guard let unit = units[entry.code] else {
                problem("\(path).code", "unit \"\(entry.code)\" is not in playbooks/units.yaml")
                continue
            }
            if entry.code.provinceCode != province {
                problem(
                    "\(path).code",
                    "\"\(entry.code)\" (\(unit.name)) is in province \(entry.code.provinceCode), not \(province)")
                continue
            }
            checkPositions(entry.dutyPositions, of: unit, at: "\(path).dutyPositions", problem)
            if let policy = entry.policy { check(policy, at: "\(path).policy", problem) }
        }
        if firstIndex[province] == nil, units[province]?.kind == .province {
            problem(
                "units",
                "the province \(province) is not listed; every escalation chain ends at its "
                    + "\(DutyPosition.provincialDutyChief)")
        }
        guard problems.isEmpty else { throw PlaybookLoadError(diagnostics: problems) }
        return Organisation(
            province: province, defaultPolicy: decoded.defaultPolicy,
            units: decoded.units.map {
                OrganisationUnit(code: $0.code, dutyPositions: $0.dutyPositions, policy: $0.policy)
            })
    }

    private static func check(
        _ policy: EscalationPolicy, at path: String, _ problem: (String, String) -> Void
    ) {
        let minutes = EscalationPolicy.ackMinutesRange
        if !minutes.contains(policy.ackMinutes) {
            problem(
                "\(path).ackMinutes",
                "\(policy.ackMinutes) minutes is outside \(minutes.lowerBound)…\(minutes.upperBound) "
                    + "(an acknowledgement time of at least a minute and at most a day)")
        }
        let repeats = EscalationPolicy.repeatsRange
        if !repeats.contains(policy.repeats) {
            problem(
                "\(path).repeats",
                "\(policy.repeats) escalation steps is outside \(repeats.lowerBound)…\(repeats.upperBound)")
        }
    }

    private static func checkPositions(
        _ positions: [DutyPosition], of unit: AdministrativeUnit, at path: String,
        _ problem: (String, String) -> Void
    ) {
        guard !positions.isEmpty else {
            problem(path, "a unit needs at least one duty position")
            return
        }
        var seen: Set<DutyPosition> = []
        for (index, position) in positions.enumerated() where !seen.insert(position).inserted {
            problem("\(path)[\(index)]", "duty position \"\(position)\" is listed twice")
        }
        let standard = DutyPosition.standard(for: unit.kind)
        if !seen.contains(standard) {
            problem(
                path,
                "\(unit.name) is a \(tierWords(unit.kind)); escalation chains send its tasks to \"\(standard)\", "
                    + "which is not listed")
        }
    }

    private static func tierWords(_ kind: UnitKind) -> String {
        switch kind {
        case .country: "country"
        case .province: "province"
        case .districtedCity: "districted city"
        case .county: "county"
        }
    }
}
