import Synchronization
import WatershedCore

/// Batches concurrent appends into one transaction each: one writer, one transaction per batch — for either
/// backend, which hands in how a batch is written (`write`: one transaction, one result per append, in order).
///
/// Every caller queues its work and waits. When no batch is being written, the caller's append starts one with
/// the queue as it is (up to `maximumBatchSize` appends). When a batch is written, its completion — on the
/// writer's own queue for SQLite — starts the next batch with whatever queued meanwhile, before it resumes the
/// batch's callers; the writer goes idle only when the queue is empty. Within a batch each caller's work is
/// contiguous and in its order, and callers keep their arrival order.
///
/// Why the completion, and not a caller, starts the next batch: the first version woke the first waiting caller
/// to lead it, and that task then waited for a thread of the 2-thread cooperative pool behind the requests' own
/// work (parsing, checks, replies) while the single writer idled. Here the hand-over is a lock and a call. Measured
/// with 64 writers (issue 22, figure (e), `Benchmarks/results/2026-12-07-ingest.md`): within the noise on a quiet
/// machine, +5 % with a build running beside it.
package final class GroupCommitter<Work: Sendable>: Sendable {
    /// One result per append of a batch, in the batch's order.
    package typealias Results = [Result<[StoredEvent], any Error>]
    /// Writes one batch in one transaction and calls `done` exactly once: with one result per append, in order, or
    /// with the error that failed the transaction itself (nothing of the batch written). Commit observers are the
    /// writer's to call, before `done`. `done` may be called on any thread, and must not be called while the
    /// writer holds a lock a caller of ``GroupCommitter/append(_:)`` could need.
    package typealias Write =
        @Sendable (_ batch: [Work], _ done: @escaping @Sendable (Result<Results, any Error>) -> Void) -> Void

    private struct Waiting: Sendable {
        var work: Work
        var continuation: CheckedContinuation<[StoredEvent], any Error>
    }

    private struct State: Sendable {
        var queue: [Waiting] = []
        var writing = false

        /// Takes the next batch off the queue; marks the writer idle when there is none.
        mutating func next(_ maximum: Int) -> [Waiting]? {
            guard !queue.isEmpty else {
                writing = false
                return nil
            }
            let count = min(queue.count, maximum)
            let batch = Array(queue.prefix(count))
            queue.removeFirst(count)
            return batch
        }
    }

    private let state = Mutex(State())
    private let write: Write
    private let maximumBatchSize: Int

    /// - Parameters:
    ///   - maximumBatchSize: the most appends (calls, not events) in one transaction; at least 1.
    ///   - write: writes one batch (see ``Write``).
    package init(maximumBatchSize: Int, write: @escaping Write) {
        self.write = write
        self.maximumBatchSize = max(1, maximumBatchSize)
    }

    /// A committer over an `async` write (PostgreSQL, whose client is async): each batch is written by a task of
    /// its own, which its callers await; the next batch starts from that task's end.
    package convenience init(
        maximumBatchSize: Int, writeAsync: @escaping @Sendable ([Work]) async throws -> Results
    ) {
        self.init(maximumBatchSize: maximumBatchSize) { batch, done in
            Task {
                do {
                    done(.success(try await writeAsync(batch)))
                } catch {
                    done(.failure(error))
                }
            }
        }
    }

    /// How many appends wait for a batch (not counting the one being written): for tests.
    package var waiting: Int { state.withLock { $0.queue.count } }

    /// Queues `work` and returns its result once its batch was written.
    ///
    /// - Throws: the error of its own append, or the one that failed its whole batch.
    package func append(_ work: Work) async throws -> [StoredEvent] {
        try await withCheckedThrowingContinuation { continuation in
            let batch = state.withLock { state -> [Waiting]? in
                state.queue.append(Waiting(work: work, continuation: continuation))
                guard !state.writing else { return nil }
                state.writing = true
                return state.next(maximumBatchSize)
            }
            if let batch { start(batch) }
        }
    }

    /// Hands `batch` to the writer; when it is written, starts the next batch (if any queued) and then answers
    /// `batch`'s callers.
    private func start(_ batch: [Waiting]) {
        write(batch.map(\.work)) { outcome in
            if let next = self.state.withLock({ $0.next(self.maximumBatchSize) }) { self.start(next) }
            switch outcome {
            case .success(let results):
                for (index, waiting) in batch.enumerated() {
                    waiting.continuation.resume(
                        with: index < results.count ? results[index] : .failure(MissingResult(index: index)))
                }
            case .failure(let error):
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
        }
    }

    /// A writer returned fewer results than its batch had appends (a programming error in a backend); the callers
    /// without one are told so rather than left waiting.
    struct MissingResult: Error, CustomStringConvertible {
        var index: Int
        var description: String { "the writer returned no result for append \(index) of its batch" }
    }
}

/// Who is told of each committed batch (``EventLog/onCommit(_:)``).
package final class CommitObservers: Sendable {
    private let observers = Mutex<[@Sendable ([StoredEvent]) -> Void]>([])

    package init() {}

    package func add(_ observer: @escaping @Sendable ([StoredEvent]) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    package func notify(_ events: [StoredEvent]) {
        guard !events.isEmpty else { return }
        for observer in observers.withLock({ $0 }) { observer(events) }
    }
}
