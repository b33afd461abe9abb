import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import WatershedStore
import WatershedWire

/// Decides whether a request on the people's port becomes a `/v1/stream` WebSocket, and runs the stream if so
/// (docs/stream.md).
///
/// The upgrade is decided here, not by a `router.ws` route: hummingbird-websocket's router-based upgrade keeps a copy
/// of the request context inside the context's own WebSocket handler box — a reference cycle, never freed — and our
/// context holds the connection, so every stream connection used to keep its whole channel (socket, TLS state,
/// buffers: about 10 KB) after it closed (issue 15, item 4). Here the request is authenticated by the same
/// ``TokenAuthenticator`` and checked by the same rules as a plain `GET /v1/stream`, on a context that no handler box
/// refers to; the stream's handler captures only what it needs.
///
/// A refusal is recorded for the connection (``UpgradeRefusals``), which answers it with its status and JSON body.
struct StreamUpgrade: Sendable {
    let authenticator: TokenAuthenticator
    let refusals: UpgradeRefusals
    let log: any ServerLog
    let hub: PushHub
    let metrics: ServerMetrics
    let drillTokens: DrillTokens
    /// Tokens made through the API: a revoked one's streams close with 4003.
    var issuedTokens = IssuedTokens()

    /// What `GET /v1/stream` asks for, checked: the reader, `after` and the filters.
    ///
    /// - Throws: ``APIError``: 401 for a missing or unknown token or ticket (`field: ticket`), 403 for a token without
    ///   the right, 400 naming a bad or unknown query parameter.
    static func check(_ request: Request, context: AppRequestContext) throws -> (Identity, Int64, StreamFilter) {
        if let refusal = context.streamRefusal { throw refusal }
        let reader = try context.requireReader()
        try Routes.allowQuery(request, ["after", "incident", "exercise", "ticket"])
        return (reader, try Routes.after(request), try Routes.filter(request, for: reader))
    }

    /// hummingbird-websocket's `shouldUpgrade`: the stream's handler, or `.dontUpgrade` with the refusal recorded.
    func shouldUpgrade(_ head: HTTPRequest, channel: any Channel, logger: Logger) async
        -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>>
    {
        let request = Request(head: head, body: .init(buffer: ByteBuffer()))
        do {
            guard request.uri.path == "/v1/stream" else {
                throw APIError(
                    .notFound, code: "no_route",
                    message: "no WebSocket at \(request.uri.path); the live stream is /v1/stream", field: "path")
            }
            var checked: (Identity, Int64, StreamFilter)?
            _ = try await authenticator.handle(
                request, context: AppRequestContext(source: .init(channel: channel, logger: logger))
            ) { request, context in
                checked = try Self.check(request, context: context)
                return Response(status: .ok)
            }
            guard let (reader, after, filter) = checked else { return .dontUpgrade }
            var session = StreamSession(log: log, hub: hub, after: after, filter: filter, metrics: metrics)
            if issuedTokens.contains(reader.tokenID) {
                // A token made through the API stops when it is revoked (issue 20).
                session.revoked = { [issuedTokens] in
                    issuedTokens.isRevoked(reader.tokenID) ? "token \(reader.tokenID) was revoked" : nil
                }
            }
            if let drill = reader.drill {
                // A drill participant's rights end with its drill (issue 15, item 9).
                session.revoked = { [drillTokens] in
                    drillTokens.hasEnded(drill) ? "drill \(drill.uuidString) has ended" : nil
                }
            }
            let metrics = self.metrics
            let prepared = session
            return .upgrade([:]) { inbound, outbound, _ in
                metrics.streamConnections.increment()
                defer { metrics.streamConnections.decrement() }
                try await prepared.run(inbound: inbound, outbound: outbound, channel: channel)
            }
        } catch let refusal as APIError {
            refusals.record(refusal, on: channel)
            return .dontUpgrade
        } catch {
            return .dontUpgrade
        }
    }
}
