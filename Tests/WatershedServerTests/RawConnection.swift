import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization

/// A client connection at the byte level — plain TCP, or TLS with NIOSSL — for inputs an HTTP client will not send
/// (half a head, a garbage request line, nothing at all): it writes what it is given and keeps what comes back.
final class RawConnection: Sendable {
    let channel: any Channel
    private let collector: Collector

    /// Keeps the bytes received and whether the TLS handshake completed.
    final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        private let state = Mutex<(bytes: [UInt8], handshaken: Bool, error: String?)>(([], false, nil))

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            state.withLock { $0.bytes += buffer.readableBytesView }
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case .handshakeCompleted = event as? TLSUserEvent { state.withLock { $0.handshaken = true } }
            context.fireUserInboundEventTriggered(event)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            state.withLock { $0.error = "\(error)" }
            context.close(promise: nil)
        }

        var bytes: [UInt8] { state.withLock { $0.bytes } }
        var handshaken: Bool { state.withLock { $0.handshaken } }
        var error: String? { state.withLock { $0.error } }
    }

    private init(channel: any Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    /// Writes its bytes as soon as the connection is up (through TLS, once the handshake ends), on the event loop:
    /// what must be sent within a server's timeout is then sent however late the test task resumes.
    final class WriteOnActive: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let text: String

        init(_ text: String) { self.text = text }

        func channelActive(context: ChannelHandlerContext) {
            context.writeAndFlush(NIOAny(ByteBuffer(string: text)), promise: nil)
            context.fireChannelActive()
        }
    }

    /// Connects to `127.0.0.1:port`; with `tls`, starts a TLS handshake (not waited for: see ``handshake(within:)``).
    /// `first` is written as soon as the connection is up (``WriteOnActive``).
    static func connect(port: Int, tls: TLSConfiguration? = nil, first: String? = nil) async throws -> RawConnection {
        let collector = Collector()
        let context = try tls.map { try NIOSSLContext(configuration: $0) }
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: context, serverHostname: nil))
                    }
                    try channel.pipeline.syncOperations.addHandler(collector)
                    if let first { try channel.pipeline.syncOperations.addHandler(WriteOnActive(first)) }
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, collector: collector)
    }

    /// Waits up to `limit` for the TLS handshake; returns whether it completed.
    func handshake(within limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if collector.handshaken { return true }
            if !channel.isActive { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return collector.handshaken
    }

    /// Writes `text` as UTF-8.
    func write(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text)).get()
    }

    /// Waits up to `limit` for the server to close the connection; returns whether it did.
    func closed(within limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if !channel.isActive { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return !channel.isActive
    }

    /// Waits up to `limit` until a whole response has arrived (its head, and as many body bytes as its
    /// `Content-Length` says); returns its status code, headers (lower-cased names) and body, or `nil`.
    func response(within limit: Duration) async -> (status: Int, headers: [String: String], body: String)? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let response = Self.parse(collector.bytes) { return response }
            if !channel.isActive { return Self.parse(collector.bytes) }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return Self.parse(collector.bytes)
    }

    /// The first response in `bytes`, when complete.
    static func parse(_ bytes: [UInt8]) -> (status: Int, headers: [String: String], body: String)? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else { return nil }
        let lines = text[..<end.lowerBound].components(separatedBy: "\r\n")
        let statusLine = lines[0].split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        let body = String(text[end.upperBound...])
        if let length = headers["content-length"].flatMap(Int.init), body.utf8.count < length { return nil }
        return (status, headers, body)
    }

    /// Everything received so far.
    var received: [UInt8] { collector.bytes }

    /// The error the connection ended with, if any (a TLS handshake failure, say).
    var error: String? { collector.error }

    func close() { channel.close(promise: nil) }
}

/// Log lines kept in memory, for tests of what the server logs.
final class CapturedLog: Sendable {
    struct Line: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }
    private let lines = Mutex<[Line]>([])

    var all: [Line] { lines.withLock { $0 } }

    func append(_ line: Line) { lines.withLock { $0.append(line) } }

    /// A logger writing here at `level`.
    func logger(level: Logger.Level = .debug) -> Logger {
        var logger = Logger(label: "captured") { _ in Handler(log: self) }
        logger.logLevel = level
        return logger
    }

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            log.append(
                Line(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
        }
    }
}
