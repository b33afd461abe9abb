// Federation benchmark (issue 5): a spill filed in Guangxi → on a Guangdong stream subscriber, p50/p99 over loopback
// with mutual TLS between two server processes; then the catch-up of N queued events after Guangdong was down.
//
// Usage: watershed-federation-bench [--reports 40] [--queued 10000] [--gap-ms 200]
// Starts `watershed serve` twice (the binary beside this one), each with its own CA from `TrialCertificates`,
// data directory and ports, and stops both at the end.

import Foundation
import NIOConcurrencyHelpers
import WatershedClient
import WatershedCore
import WatershedServer
import WatershedWire

struct Arguments {
    var reports = 40
    var queued = 10_000
    var gapMs = 200

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            let value = Int(iterator.next() ?? "") ?? 0
            switch flag {
            case "--reports": reports = value
            case "--queued": queued = value
            case "--gap-ms": gapMs = value
            default: fatalError("unknown flag \(flag)")
            }
        }
    }
}

func freePort() -> Int { (try? LoopbackPort.free()) ?? 0 }

/// One `watershed serve` process.
final class Server: @unchecked Sendable {
    let province: String
    let data: URL
    let port: Int
    let peerPort: Int
    let root: URL
    var process: Process?

    init(province: String, root: URL, peerPort: Int) {
        self.province = province
        self.root = root
        self.data = root.appendingPathComponent(province)
        self.port = freePort()
        self.peerPort = peerPort
    }

    var client: WatershedClient.Configuration {
        .init(server: "https://127.0.0.1:\(port)", caFile: data.appendingPathComponent("tls/ca.pem").path)
    }

    func start(repository: URL) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("watershed")
        process.arguments = [
            "serve", "--province", province, "--port", "\(port)", "--peer-port", "\(peerPort)", "--data", data.path,
            "--playbooks", repository.appendingPathComponent("playbooks").path,
            "--seeds", repository.appendingPathComponent("seeds").path, "--log-level", "warning",
        ]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        self.process = process
        var configuration = client
        configuration.token = "x"
        let probe = try WatershedClient(configuration)
        defer { Task { try? await probe.shutdown() } }
        for _ in 0..<600 {
            do {
                _ = try await probe.me()
            } catch let error as WatershedClientError where error.exitCode == 1 {
                return  // answered (401): up
            } catch {}
            try await Task.sleep(for: .milliseconds(100))
        }
        fatalError("\(province) did not start")
    }

    func stop() {
        process?.terminate()
        process?.waitUntilExit()
        process = nil
    }
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}

func format(_ value: Double) -> String { String(format: "%.1f", value) }

let arguments = Arguments(Array(CommandLine.arguments.dropFirst()))
let repository = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
let root = FileManager.default.temporaryDirectory.appendingPathComponent("watershed-federation-\(UUID().uuidString)")
defer { try? FileManager.default.removeItem(at: root) }
let gxPeer = freePort()
let gdPeer = freePort()
try TrialCertificates.make(
    [
        .init(code: "450000", peerURL: "wss://127.0.0.1:\(gxPeer)"),
        .init(code: "440000", peerURL: "wss://127.0.0.1:\(gdPeer)"),
    ],
    in: root)
let guangxi = Server(province: "450000", root: root, peerPort: gxPeer)
let guangdong = Server(province: "440000", root: root, peerPort: gdPeer)
defer {
    guangxi.stop()
    guangdong.stop()
}
try await guangxi.start(repository: repository)
try await guangdong.start(repository: repository)

let report = try WatershedClient.decoder.decode(
    InitialReport.self,
    from: Data(
        """
        {"discoveredAt":"2013-07-05T12:00:00+08:00","place":{"river":{"id":"he-river","km":140}},
         "informationSource":"Hezhou monitoring station","cause":"thallium discharge from smelters",
         "pollutant":"thallium","release":{"instantaneous":{"massKg":500}},"monitoring":[],
         "casualties":{"deaths":0,"poisonedOrInjured":0,"evacuated":0},"sensitivePointsAffected":[],
         "measuresTaken":[],"triggers":[],"signature":{"reportingUnit":"451102","signingOfficer":"Director Wei",
         "contactName":"Li Ming","contactPhone":"0774-1234567"}}
        """.utf8))
let followUp = try WatershedClient.decoder.decode(
    FollowUpReport.self,
    from: Data(
        #"{"kind":"followUp","summary":"thallium monitoring continues","signature":{"reportingUnit":"451102","signingOfficer":"Director Wei","contactName":"Li Ming","contactPhone":"0774-1234567"}}"#
            .utf8))

