import Foundation
import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Refuses a request whose `Content-Length` is over the body limit before reading any of it: `413` with
/// `Connection: close`, then the connection is closed (RFC 9110 §15.5.14; RFC 9112 §9.6: a server that will not read
/// a body closes the connection after its answer).
///
/// Without it the route answers (a 404 for an unknown incident, the 413 of the body's collector) and leaves the rest
/// of the body unread on an open connection: a client that writes its whole body before reading — as simple clients
/// and the live fuzzer do — waits on a full socket buffer for an answer it never reads (found by the live fuzz, a
/// 12 MB follow-up report). Chunked bodies keep the collector's 413 (`Routes.decodeBody`).
final class OversizedBodyGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The largest body let through to the routes: 1 MiB on the people's port (their `maxUploadSize`); 2 MiB on the
    /// peer port, whose CAP route answers a body over 1 MiB with a CAP document of its own (what is left unread of a
    /// body under 2 MiB fits the socket buffers, so the peer reads that answer).
    let limit: Int
    private var refusing = false

    init(limit: Int = 1 << 20) { self.limit = limit }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if case .head(let head) = part {
            refusing = false
            if let length = head.headerFields[.contentLength].flatMap({ Int($0) }), length > limit {
                refusing = true
                refuse(context: context, length: length)
                return
            }
        }
        guard !refusing else { return }
        context.fireChannelRead(data)
    }

    private func refuse(context: ChannelHandlerContext, length: Int) {
        // The routes' own 413 (`Routes.decodeBody`): the same code, message and field.
        let body = ByteBuffer(
            string: #"{"error":{"code":"body_too_large","field":"body","message":"the body is over 1 MiB ("#
                + "\(length) bytes)\"}}")
        var head = HTTPResponse(status: .contentTooLarge)
        head.headerFields[.contentType] = "application/json; charset=utf-8"
        head.headerFields[.contentLength] = "\(body.readableBytes)"
        head.headerFields[.connection] = "close"
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
}
