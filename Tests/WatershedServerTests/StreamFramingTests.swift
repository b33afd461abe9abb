import Foundation
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing
import WatershedCore

@testable import WatershedServer

/// The stream frames each event once for every connection (`WebSocketWire`): the bytes must be what RFC 6455 says a
/// server sends, and what NIO's own WebSocket decoder reads back.
@Suite struct StreamFramingTests {
    private func bytes(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }

    /// RFC 6455 §5.7 "Examples": "A single-frame unmasked text message `0x81 0x05 0x48 0x65 0x6c 0x6c 0x6f`
    /// (contains "Hello")" and "A fragmented unmasked text message `0x01 0x03 0x48 0x65 0x6c` (contains "Hel")
    /// `0x80 0x02 0x6c 0x6f` (contains "lo")".
    @Test func rfc6455Examples() {
        let hello = ByteBuffer(string: "Hello")
        #expect(
            bytes(WebSocketWire.textMessage(hello, maxFrameSize: 1 << 16)) == [
                0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F,
            ])
        #expect(
            bytes(WebSocketWire.textMessage(hello, maxFrameSize: 3))
                == [0x01, 0x03, 0x48, 0x65, 0x6C, 0x80, 0x02, 0x6C, 0x6F])
        // An empty message: FIN + text, length 0.
        #expect(bytes(WebSocketWire.textMessage(ByteBuffer(), maxFrameSize: 1 << 16)) == [0x81, 0x00])
    }

    /// §5.2 payload lengths: 0–125 in 7 bits; 126 then a 16-bit length up to 65,535 ("256 bytes … in a single
    /// unmasked frame `0x82 0x7E 0x0100`", §5.7, here as text); 127 then a 64-bit length ("64KiB … `0x82 0x7F
    /// 0x0000000000010000`", §5.7).
    @Test func extendedLengths() {
        let b125 = WebSocketWire.textMessage(ByteBuffer(repeating: 0x61, count: 125), maxFrameSize: 1 << 16)
        #expect(bytes(b125).prefix(2) == [0x81, 0x7D])
        #expect(b125.readableBytes == 127)
        let b126 = WebSocketWire.textMessage(ByteBuffer(repeating: 0x61, count: 126), maxFrameSize: 1 << 16)
        #expect(bytes(b126).prefix(4) == [0x81, 0x7E, 0x00, 0x7E])
        let b256 = WebSocketWire.textMessage(ByteBuffer(repeating: 0x61, count: 256), maxFrameSize: 1 << 16)
        #expect(bytes(b256).prefix(4) == [0x81, 0x7E, 0x01, 0x00])
        #expect(b256.readableBytes == 260)
        let k64 = WebSocketWire.textMessage(ByteBuffer(repeating: 0x61, count: 65_536), maxFrameSize: 1 << 17)
        #expect(bytes(k64).prefix(10) == [0x81, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00])
        #expect(k64.readableBytes == 65_546)
    }

    /// 70,000 bytes at the stream's 64 KiB frame limit: a text frame of 65,536 bytes (FIN clear, 64-bit length) and a
    /// continuation frame of 4,464 = 0x1170 bytes (FIN set, 16-bit length); NIO's decoder reads the same two frames.
    @Test func longMessageIsFragmentedAndNIOReadsItBack() throws {
        var text = ByteBuffer()
        for index in 0..<70_000 { text.writeInteger(UInt8(ascii: "a") + UInt8(index % 26)) }
        let wire = WebSocketWire.textMessage(text, maxFrameSize: StreamSession.maxFrameSize)
        #expect(wire.readableBytes == 70_000 + 10 + 4)
        #expect(bytes(wire).prefix(10) == [0x01, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00])
        #expect(bytes(wire)[65_546..<65_550] == [0x80, 0x7E, 0x11, 0x70])

        let channel = EmbeddedChannel(handler: ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 17)))
        try channel.writeInbound(wire)
        let first = try #require(try channel.readInbound(as: WebSocketFrame.self))
        let second = try #require(try channel.readInbound(as: WebSocketFrame.self))
        #expect(try channel.readInbound(as: WebSocketFrame.self) == nil)
        #expect(first.opcode == .text && !first.fin && first.maskKey == nil)
        #expect(second.opcode == .continuation && second.fin)
        var joined = first.data
        var rest = second.data
        joined.writeBuffer(&rest)
        #expect(joined == text)
        _ = try channel.finish()
    }

    /// Framed bytes pass the frame encoder untouched and in order with what it encodes; after a close frame
    /// nothing more is written (RFC 6455 §5.5.1), and the write's promise fails.
    @Test func framedWriterStopsAfterTheCloseFrame() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(WebSocketFrameEncoder())
        let writer = try FramedWriter.install(in: channel.pipeline.syncOperations, eventLoop: channel.eventLoop)

        let hello = WebSocketWire.textMessage(ByteBuffer(string: "Hello"), maxFrameSize: 1 << 16)
        writer.write(hello, promise: nil)
        writer.flush()
        #expect(try channel.readOutbound(as: ByteBuffer.self) == hello)

        // A ping through the encoder (as hummingbird-websocket's writer sends it), then framed bytes again.
        try channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer())).wait()
        var ping = ByteBuffer()
        while let part = try channel.readOutbound(as: ByteBuffer.self) { ping.writeImmutableBuffer(part) }
        #expect(Array(ping.readableBytesView) == [0x89, 0x00])

        // The close frame (1000): 0x88, length 2, 0x03 0xE8.
        var code = ByteBuffer()
        code.writeInteger(UInt16(1000))
        try channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, data: code)).wait()
        var close = ByteBuffer()
        while let part = try channel.readOutbound(as: ByteBuffer.self) { close.writeImmutableBuffer(part) }
        #expect(Array(close.readableBytesView) == [0x88, 0x02, 0x03, 0xE8])

        let promise = channel.eventLoop.makePromise(of: Void.self)
        writer.write(hello, promise: promise)
        writer.flush()
        #expect(throws: ChannelError.self) { try promise.futureResult.wait() }
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        _ = try channel.finish(acceptAlreadyClosed: true)
    }

    /// A connection that does not take what is written to it: the queue hands it one batch of at most
    /// `writeWindow` (256 KiB) — three 100,000-byte frames, since two make only 200,000 — and keeps the rest queued.
    /// When the byte budget (600,000) is passed, the queued frames are dropped and the resume point is the last frame
    /// handed to the connection (3), not the last one offered.
    @Test func aStalledConnectionHoldsOneWindowAndResumesFromTheLastFrameHandedToIt() throws {
        let channel = EmbeddedChannel()
        let stall = StallWrites()
        try channel.pipeline.syncOperations.addHandler(stall)
        try channel.pipeline.syncOperations.addHandler(WebSocketFrameEncoder())
        let sink = try LiveSink.install(in: channel)
        let queue = SubscriberQueue(frameBudget: 100, byteBudget: 600_000)
        queue.attach(sink, after: 0, metrics: nil)

        let frames = try (1...7).map { try Self.frame(seq: $0, bytes: 100_000) }
        #expect(frames.allSatisfy { $0.byteCount == 100_000 })
        guard case .drain = queue.offer(frames[0]) else { throw Failure("the first frame must ask for a drain") }
        for frame in frames[1..<5] {
            guard case .queued = queue.offer(frame) else { throw Failure("a drain is already due") }
        }
        queue.drain()
        #expect(stall.held.count == 3)
        #expect(queue.handedSeq == 3)
        #expect(queue.pendingByteCount == 500_000)
        // A batch is being written: more frames only queue.
        guard case .queued = queue.offer(frames[5]) else { throw Failure("frame 6 must be queued") }
        // 600,000 pending + 100,000 passes the budget: cut off; frames 4–6 are dropped.
        guard case .cutOff = queue.offer(frames[6]) else { throw Failure("frame 7 must cut the subscriber off") }
        #expect(queue.isCutOff)
        #expect(queue.handedSeq == 3)
        #expect(queue.pendingByteCount == 300_000)

        // The 4001 close frame waits behind the batch: not written until the socket takes what is before it.
        let closeWritten = ManagedFlag()
        sink.closeWritten.whenSuccess { closeWritten.set() }
        var reason = ByteBuffer()
        reason.writeInteger(UInt16(4001))
        reason.writeString("resume:3")
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, data: reason), promise: nil)
        #expect(!closeWritten.value)

        // The socket takes the batch and the close frame: its three frames no longer count, nothing more is written.
        stall.release()
        #expect(queue.pendingByteCount == 0)
        #expect(closeWritten.value)
        #expect(stall.held.isEmpty && stall.passed >= 4)
        _ = try channel.finish(acceptAlreadyClosed: true)
    }

    /// A stream frame of exactly `bytes` bytes of payload JSON for seq `seq`.
    static func frame(seq: Int64, bytes: Int) throws -> StreamFrame {
        func make(_ padding: Int) throws -> StoredEvent {
            let event = NewEvent(
                at: Date(timeIntervalSince1970: 1_700_000_000), type: .incidentReported,
                actor: .system(component: "test"),
                payload: .object(["pad": .string(String(repeating: "x", count: padding))]))
            return try StoredEvent(seq: seq, event: event, prevHash: String(repeating: "0", count: 64)) { _, _ in
                String(repeating: "a", count: 64)
            }
        }
        let overhead = try StreamFrame(make(0)).byteCount
        return try StreamFrame(make(bytes - overhead))
    }

    private struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}

/// Holds every write (and its promise) instead of passing it on, until ``release()``: a socket that takes nothing.
private final class StallWrites: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private(set) var held: [(NIOAny, EventLoopPromise<Void>?)] = []
    private(set) var passed = 0
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        held.append((data, promise))
    }

    func flush(context: ChannelHandlerContext) {}

    /// Passes the held writes on and flushes them (the embedded channel completes their promises).
    func release() {
        guard let context else { return }
        let writes = held
        held = []
        for (data, promise) in writes {
            context.write(data, promise: promise)
            passed += 1
        }
        context.flush()
    }
}

/// A flag set from a future's callback.
private final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    var value: Bool { lock.withLock { flag } }
    func set() { lock.withLock { flag = true } }
}
