import Foundation
import Synchronization
import WatershedCore

/// The wall clock the server reads — injected, so tests and drills control time (DESIGN.md "Rules that hold
/// everywhere": time comes from an injected clock). Real incidents run on ``SystemWallClock``.
public protocol WallClock: Sendable {
    /// The current wall-clock time.
    var now: Date { get }
    /// Returns once ``now`` is at or past `deadline`.
    ///
    /// - Throws: `CancellationError` when the calling task is cancelled first.
    func sleep(until deadline: Date) async throws
}

/// The machine's clock: `Date()` and `Task.sleep`.
public struct SystemWallClock: WallClock {
    public init() {}
    /// The time, rounded to the millisecond as the log stores it: what a decision compares (an acknowledgement
    /// against its deadline) is what is written, so an acknowledgement stored at exactly its deadline was in time.
    public var now: Date { CanonicalJSON.roundedToMilliseconds(Date()) }
    public func sleep(until deadline: Date) async throws {
        // At most a day at a time (a far deadline would overflow the milliseconds); the caller's deadline is
        // checked again after each day.
        while case let interval = deadline.timeIntervalSinceNow, interval > 0 {
            try await Task.sleep(for: .milliseconds(Int64((min(interval, 86_400) * 1_000).rounded(.up))))
        }
    }
}

/// A clock that moves only when told (``advance(to:)``), waking every sleeper whose deadline it reaches, in
/// deadline order. For tests of deadlines: "dispatch at 08:00, move the clock to 08:16, expect one escalation".
public final class ManualWallClock: WallClock {
    private struct State {
        var now: Date
        var sleepers: [UInt64: (deadline: Date, continuation: CheckedContinuation<Void, any Error>)] = [:]
        var nextID: UInt64 = 0
    }
    private let state: Mutex<State>

    /// A clock standing at `now`.
    public init(_ now: Date) { state = Mutex(State(now: now)) }

    public var now: Date { state.withLock { $0.now } }

    /// Moves the clock to `time` (never backwards) and wakes the sleepers whose deadline is at or before it.
    public func advance(to time: Date) {
        let woken = state.withLock { state in
            state.now = max(state.now, time)
            let due = state.sleepers.filter { $0.value.deadline <= state.now }.sorted {
                $0.value.deadline < $1.value.deadline
            }
            for (id, _) in due { state.sleepers[id] = nil }
            return due.map(\.value.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Moves the clock forward by `interval` seconds.
    public func advance(by interval: TimeInterval) { advance(to: now.addingTimeInterval(interval)) }

    /// How many tasks are sleeping on this clock (a test can wait until the scheduler sleeps).
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    public func sleep(until deadline: Date) async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow = state.withLock { state -> Bool in
                    if deadline <= state.now || Task.isCancelled { return true }
                    state.sleepers[id] = (deadline, continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
            try Task.checkCancellation()
        } onCancel: {
            let continuation = state.withLock { $0.sleepers.removeValue(forKey: id)?.continuation }
            continuation?.resume(throwing: CancellationError())
        }
    }
}
