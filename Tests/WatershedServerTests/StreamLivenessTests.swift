import NIOCore
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
}
