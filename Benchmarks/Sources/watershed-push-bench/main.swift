// Live stream latency at low load: committed → received, p50/p99, with N subscribers over TLS on loopback.
//
//   swift build -c release --product watershed-push-bench
//   .build/release/watershed-push-bench [--subscribers 8] [--reports 20] [--gap-ms 250] [--dir DIR]
//
// Starts `watershed serve` in-process (port 0, a fresh data directory, the repository's playbooks and seeds, the
// development CA), connects the subscribers to `wss://…/v1/stream?after=0`, then files `--reports` Longjiang initial
// reports one at a time, `--gap-ms` apart (each appends ~39 events, one of them a ~47 KB PlanComputed). Bounded: it
// stops after the last subscriber has every event, or after 120 s.
//
// "Committed" is when the event becomes visible to a reader of the log (after its WAL fsync): a thread polls the log's
// head through a read-only connection every `--poll-us` microseconds and stamps each new seq, so a latency can be
// understated by up to one poll interval. "Received" is when a subscriber has the whole text message. Prints Markdown.
import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import WatershedServer
import WatershedStore

struct Arguments {
    var subscribers = 8
    var reports = 20
    var gapMs = 250
    var pollMicroseconds = 200
    var dir: String?

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            switch flag {
            case "--subscribers": subscribers = iterator.next().flatMap(Int.init) ?? subscribers
            case "--reports": reports = iterator.next().flatMap(Int.init) ?? reports
            case "--gap-ms": gapMs = iterator.next().flatMap(Int.init) ?? gapMs
            case "--poll-us": pollMicroseconds = iterator.next().flatMap(Int.init) ?? pollMicroseconds
            case "--dir": dir = iterator.next()
            default:
                FileHandle.standardError.write(Data("unknown argument \(flag)\n".utf8))
                exit(2)
            }
        }
    }
}

/// Monotonic nanoseconds.
func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// Seq → when it became visible in the log.
final class CommitTimes: @unchecked Sendable {
    private let lock = NSLock()
    private var times: [Int64: UInt64] = [:]
    private var stopped = false

    subscript(seq: Int64) -> UInt64? { lock.withLock { times[seq] } }
    func stop() { lock.withLock { stopped = true } }

    /// Polls the head on a thread of its own until stopped.
    func poll(_ log: EventLog, every microseconds: Int) -> Thread {
        let thread = Thread {
            var last: Int64 = (try? log.head()) ?? 0
            while !self.lock.withLock({ self.stopped }) {
                if let head = try? log.head(), head > last {
                    let stamp = now()
                    self.lock.withLock { for seq in (last + 1)...head { self.times[seq] = stamp } }
                    last = head
                }
                usleep(UInt32(microseconds))
            }
        }
        thread.start()
        return thread
    }
}

/// One subscriber's receive times.
final class Received: @unchecked Sendable {
    private let lock = NSLock()
    private var times: [(Int64, UInt64)] = []
    var all: [(Int64, UInt64)] { lock.withLock { times } }
    var count: Int { lock.withLock { times.count } }
    func add(_ seq: Int64, _ at: UInt64) { lock.withLock { times.append((seq, at)) } }
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1)]
}

func format(_ value: Double) -> String { String(format: "%.2f", value) }

