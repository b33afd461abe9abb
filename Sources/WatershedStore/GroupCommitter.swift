import Synchronization
import WatershedCore

/// Batches concurrent appends into one transaction each: one writer, one transaction per batch — for either
/// backend, which hands in how a batch is written (`write`: one transaction, one result per append, in order).
///
/// Every caller enqueues its events. When no write is in flight, the caller becomes the *leader*: it takes the
/// queue (up to `maximumBatchSize` appends), writes it in one transaction and resumes each caller with its own
/// result. Appends that arrive while the write is in flight form the next batch, and leadership passes to the
/// first of them, so no task outlives its caller. Within a batch each caller's events are contiguous and in its
/// order, and callers keep their arrival order.
package actor GroupCommitter<Work: Sendable> {
    /// Writes one batch in one transaction: one result per append, in order; throws when the transaction itself
    /// failed (nothing of the batch written). Commit observers are the writer's to call, before it returns.
    package typealias Write = @Sendable ([Work]) async throws -> [Result<[StoredEvent], any Error>]

    /// What a waiting caller is woken with.
    private enum Outcome: Sendable {
        case committed([StoredEvent])
        case lead
    }

    private struct Request {
        var id: Int
        var work: Work
        var continuation: CheckedContinuation<Outcome, any Error>?
    }

    private let write: Write
    private let maximumBatchSize: Int
    private var queue: [Request] = []
    private var writing = false
    private var nextID = 0

    package init(maximumBatchSize: Int, write: @escaping Write) {
        self.write = write
        self.maximumBatchSize = max(1, maximumBatchSize)
    }

    /// Queues `work` and returns its result once its batch was written.
    package func append(_ work: Work) async throws -> [StoredEvent] {
        let id = nextID
        nextID += 1
        let outcome = try await withCheckedThrowingContinuation(isolation: self) { continuation in
            queue.append(Request(id: id, work: work, continuation: continuation))
            if !writing {
                writing = true
                queue[queue.count - 1].continuation = nil
                continuation.resume(returning: .lead)
            }
        }
        switch outcome {
        case .committed(let stored): return stored
        case .lead: return try await lead(id)
        }
    }

    /// Writes the batch at the head of the queue (whose first request is the leader's), answers its callers and
    /// hands the next batch to its first caller.
    private func lead(_ leader: Int) async throws -> [StoredEvent] {
        let count = min(queue.count, maximumBatchSize)
        let batch = Array(queue.prefix(count))
        queue.removeFirst(count)
        assert(batch.first?.id == leader)
        let work = batch.map(\.work)
        let mine: Result<[StoredEvent], any Error>
        do {
            let results = try await write(work)
            for (request, result) in zip(batch, results) {
                request.continuation?.resume(with: result.map(Outcome.committed))
            }
            mine = results[0]
        } catch {
            for request in batch { request.continuation?.resume(throwing: error) }
            mine = .failure(error)
        }
        if queue.isEmpty {
            writing = false
        } else {
            let next = queue[0].continuation
            queue[0].continuation = nil
            next?.resume(returning: .lead)
        }
        return try mine.get()
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
