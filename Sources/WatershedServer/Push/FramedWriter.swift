import NIOCore
import NIOWebSocket

/// The bytes of a server-to-client WebSocket text message, framed once so that every subscriber's connection can be
/// handed the same buffer (RFC 6455 §5.2 "Base Framing Protocol").
///
/// A server's frames are never masked (§5.1), so a message's frames are the same bytes on every connection: the
/// stream frames each event once, right after it commits, instead of once per subscriber.
enum WebSocketWire {
    /// `payload` as one text message: a single frame when it is at most `maxFrameSize` bytes, else a text frame and
    /// continuation frames of `maxFrameSize` bytes, the last with FIN set (§5.4 "Fragmentation").
    ///
    /// Each frame's header is 2 bytes for a payload under 126 bytes, 4 (length 126 + a 16-bit length) up to 65,535
    /// bytes, 10 (length 127 + a 64-bit length) beyond; the mask bit is clear.
    static func textMessage(_ payload: ByteBuffer, maxFrameSize: Int) -> ByteBuffer {
        precondition(maxFrameSize > 0)
        let length = payload.readableBytes
        let frames = max(1, (length + maxFrameSize - 1) / maxFrameSize)
        var wire = ByteBuffer()
        wire.reserveCapacity(length + frames * 10)
        var rest = payload
        var first = true
        repeat {
            let slice = rest.readSlice(length: min(maxFrameSize, rest.readableBytes))!
            let fin = rest.readableBytes == 0
            let opcode: UInt8 = first ? 0x1 : 0x0
            wire.writeInteger((fin ? 0x80 : 0) | opcode, as: UInt8.self)
            let count = slice.readableBytes
            if count < 126 {
                wire.writeInteger(UInt8(count))
            } else if count <= 0xFFFF {
                wire.writeInteger(126, as: UInt8.self)
                wire.writeInteger(UInt16(count))
            } else {
                wire.writeInteger(127, as: UInt8.self)
                wire.writeInteger(UInt64(count))
            }
            wire.writeImmutableBuffer(slice)
            first = false
        } while rest.readableBytes > 0
        return wire
    }
}

/// A handler placed just below hummingbird-websocket's `WebSocketFrameEncoder` on a `/v1/stream` connection, through
/// which the stream writes messages it framed itself (``WebSocketWire``): already-framed bytes go on to TLS as they
/// are, and several messages are written before one flush. Everything else (pings, pongs, the close frame, which the
/// encoder frames) passes through unchanged, in the order it was written.
///
/// Once a close frame has gone out (seen by its ``CloseWatcher`` above the encoder), it writes nothing more: "after
/// sending a Close frame, the endpoint MUST NOT send any more data frames" (RFC 6455 §5.5.1).
///
/// It also notes when the client last sent us anything (``lastInbound``: the decrypted bytes pass it on their way to the
/// frame decoder), for telling a dead connection from a slow one (``StreamLiveness``).
final class FramedWriter: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var context: ChannelHandlerContext?
    /// When the client last sent bytes (pongs, frames, its close): the install time until it does.
    private(set) var lastInbound = NIODeadline.now()
    /// The connection, while the handler is in its pipeline.
    var channel: (any Channel)? { context?.channel }
    /// A close frame was written: no more data frames.
    fileprivate(set) var closeSent = false
    /// Succeeds once the close frame has been written to the socket; fails if the connection goes first.
    let closeWritten: EventLoopPromise<Void>
    private var closeDone = false

    init(eventLoop: any EventLoop) { closeWritten = eventLoop.makePromise() }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastInbound = .now()
        context.fireChannelRead(data)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        closeFrameWritten(.failure(ChannelError.ioOnClosedChannel))
    }

    /// The close frame's write finished (or the connection went): completes ``closeWritten`` once.
    fileprivate func closeFrameWritten(_ result: Result<Void, any Error>) {
        guard !closeDone else { return }
        closeDone = true
        closeWritten.completeWith(result)
    }

    /// Installs a writer below `pipeline`'s `WebSocketFrameEncoder` and its ``CloseWatcher`` above it. On the
    /// channel's event loop.
    ///
    /// - Throws: `ChannelPipelineError.notFound` if there is no `WebSocketFrameEncoder` (not upgraded).
    static func install(in pipeline: ChannelPipeline.SynchronousOperations, eventLoop: any EventLoop) throws
        -> FramedWriter
    {
        let encoder = try pipeline.handler(type: WebSocketFrameEncoder.self)
        let writer = FramedWriter(eventLoop: eventLoop)
        do {
            try pipeline.addHandler(writer, position: .before(encoder))
        } catch {
            // Not in the pipeline, so never removed from it: complete its promise here (NIO traps on a leaked one).
            writer.closeFrameWritten(.failure(error))
            throw error
        }
        // Once added, its removal (when the channel closes) completes the promise whatever happens next.
        try pipeline.addHandler(CloseWatcher(writer: writer), position: .after(encoder))
        return writer
    }

    /// Writes framed bytes (no flush). Fails `promise` if the connection is gone or its close frame was sent. On the
    /// channel's event loop only.
    func write(_ bytes: ByteBuffer, promise: EventLoopPromise<Void>?) {
        guard let context, !closeSent else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        context.write(Self.wrapOutboundOut(bytes), promise: promise)
    }

    /// Flushes what was written. On the channel's event loop only.
    func flush() { context?.flush() }
}

