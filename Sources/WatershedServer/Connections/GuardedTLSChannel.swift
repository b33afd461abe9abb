import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import WatershedFederation

/// A child channel of either port: HummingbirdTLS's `TLSChannel` (which it replaces) plus the guards of issue 15,
/// items 2, 3 and 20, around hummingbird-websocket's HTTP/1.1-with-upgrade channel.
///
/// For each accepted connection, ``setup(channel:logger:)``:
/// 1. counts it in with the server's ``ConnectionLimiter``; over the cap, the connection is closed as soon as it is
///    active (no TLS, nothing read) and counted as refused;
/// 2. adds NIOSSL's server handler (with the port's certificate verification, per connection, so that a refused
///    client certificate's reason reaches the log line), then ``ConnectionWatchHandler`` (timeouts, handshake
///    failures);
/// 3. lets hummingbird-websocket set up HTTP/1.1 with its upgrade handler, then puts ``HTTPErrorAnswerHandler`` right
///    after NIO's request decoder.
///
/// ``handle(value:logger:)`` hands the connection to Hummingbird once its first request head has been decoded, and
/// drops it quietly otherwise (it is closed by then, and its one log line written).
struct GuardedTLSChannel<Base: ServerChildChannel>: ServerChildChannel {
    /// A connection set up: the base channel's value, or `nil` for a refused connection.
    struct Value: ServerChildChannelValue {
        let base: Base.Value?
        let ready: EventLoopFuture<Void>?
        let channel: any Channel
    }

    /// Verifies a client certificate chain (leaf first) in place of BoringSSL, noting why it refuses one.
    typealias Verification = @Sendable ([NIOSSLCertificate], VerificationNote) async -> NIOSSLVerificationResult

    let base: Base
    let sslContext: NIOSSLContext
    let verification: Verification?
    let guarding: ConnectionGuard
    /// Headers on the answers to unreadable requests (HSTS on the people's port).
    let answerHeaders: HTTPHeaders

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let eventLoop = channel.eventLoop
        guard guarding.limiter.admit() else {
            guarding.limiter.refused(listener: guarding.listener, peer: channel.remoteAddress)
            return eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(CloseOnActiveHandler())
                return Value(base: nil, ready: nil, channel: channel)
            }
        }
        let limiter = guarding.limiter
        channel.closeFuture.whenComplete { _ in limiter.release() }
        let (sslContext, verification, guarding, answerHeaders, base) =
            (self.sslContext, self.verification, self.guarding, self.answerHeaders, self.base)
        let result = eventLoop.makeCompletedFuture { () -> NIOLoopBound<ConnectionWatchHandler> in
            let ssl: NIOSSLServerHandler
            var note: VerificationNote?
            if let verification {
                let made = VerificationNote()
                note = made
                ssl = NIOSSLServerHandler(
                    context: sslContext,
                    customVerificationCallback: { certificates, promise in
                        promise.completeWithTask { await verification(certificates, made) }
                    },
                    configuration: .init())
            } else {
                ssl = NIOSSLServerHandler(context: sslContext, configuration: .init())
            }
            let watch = ConnectionWatchHandler(guarding: guarding, note: note, eventLoop: eventLoop)
            try channel.pipeline.syncOperations.addHandler(ssl)
            try channel.pipeline.syncOperations.addHandler(watch)
            return NIOLoopBound(watch, eventLoop: eventLoop)
        }.flatMap { watch in
            base.setup(channel: channel, logger: logger).flatMapThrowing { value in
                let operations = channel.pipeline.syncOperations
                let decoder = try operations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
                try operations.addHandler(
                    HTTPErrorAnswerHandler(watch: watch.value, extraHeaders: answerHeaders), position: .after(decoder))
                return Value(base: value, ready: watch.value.ready, channel: channel)
            }
        }
        // A connection whose setup failed is never registered, so nothing else would close it (or count it out).
        result.whenFailure { _ in channel.close(promise: nil) }
        return result
    }

    func handle(value: Value, logger: Logger) async {
        guard let baseValue = value.base, let ready = value.ready else { return }
        do {
            try await ready.get()
        } catch {
            return
        }
        await base.handle(value: baseValue, logger: logger)
    }
}

/// Closes a refused connection as soon as it is active.
final class CloseOnActiveHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { context.close(promise: nil) }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with WebSocket upgrade over TLS, guarded (``GuardedTLSChannel``): what
    /// `.tls(.http1WebSocketUpgrade(webSocketRouter:configuration:), configuration:)` builds, with the connection cap,
    /// the timeouts, answers to unreadable requests and one log line per failed handshake.
    ///
    /// - Parameters:
    ///   - webSocketRouter: the router that decides upgrades.
    ///   - configuration: HTTP/1.1 and WebSocket settings.
    ///   - tlsConfiguration: the port's TLS settings.
    ///   - verification: a client certificate check replacing BoringSSL's (the peer port), or `nil`.
    ///   - guarding: the server's limiter, the timeouts and the port's name.
    ///   - answerHeaders: headers on the answers to unreadable requests.
    /// - Throws: NIOSSL's error when the TLS settings cannot make a context (a key that is not the certificate's).
    static func guardedTLS<Context: WebSocketRequestContext>(
        webSocketRouter: Router<Context>, configuration: HTTP1WebSocketUpgradeChannel.Configuration,
        tlsConfiguration: TLSConfiguration, verification: GuardedTLSChannel<HTTP1WebSocketUpgradeChannel>.Verification?,
        guarding: ConnectionGuard, answerHeaders: HTTPHeaders = [:]
    ) throws -> HTTPServerBuilder {
        let webSocketResponder = webSocketRouter.buildResponder()
        let sslContext = try NIOSSLContext(configuration: tlsConfiguration)
        return HTTPServerBuilder { responder in
            GuardedTLSChannel(
                base: HTTP1WebSocketUpgradeChannel(
                    responder: responder, webSocketResponder: webSocketResponder, configuration: configuration),
                sslContext: sslContext, verification: verification, guarding: guarding, answerHeaders: answerHeaders)
        }
    }

    /// As ``guardedTLS(webSocketRouter:configuration:tlsConfiguration:verification:guarding:answerHeaders:)``, with
    /// the upgrade decided by a closure instead of a router (the stream: ``StreamUpgrade``).
    ///
    /// - Throws: NIOSSL's error when the TLS settings cannot make a context (a key that is not the certificate's).
    static func guardedTLS(
        configuration: HTTP1WebSocketUpgradeChannel.Configuration,
        shouldUpgrade:
            @escaping @Sendable (HTTPRequest, any Channel, Logger) async throws -> ShouldUpgradeResult<
                WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>
            >,
        tlsConfiguration: TLSConfiguration, verification: GuardedTLSChannel<HTTP1WebSocketUpgradeChannel>.Verification?,
        guarding: ConnectionGuard, answerHeaders: HTTPHeaders = [:]
    ) throws -> HTTPServerBuilder {
        let sslContext = try NIOSSLContext(configuration: tlsConfiguration)
        return HTTPServerBuilder { responder in
            GuardedTLSChannel(
                base: HTTP1WebSocketUpgradeChannel(
                    responder: responder, configuration: configuration, shouldUpgrade: shouldUpgrade),
                sslContext: sslContext, verification: verification, guarding: guarding, answerHeaders: answerHeaders)
        }
    }
}
