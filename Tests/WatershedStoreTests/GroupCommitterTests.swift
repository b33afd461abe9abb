import Foundation
import Synchronization
import Testing
import WatershedCore

@testable import WatershedStore

/// The group commit's hand-over on its own, with a writer the test completes by hand (no database): which appends
/// share a batch, in which order, who gets which result, and that nobody is left waiting.
@Suite struct GroupCommitterTests {
    /// Batches handed to the writer, each with its `done`, for the test to complete.
    final class HandWriter: Sendable {
        typealias Done = @Sendable (Result<GroupCommitter<Int>.Results, any Error>) -> Void
        private let batches = Mutex<[(work: [Int], done: Done)]>([])

        var write: GroupCommitter<Int>.Write { { work, done in self.batches.withLock { $0.append((work, done)) } } }
        var count: Int { batches.withLock { $0.count } }
        func work(_ index: Int) -> [Int] { batches.withLock { $0[index].work } }
        func complete(_ index: Int, with results: (Int) -> Result<[StoredEvent], any Error>) {
            let (work, done) = batches.withLock { $0[index] }
            done(.success(work.map(results)))
        }
        func fail(_ index: Int, _ error: any Error) { batches.withLock { $0[index] }.done(.failure(error)) }
    }

    struct Refused: Error, Equatable { var work: Int }

    /// What the appending tasks saw, shared with the test.
    final class Seen<Value: Sendable>: Sendable {
        private let state: Mutex<Value>
        init(_ value: Value) { state = Mutex(value) }
        var value: Value { state.withLock { $0 } }
        func update(_ change: (inout Value) -> Void) { state.withLock { change(&$0) } }
    }

    /// One stored event whose seq is `work`, so a caller can tell its own result from another's.
    static func event(_ work: Int) -> [StoredEvent] {
        let new = NewEvent(
            at: Date(timeIntervalSince1970: 0), type: .reportFiled, actor: .system(component: "test"))
        return [
            try! StoredEvent(seq: Int64(work), event: new, prevHash: StoredEvent.genesisHash, chain: { _, _ in "x" })
        ]
    }

    /// Waits (polling, at most 10 s) until `condition` holds.
    static func until(_ condition: () -> Bool) async throws {
        for _ in 0..<10_000 where !condition() { try await Task.sleep(for: .milliseconds(1)) }
        #expect(condition())
    }

