import Foundation
import WatershedCore

/// Reads a hindcast case (`hindcasts/*.yaml`, format in `docs/hindcasts.md`).
public enum HindcastFile {
    /// Loads a case with the strict decoder: an unknown or missing field, a wrong type or a bad time is a
    /// `file:line:column: field: message` diagnostic; so is a `kind` other than `hindcast`, a measure with both
    /// `holdH` and `releasedAt`, a `withinH` below zero, or an unknown `timeZone`.
    ///
    /// - Throws: ``PlaybookLoadError`` with every problem.
    public static func load(file: String) throws(PlaybookLoadError) -> HindcastCase {
        let (text, unreadable) = PlaybookLoader.read(file)
        if let unreadable { throw PlaybookLoadError(diagnostics: [unreadable]) }
        let result = StrictYAMLDecoder().decodeCollectingProblems(HindcastCase.self, from: text ?? "", file: file)
        guard let value = result.value, result.diagnostics.isEmpty else {
            throw PlaybookLoadError(diagnostics: result.diagnostics)
        }
        var problems: [PlaybookDiagnostic] = []
        func problem(_ path: String, _ message: String) {
            let (line, column) = result.sourceMap.position(of: path)
            problems.append(PlaybookDiagnostic(file: file, line: line, column: column, field: path, message: message))
        }
        if value.kind != "hindcast" { problem("kind", "expected `hindcast`, got `\(value.kind)`") }
        if value.schemaVersion != PlaybookLoader.supportedSchemaVersion {
            problem("schemaVersion", "expected \(PlaybookLoader.supportedSchemaVersion), got \(value.schemaVersion)")
        }
        for (index, measure) in (value.measures ?? []).enumerated()
        where measure.holdH != nil && measure.releasedAt != nil {
            problem("measures[\(index)].releasedAt", "give `holdH` or `releasedAt`, not both")
        }
        for (index, seen) in value.seen.enumerated() where (seen.withinH ?? 0) < 0 || !(seen.withinH ?? 0).isFinite {
            problem("seen[\(index)].withinH", "must be zero or more hours")
        }
        if let zone = value.timeZone, TimeZone(identifier: zone) == nil {
            problem("timeZone", "unknown time zone \"\(zone)\" (an IANA name, e.g. America/Denver)")
        }
        if value.seen.isEmpty { problem("seen", "a hindcast needs at least one observed time") }
        guard problems.isEmpty else { throw PlaybookLoadError(diagnostics: problems) }
        return value
    }

    /// The playbooks folder a case runs on: its `playbooks` relative to the case file, else `fallback`.
    public static func playbooksFolder(of value: HindcastCase, file: String, fallback: String) -> String {
        guard let folder = value.playbooks else { return fallback }
        if folder.hasPrefix("/") { return folder }
        return URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent(folder).path
    }
}
