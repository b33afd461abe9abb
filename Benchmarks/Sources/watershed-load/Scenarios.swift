import Foundation
import NIOCore

/// The scenarios of issue 7; each appends records to `--out` and prints a line per result.
extension Load {
    func emit(_ record: Record) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard var line = try? encoder.encode(record) else { return }
        line.append(UInt8(ascii: "\n"))
        if let path = options.out {
            if !FileManager.default.fileExists(atPath: path) {
                FileManager.default.createFile(atPath: path, contents: nil)
            }
            if let handle = FileHandle(forWritingAtPath: path) {
                handle.seekToEndOfFile()
                handle.write(line)
                try? handle.close()
            }
        }
        let shown = record.values.sorted { $0.key < $1.key }.map { "\($0.key)=\(String(format: "%.4g", $0.value))" }
        print("\(record.server.rawValue) \(record.scenario) \(record.label): \(shown.joined(separator: " "))")
    }

    var serverPID: Int32 { options.serverPID }

    /// Watershed: opens `--incidents` incidents (each an initial report) and files follow-ups until a follow-up
    /// appends exactly one event, then measures the pushed frame of such a follow-up. NATS: creates the JetStream
    /// stream used by ingest and resume.
    func setup() async throws {
        switch options.server {
        case .watershed:
            var incidents = try await openIncidents()
            let report = try Data(contentsOf: URL(fileURLWithPath: options.initialReport))
            while incidents.count < options.incidents {
                let (status, body) = try await request(
                    .POST, "/v1/incidents", token: options.officerToken, body: report)
                guard status == 201 else {
                    throw LoadError.refused("initial report: \(status) \(String(decoding: body, as: UTF8.self))")
                }
                incidents = try await openIncidents()
            }
            // The first follow-ups meet the filing unit's follow-up obligations (more events); then one event each.
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for incident in incidents {
                    tasks.addTask {
                        for attempt in 0..<5 {
                            if try await self.fileMarked(id: 999_000_000 + attempt, incident: incident) == 1 { return }
                        }
                        throw LoadError.refused("follow-ups on \(incident) keep appending more than one event")
                    }
                }
                try await tryAll(&tasks)
            }
            // The frame a subscriber receives for one follow-up.
            let head = try await watershedHead()
            let size = SizeBox()
            let role = ConnectionRole(
                path: "/v1/stream?after=\(head)", headers: [("Authorization", "Bearer \(options.viewerToken)")],
                onMessage: { _, _, payload, _ in if Marker.find(in: payload) != nil { size.set(payload.readableBytes) }
                })
            let connection = try await connector.open(role, index: 0)
            try await fileMarked(id: 999_999_999, incident: incidents[0])
            let deadline = now() + 10_000_000_000
            while size.value == 0 && now() < deadline { try await Task.sleep(for: .milliseconds(10)) }
            await close([connection])
            emit(
                Record(
                    server: .watershed, scenario: "setup", label: "setup",
                    values: ["incidents": Double(incidents.count), "frameBytes": Double(size.value)]))
        case .nats:
            let reply = try await natsRequest(
                "$JS.API.STREAM.CREATE.BENCH",
                #"{"name":"BENCH","subjects":["bench.ingest"],"storage":"file","retention":"limits","#
                    + #""discard":"old","num_replicas":1}"#)
            guard !reply.contains(#""error""#) else { throw LoadError.refused("stream create: \(reply)") }
            emit(
                Record(
                    server: .nats, scenario: "setup", label: "setup",
                    values: ["payloadBytes": Double(options.payloadBytes)]))
        }
    }

    /// NATS request/reply on a connection of its own; returns the reply body.
    func natsRequest(_ subject: String, _ body: String) async throws -> String {
        let box = ReplyBox()
        let role = ConnectionRole(
            path: "/", natsHello: Self.natsConnect + "SUB _INBOX.load 1\r\nPING\r\n",
            onMessage: { _, _, payload, _ in box.set(String(buffer: payload)) })
        let connection = try await connector.open(role, index: 0)
        connection.sendNATS("PUB \(subject) _INBOX.load \(body.utf8.count)\r\n\(body)\r\n")
        let deadline = now() + 10_000_000_000
        while box.value == nil && now() < deadline { try await Task.sleep(for: .milliseconds(5)) }
        await close([connection])
        guard let reply = box.value else { throw LoadError.timedOut(subject) }
        return reply
    }

    /// The publisher for fan-out and sustained load.
    func makePublisher() async throws -> Publisher {
        switch options.server {
        case .watershed:
            let incidents = try await openIncidents()
            guard !incidents.isEmpty else { throw LoadError.refused("no open incidents: run setup first") }
            return Publisher(load: self, incidents: Array(incidents.prefix(options.incidents)), nats: nil)
        case .nats:
            let role = ConnectionRole(
                path: "/", natsHello: Self.natsConnect + "PING\r\n", onMessage: { _, _, _, _ in })
            return Publisher(load: self, incidents: [], nats: try await connector.open(role, index: 0))
        }
    }

    func subscriberAfter() async throws -> Int64 {
        options.server == .watershed ? try await watershedHead() : 0
    }

    // MARK: (a) and (c): fan-out of one update, memory per idle connection

    func fanout() async throws {
        let count = options.subscribers
        let publisher = try await makePublisher()
        let rssBefore = ProcessProbe.residentBytes(pid: serverPID)
        log("  connecting \(count) subscribers")
        let connecting = Meter(serverPID: serverPID)
        let (connections, failed) = await connect(count, role: try await subscriberRole(after: subscriberAfter()))
        var values = connecting.values("connect.")
        values["subscribers"] = Double(connections.count)
        values["connectFailed"] = Double(failed)
        // Idle: let the server settle, then read its memory.
        try await Task.sleep(for: .seconds(3))
        let rssAfter = ProcessProbe.residentBytes(pid: serverPID)
        values["rssBeforeMB"] = rssBefore / 1e6
        values["rssAfterMB"] = rssAfter / 1e6
        values["bytesPerConnection"] = connections.isEmpty ? .nan : (rssAfter - rssBefore) / Double(connections.count)
        values["loadRSSMB"] = ProcessProbe.residentBytes(pid: getpid()) / 1e6

        await onLoops {
            $0.reset()
            $0.trackEvents = true
        }
        let publishing = Meter(serverPID: serverPID)
        var lastSubscriber: [Double] = []
        for update in 0..<options.updates {
            try await publisher.publish(id: update, worker: 0)
            let deadline = now() + 15_000_000_000
            while now() < deadline {
                try await Task.sleep(for: .milliseconds(20))
                let seen = await snapshot().events[update]?.count ?? 0
                if seen >= connections.count { break }
            }
            try await Task.sleep(for: .milliseconds(options.gapMs))
        }
        let snap = await snapshot()
        values.merge(publishing.values("publish.")) { $1 }
        for update in 0..<options.updates {
            lastSubscriber.append(Double(snap.events[update]?.maxLatency ?? 0) / 1e6)
        }
        let histogram = snap.groups[0]?.histogram ?? Histogram()
        values["deliveries"] = Double(snap.deliveries)
        values["expected"] = Double(options.updates * connections.count)
        values["missing"] = Double(options.updates * connections.count - snap.deliveries)
        values["p50ms"] = histogram.percentileMs(0.5)
        values["p90ms"] = histogram.percentileMs(0.9)
        values["p99ms"] = histogram.percentileMs(0.99)
        values["maxms"] = histogram.percentileMs(1)
        values["lastSubscriberMedianMs"] = lastSubscriber.sorted()[lastSubscriber.count / 2]
        values["lastSubscriberMaxMs"] = lastSubscriber.max() ?? .nan
        values["disconnects"] = Double(snap.disconnects)
        values["errors"] = Double(snap.errors + failed)
        emit(Record(server: options.server, scenario: "fanout", label: "\(count)", values: values))
        if let nats = publisher.nats { await close([nats]) }
        await close(connections)
    }

    // MARK: (b) sustained: rising rate until p99 > limit

    func sustained() async throws {
        let publisher = try await makePublisher()
        let (connections, failed) = await connect(
            options.subscribers, role: try await subscriberRole(after: subscriberAfter()))
        log("  \(connections.count) subscribers, \(failed) failed")
        await onLoops {
            $0.reset()
            $0.trackEvents = false
        }
        for (step, rate) in options.rates.enumerated() {
            let firstID = (step + 1) * 1_000_000
            let meter = Meter(serverPID: serverPID)
            let start = now()
            let (done, publishFailed) = await publisher.run(
                rate: rate, seconds: options.stepSeconds, firstID: firstID)
            let publishSeconds = Double(now() - start) / 1e9
            // Drain: until every delivery of the step is in, or 5 s.
            let expected = done * connections.count
            let drainDeadline = now() + 5_000_000_000
            var snap = await snapshot()
            while (snap.groups[step + 1]?.deliveries ?? 0) < expected && now() < drainDeadline {
                try await Task.sleep(for: .milliseconds(50))
                snap = await snapshot()
            }
            var values = meter.values()
            let stats = snap.groups[step + 1] ?? GroupStats()
            let span = stats.lastReceive > start ? Double(stats.lastReceive - start) / 1e9 : publishSeconds
            values["rate"] = rate
            values["subscribers"] = Double(connections.count)
            values["published"] = Double(done)
            values["publishFailed"] = Double(publishFailed)
            values["publishRate"] = Double(done) / publishSeconds
            values["deliveries"] = Double(stats.deliveries)
            values["missing"] = Double(expected - stats.deliveries)
            values["deliveriesPerSecond"] = Double(stats.deliveries) / span
            values["p50ms"] = stats.histogram.percentileMs(0.5)
            values["p90ms"] = stats.histogram.percentileMs(0.9)
            values["p99ms"] = stats.histogram.percentileMs(0.99)
            values["maxms"] = stats.histogram.percentileMs(1)
            values["disconnects"] = Double(snap.disconnects)
            values["errors"] = Double(snap.errors + failed)
            emit(Record(server: options.server, scenario: "sustained", label: "\(Int(rate))/s", values: values))
            let p99 = values["p99ms"]!
            if p99.isNaN || p99 > options.p99LimitMs || stats.deliveries < expected * 9 / 10 { break }
            // Let queues empty before the next step.
            try await Task.sleep(for: .seconds(1))
        }
        if let nats = publisher.nats { await close([nats]) }
        await close(connections)
    }

    // MARK: (e) durable ingest from concurrent writers

    func ingest() async throws {
        let writers = options.writers
        let meter = Meter(serverPID: serverPID)
        let deadline = now() + UInt64(options.maxSeconds * 1e9)
        let target = options.events
        let progress = Progress()
        let histograms: [Histogram]
        switch options.server {
        case .watershed:
            let incidents = try await openIncidents()
            guard incidents.count >= writers else {
                throw LoadError.refused("ingest needs \(writers) open incidents, found \(incidents.count)")
            }
            histograms = try await withThrowingTaskGroup(of: Histogram.self) { tasks in
                for writer in 0..<writers {
                    tasks.addTask {
                        var histogram = Histogram()
                        while progress.add(0) < target && now() < deadline {
                            let start = now()
                            let events = try await self.fileMarked(
                                id: 900_000_000 + writer, incident: incidents[writer])
                            histogram.record(micros: (now() - start) / 1_000)
                            progress.add(events)
                        }
                        return histogram
                    }
                }
                return try await collectAll(&tasks)
            }
        case .nats:
            // JetStream publishes, each waiting for its PubAck (the stream's storage is file).
            histograms = try await withThrowingTaskGroup(of: Histogram.self) { tasks in
                for writer in 0..<writers {
                    tasks.addTask {
                        let acks = AckBox()
                        let role = ConnectionRole(
                            path: "/", natsHello: Self.natsConnect + "SUB _INBOX.w\(writer) 1\r\nPING\r\n",
                            onMessage: { _, _, payload, _ in acks.ack(payload) })
                        let connection = try await self.connector.open(role, index: writer)
                        var histogram = Histogram()
                        while progress.add(0) < target && now() < deadline {
                            let start = now()
                            let payload = self.natsPayload(id: 900_000_000 + writer)
                            let ack = try await acks.wait(on: connection.channel.eventLoop) {
                                connection.sendNATS(
                                    "PUB bench.ingest _INBOX.w\(writer) \(payload.utf8.count)\r\n\(payload)\r\n")
                            }
                            guard !ack.contains(#""error""#) else { throw LoadError.refused("PubAck: \(ack)") }
                            histogram.record(micros: (now() - start) / 1_000)
                            progress.add(1)
                        }
                        await self.close([connection])
                        return histogram
                    }
                }
                return try await collectAll(&tasks)
            }
        }
        var histogram = Histogram()
        for part in histograms { histogram.merge(part) }
        var values = meter.values()
        values["writers"] = Double(writers)
        values["events"] = Double(progress.add(0))
        values["requests"] = Double(histogram.total)
        values["eventsPerSecond"] = Double(progress.add(0)) / values["seconds"]!
        values["p50ms"] = histogram.percentileMs(0.5)
        values["p99ms"] = histogram.percentileMs(0.99)
        values["maxms"] = histogram.percentileMs(1)
        emit(Record(server: options.server, scenario: "ingest", label: "\(writers) writers", values: values))
    }

    // MARK: (d) resume: a subscriber `--behind` events behind reconnects

    func resume() async throws {
        let behind = options.behind
        let counter = ResumeCounter(target: behind)
        let meter = Meter(serverPID: serverPID)
        var values: [String: Double] = [:]
        switch options.server {
        case .watershed:
            let head = try await watershedHead()
            let role = ConnectionRole(
                path: "/v1/stream?after=\(max(0, head - Int64(behind)))",
                headers: [("Authorization", "Bearer \(options.viewerToken)")],
                onMessage: { _, _, _, _ in counter.add() })
            let start = now()
            // Ready means the `caughtUp` frame arrived, after the whole backlog.
            let connection = try await connector.open(role, index: 0, timeout: .seconds(120))
            values["catchUpMs"] = Double(now() - start) / 1e6
            values["received"] = Double(counter.count)
            await close([connection])
        case .nats:
            let info = try await natsRequest("$JS.API.STREAM.INFO.BENCH", "")
            guard let data = info.data(using: .utf8),
                let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                let state = json["state"] as? [String: Any], let last = (state["last_seq"] as? NSNumber)?.intValue
            else { throw LoadError.refused("stream info: \(info)") }
            await onLoops { $0.reset() }
            let reply = ReplyBox()
            let role = ConnectionRole(
                path: "/",
                natsHello: Self.natsConnect + "SUB resume.deliver 1\r\nSUB _INBOX.resume 2\r\nPING\r\n",
                onMessage: { _, sid, payload, _ in
                    if sid == 1 { counter.add() } else { reply.set(String(buffer: payload)) }
                })
            let start = now()
            let connection = try await connector.open(role, index: 0, timeout: .seconds(120))
            let config =
                #"{"stream_name":"BENCH","config":{"deliver_subject":"resume.deliver","deliver_policy":"by_start_sequence","#
                + #""opt_start_seq":\#(max(1, last - behind + 1)),"ack_policy":"none","replay_policy":"instant"}}"#
            connection.sendNATS("PUB $JS.API.CONSUMER.CREATE.BENCH _INBOX.resume \(config.utf8.count)\r\n\(config)\r\n")
            // Until the whole backlog is in, the connection closes (a protocol error) or 120 s pass.
            let deadline = now() + 120_000_000_000
            while counter.count < behind && connection.channel.isActive && now() < deadline {
                try await Task.sleep(for: .milliseconds(1))
                if let text = reply.value, text.contains(#""error""#) { throw LoadError.refused("consumer: \(text)") }
            }
            values["catchUpMs"] = Double(counter.doneAt > 0 ? counter.doneAt - start : now() - start) / 1e6
            values["received"] = Double(counter.count)
            let snap = await snapshot()
            values["errors"] = Double(snap.errors)
            values["disconnects"] = Double(snap.disconnects)
            if counter.count < behind {
                log(
                    "  \(counter.count) of \(behind) delivered; connection \(connection.channel.isActive ? "open" : "closed"), "
                        + "\(snap.errors) errors; consumer create replied: \(reply.value ?? "nothing")")
            }
            await close([connection])
        }
        values["behind"] = Double(behind)
        values.merge(meter.values()) { $1 }
        emit(Record(server: options.server, scenario: "resume", label: "\(behind) behind", values: values))
    }
}

func tryAll(_ tasks: inout ThrowingTaskGroup<Void, Error>) async throws {
    while try await tasks.next() != nil {}
}

func collectAll<T>(_ tasks: inout ThrowingTaskGroup<T, Error>) async throws -> [T] {
    var all: [T] = []
    while let next = try await tasks.next() { all.append(next) }
    return all
}

/// Small lock-protected boxes shared between a connection's loop and the scenario.
final class SizeBox: @unchecked Sendable {
    private let lock = NSLock()
    private var size = 0
    var value: Int { lock.withLock { size } }
    func set(_ value: Int) { lock.withLock { size = value } }
}

final class ReplyBox: @unchecked Sendable {
    private let lock = NSLock()
    private var reply: String?
    var value: String? { lock.withLock { reply } }
    func set(_ value: String) { lock.withLock { if reply == nil { reply = value } } }
}

final class Progress: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    @discardableResult func add(_ count: Int) -> Int {
        lock.withLock {
            total += count
            return total
        }
    }
}

final class ResumeCounter: @unchecked Sendable {
    private let lock = NSLock()
    private let target: Int
    private var received = 0
    private var reachedAt: UInt64 = 0
    init(target: Int) { self.target = target }
    var count: Int { lock.withLock { received } }
    var doneAt: UInt64 { lock.withLock { reachedAt } }
    func add() {
        lock.withLock {
            received += 1
            if received == target { reachedAt = now() }
        }
    }
}

/// One outstanding request per writer connection: the next message on its inbox answers it.
final class AckBox: @unchecked Sendable {
    private let lock = NSLock()
    private var waiting: CheckedContinuation<String, Error>?

    func ack(_ payload: ByteBuffer) {
        let continuation = lock.withLock {
            defer { waiting = nil }
            return waiting
        }
        continuation?.resume(returning: String(buffer: payload))
    }

    func wait(on loop: EventLoop, send: @escaping @Sendable () -> Void) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            lock.withLock { waiting = continuation }
            send()
        }
    }
}
