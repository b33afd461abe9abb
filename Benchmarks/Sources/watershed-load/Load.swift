import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One result line of `--out` (JSON Lines), turned into tables by `watershed-load report`.
struct Record: Codable, Sendable {
    var server: ServerKind
    var scenario: String
    var label: String
    var values: [String: Double]
    var note: String?
}

/// CPU seconds (user + system) of a process, from `/proc/PID/stat`, and its resident memory from `/proc/PID/status`.
enum ProcessProbe {
    static let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))

    static func cpuSeconds(pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return .nan }
        // Fields after "(comm)": state is field 3; utime and stime are fields 14 and 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return .nan }
        return (user + system) / ticks
    }

    static func residentBytes(pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return .nan }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, let kb = Double(parts[1]) { return kb * 1_024 }
        }
        return .nan
    }

    /// This process's CPU seconds.
    static func selfCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
            + Double(usage.ru_stime.tv_usec) / 1e6
    }
}

/// Wall time and CPU of both processes over a phase of a scenario.
struct Meter {
    let serverPID: Int32
    let startWall = now()
    let startServer: Double
    let startLoad = ProcessProbe.selfCPUSeconds()

    init(serverPID: Int32) {
        self.serverPID = serverPID
        self.startServer = ProcessProbe.cpuSeconds(pid: serverPID)
    }

    /// `seconds`, `serverCPU`, `loadCPU` (CPU seconds), with `prefix` before each name.
    func values(_ prefix: String = "") -> [String: Double] {
        [
            prefix + "seconds": Double(now() - startWall) / 1e9,
            prefix + "serverCPU": ProcessProbe.cpuSeconds(pid: serverPID) - startServer,
            prefix + "loadCPU": ProcessProbe.selfCPUSeconds() - startLoad,
        ]
    }
}

/// The generator: one event loop group for every connection, a TLS context, and the per-loop counters.
final class Load: Sendable {
    let options: Options
    let group: MultiThreadedEventLoopGroup
    let counters: [ObjectIdentifier: LoopCounters]
    let connector: Connector
    let http: HTTPClient?
    let clientTLS: TLSConfiguration

