import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// The server under test: both are spoken to over TLS WebSocket by the same client code.
enum ServerKind: String, Codable, Sendable {
    /// `GET /v1/stream?after=SEQ` with a bearer token; one JSON text message per event.
    case watershed
    /// nats-server's WebSocket listener; the NATS text protocol in binary frames.
    case nats
}

/// Monotonic nanoseconds (`CLOCK_MONOTONIC`), the one clock every timestamp of a run comes from.
@inline(__always) func now() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

/// The tag a published payload carries: `wsload:<id, 10 digits>:<send time, 20 digits of ns>`, fixed width so every
/// payload of a run has the same size. Watershed gets it in a follow-up report's `summary` (and pushes it back inside
/// the `ReportFiled` event); NATS gets it as the message body, padded to the Watershed frame's size.
enum Marker {
    static let prefix = Array("wsload:".utf8)
    static let length = 7 + 10 + 1 + 20

    static func make(id: Int, sentAt: UInt64) -> String {
        let idText = String(id)
        let timeText = String(sentAt)
        return "wsload:" + String(repeating: "0", count: 10 - idText.count) + idText + ":"
            + String(repeating: "0", count: 20 - timeText.count) + timeText
    }

    /// The offset of the first `wsload:` in `raw`.
    private static func search(_ raw: UnsafeRawBufferPointer) -> Int? {
        let first = prefix[0]
        var index = 0
        let end = raw.count - length
        while index <= end {
            if raw[index] == first {
                var matched = true
                for offset in 1..<prefix.count where raw[index + offset] != prefix[offset] {
                    matched = false
                    break
                }
                if matched { return index }
            }
            index += 1
        }
        return nil
    }

    /// The id and send time of the first marker in `buffer`, if any.
    static func find(in buffer: ByteBuffer) -> (id: Int, sentAt: UInt64)? {
        buffer.withUnsafeReadableBytes { raw -> (Int, UInt64)? in
            guard raw.count >= length else { return nil }
            guard let start = search(raw) else { return nil }
            guard start + length <= raw.count else { return nil }
            var id = 0
            for offset in 7..<17 {
                let digit = Int(raw[start + offset]) - 48
                guard (0...9).contains(digit) else { return nil }
                id = id * 10 + digit
            }
            var sentAt: UInt64 = 0
            for offset in 18..<38 {
                let digit = UInt64(raw[start + offset]) &- 48
                guard digit <= 9 else { return nil }
                sentAt = sentAt * 10 + digit
            }
            return (id, sentAt)
        }
    }
}

/// How a WebSocket client connection behaves: which request opens it and what it does with messages. Everything
/// runs on the connection's event loop.
struct ConnectionRole: Sendable {
    /// The request target of the upgrade (`/v1/stream?after=…`, or `/` for NATS).
    var path: String
    /// Extra upgrade headers (the bearer token).
    var headers: [(String, String)] = []
    /// NATS: what to send after the server's `INFO` (`CONNECT`, `SUB`s, then a `PING` whose `PONG` means ready).
    var natsHello: String?
    /// A whole message (Watershed: the text message; NATS: a `MSG` body and its subscription id). Called on the loop.
    var onMessage: @Sendable (_ loop: LoopCounters, _ sid: Int, _ payload: ByteBuffer, _ receivedAt: UInt64) -> Void
}

