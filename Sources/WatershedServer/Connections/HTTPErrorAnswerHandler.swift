import Foundation
import NIOCore
import NIOHTTP1

/// Answers a request the HTTP/1.1 decoder cannot read — with 400, 414 or 431 and a JSON error naming what is wrong —
/// and closes the connection (issue 15, item 3). hummingbird-websocket's upgrade pipeline turns NIO's own answering
/// handler off and then neither answers nor closes: the connection was held until the client gave up.
///
/// Placed right after NIO's request decoder, it sees the decoder's errors before the upgrade handler does. It also
/// tells ``ConnectionWatchHandler`` when the first request head arrives, and leaves the pipeline when a head asks for
/// an upgrade (what follows is WebSocket frames, not HTTP parts).
///
/// | the decoder's error | status | `code` | `field` |
/// | --- | --- | --- | --- |
/// | head over 80 KiB or over 1,000 fields, request line over 8,000 bytes | 414 | `uri_too_long` | `target` |
/// | head over 80 KiB or over 1,000 fields, otherwise | 431 | `header_fields_too_large` | `headers` |
/// | `Content-Length` not a decimal number | 400 | `invalid_content_length` | `Content-Length` |
/// | `Content-Length` with `Transfer-Encoding` | 400 | `conflicting_framing` | `Transfer-Encoding` |
/// | a bad chunk size or transfer coding | 400 | `invalid_transfer_encoding` | `Transfer-Encoding` |
/// | a bad header name or value | 400 | `invalid_header` | `headers` |
/// | a bad method, target, version or line ending | 400 | `invalid_request_line` | `requestLine` |
///
/// Sources: RFC 9112 §3 (request-line lengths of at least 8,000 octets are recommended; 414 beyond what a server
/// accepts), RFC 6585 §5 (431 Request Header Fields Too Large), RFC 9110 §8.6 (Content-Length is `1*DIGIT`),
/// RFC 9112 §6.1 (a message with both Transfer-Encoding and Content-Length "ought to be handled as an error", and the
/// connection closed after responding), RFC 9112 §2.2 (an invalid request line gets 400).
final class HTTPErrorAnswerHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// The request line length beyond which an oversized head is blamed on its target (RFC 9112 §3: "at a minimum,
    /// request-line lengths of 8000 octets").
    static let requestLineLimit = 8_000

    private let watch: ConnectionWatchHandler
    private let extraHeaders: HTTPHeaders
    private var answering = false

    /// - Parameters:
    ///   - watch: the connection's watch, told of the first head and of an answered error.
    ///   - extraHeaders: headers every answer carries (HSTS on the people's port).
    init(watch: ConnectionWatchHandler, extraHeaders: HTTPHeaders = [:]) {
        self.watch = watch
        self.extraHeaders = extraHeaders
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answering else { return }
        if case .head(let head) = unwrapInboundIn(data) {
            watch.headReceived()
            let upgrading = head.headers.contains(name: "upgrade")
            context.fireChannelRead(data)
            if upgrading { context.pipeline.syncOperations.removeHandler(context: context, promise: nil) }
            return
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if answering { return }
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        answering = true
        watch.answered()
        let answer = Self.answer(
            parserError, requestLineBytes: watch.requestLineBytes,
            bothFramings: watch.sawContentLength && watch.sawTransferEncoding)
        var headers = extraHeaders
        headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        headers.add(name: "Content-Length", value: String(answer.body.readableBytes))
        headers.add(name: "Connection", value: "close")
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: answer.status, headers: headers))),
            promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(answer.body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    /// What to answer for a decoder error; see the table on the type.
    ///
    /// - Parameters:
    ///   - requestLineBytes: the length of the request line (to its LF, or all of it so far).
    ///   - bothFramings: whether the head has both `Content-Length` and `Transfer-Encoding` (NIO's llhttp reports that
    ///     as an unknown error).
    static func answer(
        _ error: HTTPParserError, requestLineBytes: Int, bothFramings: Bool
    ) -> (status: HTTPResponseStatus, body: ByteBuffer) {
        let (status, code, field, message): (HTTPResponseStatus, String, String, String)
        switch error {
        case _ where bothFramings && error != .headerOverflow, .unexpectedContentLength:
            (status, code, field, message) = (
                .badRequest, "conflicting_framing", "Transfer-Encoding",
                "a request may not carry both Transfer-Encoding and Content-Length"
            )
        case .headerOverflow where requestLineBytes > requestLineLimit:
            (status, code, field, message) = (
                .uriTooLong, "uri_too_long", "target",
                "the request line is \(requestLineBytes) bytes or more; at most \(requestLineLimit) are accepted"
            )
        case .headerOverflow:
            (status, code, field, message) = (
                .requestHeaderFieldsTooLarge, "header_fields_too_large", "headers",
                "the request head is over 80 KiB or has over 1,000 header fields"
            )
        case .invalidContentLength:
            (status, code, field, message) = (
                .badRequest, "invalid_content_length", "Content-Length",
                "Content-Length must be a decimal number of bytes"
            )
        case .invalidChunkSize:
            (status, code, field, message) = (
                .badRequest, "invalid_transfer_encoding", "Transfer-Encoding", "a chunk size is not hexadecimal"
            )
        case .invalidHeaderToken, .invalidCharactersUsed:
            (status, code, field, message) = (
                .badRequest, "invalid_header", "headers", "a header field's name or value is not valid"
            )
        default:
            (status, code, field, message) = (
                .badRequest, "invalid_request_line", "requestLine",
                "the request line is not `METHOD target HTTP/1.1` (\(error))"
            )
        }
        let json: [String: Any] = ["error": ["code": code, "message": message, "field": field]]
        let data = (try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])) ?? Data()
        var body = ByteBuffer()
        body.writeBytes(data)
        return (status, body)
    }
}
