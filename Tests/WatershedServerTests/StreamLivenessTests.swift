import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@testable import WatershedServer

/// The rule that tells a dead stream connection from a slow one (issue 15, item 7), as a table of what a connection
/// did between looks, every 10 s. Times are seconds after the upgrade; "acked" is the peer's TCP acknowledged-byte
/// count. Dead means: for 30 s, nothing from the client and no more than 512 acknowledged bytes (our own pings).
@Suite struct StreamLivenessTests {
    struct Look: Sendable {
        var at: Int64
        var lastInbound: Int64
        var acked: UInt64?
        var dead: Bool
    }

    static let cases: [(String, [Look])] = [
        (
            "an idle client that answers every ping stays",
            [
                Look(at: 10, lastInbound: 10, acked: 100, dead: false),
                Look(at: 20, lastInbound: 20, acked: 130, dead: false),
                Look(at: 30, lastInbound: 30, acked: 160, dead: false),
                Look(at: 40, lastInbound: 40, acked: 190, dead: false),
            ]
        ),
        (
            // Reads ~1 KB/s: 10 KB acknowledged between looks, its pongs stuck behind unread data.
            "a slow reader whose pongs wait behind data stays",
            [
                Look(at: 10, lastInbound: 0, acked: 10_000, dead: false),
                Look(at: 20, lastInbound: 0, acked: 20_000, dead: false),
                Look(at: 30, lastInbound: 0, acked: 30_000, dead: false),
                Look(at: 40, lastInbound: 0, acked: 40_000, dead: false),
                Look(at: 50, lastInbound: 0, acked: 50_000, dead: false),
            ]
        ),
        (
            // Its kernel acknowledges our pings (90 bytes in 30 s) but it never answers: not reading.
            "a hung client that only acknowledges our pings is dead at 30 s",
            [
                Look(at: 10, lastInbound: 0, acked: 30, dead: false),
                Look(at: 20, lastInbound: 0, acked: 60, dead: false),
                Look(at: 30, lastInbound: 0, acked: 90, dead: true),
            ]
        ),
        (
            "a vanished host (nothing acknowledged, nothing sent) is dead at 30 s",
            [
                Look(at: 10, lastInbound: 0, acked: 5_000, dead: false),
                Look(at: 20, lastInbound: 0, acked: 5_000, dead: false),
                Look(at: 30, lastInbound: 0, acked: 5_000, dead: true),
            ]
        ),
        (
            // Progress at 20 s (6,000 acknowledged bytes) restarts the 30 s: dead at 50, not 30.
            "progress restarts the count",
            [
                Look(at: 10, lastInbound: 0, acked: 1_000, dead: false),
                Look(at: 20, lastInbound: 0, acked: 7_000, dead: false),
                Look(at: 30, lastInbound: 0, acked: 7_000, dead: false),
                Look(at: 40, lastInbound: 0, acked: 7_100, dead: false),
                Look(at: 50, lastInbound: 0, acked: 7_200, dead: true),
            ]
        ),
        (
            "without TCP counts, a client silent for 30 s is dead",
            [
                Look(at: 10, lastInbound: 5, acked: nil, dead: false),
                Look(at: 20, lastInbound: 5, acked: nil, dead: false),
                Look(at: 30, lastInbound: 5, acked: nil, dead: false),
                Look(at: 40, lastInbound: 5, acked: nil, dead: true),
            ]
        ),
    ]

    @Test(arguments: cases) func rule(_ name: String, _ looks: [Look]) {
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)
        func at(_ seconds: Int64) -> NIODeadline { start + .seconds(seconds) }
        var liveness = StreamLiveness(start: start)
        for look in looks {
            let dead = liveness.isDead(now: at(look.at), lastInbound: at(look.lastInbound), bytesAcked: look.acked)
            #expect(dead == look.dead, "\(name), at \(look.at) s")
        }
    }

    /// The ping the stream writes itself is an empty, final ping frame (RFC 6455 §5.2, §5.5.2): 0x89, length 0.
    @Test func pingFrame() {
        #expect(Array(LiveSink.pingFrame.readableBytesView) == [0x89, 0x00])
    }

    #if os(Linux)
        /// `TCPInfoHead` reads the kernel's `tcpi_bytes_acked` at the offset `<linux/tcp.h>` gives: over a real loopback
        /// connection, after the server writes 100,000 bytes and the client has read them all, the server's count of
        /// acknowledged bytes is at least 100,000 (the handshake adds 1) and far below 2^32 (a misread word would not be).
        @Test func bytesAckedIsReadFromTheKernel() async throws {
            let group = MultiThreadedEventLoopGroup.singleton
            let accepted = NIOLockedValueBox<(any Channel)?>(nil)
            let server = try await ServerBootstrap(group: group)
                .childChannelInitializer { channel in
                    accepted.withLockedValue { $0 = channel }
                    return channel.eventLoop.makeSucceededVoidFuture()
                }
                .bind(host: "127.0.0.1", port: 0).get()
            defer { server.close(promise: nil) }
            let received = NIOLockedValueBox(0)
            let client = try await ClientBootstrap(group: group)
                .channelInitializer { channel in
                    channel.pipeline.addHandler(CountingReader(received: received))
                }
                .connect(host: "127.0.0.1", port: server.localAddress!.port!).get()
            defer { client.close(promise: nil) }
            var child: (any Channel)?
            for _ in 0..<200 where child == nil {
                child = accepted.withLockedValue { $0 }
                if child == nil { try await Task.sleep(for: .milliseconds(10)) }
            }
            let connection = try #require(child)
            try await connection.writeAndFlush(ByteBuffer(repeating: 0x41, count: 100_000)).get()
            for _ in 0..<500 where received.withLockedValue({ $0 }) < 100_000 {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(received.withLockedValue { $0 } == 100_000)
            let provider = try #require(connection as? any SocketOptionProvider)
            var acked: UInt64 = 0
            for _ in 0..<100 {
                let info: TCPInfoHead = try await provider.unsafeGetSocketOption(level: .tcp, name: .tcp_info).get()
                acked = info.bytesAcked
                if acked >= 100_000 { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(acked >= 100_000)
            #expect(acked < 200_000)
        }
    #endif
}

/// Counts the bytes a client channel reads.
private final class CountingReader: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let received: NIOLockedValueBox<Int>
    init(received: NIOLockedValueBox<Int>) { self.received = received }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let count = Self.unwrapInboundIn(data).readableBytes
        received.withLockedValue { $0 += count }
    }
}
