import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A server's data directory (`watershed.sqlite` and its WAL files, `tls/`, the chain checkpoint), kept private to
/// the account that runs the server and locked against a second server (DESIGN.md "Data directory").
///
/// Two servers on one directory would both append to the log (one of them failing with `SQLITE_BUSY`) and both run
/// the scheduler, escalating every overdue task twice (issue 15, item 17). ``lock(_:)`` takes an exclusive `flock`
/// on ``lockFileName`` in the directory and holds it for as long as the returned ``DataDirectoryLock`` lives (the
/// kernel drops it when the process ends, however it ends, so a crash leaves no stale lock); the holder's pid is
/// written into the file so that a second server can name it. Read-only tools (`watershed audit verify`) do not
/// lock.
public enum DataDirectory {
    /// The lock file in the data directory: `watershed.lock`, holding the pid of the server that has it.
    public static let lockFileName = "watershed.lock"
    /// The mode of the data directory: 0700, only the server's account may list or enter it (issue 15, item 15).
    public static let directoryMode: mode_t = 0o700
    /// The mode of the files the server makes in it (the log, its WAL files, the lock, the checkpoint): 0600.
    public static let fileMode: mode_t = 0o600

    /// Makes `path` (and missing parents) with mode 0700, or narrows an existing directory to 0700 (a directory made
    /// by an older Watershed under the umask, typically 0755).
    ///
    /// - Returns: the mode the directory had before when it was narrowed (so that the caller can log it), else `nil`.
    /// - Throws: ``DataDirectoryError/cannotPrepare(path:reason:)`` when it cannot be made, is not a directory, or
    ///   its mode cannot be set (e.g. it belongs to another account).
    @discardableResult
    public static func prepare(_ path: String) throws -> mode_t? {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw DataDirectoryError.cannotPrepare(path: path, reason: "it exists and is not a directory")
            }
        } else {
            do {
                try FileManager.default.createDirectory(
                    atPath: path, withIntermediateDirectories: true,
                    attributes: [.posixPermissions: NSNumber(value: directoryMode)])
            } catch {
                throw DataDirectoryError.cannotPrepare(path: path, reason: "\(error.localizedDescription)")
            }
        }
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw DataDirectoryError.cannotPrepare(path: path, reason: String(cString: strerror(errno)))
        }
        let mode = status.st_mode & 0o7777
        guard mode != directoryMode else { return nil }
        guard chmod(path, directoryMode) == 0 else {
            throw DataDirectoryError.cannotPrepare(
                path: path, reason: "cannot set its mode to 0700: \(String(cString: strerror(errno)))")
        }
        return mode
    }

    /// Takes the data directory's lock for this process, or says which process holds it.
    ///
    /// Opens (making it, mode 0600) `<path>/watershed.lock`, takes `flock(LOCK_EX | LOCK_NB)` on it and writes this
    /// process's pid into it. The lock is held by the open file description, so two locks taken in one process (two
    /// servers in a test) exclude each other as two processes do.
    ///
    /// - Returns: the lock; it is released by ``DataDirectoryLock/release()`` or when it is deinitialised.
    /// - Throws: ``DataDirectoryError/inUse(path:pid:)`` when another open file description holds the lock (with
    ///   the pid written in the file, `nil` if the holder has not written it yet);
    ///   ``DataDirectoryError/cannotLock(path:reason:)`` when the file cannot be opened or locked.
    public static func lock(_ path: String) throws -> DataDirectoryLock {
        let file = (path as NSString).appendingPathComponent(lockFileName)
        let descriptor = open(file, O_RDWR | O_CREAT | O_CLOEXEC, fileMode)
        guard descriptor >= 0 else {
            throw DataDirectoryError.cannotLock(path: file, reason: String(cString: strerror(errno)))
        }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            defer { close(descriptor) }
            guard code == EWOULDBLOCK else {
                throw DataDirectoryError.cannotLock(path: file, reason: String(cString: strerror(code)))
            }
            // The holder writes its pid right after it locks; give it a moment if the file is still empty.
            var pid = holder(descriptor)
            var tries = 0
            while pid == nil, tries < 20 {
                usleep(10_000)
                pid = holder(descriptor)
                tries += 1
            }
            throw DataDirectoryError.inUse(path: path, pid: pid)
        }
        let text = Array("\(getpid())\n".utf8)
        let written = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        guard written == text.count, ftruncate(descriptor, off_t(text.count)) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw DataDirectoryError.cannotLock(path: file, reason: "cannot write the pid: \(reason)")
        }
        _ = fchmod(descriptor, fileMode)
        return DataDirectoryLock(path: path, descriptor: descriptor)
    }

    /// The pid written in an open lock file, or `nil` when it holds no number yet.
    private static func holder(_ descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer.prefix(count), as: UTF8.self)
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// The data directory's lock, held while this object lives (``DataDirectory/lock(_:)``).
public final class DataDirectoryLock: Sendable {
    /// The data directory.
    public let path: String
    private let descriptor: Mutex<Int32?>

    init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = Mutex(descriptor)
    }

    /// Whether the lock is still held (``release()`` not called yet).
    public var isHeld: Bool { descriptor.withLock { $0 != nil } }

    /// Releases the lock (closing the lock file); a second call does nothing. The file and the pid in it stay: the
    /// pid is only read while the lock is held.
    public func release() {
        let open = descriptor.withLock { value -> Int32? in
            defer { value = nil }
            return value
        }
        if let open { close(open) }
    }

    deinit { release() }
}

/// Why the data directory cannot be used.
public enum DataDirectoryError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Another process (or another server in this one) holds the lock on the directory at `path`; `pid` is the one
    /// written in the lock file, `nil` when it could not be read.
    case inUse(path: String, pid: Int32?)
    /// The lock file at `path` cannot be opened, locked or written; `reason` is the system's.
    case cannotLock(path: String, reason: String)
    /// The directory at `path` cannot be made or given mode 0700.
    case cannotPrepare(path: String, reason: String)

    /// One sentence naming the directory and what to do.
    public var description: String {
        switch self {
        case .inUse(let path, let pid):
            let holder = pid.map { "process \($0)" } ?? "another process (its pid is not written yet)"
            return "the data directory \(path) is in use by \(holder), which holds "
                + "\(path)/\(DataDirectory.lockFileName); stop that server first, or give this one its own --data"
        case .cannotLock(let path, let reason):
            return "cannot lock \(path): \(reason)"
        case .cannotPrepare(let path, let reason):
            return "cannot prepare the data directory \(path): \(reason)"
        }
    }
}
