import Foundation
import Synchronization
import WatershedCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the hash chain stood, kept outside the database: a few `(seq, hash)` marks of events the log had
/// committed, in `<data>/chain-checkpoint.json` (issue 15, item 16).
///
/// The chain alone proves only that the log is consistent with itself: someone who deletes the newest rows, or
/// rewrites an event and recomputes every hash after it, leaves a chain that verifies. A mark the log has passed
/// pins it: the event at the mark's seq must still be there with the mark's hash. A restore from an older backup
/// legitimately loses the tail, so the operator resets the checkpoint after one
/// (`watershed audit checkpoint --reset --data DIR`).
///
/// The file holds at most ``maximumMarks`` marks, the newest last; when a new mark would exceed that, the mark whose
/// removal leaves the smallest gap between its neighbours is dropped (never the first or the newest), so the marks
/// stay spread over the whole log and a rewrite is placed between two of them. Format (JSON, one object):
///
/// ```json
/// {"format":1,"marks":[{"hash":"…64 hex…","seq":120},{"hash":"…","seq":4711}]}
/// ```
public struct ChainCheckpoint: Codable, Sendable, Hashable {
    /// One committed event: its seq and its hash (64 lowercase hex characters).
    public struct Mark: Codable, Sendable, Hashable {
        /// The event's seq (≥ 1).
        public var seq: Int64
        /// The event's hash.
        public var hash: String

        /// A mark.
        public init(seq: Int64, hash: String) {
            self.seq = seq
            self.hash = hash
        }
    }

    /// The file's name in the data directory.
    public static let fileName = "chain-checkpoint.json"
    /// The most marks a checkpoint keeps.
    public static let maximumMarks = 64

    /// The format version: 1.
    public var format = 1
    /// The marks, in increasing seq order; the last is the newest.
    public private(set) var marks: [Mark] = []

    /// An empty checkpoint.
    public init() {}

    /// The newest mark, or `nil` for an empty checkpoint.
    public var latest: Mark? { marks.last }

    /// Adds a mark for a later event than the newest (an earlier or equal seq is ignored), dropping one mark when
    /// there are more than ``maximumMarks``.
    public mutating func record(_ mark: Mark) {
        guard mark.seq > (marks.last?.seq ?? 0) else { return }
        marks.append(mark)
        guard marks.count > Self.maximumMarks else { return }
        // Drop the inner mark whose neighbours are closest together (the first and the newest always stay).
        var drop = 1
        var smallest = Int64.max
        for index in 1..<(marks.count - 1) {
            let gap = marks[index + 1].seq - marks[index - 1].seq
            if gap < smallest {
                smallest = gap
                drop = index
            }
        }
        marks.remove(at: drop)
    }

    /// The checkpoint file of the data directory at `directory`.
    public static func file(in directory: String) -> String {
        (directory as NSString).appendingPathComponent(fileName)
    }

    /// Reads the checkpoint of the data directory at `directory`.
    ///
    /// - Returns: the checkpoint, or `nil` when there is no file (a new data directory, or one from before
    ///   checkpoints).
    /// - Throws: ``ChainCheckpointError/unreadable(path:reason:)`` when the file exists but cannot be read or is not
    ///   a checkpoint (marks out of order, a hash that is not 64 hex characters).
    public static func read(directory: String) throws -> ChainCheckpoint? {
        let path = file(in: directory)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let checkpoint: ChainCheckpoint
        do {
            checkpoint = try JSONDecoder().decode(
                ChainCheckpoint.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ChainCheckpointError.unreadable(path: path, reason: EventLog.sentence(error))
        }
        guard checkpoint.format == 1 else {
            throw ChainCheckpointError.unreadable(path: path, reason: "unknown format \(checkpoint.format)")
        }
        let hex = Set("0123456789abcdef")
        for (index, mark) in checkpoint.marks.enumerated() {
            let ordered = index == 0 ? mark.seq >= 1 : mark.seq > checkpoint.marks[index - 1].seq
            guard ordered, mark.hash.count == 64, mark.hash.allSatisfy(hex.contains) else {
                throw ChainCheckpointError.unreadable(
                    path: path, reason: "mark \(index + 1) (seq \(mark.seq)) is out of order or its hash is not hex")
            }
        }
        return checkpoint
    }

    /// Writes the checkpoint into the data directory at `directory`, atomically: to a temporary file (mode 0600),
    /// `fsync`, `rename` over ``fileName``, then `fsync` of the directory, so that after a crash the file is either
    /// the old checkpoint or the new one, never a torn one.
    ///
    /// - Throws: ``ChainCheckpointError/cannotWrite(path:reason:)`` with the system's reason (`No space left on
    ///   device`, …); the old file is then left as it was.
    public func write(directory: String) throws {
        let path = Self.file(in: directory)
        let temporary = path + ".tmp"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let bytes: [UInt8]
        do {
            bytes = Array(try encoder.encode(self)) + [UInt8(ascii: "\n")]
        } catch {
            throw ChainCheckpointError.cannotWrite(path: path, reason: "\(error)")
        }
        func failure(_ step: String) -> ChainCheckpointError {
            .cannotWrite(path: path, reason: "\(step): \(String(cString: strerror(errno)))")
        }
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, DataDirectory.fileMode)
        guard descriptor >= 0 else { throw failure("open \(temporary)") }
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeBytes {
                Foundation.write(descriptor, $0.baseAddress! + done, bytes.count - done)
            }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                let error = failure("write \(temporary)")
                close(descriptor)
                unlink(temporary)
                throw error
            }
            done += count
        }
        guard fsync(descriptor) == 0 else {
            let error = failure("fsync \(temporary)")
            close(descriptor)
            unlink(temporary)
            throw error
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let error = failure("rename \(temporary)")
            unlink(temporary)
            throw error
        }
        let folder = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 {
            _ = fsync(folder)
            close(folder)
        }
    }
}

