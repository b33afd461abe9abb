import Foundation
import Testing
import WatershedCore
import WatershedServer
import WatershedStore
import WatershedTestSupport

/// Backup while the server runs, restore with it stopped (issue 20): the copy is the log as of one commit — the
/// original's first N events, hash for hash — and the restored directory passes `audit verify` and serves.
@Suite struct BackupTests {
    @Test func aBackupTakenWhileReportsArriveRestoresToTheLogAsOfOneCommit() async throws {
        let root = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data")
        let restored = root.appendingPathComponent("restored")
        let backup = root.appendingPathComponent("backup.sqlite").path
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let (backupHead, finalHead) = try await LiveServer.run(data: data) { handle in
            let api = try APIClient(handle)
            defer { api.close() }
            _ = try await api.file(longjiangReport())
            // Reports keep arriving while the backup is taken.
            let writers = Task {
                for _ in 0..<6 { _ = try await api.file(longjiangReport()) }
            }
            try await Task.sleep(for: .milliseconds(100))
            let taken = await watershed(["audit", "backup", "--data", data.path, backup])
            #expect(taken.code == 0, "\(taken.err)")
            try await writers.value
            // A second backup to the same file is refused: VACUUM INTO never overwrites.
            let again = await watershed(["audit", "backup", "--data", data.path, backup])
            #expect(again.code == 1)
            #expect(again.err.contains("exists already"))
            let head = try #require(
                Int64(taken.out.split(separator: " ").drop { $0 != "seq" }.dropFirst().first?.dropLast() ?? ""))
            return (head, try await api.head())
        }
        #expect(backupHead >= 1 && backupHead <= finalHead)
        // The copy is the original's prefix: the same hash at its head.
        let original = try EventLog.openReadOnly(path: data.appendingPathComponent("watershed.sqlite").path)
        let copy = try EventLog.openReadOnly(path: backup)
        #expect(try copy.head() == backupHead)
        #expect(try original.events(after: backupHead - 1, limit: 1).first?.hash == copy.headHash())

        let restoredRun = await watershed(["audit", "restore", backup, "--data", restored.path])
        #expect(restoredRun.code == 0, "\(restoredRun.err)")
        #expect(restoredRun.out.contains("head seq \(backupHead)"))
        let verified = await watershed(["audit", "verify", "--data", restored.path])
        #expect(verified.code == 0, "\(verified.err)")
        #expect(verified.out.contains("chain intact: \(backupHead) events"))
        // It serves: the events are the backup's, and a restore under a running server is refused.
        try await LiveServer.run(data: restored) { handle in
            let api = try APIClient(handle)
            defer { api.close() }
            #expect(try await api.head() == backupHead)
            let refused = await watershed(["audit", "restore", backup, "--data", restored.path])
            #expect(refused.code == 1)
            #expect(refused.err.contains("in use"), "\(refused.err)")
        }
    }
}
