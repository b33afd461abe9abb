import Logging
import NIOCore
import NIOSSL
import NIOTLS
import Synchronization
import WatershedFederation

/// What one port's connections share: the server's ``ConnectionLimiter``, the timeouts, the port's name for logs and
/// metrics.
struct ConnectionGuard: Sendable {
    /// Which listener: ``people`` or ``peer``.
    struct Listener: Sendable, Hashable {
        /// For logs: "people's port" or "peer port".
        var name: String
        /// For metric labels: `people` or `peer`.
        var label: String

        /// Port 8443: HTTPS and WSS for people.
        static let people = Listener(name: "people's port", label: "people")
        /// Port 8444: mutual TLS for neighbours.
        static let peer = Listener(name: "peer port", label: "peer")
    }

    var listener: Listener
    var limiter: ConnectionLimiter
    var timeouts: ConnectionTimeouts
    var metrics: ServerMetrics
    var logger: Logger
}

/// Sits just after TLS on every connection of both ports and watches it until its first request head is complete
/// (issue 15, items 2, 3 and 20):
///
/// - closes a connection that does not finish its TLS handshake within ``ConnectionTimeouts/handshake``, does not
///   start a request within ``ConnectionTimeouts/firstRequest`` after it, or does not finish that request's head
///   within ``ConnectionTimeouts/header`` of its first byte — logged at debug, counted in
///   `watershed_connections_timed_out_total{listener,stage}`;
/// - logs a failed TLS handshake as one `info` line with the peer's address and the reason, and counts it — instead of
///   the error hummingbird-websocket logs for every connection that ends before its first request ("Error handling
///   upgrade result … Inappropriate operation for state");
/// - measures the request line (up to its first LF), so that a head too large for the decoder is answered 414 when its
///   request target is what made it so (``HTTPErrorAnswerHandler``).
///
/// ``ready`` succeeds when the first request head has been decoded, and fails if the connection ends before (timed out,
/// failed handshake, answered with an HTTP error): ``GuardedTLSChannel`` hands the connection to Hummingbird only when
/// it succeeds.
final class ConnectionWatchHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// The step the connection is in.
    enum Stage: String {
        case handshake
        case firstRequest = "first_request"
        case header
        /// The first head has been decoded (or the connection ended): nothing more to watch.
        case done
    }

    /// Why ``ready`` failed.
    struct Ended: Error {}

    private let guarding: ConnectionGuard
    private let note: VerificationNote?
    private let readyPromise: EventLoopPromise<Void>
    private var stage = Stage.handshake
    private var readyCompleted = false
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    private var peer: String = "?"
    /// Bytes of the first request's line seen so far (up to and including its LF).
    private(set) var requestLineBytes = 0
    private var requestLineEnded = false
    /// Whether the first head has a `Content-Length` field, and a `Transfer-Encoding` field (names matched without
    /// regard to case at the start of a line): NIO's decoder reports the two together only as an unknown error.
    private(set) var sawContentLength = false
    private(set) var sawTransferEncoding = false
    private var contentLengthMatched = -1
    private var transferEncodingMatched = -1
    private static let contentLength = Array("content-length:".utf8)
    private static let transferEncoding = Array("transfer-encoding:".utf8)

    /// Succeeds once the first request head is decoded; fails if the connection ends before.
    var ready: EventLoopFuture<Void> { readyPromise.futureResult }

    init(guarding: ConnectionGuard, note: VerificationNote?, eventLoop: any EventLoop) {
        self.guarding = guarding
        self.note = note
        self.readyPromise = eventLoop.makePromise()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if let address = context.channel.remoteAddress { peer = Self.text(address) }
        arm(.handshake, after: guarding.timeouts.handshake, context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        if let address = context.channel.remoteAddress { peer = Self.text(address) }
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent, stage == .handshake {
            arm(.firstRequest, after: guarding.timeouts.firstRequest, context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if stage == .firstRequest { arm(.header, after: guarding.timeouts.header, context: context) }
        if stage == .header { scan(unwrapInboundIn(data)) }
        context.fireChannelRead(data)
    }

    /// Measures the request line and notes the framing fields of the first head, byte by byte (the head is at most
    /// 80 KiB: the decoder refuses more).
    private func scan(_ buffer: ByteBuffer) {
        for byte in buffer.readableBytesView {
            if !requestLineEnded {
                requestLineBytes += 1
                if byte == UInt8(ascii: "\n") {
                    requestLineEnded = true
                    (contentLengthMatched, transferEncodingMatched) = (0, 0)
                }
                continue
            }
            if byte == UInt8(ascii: "\n") {
                (contentLengthMatched, transferEncodingMatched) = (0, 0)
                continue
            }
            // ASCII letters to lower case; the other bytes of the two names (`-`, `:`) are unchanged by it.
            let lower = byte | 0x20
            Self.match(lower, Self.contentLength, &contentLengthMatched, &sawContentLength)
            Self.match(lower, Self.transferEncoding, &transferEncodingMatched, &sawTransferEncoding)
        }
    }

    private static func match(_ byte: UInt8, _ name: [UInt8], _ matched: inout Int, _ seen: inout Bool) {
        guard matched >= 0 else { return }
        if matched < name.count, byte == name[matched] {
            matched += 1
            if matched == name.count {
                seen = true
                matched = -1
            }
        } else {
            matched = -1
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard stage == .handshake else {
            context.fireErrorCaught(error)
            return
        }
        // One line per failed handshake, below error level: NIOSSL closes the connection itself, and nothing after this
        // handler needs to hear of it (nothing was asked of the application yet). A client that just goes away
        // mid-handshake (a port scan, a refused flood) is not a failure worth a line at info.
        if Self.isEndOfInput(error) {
            guarding.logger.debug(
                "connection closed during the TLS handshake",
                metadata: ["listener": "\(guarding.listener.name)", "peer": "\(peer)"])
        } else {
            let reason = note?.refusal ?? Self.describe(error)
            guarding.metrics.handshakeFailed(listener: guarding.listener.label)
            guarding.logger.info(
                "TLS handshake failed on the \(guarding.listener.name)",
                metadata: ["peer": "\(peer)", "reason": "\(reason)"])
        }
        finish()
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if stage == .handshake {
            guarding.logger.debug(
                "connection closed before the TLS handshake completed",
                metadata: ["listener": "\(guarding.listener.name)", "peer": "\(peer)"])
        }
        finish()
        context.fireChannelInactive()
    }

    /// The first request's head has been decoded: the connection is Hummingbird's from here.
    func headReceived() {
        guard stage != .done else { return }
        timer?.cancel()
        timer = nil
        stage = .done
        readyCompleted = true
        readyPromise.succeed()
    }

    /// The connection was answered with an HTTP error and is closing.
    func answered() { finish() }

    private func finish() {
        timer?.cancel()
        timer = nil
        stage = .done
        guard !readyCompleted else { return }
        readyCompleted = true
        readyPromise.fail(Ended())
    }

    private func arm(_ next: Stage, after timeout: Duration, context: ChannelHandlerContext) {
        timer?.cancel()
        stage = next
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) { [self] in
            expire(next)
        }
    }

    private func expire(_ expired: Stage) {
        guard stage == expired, let context else { return }
        guarding.metrics.connectionTimedOut(listener: guarding.listener.label, stage: expired.rawValue)
        let limit =
            switch expired {
            case .handshake: "no TLS handshake within \(guarding.timeouts.handshake)"
            case .firstRequest: "no request within \(guarding.timeouts.firstRequest) of the handshake"
            default: "the request head not complete within \(guarding.timeouts.header)"
            }
        guarding.logger.debug(
            "closing a connection: \(limit)",
            metadata: ["listener": "\(guarding.listener.name)", "peer": "\(peer)"])
        finish()
        context.close(promise: nil)
    }

    /// `127.0.0.1:50412` or `[::1]:50412` (NIO's own description is `[IPv4]127.0.0.1/127.0.0.1:50412`).
    static func text(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress, let port = address.port else { return address.description }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    /// Whether `error` only says the client closed the connection before the handshake ended.
    static func isEndOfInput(_ error: any Error) -> Bool {
        switch error {
        case NIOSSLError.uncleanShutdown: return true
        case NIOSSLError.handshakeFailed(.sslError(let stack)):
            return !stack.isEmpty && stack.allSatisfy { $0 == .eofDuringHandshake }
        default: return false
        }
    }

    /// A handshake error in a few words: BoringSSL's reason (`CERTIFICATE_VERIFY_FAILED`, `TLSV1_ALERT_UNKNOWN_CA`,
    /// `WRONG_VERSION_NUMBER`) rather than the whole error stack.
    static func describe(_ error: any Error) -> String {
        switch error {
        case NIOSSLError.handshakeFailed(.sslError(let stack)), NIOSSLError.handshakeFailed(.unknownError(let stack)):
            // "Error: 268435581 error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED at file:line"
            let reasons = stack.map { error -> String in
                let text = error.description
                guard let start = text.range(of: "OPENSSL_internal:")?.upperBound else { return text }
                return String(text[start...].prefix { $0 != " " })
            }
            return reasons.isEmpty ? "\(error)" : reasons.joined(separator: "; ")
        case NIOSSLError.uncleanShutdown:
            return "the client closed the connection during the handshake"
        default:
            return "\(error)"
        }
    }
}

extension TimeAmount {
    /// `duration` in nanoseconds (saturating).
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        self = .nanoseconds(overflow ? Int64.max : scaled + attoseconds / 1_000_000_000)
    }
}
