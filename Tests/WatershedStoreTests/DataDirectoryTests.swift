import Foundation
import GRDB
import Testing
import WatershedCore
import WatershedStore
import WatershedTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The data directory's modes and lock, the chain checkpoint file, and a full database (issue 15, items 15–18).
@Suite struct DataDirectoryTests {
    /// The permission bits of the file or folder at `path`.
    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require((attributes[.posixPermissions] as? NSNumber)?.intValue)
    }

    /// Runs `body` with the process umask at 022 (the usual default, which leaves files 0644 and folders 0755), so
    /// that the modes checked are the code's and not a strict umask's.
    static func withUsualUmask<T>(_ body: () async throws -> T) async rethrows -> T {
        let previous = umask(0o022)
        defer { umask(previous) }
        return try await body()
    }

    /// Item 15: a new directory is 0700, an existing 0755 one is narrowed to 0700 and its old mode returned.
    @Test func directoryIsPrivate() async throws {
        try await withTemporaryFolder { folder in
            try await Self.withUsualUmask {
                let fresh = folder + "/new/data"
                #expect(try DataDirectory.prepare(fresh) == nil)
                #expect(try Self.mode(fresh) == 0o700)
                let old = folder + "/old"
                try FileManager.default.createDirectory(
                    atPath: old, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
                #expect(try Self.mode(old) == 0o755)
                #expect(try DataDirectory.prepare(old) == 0o755)
                #expect(try Self.mode(old) == 0o700)
                _ = FileManager.default.createFile(atPath: folder + "/file", contents: Data())
                #expect(throws: DataDirectoryError.self) { try DataDirectory.prepare(folder + "/file") }
            }
        }
    }

    /// Item 15: `watershed.sqlite`, `-wal` and `-shm` are 0600 under a 022 umask, new or narrowed from 0644.
    @Test func logFilesArePrivate() async throws {
        try await withTemporaryFolder { folder in
            try await Self.withUsualUmask {
                let path = folder + "/watershed.sqlite"
                let log = try EventLog.open(path: path)
                _ = try await log.append([numbered(writer: 0, number: 1)])
                for file in [path, path + "-wal", path + "-shm"] {
                    #expect(FileManager.default.fileExists(atPath: file), "\(file)")
                    #expect(try Self.mode(file) == 0o600, "\(file)")
                }
                // A log made under the umask by an older Watershed is narrowed when opened again.
                for file in [path, path + "-wal", path + "-shm"] { #expect(chmod(file, 0o644) == 0) }
                let again = try EventLog.open(path: path)
                #expect(try again.head() == 1)
                for file in [path, path + "-wal", path + "-shm"] { #expect(try Self.mode(file) == 0o600, "\(file)") }
            }
        }
    }

    /// Item 17: a second lock on the directory fails naming this process's pid; after release it can be taken.
    @Test func secondLockNamesTheHolder() async throws {
        try await withTemporaryFolder { folder in
            let first = try DataDirectory.lock(folder)
            #expect(first.isHeld)
            #expect(try Self.mode(folder + "/watershed.lock") == 0o600)
            #expect(throws: DataDirectoryError.inUse(path: folder, pid: getpid())) { try DataDirectory.lock(folder) }
            let message = DataDirectoryError.inUse(path: folder, pid: 4242).description
            #expect(message.contains("in use by process 4242"), "\(message)")
            first.release()
            #expect(!first.isHeld)
            // Other tests in this process spawn children; one forked while the lock was held keeps a copy of its
            // descriptor until it execs (O_CLOEXEC closes it only then), so the lock may outlive release() by that
            // moment: retry for up to 2 s.
            var taken = try? DataDirectory.lock(folder)
            for _ in 0..<40 where taken == nil {
                try await Task.sleep(for: .milliseconds(50))
                taken = try? DataDirectory.lock(folder)
            }
            let second = try #require(taken, "the lock is free again after release")
            #expect(second.isHeld)
            second.release()
        }
    }

    /// Item 16: the checkpoint file is written atomically (no temporary left behind), 0600, and read back; an
    /// unordered or truncated file is refused.
    @Test func checkpointFileRoundTrips() async throws {
        try await withTemporaryFolder { folder in
            var checkpoint = ChainCheckpoint()
            checkpoint.record(.init(seq: 3, hash: String(repeating: "a", count: 64)))
            checkpoint.record(.init(seq: 2, hash: String(repeating: "b", count: 64)))  // earlier: ignored
            checkpoint.record(.init(seq: 9, hash: String(repeating: "c", count: 64)))
            try checkpoint.write(directory: folder)
            #expect(try ChainCheckpoint.read(directory: folder) == checkpoint)
            #expect(try ChainCheckpoint.read(directory: folder)?.marks.map(\.seq) == [3, 9])
            #expect(try Self.mode(ChainCheckpoint.file(in: folder)) == 0o600)
            #expect(!FileManager.default.fileExists(atPath: ChainCheckpoint.file(in: folder) + ".tmp"))
            try Data(#"{"format":1,"marks":[{"seq":9,"hash":"\#(String(repeating: "c", count: 64))"},"#.utf8)
                .write(to: URL(fileURLWithPath: ChainCheckpoint.file(in: folder)))
            #expect(throws: ChainCheckpointError.self) { try ChainCheckpoint.read(directory: folder) }
            #expect(try ChainCheckpoint.read(directory: folder + "/nothing-here") == nil)
        }
    }

    /// Item 16: the checkpoint keeps at most 64 marks, always the first and the newest, spread over the log.
    @Test func checkpointKeepsBoundedSpreadMarks() {
        var checkpoint = ChainCheckpoint()
        for seq in 1...1_000 { checkpoint.record(.init(seq: Int64(seq), hash: String(repeating: "d", count: 64))) }
        #expect(checkpoint.marks.count == ChainCheckpoint.maximumMarks)
        #expect(checkpoint.marks.first?.seq == 1)
        #expect(checkpoint.latest?.seq == 1_000)
        // Spread: no gap between neighbouring marks is over 4 times the even spacing (999 / 63 ≈ 16).
        let gaps = zip(checkpoint.marks.dropFirst(), checkpoint.marks).map { $0.seq - $1.seq }
        #expect(gaps.max()! <= 64, "\(gaps)")
    }

    /// Item 16: the checkpointer writes only when the log moved, and the newest committed event.
    @Test func checkpointerFollowsCommits() async throws {
        try await withTemporaryFolder { folder in
            let log = try EventLog.open(path: folder + "/watershed.sqlite")
            let checkpointer = ChainCheckpointer(directory: folder, checkpoint: ChainCheckpoint())
            log.onCommit { checkpointer.observe($0) }
            #expect(try checkpointer.flush() == nil)
            let stored = try await log.append((1...5).map { numbered(writer: 0, number: $0) })
            #expect(try checkpointer.flush() == 5)
            #expect(try checkpointer.flush() == nil)
            #expect(
                try ChainCheckpoint.read(directory: folder)?.latest
                    == ChainCheckpoint.Mark(seq: 5, hash: stored[4].hash))
            #expect(
                try log.verifyTail(checkpoint: ChainCheckpoint.read(directory: folder)) == .intact(count: 1, head: 5))
        }
    }

    /// Item 18 at the store: a database that cannot grow (SQLite's `max_page_count`, which fails as a full disk does,
    /// with `SQLITE_FULL`) refuses the append, stores nothing, and the error is classed as `.full`.
    @Test func fullDatabaseIsClassedAsFull() async throws {
        try await withTemporaryFolder { folder in
            let queue = try walQueue(folder + "/watershed.sqlite")
            let log = try EventLog(queue)
            _ = try await log.append([numbered(writer: 0, number: 1)])
            let pages = try await queue.read { db in try Int.fetchOne(db, sql: "PRAGMA page_count")! }
            try await queue.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA max_page_count = \(pages)")
            }
            let big = NewEvent(
                at: morning, type: .taskAcknowledged, actor: .system(component: "test"),
                payload: ["filler": .string(String(repeating: "x", count: 200_000))])
            do {
                _ = try await log.append([big])
                Issue.record("the append went through a full database")
            } catch {
                #expect(StorageFailure(error) == .full, "\(error)")
            }
            #expect(try log.head() == 1)
            #expect(try log.verifyChain() == .intact(count: 1, head: 1))
            #expect(StorageFailure(EventLogError.readOnly(path: "x")) == nil)
        }
    }
}
