import GRDB
import Synchronization
import WatershedCore

/// Batches concurrent appends into one transaction each: one writer, one transaction per batch.
///
/// Every caller enqueues its events. When no write is in flight, the caller becomes the *leader*: it takes the
/// queue (up to `maximumBatchSize` appends), writes it in one transaction and resumes each caller with its own
/// result. Appends that arrive while the write is in flight form the next batch, and leadership passes to the
/// first of them, so no task outlives its caller. Within a batch each caller's events are contiguous and in its
/// order, and callers keep their arrival order.
actor GroupCommitter {
    /// What a waiting caller is woken with.
    private enum Outcome: Sendable {
        case committed([StoredEvent])
        case lead
    }

    private struct Request {
        var id: Int
        var events: [NewEvent]
        var projection: EventLog.Projection?
        var continuation: CheckedContinuation<Outcome, any Error>?
    }

    private let writer: any DatabaseWriter
    private let maximumBatchSize: Int
    private let observers: CommitObservers
    private var queue: [Request] = []
    private var writing = false
    private var nextID = 0

    init(writer: any DatabaseWriter, maximumBatchSize: Int, observers: CommitObservers) {
        self.writer = writer
        self.observers = observers
        self.maximumBatchSize = max(1, maximumBatchSize)
    }

    func append(_ events: [NewEvent], projection: EventLog.Projection?) async throws -> [StoredEvent] {
        let id = nextID
        nextID += 1
        let outcome = try await withCheckedThrowingContinuation(isolation: self) { continuation in
            queue.append(Request(id: id, events: events, projection: projection, continuation: continuation))
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
        let work = batch.map { EventLog.PendingAppend(events: $0.events, projection: $0.projection) }
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

    /// One transaction on the writer's queue. Not cancellable: once a batch is handed to SQLite, every caller learns
    /// whether it committed. The commit observers see the batch's events on the writer's queue right after the
    /// commit, before any caller resumes.
    private func write(_ work: [EventLog.PendingAppend]) async throws -> [Result<[StoredEvent], any Error>] {
        let observers = self.observers
        return try await withCheckedThrowingContinuation { continuation in
            writer.asyncWriteWithoutTransaction { db in
                do {
                    var results: [Result<[StoredEvent], any Error>] = []
                    try db.inTransaction(.immediate) {
                        results = try EventLog.insert(work, in: db)
                        return .commit
                    }
                    observers.notify(results.flatMap { (try? $0.get()) ?? [] })
                    continuation.resume(returning: results)
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}

/// Who is told of each committed batch (``EventLog/onCommit(_:)``).
final class CommitObservers: Sendable {
    private let observers = Mutex<[@Sendable ([StoredEvent]) -> Void]>([])

    func add(_ observer: @escaping @Sendable ([StoredEvent]) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    func notify(_ events: [StoredEvent]) {
        guard !events.isEmpty else { return }
        for observer in observers.withLock({ $0 }) { observer(events) }
    }
}