    init(_ options: Options) throws {
        self.options = options
        group = MultiThreadedEventLoopGroup(numberOfThreads: options.threads)
        var counters: [ObjectIdentifier: LoopCounters] = [:]
        for loop in group.makeIterator() { counters[ObjectIdentifier(loop)] = LoopCounters() }
        self.counters = counters
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(options.ca))
        clientTLS = tls
        let sources = try (0..<options.sources).map { try SocketAddress(ipAddress: "127.0.0.\(2 + $0)", port: 0) }
        connector = Connector(
            kind: options.server, port: options.port, group: group, tls: try NIOSSLContext(configuration: tls),
            sources: sources, counters: counters)
        if options.server == .watershed {
            var configuration = HTTPClient.Configuration()
            configuration.tlsConfiguration = tls
            configuration.httpVersion = .http1Only
            configuration.connectionPool = .init(
                idleTimeout: .seconds(20), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)
            http = HTTPClient(eventLoopGroupProvider: .shared(group), configuration: configuration)
        } else {
            http = nil
        }
    }

    func shutdown() async {
        try? await http?.shutdown()
        try? await group.shutdownGracefully()
    }

    // MARK: Per-loop counters

    func onLoops(_ body: @escaping @Sendable (LoopCounters) -> Void) async {
        for loop in group.makeIterator() {
            let counter = counters[ObjectIdentifier(loop)]!
            try? await loop.submit { body(counter) }.get()
        }
    }

    /// Merged counters of every loop.
    func snapshot() async -> Snapshot {
        var merged = Snapshot()
        for loop in group.makeIterator() {
            let counter = counters[ObjectIdentifier(loop)]!
            guard let part = try? await loop.submit({ Snapshot(counter) }).get() else { continue }
            merged.merge(part)
        }
        return merged
    }

    struct Snapshot: Sendable {
        var groups: [Int: GroupStats] = [:]
        var events: [Int: EventStats] = [:]
        var disconnects = 0
        var serverCloses = 0
        var errors = 0
        var unmarked = 0

        init() {}

        init(_ counters: LoopCounters) {
            groups = counters.groups
            events = counters.events
            disconnects = counters.disconnects
            serverCloses = counters.serverCloses
            errors = counters.errors
            unmarked = counters.unmarked
        }

        mutating func merge(_ other: Snapshot) {
            for (key, value) in other.groups { groups[key, default: GroupStats()].merge(value) }
            for (key, value) in other.events {
                var mine = events[key, default: EventStats()]
                mine.count += value.count
                mine.maxLatency = max(mine.maxLatency, value.maxLatency)
                events[key] = mine
            }
            disconnects += other.disconnects
            serverCloses += other.serverCloses
            errors += other.errors
            unmarked += other.unmarked
        }

        var deliveries: Int { groups.values.reduce(0) { $0 + $1.deliveries } }
    }

    // MARK: Connections

    /// The role of a subscriber that records every marked delivery.
    func subscriberRole(after: Int64) -> ConnectionRole {
        switch options.server {
        case .watershed:
            ConnectionRole(
                path: "/v1/stream?after=\(after)", headers: [("Authorization", "Bearer \(options.viewerToken)")],
                onMessage: { loop, _, payload, at in loop.record(payload, at: at) })
        case .nats:
            ConnectionRole(
                path: "/",
                natsHello: Self.natsConnect + "SUB \(Self.natsSubject) 1\r\nPING\r\n",
                onMessage: { loop, _, payload, at in loop.record(payload, at: at) })
        }
    }

    static let natsSubject = "bench.fanout"
    static let natsConnect =
        #"CONNECT {"verbose":false,"pedantic":false,"protocol":1,"echo":false,"name":"watershed-load"}"# + "\r\n"

    /// Opens `count` connections, at most `concurrency` handshakes at a time. Returns the open ones and the
    /// number that failed.
    func connect(_ count: Int, role: ConnectionRole, firstIndex: Int = 0) async -> ([OpenConnection], Int) {
        var open: [OpenConnection] = []
        open.reserveCapacity(count)
        var failed = 0
        var firstError: String?
        await withTaskGroup(of: Result<OpenConnection, Error>.self) { tasks in
            var next = 0
            func add() {
                let index = firstIndex + next
                next += 1
                tasks.addTask { [connector] in
                    do { return .success(try await connector.open(role, index: index)) } catch {
                        return .failure(error)
                    }
                }
            }
            while next < min(count, options.concurrency) { add() }
            while let result = await tasks.next() {
                switch result {
                case .success(let connection): open.append(connection)
                case .failure(let error):
                    failed += 1
                    if firstError == nil { firstError = "\(error)" }
                }
                if next < count { add() }
                if (open.count + failed) % 1_000 == 0 {
                    log("  \(open.count) connected, \(failed) failed")
                }
            }
        }
        if let firstError { log("  first connection error: \(firstError)") }
        return (open, failed)
    }

    func close(_ connections: [OpenConnection]) async {
        for connection in connections { connection.channel.close(promise: nil) }
        for connection in connections { try? await connection.channel.closeFuture.get() }
    }

    // MARK: Watershed API

    /// `GET /readyz` → the log's head.
    func watershedHead() async throws -> Int64 {
        let (status, body) = try await request(.GET, "/readyz", token: nil, body: nil)
        guard status == 200, let json = try JSONSerialization.jsonObject(with: body) as? [String: Any],
            let text = json["head"] as? String, let head = Int64(text)
        else { throw LoadError.refused("readyz: \(status)") }
        return head
    }

    /// Ids of open incidents.
    func openIncidents() async throws -> [String] {
        let (status, body) = try await request(.GET, "/v1/incidents?state=open", token: options.viewerToken, body: nil)
        guard status == 200, let list = try JSONSerialization.jsonObject(with: body) as? [[String: Any]] else {
            throw LoadError.refused("incident list: \(status)")
        }
        return list.compactMap { $0["id"] as? String }.sorted()
    }

    func request(_ method: HTTPMethod, _ path: String, token: String?, body: Data?) async throws -> (Int, Data) {
        var request = HTTPClientRequest(url: "https://127.0.0.1:\(options.port)\(path)")
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
        }
        let response = try await http!.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), Data(buffer: bytes))
    }

    /// Files a follow-up report whose summary is a marker: the one event (`ReportFiled`) it appends carries the
    /// marker to every subscriber. Returns the number of events appended.
    @discardableResult
    func fileMarked(id: Int, incident: String) async throws -> Int {
        let body = Data(
            (#"{"kind":"followUp","summary":""# + Marker.make(id: id, sentAt: now()) + #"","#
                + Self.signature + "}").utf8)
        let (status, reply) = try await request(
            .POST, "/v1/incidents/\(incident)/reports", token: options.officerToken, body: body)
        guard status == 201, let json = try JSONSerialization.jsonObject(with: reply) as? [String: Any],
            let first = (json["firstSeq"] as? NSNumber)?.intValue, let last = (json["lastSeq"] as? NSNumber)?.intValue
        else { throw LoadError.refused("report: \(status) \(String(decoding: reply.prefix(300), as: UTF8.self))") }
        return last - first + 1
    }

    static let signature =
        #""signature":{"reportingUnit":"451203","signingOfficer":"Director Wei","contactName":"Li Ming","#
        + #""contactPhone":"0778-1234567"}"#

    // MARK: NATS

    /// A NATS payload: the marker, padded with `x` to `--payload-bytes`.
    func natsPayload(id: Int) -> String {
        let marker = Marker.make(id: id, sentAt: now())
        return marker + String(repeating: "x", count: max(0, options.payloadBytes - marker.utf8.count))
    }
}