/// Why the chain checkpoint cannot be used.
public enum ChainCheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file at `path` exists but is not a checkpoint.
    case unreadable(path: String, reason: String)
    /// The file at `path` cannot be written.
    case cannotWrite(path: String, reason: String)

    /// One sentence naming the file.
    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read the chain checkpoint \(path): \(reason)"
        case .cannotWrite(let path, let reason): "cannot write the chain checkpoint \(path): \(reason)"
        }
    }
}

/// Keeps a data directory's ``ChainCheckpoint`` up to date as the log grows, off the append path.
///
/// ``observe(_:)`` is called with each committed batch (``EventLog/onCommit(_:)``, on the writer's queue): it only
/// notes the newest `(seq, hash)` under a lock — no I/O, no allocation beyond the mark. ``flush()``, called every
/// second or so by a service and once at shutdown, writes the file when the log has moved since the last write. The
/// file therefore lags the log by at most the flush interval, which only means a lost tail shorter than that goes
/// unnoticed; it is never ahead of what was committed.
public final class ChainCheckpointer: Sendable {
    /// The data directory.
    public let directory: String
    private struct State {
        var checkpoint: ChainCheckpoint
        var pending: ChainCheckpoint.Mark?
        var written: Int64
    }
    private let state: Mutex<State>
    /// Serialises writers of the file (the periodic flush and the one at shutdown).
    private let writing = Mutex<Void>(())

    /// A checkpointer starting from `checkpoint` (what the file holds, or an empty one).
    public init(directory: String, checkpoint: ChainCheckpoint) {
        self.directory = directory
        self.state = Mutex(State(checkpoint: checkpoint, pending: nil, written: checkpoint.latest?.seq ?? 0))
    }

    /// Notes the newest event of a committed batch; cheap, for the commit observer.
    public func observe(_ events: [StoredEvent]) {
        guard let last = events.last else { return }
        state.withLock { state in
            if last.seq > (state.pending?.seq ?? state.written) {
                state.pending = ChainCheckpoint.Mark(seq: last.seq, hash: last.hash)
            }
        }
    }

    /// Notes `(seq, hash)` as the newest mark, as ``observe(_:)`` does (the head at start).
    public func observe(seq: Int64, hash: String) {
        guard seq > 0 else { return }
        state.withLock { state in
            if seq > (state.pending?.seq ?? state.written) {
                state.pending = ChainCheckpoint.Mark(seq: seq, hash: hash)
            }
        }
    }

    /// Writes the checkpoint file if an event was committed since the last write.
    ///
    /// - Returns: the seq written, or `nil` when there was nothing new.
    /// - Throws: ``ChainCheckpointError/cannotWrite(path:reason:)``; the mark stays pending and the next flush tries
    ///   again.
    @discardableResult
    public func flush() throws -> Int64? {
        try writing.withLock { (_: inout Void) throws -> Int64? in
            let next = state.withLock { state -> ChainCheckpoint? in
                guard let pending = state.pending else { return nil }
                var checkpoint = state.checkpoint
                checkpoint.record(pending)
                return checkpoint
            }
            guard let next, let seq = next.latest?.seq else { return nil }
            try next.write(directory: directory)
            state.withLock { state in
                state.checkpoint = next
                state.written = seq
                if state.pending?.seq == seq { state.pending = nil }
            }
            return seq
        }
    }
}
