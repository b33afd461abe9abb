import ArgumentParser
import Foundation
import WatershedCore
import WatershedPlaybooks

/// `watershed hindcast FILE…`: replays past spills against the playbooks and prints their errors.
struct HindcastCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hindcast",
        abstract: "Replay past spills: the predicted band and time at every station seen, against the record.",
        discussion: """
            For every station with an observed time: the band (earliest–latest) and its
            width before any observation and whether the observed time fell in it, then
            the prediction after each observation as it became known, with the error in
            hours and in % of the observed travel time — counted from the last
            observation used (from the spill before any). The case file's format, and
            how to add a river and a case of your own: docs/hindcasts.md.
              watershed hindcast hindcasts/*.yaml
              watershed hindcast --markdown hindcasts/*.yaml > Benchmarks/results/hindcasts.md
            Exit 1 when a case is worse than the figures it records (`recorded`).
            """
    )

    @OptionGroup var basinOptions: BasinOptions
    @Argument(help: "Hindcast case files (hindcasts/*.yaml).") var files: [String]
    @Flag(help: "Print Markdown tables (for Benchmarks/results/hindcasts.md).") var markdown = false
    @Flag(help: "Print each case's figures as its `recorded:` block, to paste into the case file.") var recorded = false
    @Option(
        name: .customLong("below-observed"),
        help: "How observations correct arrivals below them: calibrate (default), shift or scale.")
    var belowObserved: String = "calibrate"
    @Option(name: .customLong("time-zone"), help: "Time zone for the times printed (default: each case's offset).")
    var timeZone: String?

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one case file (hindcasts/*.yaml)") }
        if BelowObserved(rawValue: belowObserved) == nil {
            throw ValidationError("--below-observed: expected calibrate, shift or scale, got \"\(belowObserved)\"")
        }
        if let timeZone, TimeZone(identifier: timeZone) == nil {
            throw ValidationError("--time-zone: unknown time zone \"\(timeZone)\".")
        }
    }

    func run() async throws {
        let out = CommandOutput.current
        var worse: [String] = []
        for file in files {
            let value: HindcastCase
            do {
                value = try HindcastFile.load(file: file)
            } catch {
                throw CommandExit.invalid(error.description)
            }
            var options = basinOptions
            options.playbooks = HindcastFile.playbooksFolder(of: value, file: file, fallback: basinOptions.playbooks)
            let basin = try options.loadBasin()
            let result: Hindcast.Result
            do {
                result = try Hindcast.run(
                    value, basin: basin, rule: BelowObserved(rawValue: belowObserved) ?? .calibrate)
            } catch {
                throw CommandExit.invalid("\(file): \(error)")
            }
            let zone = timeZone.flatMap(TimeZone.init(identifier:)) ?? Self.zone(of: value)
            let render = HindcastReport(
                value: value, rule: BelowObserved(rawValue: belowObserved) ?? .calibrate, result: result,
                time: LocalTime(timeZone: zone))
            out.write(recorded ? render.recorded() : markdown ? render.markdown() : render.text())
            if belowObserved == BelowObserved.calibrate.rawValue {
                worse += Hindcast.regressions(result, against: value.recorded ?? []).map { "\(value.id): \($0)" }
            }
        }
        if !worse.isEmpty { throw CommandExit.invalid(worse.joined(separator: "\n")) }
    }

    /// The case's own time zone, else China's.
    static func zone(of value: HindcastCase) -> TimeZone {
        value.timeZone.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "Asia/Shanghai")!
    }
}

/// A hindcast's table, as text or Markdown.
struct HindcastReport {
    let value: HindcastCase
    let rule: BelowObserved
    let result: Hindcast.Result
    let time: LocalTime

    static func hours(_ value: Double) -> String { String(format: "%+.1f", value) }
    static func percent(_ value: Double?) -> String { value.map { String(format: "%+.0f %%", $0) } ?? "—" }

    var header: [String] {
        var lines = [
            "\(value.name)\(value.nameZh.map { " \($0)" } ?? "") — spill at \(value.spill.river) km "
                + "\(value.spill.km), \(time(value.spill.at)); flow Q/Qa \(value.spill.flowRatio)",
            "Calibrated on: \(value.calibratedOn)",
            "Below an observation: the \(rule) rule",
        ]
        for (index, seen) in result.used.enumerated() {
            lines.append("Observation \(index + 1): \(seen.node) \(seen.feature.rawValue) at \(time(seen.at))")
        }
        let (inside, of) = result.inBandBefore
        lines.append(
            "Before any observation: \(inside) of \(of) observed times in the band; widest band "
                + String(format: "%.2f", result.widestBandRatio) + " × the predicted travel time")
        for k in 1..<max(1, result.used.count + 1) {
            if let largest = result.largestErrorPercent(after: k) {
                lines.append(
                    "After \(k) observation(s): largest error on stations seen later "
                        + String(format: "%.0f %%", largest) + " of the observed travel time")
            }
        }
        return lines
    }

    var columns: [String] {
        ["station", "feature", "km", "observed", "band before (width h)", "in", "predicted", "err h", "err %"]
            + (1..<(result.used.count + 1)).flatMap { ["after \($0): err h", "err %"] }
    }

    func cells(_ row: Hindcast.Row) -> [String] {
        guard let first = row.steps.first else { return [] }
        var cells = [
            row.name, row.feature.rawValue, String(format: "%.0f", row.distanceKm),
            time(row.observed) + (row.withinH > 0 ? String(format: " ±%.0f h", row.withinH) : ""),
            "\(time(first.earliest)) – \(time(first.latest)) (\(String(format: "%.1f", first.widthH)))",
            first.inBand ? "yes" : "NO", time(first.predicted), Self.hours(first.errorH),
            Self.percent(first.errorPercent),
        ]
        for step in row.steps.dropFirst() { cells += [Self.hours(step.errorH), Self.percent(step.errorPercent)] }
        return cells
    }

    func text() -> String {
        var table = TextTable(columns, rightAligned: Set([2, 7, 8] + Array(9..<columns.count)))
        for row in result.rows { table.add(cells(row)) }
        return (header + ["", table.render(), ""]).joined(separator: "\n")
    }

    /// The `recorded:` block of the case: per station and step, whether the observed time was in the band and the
    /// error in % rounded up to the next 0.1 (absolute).
    func recorded() -> String {
        var lines = ["# \(value.id)", "recorded:"]
        for row in result.rows {
            for step in row.steps {
                let error = step.errorPercent.map { String(format: "%.1f", (abs($0) * 10).rounded(.up) / 10) }
                lines.append(
                    "  - {node: \(row.node), feature: \(row.feature), step: \(step.used), inBand: \(step.inBand)"
                        + (error.map { ", errorPercent: \($0)" } ?? "") + "}")
            }
        }
        return lines.joined(separator: "\n")
    }

    func markdown() -> String {
        var lines = ["## \(value.name)\(value.nameZh.map { " \($0)" } ?? "") (`\(value.id)`)", ""]
        lines += header.map { "- \($0)" }
        lines += ["", "| " + columns.joined(separator: " | ") + " |", "|" + columns.map { _ in " --- |" }.joined()]
        for row in result.rows { lines.append("| " + cells(row).joined(separator: " | ") + " |") }
        return lines.joined(separator: "\n") + "\n"
    }
}
