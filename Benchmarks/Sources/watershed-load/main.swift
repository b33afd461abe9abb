// Load generator for issue 7: the same TLS WebSocket client code against `watershed serve` and nats-server.
//
//   watershed-load setup|fanout|sustained|ingest|resume --server watershed|nats --port P --ca FILE --server-pid PID
//       [--out results.jsonl] [--subscribers N] [--rates 25,50,…] [--step-seconds S] [--writers 64] …
//   watershed-load report --in results.jsonl     (Markdown tables: both servers side by side, ratios, CPU)
//
// Every connection is a raw NIO WebSocket client (NIOSSL + NIOWebSocketClientUpgrader) on one shared event loop
// group; handshakes are bounded by --concurrency; connections are spread over --sources addresses in 127.0.0.0/8.
// A published payload carries `wsload:<id>:<send time>` (monotonic ns, this process), so the delay to every
// subscriber is measured on one clock. It only talks to 127.0.0.1 and every phase is bounded in time.
// Benchmarks/run.sh runs it; see the results files in Benchmarks/results/.
import Foundation

struct Options: Sendable {
    var command = ""
    var server = ServerKind.watershed
    var port = 18443
    var ca = ""
    var serverPID: Int32 = 0
    var out: String?
    var input: String?
    var threads = 2
    var sources = 8
    var concurrency = 64
    var subscribers = 1_000
    var updates = 3
    var gapMs = 500
    var rates: [Double] = [25, 50, 100, 200, 400, 800, 1_600]
    var stepSeconds = 5.0
    var p99LimitMs = 250.0
    var writers = 64
    var events = 12_000
    var maxSeconds = 40.0
    var behind = 10_000
    var incidents = 64
    var payloadBytes = 1_000
    var viewerToken = "wsd-dev-viewer-gx"
    var officerToken = "wsd-dev-officer-yizhou"
    var initialReport = "Tests/Fixtures/longjiang-initial-report.json"

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        command = iterator.next() ?? ""
        while let flag = iterator.next() {
            let value = iterator.next() ?? ""
            switch flag {
            case "--server":
                guard let kind = ServerKind(rawValue: value) else { Self.fail("--server is watershed or nats") }
                server = kind
            case "--port":
                guard let number = Int(value) else { Self.fail("--port takes a number") }
                port = number
            case "--ca": ca = value
            case "--server-pid":
                guard let number = Int32(value) else { Self.fail("--server-pid takes a process id") }
                serverPID = number
            case "--out": out = value
            case "--in": input = value
            case "--threads": threads = Int(value) ?? threads
            case "--sources": sources = Int(value) ?? sources
            case "--concurrency": concurrency = Int(value) ?? concurrency
            case "--subscribers": subscribers = Int(value) ?? subscribers
            case "--updates": updates = Int(value) ?? updates
            case "--gap-ms": gapMs = Int(value) ?? gapMs
            case "--rates": rates = value.split(separator: ",").compactMap { Double($0) }
            case "--step-seconds": stepSeconds = Double(value) ?? stepSeconds
            case "--p99-limit-ms": p99LimitMs = Double(value) ?? p99LimitMs
            case "--writers": writers = Int(value) ?? writers
            case "--events": events = Int(value) ?? events
            case "--max-seconds": maxSeconds = Double(value) ?? maxSeconds
            case "--behind": behind = Int(value) ?? behind
            case "--incidents": incidents = Int(value) ?? incidents
            case "--payload-bytes": payloadBytes = Int(value) ?? payloadBytes
            case "--initial-report": initialReport = value
            default: Self.fail("unknown argument \(flag)")
            }
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("watershed-load: \(message)\n".utf8))
        exit(2)
    }
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
if options.command == "report" {
    guard let input = options.input else { Options.fail("report needs --in FILE") }
    print(try Report(path: input).markdown())
    exit(0)
}
guard !options.ca.isEmpty, options.serverPID > 0 else { Options.fail("--ca and --server-pid are required") }
let load = try Load(options)
do {
    switch options.command {
    case "setup": try await load.setup()
    case "fanout": try await load.fanout()
    case "sustained": try await load.sustained()
    case "ingest": try await load.ingest()
    case "resume": try await load.resume()
    default: Options.fail("unknown command \(options.command)")
    }
} catch {
    log("watershed-load \(options.command): \(error)")
    await load.shutdown()
    exit(1)
}
await load.shutdown()