    /// The first append is written alone at once. The five that arrive while it is written wait, and when its
    /// write completes they are handed to the writer as one batch, in their arrival order — by the completion
    /// itself, with no further append to start it. Each caller gets its own result.
    @Test func appendsQueuedDuringAWriteFormTheNextBatchInArrivalOrder() async throws {
        let writer = HandWriter()
        let committer = GroupCommitter<Int>(maximumBatchSize: 100, write: writer.write)
        let results = Seen<[Int: Int64]>([:])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for work in [7, 1, 2, 3, 4, 5] {
                group.addTask {
                    let stored = try await committer.append(work)
                    results.update { $0[work] = stored[0].seq }
                }
                // One at a time, so the arrival order is known: 7 is taken at once, then each waits in turn.
                if work == 7 {
                    try await Self.until { writer.count == 1 }
                } else {
                    try await Self.until { committer.waiting == work }
                }
            }
            #expect(writer.work(0) == [7])
            #expect(writer.count == 1)
            writer.complete(0) { .success(Self.event($0 * 10)) }
            #expect(writer.count == 2)
            #expect(writer.work(1) == [1, 2, 3, 4, 5])
            #expect(committer.waiting == 0)
            writer.complete(1) { .success(Self.event($0 * 10)) }
            try await group.waitForAll()
        }
        #expect(results.value == [7: 70, 1: 10, 2: 20, 3: 30, 4: 40, 5: 50])
        #expect(writer.count == 2)
    }

    /// `maximumBatchSize` 2: five waiting appends go in batches of 2, 2 and 1, in order.
    @Test func batchesAreCutAtTheMaximum() async throws {
        let writer = HandWriter()
        let committer = GroupCommitter<Int>(maximumBatchSize: 2, write: writer.write)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for work in 0...5 {
                group.addTask { _ = try await committer.append(work) }
                if work == 0 {
                    try await Self.until { writer.count == 1 }
                } else {
                    try await Self.until { committer.waiting == work }
                }
            }
            for index in 0..<4 {
                writer.complete(index) { .success(Self.event($0)) }
            }
            try await group.waitForAll()
        }
        #expect((0..<4).map(writer.work) == [[0], [1, 2], [3, 4], [5]])
    }

    /// A caller whose own append failed gets its error; the others of the batch their results; a transaction
    /// that failed as a whole fails every caller of that batch and the next batch still runs.
    @Test func failuresReachTheirCallersOnly() async throws {
        let writer = HandWriter()
        let committer = GroupCommitter<Int>(maximumBatchSize: 100, write: writer.write)
        let outcomes = Seen<[Int: String]>([:])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for work in 0...5 {
                group.addTask {
                    let outcome: String
                    do {
                        outcome = "seq \(try await committer.append(work)[0].seq)"
                    } catch let error as Refused {
                        outcome = "refused \(error.work)"
                    } catch {
                        outcome = "\(error)"
                    }
                    outcomes.update { $0[work] = outcome }
                }
                if work == 0 {
                    try await Self.until { writer.count == 1 }
                } else {
                    try await Self.until { committer.waiting == work }
                }
            }
            // Batch 0 is [0]; batch 1 is [1…5], where 3 is refused alone.
            writer.complete(0) { .success(Self.event($0)) }
            writer.complete(1) { $0 == 3 ? .failure(Refused(work: 3)) : .success(Self.event($0)) }
            try await group.waitForAll()
        }
        #expect(
            outcomes.value
                == [0: "seq 0", 1: "seq 1", 2: "seq 2", 3: "refused 3", 4: "seq 4", 5: "seq 5"])

        // The whole transaction fails: both callers of the batch get that error.
        let failing = HandWriter()
        let second = GroupCommitter<Int>(maximumBatchSize: 100, write: failing.write)
        let errors = Seen<[Int]>([])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for work in [10, 11, 12] {
                group.addTask {
                    do {
                        _ = try await second.append(work)
                    } catch let error as Refused {
                        errors.update { $0.append(error.work * 100 + work) }
                    }
                }
                if work == 10 {
                    try await Self.until { failing.count == 1 }
                } else {
                    try await Self.until { second.waiting == work - 10 }
                }
            }
            failing.complete(0) { .success(Self.event($0)) }
            failing.fail(1, Refused(work: 99))
            try await group.waitForAll()
        }
        #expect(errors.value.sorted() == [9911, 9912])
    }

    /// A writer that answers fewer appends than it was given (a backend's bug) leaves nobody waiting: the callers
    /// without a result are told so.
    @Test func aMissingResultIsAnErrorNotAHang() async throws {
        let committer = GroupCommitter<Int>(maximumBatchSize: 100) { _, done in done(.success([])) }
        await #expect(throws: GroupCommitter<Int>.MissingResult.self) { try await committer.append(1) }
    }

    /// The `async` writer (PostgreSQL's): batches in order, each caller its own result.
    @Test func theAsyncWriterKeepsOrderAndResults() async throws {
        let batches = Seen<[[Int]]>([])
        let committer = GroupCommitter<Int>(
            maximumBatchSize: 100,
            writeAsync: { work in
                batches.update { $0.append(work) }
                try await Task.sleep(for: .milliseconds(5))
                return work.map { .success(Self.event($0 + 1_000)) }
            })
        let seqs = try await withThrowingTaskGroup(of: (Int, Int64).self) { group in
            for work in 0..<50 { group.addTask { (work, try await committer.append(work)[0].seq) } }
            return try await group.reduce(into: [Int: Int64]()) { $0[$1.0] = $1.1 }
        }
        #expect(seqs == Dictionary(uniqueKeysWithValues: (0..<50).map { ($0, Int64($0 + 1_000)) }))
        let written = batches.value
        #expect(written.flatMap { $0 }.sorted() == Array(0..<50))
        #expect(written.count < 50, "\(written.count) batches for 50 appends")
    }
}