/// Reads WebSocket frames for one client connection: answers pings, joins fragments, parses NATS, and reports ready
/// (Watershed: the `caughtUp` message; NATS: the first `PONG`).
final class LoadClientHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let kind: ServerKind
    private let role: ConnectionRole
    private let ready: EventLoopPromise<Void>
    private var isReady = false
    private var fragments: ByteBuffer?
    private var nats = ByteBuffer()
    private var context: ChannelHandlerContext?
    private let counters: LoopCounters

    init(kind: ServerKind, role: ConnectionRole, ready: EventLoopPromise<Void>, counters: LoopCounters) {
        self.kind = kind
        self.role = role
        self.ready = ready
        self.counters = counters
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func channelInactive(context: ChannelHandlerContext) {
        counters.disconnects += 1
        markReady(error: LoadError.closedBeforeReady)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        counters.errors += 1
        // Say what went wrong (a few per loop): a protocol error otherwise shows only as missing messages.
        if counters.errors <= 3 { log("connection error: \(error)") }
        markReady(error: error)
        context.close(promise: nil)
    }

    private func markReady(error: Error? = nil) {
        guard !isReady else { return }
        isReady = true
        if let error { ready.fail(error) } else { ready.succeed() }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .ping:
            var pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            pong.rsv1 = false
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            counters.serverCloses += 1
            context.close(promise: nil)
        case .text, .binary:
            if frame.fin {
                message(frame.unmaskedData)
            } else {
                fragments = frame.unmaskedData
            }
        case .continuation:
            guard var buffer = fragments else { return }
            var data = frame.unmaskedData
            buffer.writeBuffer(&data)
            if frame.fin {
                fragments = nil
                message(buffer)
            } else {
                fragments = buffer
            }
        default:
            break
        }
    }

    private func message(_ buffer: ByteBuffer) {
        let at = now()
        switch kind {
        case .watershed:
            if !isReady, buffer.readableBytesView.starts(with: #"{"type":"caughtUp""#.utf8) {
                markReady()
                return
            }
            role.onMessage(counters, 0, buffer, at)
        case .nats:
            var buffer = buffer
            nats.writeBuffer(&buffer)
            parseNATS(at: at)
        }
    }

    /// Sends NATS protocol text in one masked binary frame.
    func sendNATS(_ text: String) {
        guard let context else { return }
        var buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        context.writeAndFlush(
            wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: buffer)),
            promise: nil)
    }

    private func parseNATS(at: UInt64) {
        while true {
            let view = nats.readableBytesView
            guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else { break }
            let lineLength = newline - view.startIndex + 1
            let line = view[view.startIndex..<newline].filter { $0 != UInt8(ascii: "\r") }
            if line.starts(with: "MSG ".utf8) {
                // MSG <subject> <sid> [reply-to] <#bytes>
                let fields = line.split(separator: UInt8(ascii: " "))
                guard fields.count >= 4, let count = Int(String(decoding: fields.last!, as: UTF8.self)),
                    let sid = Int(String(decoding: fields[2], as: UTF8.self))
                else {
                    counters.errors += 1
                    nats.clear()
                    return
                }
                guard nats.readableBytes >= lineLength + count + 2 else { break }
                nats.moveReaderIndex(forwardBy: lineLength)
                let payload = nats.readSlice(length: count)!
                nats.moveReaderIndex(forwardBy: 2)
                role.onMessage(counters, sid, payload, at)
                continue
            }
            nats.moveReaderIndex(forwardBy: lineLength)
            if line.starts(with: "PING".utf8) {
                sendNATS("PONG\r\n")
            } else if line.starts(with: "PONG".utf8) {
                markReady()
            } else if line.starts(with: "INFO".utf8) {
                if let hello = role.natsHello { sendNATS(hello) }
            } else if line.starts(with: "-ERR".utf8) {
                counters.errors += 1
                if counters.errors <= 3 {
                    FileHandle.standardError.write(Data("nats: \(String(decoding: line, as: UTF8.self))\n".utf8))
                }
            }
        }
        nats.discardReadBytes()
    }
}

/// What one event loop saw on the connections it runs (touched only on that loop; read with `submit`).
final class LoopCounters: @unchecked Sendable {
    var disconnects = 0
    var serverCloses = 0
    var errors = 0
    /// Messages without a marker (other events, acknowledgements).
    var unmarked = 0
    /// Per group of publish ids (`id / 1_000_000`, one per rate step): latencies and counts.
    var groups: [Int: GroupStats] = [:]
    /// Per publish id, when ``trackEvents``: how many subscribers had it and the slowest delivery.
    var events: [Int: EventStats] = [:]
    var trackEvents = false

    /// Records a delivery: publish → receipt, from the marker in the payload.
    func record(_ payload: ByteBuffer, at receivedAt: UInt64) {
        guard let (id, sentAt) = Marker.find(in: payload) else {
            unmarked += 1
            return
        }
        let latency = receivedAt > sentAt ? receivedAt - sentAt : 0
        groups[id / 1_000_000, default: GroupStats()].add(
            latency: latency, at: receivedAt, bytes: payload.readableBytes)
        if trackEvents {
            events[id, default: EventStats()].add(latency: latency)
        }
    }

    func reset() {
        disconnects = 0
        serverCloses = 0
        errors = 0
        unmarked = 0
        groups = [:]
        events = [:]
    }
}

struct GroupStats: Sendable {
    var histogram = Histogram()
    var deliveries = 0
    var bytes = 0
    var lastReceive: UInt64 = 0

    mutating func add(latency: UInt64, at: UInt64, bytes: Int) {
        histogram.record(micros: latency / 1_000)
        deliveries += 1
        self.bytes += bytes
        lastReceive = max(lastReceive, at)
    }

    mutating func merge(_ other: GroupStats) {
        histogram.merge(other.histogram)
        deliveries += other.deliveries
        bytes += other.bytes
        lastReceive = max(lastReceive, other.lastReceive)
    }
}

struct EventStats: Sendable {
    var count = 0
    var maxLatency: UInt64 = 0

    mutating func add(latency: UInt64) {
        count += 1
        maxLatency = max(maxLatency, latency)
    }
}

