// Start-up with a long log (issue 16): how long `IncidentService` takes to read the log and fold every incident with
// Core's `Incident` — what `watershed serve` does before it listens — at about `--events` events.
//
//   swift build -c release --product watershed-startup-bench
//   .build/release/watershed-startup-bench [--events 100000] [--runs 3] [--log PATH]
//
// With `--log PATH` the log is kept at PATH (built there when the file does not exist, reused when it does: for a
// profiler, `perf record … --log PATH` the second time).
//
// The log is built once, in a temporary folder (production DatabasePool, WAL, synchronous = FULL): the 2012 Longjiang
// cadmium report (Tests/Fixtures/longjiang-initial-report.json) filed again and again at successive chainages of
// the Longjiang, each decided by the incident model's rules (`IncidentRules.initialReport`) against the real
// playbooks — the events a server appends for an initial report: `IncidentReported`, `PlanComputed`, obligations,
// notifications and tasks — until the log holds `--events` events. Then each run opens the log and builds the
// service from it, timed. Prints a Markdown table; run from the repository root (it reads playbooks/ and Tests/).
import Foundation
import WatershedCore
import WatershedPlaybooks
import WatershedServer
import WatershedStore

var events = 100_000
var runs = 3
var kept: String?
var iterator = CommandLine.arguments.dropFirst().makeIterator()
while let flag = iterator.next() {
    let argument = iterator.next()
    let value = argument.flatMap(Int.init)
    switch flag {
    case "--events": events = value ?? events
    case "--runs": runs = value ?? runs
    case "--log": kept = argument
    default:
        FileHandle.standardError.write(Data("unknown argument \(flag)\n".utf8))
        exit(2)
    }
}

let basin = try PlaybookLoader().load(directory: "playbooks").basin
let decoder = JSONDecoder()
decoder.dateDecodingStrategy = .custom { decoder in
    let text = try decoder.singleValueContainer().decode(String.self)
    guard let date = CanonicalJSON.date(fromTimestamp: text) else { throw CocoaError(.coderInvalidValue) }
    return date
}
var report = try decoder.decode(
    InitialReport.self, from: Data(contentsOf: URL(fileURLWithPath: "Tests/Fixtures/longjiang-initial-report.json")))
let organisation = Organisation(
    province: "450000", defaultPolicy: EscalationPolicy(ackMinutes: 15, repeats: 2), units: [])
let rules = IncidentRules(basin: basin, organisation: organisation, province: "450000")
let holder = TokenHolder(unit: "451203", position: .countyDutyOfficer, token: "bench", isCommander: false)

let folder = FileManager.default.temporaryDirectory.appendingPathComponent("watershed-startup-\(UUID())")
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: folder) }
let path = kept ?? folder.appendingPathComponent("watershed.sqlite").path
let reused = FileManager.default.fileExists(atPath: path)
let log = try EventLog.open(path: path)
var written = reused ? Int(try log.head()) : 0
var incidents =
    reused ? await (try await IncidentService(log: log, basin: basin, province: "450000")).list(state: nil).count : 0
let buildStart = ContinuousClock.now
while written < events, !reused {
    // Successive chainages 0…100 km of the Longjiang's 105, so that plans differ.
    report.place = .river(id: "longjiang", km: Double(incidents % 101))
    let filed = report.discoveredAt.addingTimeInterval(600)
    let decided = try rules.initialReport(
        report, reference: "GX-2012-\(String(format: "%05d", incidents + 1))", by: holder, now: filed, exercise: false)
    let incident = UUID()
    _ = try await log.append(
        try decided.map { try NewEvent(at: filed, incident: incident, actor: holder.actor, event: $0) })
    written += decided.count
    incidents += 1
}
let built = ContinuousClock.now - buildStart
let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}
print(
    "log: \(written) events in \(incidents) incidents (\(size / 1_048_576) MiB), built in "
        + String(format: "%.1f", seconds(built)) + " s")
print("| run | open the log s | fold every incident (IncidentService) s | total s |")
print("| ---: | ---: | ---: | ---: |")
var totals: [Double] = []
for run in 1...runs {
    let openStart = ContinuousClock.now
    let reopened = try EventLog.open(path: path)
    let opened = ContinuousClock.now - openStart
    let foldStart = ContinuousClock.now
    let service = try await IncidentService(log: reopened, basin: basin, province: "450000")
    let folded = ContinuousClock.now - foldStart
    guard await service.list(state: nil).count == incidents else {
        FileHandle.standardError.write(Data("expected \(incidents) incidents\n".utf8))
        exit(1)
    }
    let total = seconds(opened) + seconds(folded)
    totals.append(total)
    print(
        "| \(run) | " + String(format: "%.3f", seconds(opened)) + " | " + String(format: "%.3f", seconds(folded))
            + " | " + String(format: "%.3f", total) + " |")
}
print("median total: " + String(format: "%.3f", totals.sorted()[totals.count / 2]) + " s")