/// Publishes at a given rate from a pool of workers. Watershed: each worker files reports on its own incident (the
/// service serialises reports per incident); NATS: `PUB` on one connection.
struct Publisher: Sendable {
    let load: Load
    let incidents: [String]
    let nats: OpenConnection?

    func publish(id: Int, worker: Int) async throws {
        if let nats {
            let payload = load.natsPayload(id: id)
            nats.sendNATS("PUB \(Load.natsSubject) \(payload.utf8.count)\r\n\(payload)\r\n")
        } else {
            try await load.fileMarked(id: id, incident: incidents[worker % incidents.count])
        }
    }

    var workers: Int { nats != nil ? 1 : incidents.count }

    /// Publishes `ids` in order, `rate` per second for `seconds` (open loop: the schedule does not wait for replies;
    /// a worker that is busy delays only its own next publish). Returns publishes done and failed.
    func run(rate: Double, seconds: Double, firstID: Int) async -> (done: Int, failed: Int) {
        // One queue per worker, filled round-robin (an AsyncStream has one reader).
        let queues = (0..<workers).map { _ in AsyncStream<Int>.makeStream() }
        let total = Int(rate * seconds)
        let pacer = Task {
            let start = now()
            var issued = 0
            while issued < total {
                let elapsed = Double(now() - start) / 1e9
                let due = min(total, Int(elapsed * rate) + 1)
                while issued < due {
                    queues[issued % queues.count].1.yield(firstID + issued)
                    issued += 1
                }
                try? await Task.sleep(for: .milliseconds(1))
            }
            for queue in queues { queue.1.finish() }
        }
        let counts = await withTaskGroup(of: (Int, Int).self) { tasks in
            for worker in 0..<workers {
                tasks.addTask {
                    var done = 0
                    var failed = 0
                    for await id in queues[worker].0 {
                        do {
                            try await publish(id: id, worker: worker)
                            done += 1
                        } catch {
                            failed += 1
                            if failed == 1 { log("  publish failed: \(error)") }
                        }
                    }
                    return (done, failed)
                }
            }
            var sum = (0, 0)
            for await part in tasks { sum = (sum.0 + part.0, sum.1 + part.1) }
            return sum
        }
        _ = await pacer.value
        return counts
    }
}

func log(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
