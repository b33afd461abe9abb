import NIOCore
import NIOEmbedded
import Synchronization
import Testing

@testable import WatershedServer

/// What ends a live stream other than its client, watched by one timer and two callbacks (issue 22), on an
/// `EmbeddedEventLoop` whose clock the test moves: times are seconds after the watch starts. The rules: a ping every
/// 10 s and a look at the connection with it, dead after 30 s with neither a byte from the client nor data acknowledged
/// (``StreamLiveness``); a revocable token's rights asked every second; the first ending wins and stops the timer.
@Suite struct StreamWatchTests {
    /// A stream's surroundings: its queue (cut off by its second frame, the frame budget being 1), the shutdown
    /// signal, the token's rights, and a client whose last byte and acknowledged count the test sets.
    final class Rig: Sendable {
        let loop = EmbeddedEventLoop()
        let queue = SubscriberQueue(frameBudget: 1, byteBudget: 1 << 20)
        let goingAway = GoingAway()
        let pings = Mutex(0)
        let revokedReason = Mutex<String?>(nil)
        /// When the client last sent a byte (seconds), and its acknowledged-byte count.
        let client = Mutex<(lastInbound: Int64, acked: UInt64?)>((0, nil))
        let outcome = Mutex<Result<StreamOutcome, any Error>?>(nil)

        func start(revocable: Bool = false) -> StreamWatch {
            var revoked: (@Sendable () -> String?)?
            if revocable { revoked = { @Sendable in self.revokedReason.withLock { $0 } } }
            let watch = StreamWatch.start(
                on: loop, queue: queue, goingAway: goingAway, revoked: revoked,
                ping: { self.pings.withLock { $0 += 1 } },
                probe: {
                    let (lastInbound, acked) = self.client.withLock { $0 }
                    return self.loop.makeSucceededFuture(
                        (.uptimeNanoseconds(UInt64(lastInbound) * 1_000_000_000), acked))
                })
            watch.ended.whenComplete { result in self.outcome.withLock { $0 = result } }
            return watch
        }

        /// Moves the clock to `seconds` after the start, running what falls due.
        func at(_ seconds: Int64) { loop.advanceTime(to: .uptimeNanoseconds(UInt64(seconds) * 1_000_000_000)) }

        func cutOff() throws {
            _ = queue.offer(try StreamFramingTests.frame(seq: 1, bytes: 1_000))
            guard case .cutOff = queue.offer(try StreamFramingTests.frame(seq: 2, bytes: 1_000)) else {
                throw Failure("the second frame must pass the frame budget of 1")
            }
        }

        var ended: StreamOutcome? { outcome.withLock { try? $0?.get() } }
        var pingCount: Int { pings.withLock { $0 } }
    }

    @Test func aClientThatNeitherSpeaksNorReadsIsDeadAtTheThirdLookAndIsPingedNoMore() {
        let rig = Rig()
        let watch = rig.start()
        rig.at(29)
        #expect(rig.pingCount == 2)  // at 10 and 20
        #expect(rig.ended == nil)
        rig.at(30)
        #expect(rig.pingCount == 3)
        #expect(rig.ended == .dead)
        rig.at(100)
        #expect(rig.pingCount == 3, "the timer stops with the watch")
        watch.end(.clientLeft)
        #expect(rig.ended == .dead, "the first ending wins")
    }

    @Test func aClientThatAnswersItsPingsStaysAndIsPingedEveryTenSeconds() {
        let rig = Rig()
        let watch = rig.start()
        for second in stride(from: Int64(10), through: 100, by: 10) {
            rig.at(second)
            rig.client.withLock { $0.lastInbound = second }  // its pong
        }
        #expect(rig.pingCount == 10)
        #expect(rig.ended == nil)
        watch.end(.clientLeft)
        #expect(rig.ended == .clientLeft)
        rig.at(200)
        #expect(rig.pingCount == 10)
    }

    @Test func aSlowReaderWhoseTCPAcknowledgesDataStays() {
        let rig = Rig()
        let watch = rig.start()
        // Its pongs wait behind data it has not read; it reads 10,000 bytes between looks.
        for second in stride(from: Int64(10), through: 60, by: 10) {
            rig.client.withLock { $0.acked = UInt64(second) * 1_000 }
            rig.at(second)
        }
        #expect(rig.ended == nil)
        watch.end(.clientLeft)
        #expect(rig.ended == .clientLeft)
    }

    @Test func lostRightsAreSeenAtTheNextSecondAndPingsStayTenSecondsApart() {
        let rig = Rig()
        let watch = rig.start(revocable: true)
        defer { watch.end(.clientLeft) }
        rig.client.withLock { $0.lastInbound = 1_000 }  // alive throughout
        rig.at(12)
        #expect(rig.pingCount == 1)
        #expect(rig.ended == nil)
        rig.revokedReason.withLock { $0 = "drill D has ended" }
        #expect(rig.ended == nil, "asked only at the next tick")
        rig.at(13)
        #expect(rig.ended == .revoked("drill D has ended"))
        rig.at(60)
        #expect(rig.pingCount == 1)
    }

    @Test func aCutOffEndsItAtOnceAndTheLaterShutdownIsNotHeard() throws {
        let rig = Rig()
        let watch = rig.start()
        defer { watch.end(.clientLeft) }
        rig.at(5)
        try rig.cutOff()
        #expect(rig.ended == .cutOff)
        rig.goingAway.fire()
        #expect(rig.ended == .cutOff, "the first ending wins")
        rig.at(60)
        #expect(rig.pingCount == 0)
    }

    @Test func aQueueCutOffBeforeTheWatchStartsEndsItAtOnce() throws {
        let rig = Rig()
        try rig.cutOff()
        let watch = rig.start()
        defer { watch.end(.clientLeft) }
        #expect(rig.ended == .cutOff)
    }

    @Test func theServerGoingAwayEndsItBeforeOrAfterItStarts() {
        let before = Rig()
        before.goingAway.fire()
        let first = before.start()
        defer { first.end(.clientLeft) }
        #expect(before.ended == .shuttingDown)

        let after = Rig()
        let second = after.start()
        defer { second.end(.clientLeft) }
        after.at(3)
        #expect(after.ended == nil)
        after.goingAway.fire()
        #expect(after.ended == .shuttingDown)
    }

    @Test func aSessionThatFailsEndsItWithTheErrorAndLaterEndingsAreIgnored() throws {
        let rig = Rig()
        let watch = rig.start()
        #expect(rig.goingAway.listenerCount == 1)
        watch.fail(Failure("the log could not be read"))
        #expect(rig.goingAway.listenerCount == 0, "an ended watch lets go of the shutdown signal")
        watch.end(.clientLeft)
        try rig.cutOff()
        let result = try #require(rig.outcome.withLock { $0 })
        #expect(throws: Failure.self) { try result.get() }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
