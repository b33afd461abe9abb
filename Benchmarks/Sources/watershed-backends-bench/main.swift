// The two event-log backends side by side, in one run (issue 18): durable appends per second from concurrent
// writers on SQLite and on PostgreSQL, and — on PostgreSQL — the time from an append's commit on one node to its
// arrival at a commit observer of another node (LISTEN/NOTIFY, then a read after the delivered seq).
//
//   eval "$(Tests/postgres/cluster.sh start)"     # or any cluster whose user may create databases
//   swift build -c release --product watershed-backends-bench
//   .build/release/watershed-backends-bench --database "$WATERSHED_TEST_POSTGRES" [--writers 64] [--events 50]
//       [--samples 400]
//
// Bounded: writers × events appends per backend, then `samples` single appends 20 ms apart. Each backend starts
// empty: a new SQLite file under the temporary folder, a new PostgreSQL database (dropped afterwards). Prints a
// Markdown table.
import Foundation
import Logging
import PostgresNIO
import Synchronization
import WatershedCore
import WatershedPostgres
import WatershedStore

struct Arguments {
    var writers = 64
    var events = 50
    var samples = 400
    var database: String?

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            switch flag {
            case "--writers": writers = iterator.next().flatMap(Int.init) ?? writers
            case "--events": events = iterator.next().flatMap(Int.init) ?? events
            case "--samples": samples = iterator.next().flatMap(Int.init) ?? samples
            case "--database": database = iterator.next()
            default:
                FileHandle.standardError.write(Data("unknown argument \(flag)\n".utf8))
                exit(2)
            }
        }
    }
}

func event(writer: Int, number: Int) -> NewEvent {
    NewEvent(
        at: Date(), incident: nil, type: .taskAcknowledged, actor: .system(component: "bench-\(writer)"),
        payload: ["writer": .number(Double(writer)), "number": .number(Double(number))])
}

/// Appends per second: `writers` tasks, each appending `events` one-event appends, each awaited.
func appendsPerSecond(_ log: any EventStore, writers: Int, events: Int) async throws -> Double {
    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for writer in 0..<writers {
            group.addTask {
                for number in 0..<events { _ = try await log.append([event(writer: writer, number: number)]) }
            }
        }
        try await group.waitForAll()
    }
    let elapsed = ContinuousClock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return Double(writers * events) / seconds
}

/// When each seq reached the observer.
final class Arrivals: Sendable {
    private let times = Mutex<[Int64: ContinuousClock.Instant]>([:])
    func record(_ events: [StoredEvent]) {
        let now = ContinuousClock.now
        times.withLock { for event in events { $0[event.seq] = now } }
    }
    func time(of seq: Int64) -> ContinuousClock.Instant? { times.withLock { $0[seq] } }
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}

let arguments = Arguments(Array(CommandLine.arguments.dropFirst()))
var logger = Logger(label: "watershed.bench")
logger.logLevel = .error
var rows: [(String, String)] = []

// SQLite.
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("watershed-backends-\(UUID())").path
try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
let sqlite = try EventLog.open(path: folder + "/watershed.sqlite")
let sqliteRate = try await appendsPerSecond(sqlite, writers: arguments.writers, events: arguments.events)
try? FileManager.default.removeItem(atPath: folder)
rows.append(
    ("durable appends/s, \(arguments.writers) writers, SQLite (synchronous = FULL)", String(format: "%.0f", sqliteRate))
)

// PostgreSQL.
guard let text = arguments.database ?? ProcessInfo.processInfo.environment["WATERSHED_TEST_POSTGRES"] else {
    FileHandle.standardError.write(Data("--database postgres://… (or WATERSHED_TEST_POSTGRES) is needed\n".utf8))
    exit(2)
}
let admin = try DatabaseURL(text)
let name = "watershed_bench_\(UInt32.random(in: 0...UInt32.max))"
func adminQuery(_ sql: String) async throws {
    let host = admin.hosts[0]
    let connection = try await PostgresConnection.connect(
        configuration: .init(
            host: host.name, port: host.port, username: admin.user, password: admin.password, database: admin.database,
            tls: .disable), id: 1, logger: logger)
    try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
    try await connection.close()
}
try await adminQuery("CREATE DATABASE \(name)")
var url = admin
url.database = name
let nodeA = try await PostgresEventLog.open(url, logger: logger)
let nodeB = try await PostgresEventLog.open(url, logger: logger)
let postgresRate = try await appendsPerSecond(nodeA, writers: arguments.writers, events: arguments.events)
rows.append(
    (
        "durable appends/s, \(arguments.writers) writers, PostgreSQL (synchronous_commit = on)",
        String(format: "%.0f", postgresRate)
    ))

// Committed on A → received by B's observer.
let arrivals = Arrivals()
nodeB.onCommit { arrivals.record($0) }
try await Task.sleep(for: .milliseconds(200))
var latencies: [Double] = []
for number in 0..<arguments.samples {
    let stored = try await nodeA.append([event(writer: 0, number: number)])
    let committed = ContinuousClock.now
    let deadline = committed + .seconds(5)
    while arrivals.time(of: stored[0].seq) == nil, ContinuousClock.now < deadline {
        try await Task.sleep(for: .microseconds(200))
    }
    if let arrived = arrivals.time(of: stored[0].seq) { latencies.append(max(0, milliseconds(arrived - committed))) }
    try await Task.sleep(for: .milliseconds(20))
}
latencies.sort()
rows.append(
    (
        "committed on node A → observer on node B, p50 ms (\(latencies.count) of \(arguments.samples))",
        String(format: "%.2f", percentile(latencies, 0.5))
    ))
rows.append(("committed on node A → observer on node B, p99 ms", String(format: "%.2f", percentile(latencies, 0.99))))
await nodeA.close()
await nodeB.close()
try await adminQuery("DROP DATABASE \(name) WITH (FORCE)")

print("| figure | value |")
print("| --- | ---: |")
for (figure, value) in rows { print("| \(figure) | \(value) |") }
