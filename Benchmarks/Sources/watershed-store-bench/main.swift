// Durable appends per second to the event log from concurrent writers: group commit against one transaction per
// event, on the same file system, with the production DatabasePool (WAL) and synchronous = FULL.
//
//   swift build -c release --product watershed-store-bench
//   .build/release/watershed-store-bench [--writers 64] [--events 50] [--dir DIR]
//
// Each of the writers appends `--events` events one append at a time (each append returns after its commit), so
// every run is bounded: writers × events appends, then it stops. Each mode gets a fresh log file in DIR (default: a
// new folder under the system's temporary folder, removed afterwards). Prints a Markdown table.
import Foundation
import GRDB
import WatershedCore
import WatershedStore

struct Arguments {
    var writers = 64
    var events = 50
    var dir: String?

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            switch flag {
            case "--writers": writers = iterator.next().flatMap(Int.init) ?? writers
            case "--events": events = iterator.next().flatMap(Int.init) ?? events
            case "--dir": dir = iterator.next()
            default:
                FileHandle.standardError.write(Data("unknown argument \(flag)\n".utf8))
                exit(2)
            }
        }
    }
}

/// Counts committed transactions from inside projections (the writer runs them one at a time).
final class TransactionCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var armed = false
    private var committed = 0

    var transactions: Int { lock.withLock { committed } }

    func project(_ db: Database) {
        let register = lock.withLock {
            if armed { return false }
            armed = true
            return true
        }
        guard register else { return }
        db.afterNextTransaction(
            onCommit: { _ in
                self.lock.withLock {
                    self.committed += 1
                    self.armed = false
                }
            },
            onRollback: { _ in self.lock.withLock { self.armed = false } })
    }
}

struct Result {
    var mode: String
    var appends: Int
    var transactions: Int
    var seconds: Double
    var latencies: [Double]  // milliseconds, sorted

    func quantile(_ q: Double) -> Double {
        latencies[min(latencies.count - 1, max(0, Int((Double(latencies.count) * q).rounded(.up)) - 1))]
    }

    var row: String {
        String(
            format: "| %@ | %d | %d | %.1f | %.2f | %.0f | %.2f | %.2f | %.2f |", mode, appends, transactions,
            Double(appends) / Double(max(transactions, 1)), seconds, Double(appends) / seconds, quantile(0.5),
            quantile(0.99), latencies.last ?? 0)
    }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func run(mode: String, maximumBatchSize: Int, arguments: Arguments, folder: String) async throws -> Result {
    let path = folder + "/\(mode.replacingOccurrences(of: " ", with: "-")).sqlite"
    let log = try EventLog.open(path: path, maximumBatchSize: maximumBatchSize)
    let counter = TransactionCounter()
    let projection: EventLog.Projection = { db, _ in counter.project(db) }
    let clock = ContinuousClock()
    let start = clock.now
    let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
        for writer in 0..<arguments.writers {
            group.addTask {
                var own: [Double] = []
                own.reserveCapacity(arguments.events)
                for number in 0..<arguments.events {
                    let event = NewEvent(
                        at: Date(timeIntervalSince1970: 1_768_464_000 + Double(number)), type: .taskAcknowledged,
                        actor: .system(component: "bench-\(writer)"),
                        payload: ["writer": .number(Double(writer)), "number": .number(Double(number)), "note": "龙江"])
                    let begin = clock.now
                    _ = try await log.append([event], projecting: projection)
                    own.append(seconds(clock.now - begin) * 1000)
                }
                return own
            }
        }
        return try await group.reduce(into: []) { $0 += $1 }
    }
    let elapsed = seconds(clock.now - start)
    guard case .intact(let count, _) = try log.verifyChain(), count == arguments.writers * arguments.events else {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "\(mode): chain not intact"])
    }
    return Result(
        mode: mode, appends: count, transactions: counter.transactions, seconds: elapsed,
        latencies: latencies.sorted())
}

let arguments = Arguments(Array(CommandLine.arguments.dropFirst()))
let ownFolder = arguments.dir == nil
let folder =
    arguments.dir
    ?? FileManager.default.temporaryDirectory.appendingPathComponent("watershed-store-bench-\(UUID().uuidString)").path
try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
defer { if ownFolder { try? FileManager.default.removeItem(atPath: folder) } }

print("\(arguments.writers) concurrent writers × \(arguments.events) appends of one event each, in \(folder)")
print("")
print("| mode | appends | transactions | appends per transaction | seconds | appends/s | p50 ms | p99 ms | max ms |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for (mode, batch) in [("group commit", 1024), ("one transaction per event", 1)] {
    let result = try await run(mode: mode, maximumBatchSize: batch, arguments: arguments, folder: folder)
    print(result.row)
}
