import Foundation
import GRDB
import Testing
import WatershedCLI
import WatershedCore
import WatershedStore

/// `watershed audit verify --data DIR` on real logs in a temporary folder.
@Suite struct AuditCommandTests {
    /// Runs `body` with a new data folder, removed afterwards.
    func withDataFolder(_ body: (String) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("watershed-audit-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await body(folder)
    }

    /// Three events in `<folder>/watershed.sqlite`.
    func threeEvents(_ folder: String) async throws -> (EventLog, [StoredEvent]) {
        let log = try EventLog.open(path: folder + "/watershed.sqlite")
        let stored = try await log.append(
            (1...3).map { number in
                NewEvent(
                    at: Date(timeIntervalSince1970: 1_768_464_000 + Double(number)), type: .taskAcknowledged,
                    actor: .system(component: "test"), payload: ["number": .number(Double(number))])
            })
        return (log, stored)
    }

    @Test func intactChain() async throws {
        try await withDataFolder { folder in
            let (_, stored) = try await threeEvents(folder)
            let result = await runWatershed(["audit", "verify", "--data", folder])
            #expect(result.code == 0, "\(result.err)")
            #expect(result.out == "chain intact: 3 events, head seq 3, head hash \(stored[2].hash)\n")
            #expect(result.err.isEmpty)
        }
    }

    @Test func emptyLogIsIntact() async throws {
        try await withDataFolder { folder in
            _ = try EventLog.open(path: folder + "/watershed.sqlite")
            let result = await runWatershed(["audit", "verify", "--data", folder])
            #expect(result.code == 0)
            #expect(
                result.out == "chain intact: 0 events, head seq 0, head hash \(String(repeating: "0", count: 64))\n")
        }
    }

    /// One byte of seq 2's stored bytes changed with raw SQL: exit 1 and the message names seq 2.
    @Test func changedByteNamesTheSeq() async throws {
        try await withDataFolder { folder in
            let (log, stored) = try await threeEvents(folder)
            var bytes = stored[1].canonicalBytes
            let index = bytes.firstRange(of: Data(#""number":"#.utf8))!.upperBound
            bytes[index] = UInt8(ascii: "7")
            let tampered = bytes
            try await log.writer.writeWithoutTransaction { db in
                try db.execute(sql: "DROP TRIGGER event_no_update")
                try db.execute(sql: "UPDATE event SET bytes = ? WHERE seq = 2", arguments: [tampered])
            }
            let result = await runWatershed(["audit", "verify", "--data", folder])
            #expect(result.code == 1)
            #expect(result.out.isEmpty)
            #expect(result.err.hasPrefix("chain broken at seq 2: hash mismatch"), "\(result.err)")
        }
    }

    @Test func missingLogIsAUsageError() async throws {
        try await withDataFolder { folder in
            let result = await runWatershed(["audit", "verify", "--data", folder])
            #expect(result.code == 2)
            #expect(result.err.contains("no event log at \(folder)/watershed.sqlite"), "\(result.err)")
            #expect(!FileManager.default.fileExists(atPath: folder + "/watershed.sqlite"))
        }
    }

    @Test func missingDataOptionIsAUsageError() async {
        let result = await runWatershed(["audit", "verify"])
        #expect(result.code == 2)
        #expect(result.err.contains("--data"), "\(result.err)")
    }

    @Test func fileThatIsNotALogIsRefused() async throws {
        try await withDataFolder { folder in
            try Data(String(repeating: "not sqlite\n", count: 200).utf8)
                .write(to: URL(fileURLWithPath: folder + "/watershed.sqlite"))
            let result = await runWatershed(["audit", "verify", "--data", folder])
            #expect(result.code == 1)
            #expect(result.err.contains("not a database"), "\(result.err)")
        }
    }
}
