import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing

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
        let writer = try FramedWriter.install(in: channel.pipeline.syncOperations)

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
}
