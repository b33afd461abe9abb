import Synchronization
import WatershedCore

/// Hands every committed event to the commit observers once, in seq order, whichever node committed it (issue 18,
/// "Fan-out across nodes").
///
/// Events reach it two ways: this node's own appends right after their commit (``deliverLocal(_:)``), and pages
/// read from the log after the last delivered seq (``deliverFetched(_:)``) whenever the follower is woken — by a
/// `NOTIFY` of another node's commit on the listening connection, by a local append that found a gap (another
/// node committed in between), or by the one-second poll that makes a lost notification cost at most a second.
/// Because appends commit one at a time in seq order (the head row lock), "everything up to the delivered seq" is
/// always a prefix of the log: nothing is skipped, nothing delivered twice.
final class CommitFollower: Sendable {
    private struct State {
        var delivered: Int64
        var observers: [@Sendable ([StoredEvent]) -> Void] = []
        /// Appenders waiting for their seq to be delivered, by a number of their own.
        var waiters: [Int: (seq: Int64, continuation: CheckedContinuation<Void, Never>)] = [:]
        var nextWaiter = 0
        var closed = false
    }

    private let state: Mutex<State>
    /// Yielded to wake the fetch loop (coalesced: one pending wake is enough).
    let wake: AsyncStream<Void>.Continuation
    let wakes: AsyncStream<Void>

    /// Starts after `head`: events up to it were committed before this node opened the log.
    init(after head: Int64) {
        state = Mutex(State(delivered: head))
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The last seq handed to the observers.
    var delivered: Int64 { state.withLock { $0.delivered } }

    func add(_ observer: @escaping @Sendable ([StoredEvent]) -> Void) {
        state.withLock { $0.observers.append(observer) }
    }

    /// This node's committed events (contiguous, in seq order): delivered at once when they follow the last
    /// delivered seq; otherwise another node committed in between, and the fetch loop is woken to read the gap and
    /// these from the log.
    func deliverLocal(_ events: [StoredEvent]) {
        guard let first = events.first else { return }
        let gap = state.withLock { state -> Bool in
            if first.seq == state.delivered + 1 {
                Self.hand(events, to: &state)
                return false
            }
            return events.last.map { $0.seq > state.delivered } ?? false
        }
        if gap { wake.yield() }
    }

    /// Events read from the log after the seq delivered when the read started: delivers those after the seq
    /// delivered now (a local commit may have been delivered meanwhile), if they follow it without a gap.
    func deliverFetched(_ events: [StoredEvent]) {
        state.withLock { state in
            let fresh = events.drop { $0.seq <= state.delivered }
            guard let first = fresh.first, first.seq == state.delivered + 1 else { return }
            Self.hand(Array(fresh), to: &state)
        }
    }

    /// Under the lock, so that batches reach every observer one at a time and in order.
    private static func hand(_ events: [StoredEvent], to state: inout State) {
        state.delivered = events.last?.seq ?? state.delivered
        for observer in state.observers { observer(events) }
        for (key, waiter) in state.waiters where waiter.seq <= state.delivered {
            state.waiters[key] = nil
            waiter.continuation.resume()
        }
    }

    /// Returns once the observers have been handed `seq` — at once when they have — so that an append returns only
    /// after this node's reads (the federation book, the incident service) see it, even when another node's commit
    /// came in between and the fetch loop must read the gap first. Returns after `limit` regardless (the database
    /// unreachable: the events are committed, and the fetch loop hands them over when it can), or when the log is
    /// closed.
    func waitDelivered(through seq: Int64, limit: Duration = .seconds(5)) async {
        let key = state.withLock { state -> Int? in
            guard seq > state.delivered, !state.closed else { return nil }
            state.nextWaiter += 1
            return state.nextWaiter
        }
        guard let key else { return }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: limit)
            self?.resume(key)
        }
        defer { timer.cancel() }
        await withCheckedContinuation { continuation in
            let waiting = state.withLock { state -> Bool in
                guard seq > state.delivered, !state.closed else { return false }
                state.waiters[key] = (seq, continuation)
                return true
            }
            if !waiting { continuation.resume() }
        }
    }

    /// Resumes one waiting appender, if it still waits.
    private func resume(_ key: Int) {
        state.withLock { $0.waiters.removeValue(forKey: key) }?.continuation.resume()
    }

    /// Resumes every waiting appender, and those that come later at once: the log is closing.
    func close() {
        let waiters = state.withLock { state in
            state.closed = true
            defer { state.waiters = [:] }
            return state.waiters.values
        }
        for waiter in waiters { waiter.continuation.resume() }
    }
}
