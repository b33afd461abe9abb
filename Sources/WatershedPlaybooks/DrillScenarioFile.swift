import Foundation
import WatershedCore

/// Reads a drill scenario file (`seeds/<province>/drills/*.yaml`, format in `docs/drills.md`) and reads in the
/// reports its injects name by `reportFile` (JSON, relative to the scenario file).
public enum DrillScenarioFile {
    /// Loads and checks a scenario.
    ///
    /// Besides the strict decoder's problems, it reports a `reportFile` that cannot be read or is not JSON, and —
    /// when `basin` is given — the problems of ``DrillScenario/problems(province:units:peers:)`` (each at the line of
    /// the field it names) and an initial report that cannot be planned in the basin.
    ///
    /// - Parameters:
    ///   - file: the scenario's path, as diagnostics are to show it.
    ///   - basin: the shared basin map, to check units, peers and reports against; `nil` checks the file's shape only.
    ///   - province: the province that runs the drill (its participants' units belong to it).
    /// - Throws: ``PlaybookLoadError`` with one `file:line:column: field: message` diagnostic per problem.
    public static func load(file: String, basin: Basin? = nil, province: UnitCode = "450000")
        throws(PlaybookLoadError) -> DrillScenario
    {
        let (text, unreadable) = PlaybookLoader.read(file)
        if let unreadable { throw PlaybookLoadError(diagnostics: [unreadable]) }
        let result = StrictYAMLDecoder().decodeCollectingProblems(DrillScenario.self, from: text ?? "", file: file)
        guard var scenario = result.value, result.diagnostics.isEmpty else {
            throw PlaybookLoadError(diagnostics: result.diagnostics)
        }
        var problems: [PlaybookDiagnostic] = []
        func problem(_ path: String, _ message: String) {
            var (line, column) = result.sourceMap.position(of: path)
            // A field inside a report read from a file: point at the inject's `reportFile`.
            if let range = path.range(of: ".report") {
                let inject = String(path[..<range.lowerBound])
                (line, column) = result.sourceMap.position(of: inject + ".reportFile")
            }
            problems.append(PlaybookDiagnostic(file: file, line: line, column: column, field: path, message: message))
        }
        let folder = URL(fileURLWithPath: file).deletingLastPathComponent()
        for index in scenario.injects.indices {
            guard let name = scenario.injects[index].reportFile else { continue }
            let path = "injects[\(index)].reportFile"
            if scenario.injects[index].report != nil {
                problem(path, "give `report` or `reportFile`, not both")
                continue
            }
            let url = name.hasPrefix("/") ? URL(fileURLWithPath: name) : folder.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                problem(path, "cannot read \(url.path)")
                continue
            }
            do {
                scenario.injects[index].report = try JSONDecoder().decode(JSONValue.self, from: data)
                scenario.injects[index].reportFile = nil
            } catch {
                problem(path, "\(url.path) is not JSON: \(error)")
            }
        }
        if let basin, problems.isEmpty {
            for found in scenario.problems(
                province: province, units: Set(basin.units.keys), peers: Set(basin.agreements.keys))
            {
                problem(found.field, found.message)
            }
            for (index, inject) in scenario.injects.enumerated() where inject.kind == .initialReport {
                guard let report = try? inject.report?.decode(InitialReport.self) else { continue }
                let checked = report.checked(in: basin, ownProvince: province)
                if checked.plan == nil {
                    let first = checked.problems.first ?? FieldError(field: "place", message: "cannot be planned")
                    problem("injects[\(index)].report.\(first.field)", first.message)
                }
            }
        }
        guard problems.isEmpty else {
            throw PlaybookLoadError(diagnostics: problems.sorted { ($0.line, $0.column) < ($1.line, $1.column) })
        }
        return scenario
    }
}