/// Runs the benchmark and prints its table.
func benchmark(_ arguments: Arguments, data: URL) async throws {
    let root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)

    var logger = Logger(label: "push-bench")
    logger.logLevel = .warning
    var configuration = ServerConfiguration()
    configuration.port = 0
    configuration.peerPort = 0
    configuration.data = data.path
    configuration.playbooks = root.appendingPathComponent("playbooks").path
    configuration.seeds = root.appendingPathComponent("seeds").path
    configuration.logLevel = "warning"
    let report = try Data(contentsOf: root.appendingPathComponent("Tests/Fixtures/longjiang-initial-report.json"))

    let (ports, portContinuation) = AsyncStream<Int>.makeStream()
    let (app, info) = try await buildApplication(configuration, logger: logger) { port in portContinuation.yield(port) }
    let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
    let server = Task { try await group.run() }
    var portIterator = ports.makeAsyncIterator()
    guard let port = await portIterator.next(), let caFile = info.caFile else { fatalError("the server did not start") }

    var tls = TLSConfiguration.makeClientConfiguration()
    tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
    var httpConfiguration = HTTPClient.Configuration()
    httpConfiguration.tlsConfiguration = tls
    let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)

    let commits = CommitTimes()
    let poller = commits.poll(
        try EventLog.openReadOnly(path: data.appendingPathComponent("watershed.sqlite").path),
        every: arguments.pollMicroseconds)

    // Subscribers, each caught up (head 0) before the first report.
    let received = (0..<arguments.subscribers).map { _ in Received() }
    let caughtUp = Received()
    var headers = HTTPFields()
    headers[.authorization] = "Bearer wsd-dev-viewer-gx"
    let subscriberHeaders = headers
    let clientTLS = tls
    let clientLogger = logger
    let subscriptions = received.map { box in
        Task {
            try await WebSocketClient.connect(
                url: "wss://127.0.0.1:\(port)/v1/stream?after=0",
                configuration: .init(
                    maxFrameSize: 1 << 16, additionalHeaders: subscriberHeaders, sniHostname: "localhost"),
                tlsConfiguration: clientTLS, logger: clientLogger
            ) { inbound, _, _ in
                for try await message in inbound.messages(maxSize: 16 << 20) {
                    let at = now()
                    guard case .text(let text) = message else { continue }
                    // The event's keys are sorted and only "type" follows "seq": its last "seq" is the event's.
                    guard let range = text.range(of: #""seq":"#, options: .backwards) else {
                        caughtUp.add(0, at)
                        continue
                    }
                    let digits = text[range.upperBound...].prefix { $0.isNumber }
                    if let seq = Int64(digits) { box.add(seq, at) }
                }
            }
        }
    }
    let deadline = now() + 120_000_000_000
    while caughtUp.count < arguments.subscribers && now() < deadline { try await Task.sleep(for: .milliseconds(10)) }

    // Low load: one report at a time, a gap between them.
    var head: Int64 = 0
    var fileTimes: [Double] = []
    for _ in 0..<arguments.reports {
        var request = HTTPClientRequest(url: "https://127.0.0.1:\(port)/v1/incidents")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer wsd-dev-officer-yizhou")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: report))
        let sent = now()
        let response = try await http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        fileTimes.append(Double(now() - sent) / 1e6)
        guard response.status == .created,
            let json = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
            let last = (json["lastSeq"] as? NSNumber)?.int64Value
        else { fatalError("report refused: \(response.status) \(String(buffer: body))") }
        head = last
        try await Task.sleep(for: .milliseconds(arguments.gapMs))
    }
    while received.contains(where: { $0.count < Int(head) }) && now() < deadline {
        try await Task.sleep(for: .milliseconds(10))
    }
    commits.stop()
    for subscription in subscriptions { subscription.cancel() }
    await group.triggerGracefulShutdown()
    _ = try? await server.value
    try await http.shutdown()
    while !poller.isFinished { usleep(1_000) }

    var latencies: [Double] = []
    var missing = 0
    for box in received {
        let seen = box.all
        if seen.count != Int(head) || seen.map(\.0) != Array(1...head) { missing += 1 }
        for (seq, at) in seen {
            guard let committed = commits[seq] else { continue }
            latencies.append((Double(at) - Double(committed)) / 1e6)
        }
    }
    latencies.sort()
    fileTimes.sort()
    let processInfo = ProcessInfo.processInfo
    print(
        """
        | subscribers | reports | events | samples | p50 ms | p99 ms | max ms | subscribers missing events |
        | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
        | \(arguments.subscribers) | \(arguments.reports) | \(head) | \(latencies.count) | \
        \(format(percentile(latencies, 0.5))) | \(format(percentile(latencies, 0.99))) | \
        \(format(latencies.last ?? .nan)) | \(missing) |

        Filing one report (POST → 201, planner and commit included): p50 \(format(percentile(fileTimes, 0.5))) ms, \
        max \(format(fileTimes.last ?? .nan)) ms. Commit stamps polled every \(arguments.pollMicroseconds) µs; \
        \(processInfo.activeProcessorCount) cores, \(processInfo.physicalMemory >> 30) GiB.
        """)
}

let arguments = Arguments(Array(CommandLine.arguments.dropFirst()))
let data = URL(fileURLWithPath: arguments.dir ?? NSTemporaryDirectory())
    .appendingPathComponent("watershed-push-bench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: data) }
try await benchmark(arguments, data: data)