/// Sits above the `WebSocketFrameEncoder` and tells its ``FramedWriter`` when a close frame goes out.
final class CloseWatcher: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let writer: FramedWriter

    init(writer: FramedWriter) { self.writer = writer }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard Self.unwrapOutboundIn(data).opcode == .connectionClose else {
            context.write(data, promise: promise)
            return
        }
        writer.closeSent = true
        let written = context.eventLoop.makePromise(of: Void.self)
        let writer = self.writer
        written.futureResult.assumeIsolated().whenComplete { result in
            writer.closeFrameWritten(result)
            promise?.completeWith(result)
        }
        context.write(data, promise: written)
    }
}

/// A connection's ``FramedWriter``, reachable from any thread: the hub's fan-out and the session's backlog hop onto
/// ``eventLoop`` and write there.
struct LiveSink: Sendable {
    let eventLoop: any EventLoop
    let writer: NIOLoopBound<FramedWriter>
    /// Succeeds once the connection's close frame has been written to the socket (not merely queued behind frames a
    /// slow client has not read); fails if the connection closes first.
    let closeWritten: EventLoopFuture<Void>

    /// Installs a ``FramedWriter`` (and its ``CloseWatcher``) around `channel`'s WebSocket frame encoder.
    ///
    /// - Throws: `ChannelPipelineError.notFound` if the channel has no `WebSocketFrameEncoder` (not upgraded),
    ///   or the channel's error if it closed.
    static func install(on channel: any Channel) async throws -> LiveSink {
        try await channel.eventLoop.submit { try install(in: channel) }.get()
    }

    /// As ``install(on:)``, on the channel's event loop.
    static func install(in channel: any Channel) throws -> LiveSink {
        let writer = try FramedWriter.install(in: channel.pipeline.syncOperations, eventLoop: channel.eventLoop)
        return LiveSink(
            eventLoop: channel.eventLoop, writer: NIOLoopBound(writer, eventLoop: channel.eventLoop),
            closeWritten: writer.closeWritten.futureResult)
    }

    /// Writes framed messages and flushes once; the future succeeds when the last has been written to the socket.
    /// On ``eventLoop`` only.
    func writeAndFlush(_ messages: some Sequence<ByteBuffer>) -> EventLoopFuture<Void> {
        let writer = self.writer.value
        var last: ByteBuffer?
        for message in messages {
            if let previous = last { writer.write(previous, promise: nil) }
            last = message
        }
        guard let last else { return eventLoop.makeSucceededVoidFuture() }
        let promise = eventLoop.makePromise(of: Void.self)
        writer.write(last, promise: promise)
        writer.flush()
        return promise.futureResult
    }
}
