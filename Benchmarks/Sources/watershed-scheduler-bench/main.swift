// The deadline scheduler with many open tasks: CPU while idle, and the time to fire many deadlines due at the same
// instant (issue 4).
//
//   swift build -c release --product watershed-scheduler-bench
//   .build/release/watershed-scheduler-bench [--tasks 10000] [--due 1000] [--incidents 100] [--idle 5] [--runs 3]
//
// Each run: a fresh event log (production DatabasePool, WAL, synchronous = FULL) in a temporary folder, `--tasks`
// `TaskDispatched` events over `--incidents` incidents (county tasks, 15 min × 2 escalation), `--due` of them with
// the same acknowledgement deadline T and the rest a day later. Then:
//   1. idle: the `DeadlineScheduler` service runs on the system clock with T an hour ahead, for `--idle` seconds;
//      the process's CPU time (getrusage) over that span is reported;
//   2. fire: `fireDeadlines(now: T + 1 s)` — what the scheduler does when it wakes — timed until every overdue and
//      escalation event is committed (2 per due task), and checked by counting them in the log.
// Prints a Markdown table; run from the repository root (it reads playbooks/).
import Foundation
import Logging
import WatershedCore
import WatershedFederation
import WatershedPlaybooks
import WatershedServer
import WatershedStore

struct Arguments {
    var tasks = 10_000
    var due = 1_000
    var incidents = 100
    var idle = 5.0
    var runs = 3

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            let value = iterator.next()
            switch flag {
            case "--tasks": tasks = value.flatMap(Int.init) ?? tasks
            case "--due": due = value.flatMap(Int.init) ?? due
            case "--incidents": incidents = value.flatMap(Int.init) ?? incidents
            case "--idle": idle = value.flatMap(Double.init) ?? idle
            case "--runs": runs = value.flatMap(Int.init) ?? runs
            default:
                FileHandle.standardError.write(Data("unknown argument \(flag)\n".utf8))
                exit(2)
            }
        }
    }
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
    let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    return user + system
}

let arguments = Arguments(Array(CommandLine.arguments.dropFirst()))
let basin = try PlaybookLoader().load(directory: "playbooks").basin
var logger = Logger(label: "scheduler-bench")
logger.logLevel = .warning

print(
    "| run | open tasks | due at T | load (fold) ms | idle CPU % over \(arguments.idle) s | fire ms | events | events/s |"
)
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for run in 1...arguments.runs {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("watershed-scheduler-\(UUID())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let log = try EventLog.open(path: folder.appendingPathComponent("watershed.sqlite").path)

    let now = CanonicalJSON.roundedToMilliseconds(Date())
    let deadline = now.addingTimeInterval(3_600)
    let policy = EscalationPolicy(ackMinutes: 15, repeats: 2)
    let county = Assignee(unit: "451203", position: .countyDutyOfficer)
    let chain = EscalationChain.above(county, units: basin.units)
    let perIncident = arguments.tasks / arguments.incidents
    let duePerIncident = arguments.due / arguments.incidents
    let actor = EventActor.system(component: "bench")
    var batch: [NewEvent] = []
    for i in 0..<arguments.incidents {
        let incident = UUID()
        for n in 1...perIncident {
            let ackBy = n <= duePerIncident ? deadline : deadline.addingTimeInterval(86_400)
            let dispatched = TaskDispatched(
                task: UUID(), reference: "GX-2026-\(String(format: "%04d", i + 1))/T\(n)", number: n, kind: .site,
                obligation: nil, title: "Sample at the Luodong section", assignee: county, source: nil,
                startBy: deadline, dueBy: nil, policy: policy, chain: chain, at: now,
                ackBy: ackBy)
            batch.append(
                NewEvent(
                    at: now, incident: incident, type: .taskDispatched, actor: actor,
                    payload: try JSONValue(encoding: dispatched)))
        }
        if batch.count >= 1_000 {
            _ = try await log.append(batch)
            batch = []
        }
    }
    if !batch.isEmpty { _ = try await log.append(batch) }

    let loadStart = ContinuousClock.now
    let incidents = try await IncidentService(log: log, basin: basin, province: "450000", now: now)
    let load = ContinuousClock.now - loadStart

    // 1. Idle on the system clock: the next deadline is an hour away.
    let scheduler = DeadlineScheduler(incidents: incidents, clock: SystemWallClock(), logger: logger)
    let task = Task { try await scheduler.run() }
    try await Task.sleep(for: .milliseconds(200))
    let cpuBefore = cpuSeconds()
    let idleStart = ContinuousClock.now
    try await Task.sleep(for: .seconds(arguments.idle))
    let idleCPU = cpuSeconds() - cpuBefore
    let idleWall = ContinuousClock.now - idleStart
    task.cancel()
    _ = try? await task.value

    // 2. Fire every deadline due at T.
    let head = try log.head()
    let fireStart = ContinuousClock.now
    let fired = try await incidents.fireDeadlines(now: deadline.addingTimeInterval(1))
    let fire = ContinuousClock.now - fireStart
    let appended = try log.head() - head
    guard fired == 2 * arguments.due, appended == Int64(fired) else {
        FileHandle.standardError.write(
            Data("expected \(2 * arguments.due) events, fired \(fired), log +\(appended)\n".utf8))
        exit(1)
    }
    func ms(_ duration: Duration) -> String {
        String(
            format: "%.1f", Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1e3)
    }
    let idleSeconds = Double(idleWall.components.seconds) + Double(idleWall.components.attoseconds) / 1e18
    let fireSeconds = Double(fire.components.seconds) + Double(fire.components.attoseconds) / 1e18
    print(
        "| \(run) | \(perIncident * arguments.incidents) | \(duePerIncident * arguments.incidents) | \(ms(load)) | "
            + String(format: "%.3f", 100 * idleCPU / idleSeconds) + " | \(ms(fire)) | \(fired) | "
            + String(format: "%.0f", Double(fired) / fireSeconds) + " |")
}