enum LoadError: Error, CustomStringConvertible {
    case closedBeforeReady
    case notUpgraded
    case timedOut(String)
    case refused(String)

    var description: String {
        switch self {
        case .closedBeforeReady: "the connection closed before it was ready"
        case .notUpgraded: "the server did not upgrade to WebSocket"
        case .timedOut(let what): "timed out: \(what)"
        case .refused(let what): "refused: \(what)"
        }
    }
}

/// An open client connection.
struct OpenConnection: Sendable {
    let channel: Channel
    /// Sends NATS protocol text (on the channel's loop).
    func sendNATS(_ text: String) {
        let channel = self.channel
        channel.eventLoop.execute {
            if let handler = try? channel.pipeline.syncOperations.handler(type: LoadClientHandler.self) {
                handler.sendNATS(text)
            }
        }
    }
}

/// Opens TLS WebSocket connections to one server from a shared event loop group.
struct Connector: Sendable {
    let kind: ServerKind
    let port: Int
    let group: MultiThreadedEventLoopGroup
    let tls: NIOSSLContext
    /// Source addresses (127.0.0.x) the connections are spread over, so 4-tuples do not run out.
    let sources: [SocketAddress]
    let counters: [ObjectIdentifier: LoopCounters]

    private enum Upgrade: Sendable {
        case upgraded(Channel, EventLoopFuture<Void>)
        case notUpgraded
    }

    /// Connects, upgrades and waits until the connection is ready (at most `timeout`).
    func open(_ role: ConnectionRole, index: Int, timeout: TimeAmount = .seconds(60)) async throws -> OpenConnection {
        let kind = self.kind
        let tls = self.tls
        let counters = self.counters
        let port = self.port
        var bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.seconds(30))
            .channelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
        if !sources.isEmpty { bootstrap = bootstrap.bind(to: sources[index % sources.count]) }
        let target = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        let debug = ProcessInfo.processInfo.environment["WSLOAD_DEBUG"] != nil
        if debug { log("open \(index): connecting") }
        let upgrade: EventLoopFuture<Upgrade> = try await bootstrap.connect(to: target) { channel in
            channel.eventLoop.makeCompletedFuture {
                let ssl = try NIOSSLClientHandler(context: tls, serverHostname: "localhost")
                try channel.pipeline.syncOperations.addHandler(ssl)
                let loopCounters = counters[ObjectIdentifier(channel.eventLoop)]!
                // nats-server puts everything pending for a non-browser client into one frame (a JetStream backlog:
                // megabytes), up to its max_pending (64 MB by default); Watershed's frames are at most 64 KB.
                let maxFrameSize = kind == .nats ? 64 << 20 : 1 << 20
                let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade>(maxFrameSize: maxFrameSize) { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        let ready = channel.eventLoop.makePromise(of: Void.self)
                        let handler = LoadClientHandler(
                            kind: kind, role: role, ready: ready, counters: loopCounters)
                        try channel.pipeline.syncOperations.addHandler(handler)
                        return .upgraded(channel, ready.futureResult)
                    }
                }
                var headers = HTTPHeaders()
                headers.add(name: "Host", value: "localhost:\(port)")
                for (name, value) in role.headers { headers.add(name: name, value: value) }
                let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: role.path, headers: headers)
                let configuration = NIOTypedHTTPClientUpgradeConfiguration<Upgrade>(
                    upgradeRequestHead: head, upgraders: [upgrader],
                    notUpgradingCompletionHandler: { channel in
                        channel.close(promise: nil)
                        return channel.eventLoop.makeSucceededFuture(.notUpgraded)
                    })
                // The first frames may come in the same read as the 101: forward them (the default drops them).
                var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
                pipeline.leftOverBytesStrategy = .forwardBytes
                return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                    configuration: pipeline)
            }
        }
        // One promise for "ready", failed by the timer if the upgrade or the first ready message takes too long.
        let loop = upgrade.eventLoop
        let done = loop.makePromise(of: Channel.self)
        let timer = loop.scheduleTask(in: timeout) { done.fail(LoadError.timedOut("connection \(index)")) }
        if debug { log("open \(index): connected, upgrading") }
        upgrade.whenComplete { result in
            if debug { log("open \(index): upgrade \(result)") }
            switch result {
            case .failure(let error): done.fail(error)
            case .success(.notUpgraded): done.fail(LoadError.notUpgraded)
            case .success(.upgraded(let channel, let ready)):
                ready.whenComplete { readiness in
                    switch readiness {
                    case .success: done.succeed(channel)
                    case .failure(let error):
                        channel.close(promise: nil)
                        done.fail(error)
                    }
                }
            }
        }
        defer { timer.cancel() }
        return OpenConnection(channel: try await done.futureResult.get())
    }
}
