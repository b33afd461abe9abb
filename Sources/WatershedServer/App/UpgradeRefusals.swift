import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Gives a refused WebSocket upgrade its status and JSON error body (DESIGN.md "Live stream": "A refused upgrade
/// answers 401/403 with the JSON error body").
///
/// hummingbird-websocket asks the router whether to upgrade; when the router throws, it answers every refusal with
/// the same empty `400 Bad Request` and closes. Here the refusal is recorded for the connection
/// (``UpgradeRefusalMiddleware``), and ``UpgradeRefusalWriter`` — on the connection's pipeline once the upgrade has
/// been declined — rewrites that empty 400 into the refusal's status and body.
///
/// Entries are taken by the writer, or dropped when the connection closes, so the table holds at most one entry per
/// open connection; past ``limit`` entries a refusal is answered with the plain 400.
final class UpgradeRefusals: Sendable {
    /// The most refusals kept waiting for their connection's writer.
    static let limit = 4_096
    private let pending = Mutex<[ObjectIdentifier: APIError]>([:])

    init() {}

    /// Keeps `error` as the answer to the declined upgrade on `channel`.
    func record(_ error: APIError, on channel: any Channel) {
        let key = ObjectIdentifier(channel)
        let added = pending.withLock { table -> Bool in
            guard table[key] != nil || table.count < Self.limit else { return false }
            let fresh = table[key] == nil
            table[key] = error
            return fresh
        }
        if added { channel.closeFuture.whenComplete { _ in _ = self.take(for: channel) } }
    }

    /// The refusal recorded for `channel`, removed from the table.
    func take(for channel: any Channel) -> APIError? {
        pending.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// How many refusals wait for their writer (for tests: 0 once their connections are closed).
    var count: Int { pending.withLock { $0.count } }
}

/// Records the error of a request that asks for a WebSocket upgrade (``UpgradeRefusals``); other requests pass
/// untouched. Goes on the router outside ``JSONErrorMiddleware``, so Hummingbird's own errors arrive as ``APIError``s.
struct UpgradeRefusalMiddleware<Context: RequestContext>: RouterMiddleware {
    let refusals: UpgradeRefusals
    let channel: @Sendable (Context) -> any Channel

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard request.headers[.upgrade]?.lowercased() == "websocket" else { return try await next(request, context) }
        do {
            return try await next(request, context)
        } catch let error as APIError {
            refusals.record(error, on: channel(context))
            throw error
        }
    }
}

/// On an HTTP/1 connection, turns hummingbird-websocket's empty `400` for a declined upgrade into the recorded
/// refusal: its status, `Content-Type: application/json` and the `{"error": {…}}` body. Any other response passes
/// unchanged (the refusal is taken when the handler is added, which happens after the upgrade was declined).
final class UpgradeRefusalWriter: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let refusals: UpgradeRefusals
    private var refusal: APIError?

    init(refusals: UpgradeRefusals) { self.refusals = refusals }

    func handlerAdded(context: ChannelHandlerContext) {
        refusal = refusals.take(for: context.channel)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard let refusal, case .head(var head) = unwrapOutboundIn(data), head.status == .badRequest,
            let body = try? JSONResponse.encoder.encode(refusal.body)
        else {
            context.write(data, promise: promise)
            return
        }
        self.refusal = nil
        head.status = refusal.status
        head.headerFields[.contentType] = "application/json; charset=utf-8"
        head.headerFields[.contentLength] = "\(body.count)"
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: body))), promise: promise)
    }
}