// (1) Latency: filed in Guangxi (201 received) → the incident's IncidentReported on a Guangdong stream subscriber.
var gxConfiguration = guangxi.client
gxConfiguration.token = "wsd-dev-commander-gx"
var gdConfiguration = guangdong.client
gdConfiguration.token = "wsd-dev-viewer-gd"
let gx = try WatershedClient(gxConfiguration)
let gd = try WatershedClient(gdConfiguration)
let arrivals = NIOLockedValueBox<[UUID: ContinuousClock.Instant]>([:])
let peerEvents = NIOLockedValueBox<Int>(0)
let subscriber = Task {
    try await gd.follow(after: 0) { update in
        let now = ContinuousClock.now
        if case .event(let event) = update {
            if event.type == .incidentReported, let origin = event.payload["origin"], case .object(let fields) = origin,
                case .string(let id)? = fields["incident"], let uuid = UUID(uuidString: id)
            {
                arrivals.withLockedValue { $0[uuid] = now }
            } else if event.type == .peerEventReceived {
                peerEvents.withLockedValue { $0 += 1 }
            }
        }
        return .proceed
    }
}
var filedAt: [UUID: ContinuousClock.Instant] = [:]
var incidents: [String] = []
for _ in 0..<arguments.reports {
    let created = try await gx.fileInitialReport(report)
    filedAt[created.incident.id] = .now
    incidents.append(created.incident.reference)
    try await Task.sleep(for: .milliseconds(arguments.gapMs))
}
let deadline = ContinuousClock.now + .seconds(30)
while arrivals.withLockedValue({ $0.count }) < arguments.reports && ContinuousClock.now < deadline {
    try await Task.sleep(for: .milliseconds(20))
}
let latencies = filedAt.compactMap { id, filed -> Double? in
    guard let arrived = arrivals.withLockedValue({ $0[id] }) else { return nil }
    let elapsed = arrived - filed
    return Double(elapsed.components.seconds) * 1_000 + Double(elapsed.components.attoseconds) / 1e15
}.sorted()

// (2) Catch-up: Guangdong down, `queued` follow-ups filed in Guangxi (one shared event each), Guangdong back up.
subscriber.cancel()
_ = await subscriber.result
guangdong.stop()
let before = try await gx.events(after: 0, limit: 1).isEmpty
_ = before
let fileStart = ContinuousClock.now
try await withThrowingTaskGroup(of: Void.self) { group in
    for worker in 0..<8 {
        group.addTask {
            var index = worker
            while index < arguments.queued {
                _ = try await gx.fileReport(followUp, on: incidents[index % incidents.count])
                index += 8
            }
        }
    }
    try await group.waitForAll()
}
let filing = ContinuousClock.now - fileStart
try await gd.shutdown()
let restart = ContinuousClock.now
try await guangdong.start(repository: repository)
let gd2 = try WatershedClient(gdConfiguration)
let upAt = ContinuousClock.now
// Count the follow-ups stored on Guangdong through its stream until all are there.
let caughtUp = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
let counted = NIOLockedValueBox(0)
let target = arguments.queued
try await withThrowingTaskGroup(of: Void.self) { group in
    group.addTask {
        try await gd2.follow(after: 0) { update in
            if case .event(let event) = update, event.type == .peerEventReceived {
                let done = counted.withLockedValue { count -> Bool in
                    count += 1
                    return count >= target
                }
                if done {
                    caughtUp.withLockedValue { $0 = .now }
                    return .stop
                }
            }
            return .proceed
        }
    }
    group.addTask {
        try await Task.sleep(for: .seconds(600))
    }
    _ = try await group.next()
    group.cancelAll()
}
let catchUp = caughtUp.withLockedValue { $0 }.map { $0 - upAt }
func ms(_ duration: Duration) -> String {
    format(Double(duration.components.seconds) * 1_000 + Double(duration.components.attoseconds) / 1e15)
}
print(
    """
    | measure | value |
    | --- | ---: |
    | reports filed in Guangxi | \(arguments.reports) (\(arguments.gapMs) ms apart) |
    | received on a Guangdong stream subscriber | \(latencies.count) |
    | filed (201) → on Guangdong's stream, p50 ms | \(format(percentile(latencies, 0.5))) |
    | p99 ms | \(format(percentile(latencies, 0.99))) |
    | max ms | \(format(latencies.last ?? .nan)) |
    | follow-ups queued while Guangdong was down | \(arguments.queued) (filed in \(ms(filing)) ms by 8 writers) |
    | Guangdong restart → process answering, ms | \(ms(upAt - restart)) |
    | answering → all \(arguments.queued) stored and on its stream, ms | \(catchUp.map(ms) ?? "not reached (\(counted.withLockedValue { $0 }) seen)") |
    """)
try await gx.shutdown()
try await gd2.shutdown()
