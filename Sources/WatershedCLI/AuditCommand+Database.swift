import ArgumentParser
import Foundation
import Logging
import WatershedCore
import WatershedPostgres
import WatershedStore

extension AuditCommand.Verify {
    /// `watershed audit verify --database URL [--data DIR]`: the PostgreSQL log's chain recomputed from its stored
    /// bytes (and `event_head` checked against the last event), against `DIR`'s checkpoint when `--data` is given
    /// (a node's highest seen (seq, hash), `docs/postgres.md`). Opens the database without migrating it; the same
    /// lines and exit codes as for a data directory. The held CAP messages are not checked there: the PostgreSQL log
    /// keeps events only.
    func verifyDatabase(_ text: String) async throws {
        let url: DatabaseURL
        do {
            url = try DatabaseURL(text)
        } catch {
            throw CommandExit.usage("audit verify: --database: \(error)")
        }
        var checkpoint: ChainCheckpoint?
        if let data {
            do {
                checkpoint = try ChainCheckpoint.read(directory: data)
            } catch {
                throw CommandExit.invalid("audit verify: \(error)")
            }
        }
        var logger = Logger(label: "watershed.audit")
        logger.logLevel = .error
        let verification: ChainVerification
        let headHash: String
        var found: [StoredEvent] = []
        do {
            let log = try await PostgresEventLog.open(url, connections: 1, migrating: false, logger: logger)
            do {
                verification = try await log.verifyChain(checkpoint: checkpoint)
                headHash = try await log.headHash()
                if case .intact = verification { found = try await log.events(seqs: expected.map(\.seq)) }
                await log.close()
            } catch {
                await log.close()
                throw error
            }
        } catch let error as EventLogError {
            throw CommandExit.invalid("audit verify: \(error)")
        } catch {
            throw CommandExit.invalid("audit verify: cannot read \(url.redacted): \(error)")
        }
        try Self.report(verification, headHash: headHash, checkpoint: checkpoint, data: data)
        try Self.report(expected: expected, found: found)
    }
}
