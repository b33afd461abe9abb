import ArgumentParser
import Foundation
import WatershedCore
import WatershedStore

/// `watershed audit …`: offline checks of a server's data directory.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check a data directory offline.",
        subcommands: [Verify.self, Checkpoint.self, Backup.self, Restore.self]
    )

    /// `<data>/watershed.sqlite`, or a usage error (exit 2) naming it when there is no such file.
    static func logPath(_ data: String, command: String) throws -> String {
        let path = (data as NSString).appendingPathComponent("watershed.sqlite")
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandExit.usage("\(command): no event log at \(path); give the server's data directory")
        }
        return path
    }

    /// Verifies the whole chain of `<data>/watershed.sqlite` and writes a checkpoint at its head (the caller holds
    /// the directory's lock); returns the new newest mark in words.
    ///
    /// - Throws: ``CommandExit/invalid(_:)`` (exit 1) naming `command` for a chain broken in itself (nothing
    ///   written) or a log or checkpoint that cannot be read or written.
    static func resetCheckpoint(_ data: String, path: String? = nil, command: String) throws -> String {
        let path = path ?? (data as NSString).appendingPathComponent("watershed.sqlite")
        var checkpoint = ChainCheckpoint()
        do {
            let log = try EventLog.openReadOnly(path: path)
            switch try log.verifyChain() {
            case .broken(let seq, let reason):
                throw CommandExit.invalid(
                    "\(command): the chain itself is broken at seq \(seq): \(reason); "
                        + "nothing was written. Restore the data directory from a backup whose chain verifies.")
            case .intact(_, let head):
                if head > 0 { checkpoint.record(.init(seq: head, hash: try log.headHash())) }
            }
            try checkpoint.write(directory: data)
        } catch let exit as CommandExit {
            throw exit
        } catch {
            throw CommandExit.invalid("\(command): \(error)")
        }
        return checkpoint.latest.map { "seq \($0.seq), hash \($0.hash)" } ?? "no marks (empty log)"
    }

    /// The command that resets the checkpoint of `data` (printed in hints).
    static func resetCommand(_ data: String) -> String { "watershed audit checkpoint --reset --data \(data)" }
}

extension AuditCommand {
    /// `watershed audit verify --data DIR`: recomputes the event log's hash chain from the stored bytes, checks the
    /// columns derived from them and the checkpoint.
    ///
    /// Opens `<DIR>/watershed.sqlite` read-only (never creates or migrates it, takes no lock: a running server may
    /// keep writing) and reads `<DIR>/chain-checkpoint.json` first (the checkpoint is never ahead of what the log has
    /// committed). Intact: `chain intact: N events, head seq N, head hash H` on standard output, then a line on the
    /// checkpoint; then `cap_held` is compared with the fold of the held-message events
    /// (``EventLog/verifyHeldCAPMessages()``): `cap_held matches the log: N held CAP messages, …` (or, for a log
    /// older than migration v6, `cap_held not checked: …` naming its rows), exit 0; a row that differs:
    /// `cap_held differs from the log (N problems): …` on standard error with one line per message
    /// (`sender,identifier,sentUTC: what differs`), exit 1. Broken: `chain broken at seq N: reason` on standard
    /// error (with how to reset the checkpoint when the break is against it), exit 1; a file that is not an event
    /// log or an unreadable checkpoint, exit 1. No file: a usage error, exit 2.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Recompute the event log's hash chain and name the first bad seq.",
            discussion: """
                Reads DIR/watershed.sqlite read-only and checks, event by event, that seqs run 1, 2, 3 … without \
                gaps, that each prevHash is the previous event's hash, that each hash is SHA-256 of prevHash and \
                the stored bytes, and that the columns repeating fields of the bytes (id, at, incident, type, \
                exercise) hold what the bytes say. With DIR/chain-checkpoint.json it also checks that each \
                checkpointed event still has its hash and that the log reaches the newest one, so deleted newest \
                events and events rewritten with recomputed hashes are found. Then it checks that the held CAP \
                messages (table cap_held) are what the CAPHeld, CAPHeldRefused, CAPHeldDropped and CAPReceived \
                events say, and names each one edited, added or deleted outside the log. With --expect SEQ:HASH (as an \
                after-action report prints it) it checks that the log holds that event with that hash. Exit 0 when \
                intact, 1 at the first bad seq, a held message that differs or an expected event the log lacks.
                """
        )

        @Option(help: ArgumentHelp("The server's data directory.", valueName: "dir"))
        var data: String?

        @Option(
            help: ArgumentHelp(
                "A PostgreSQL event log (postgres://…) to verify instead; with --data, against that directory's "
                    + "checkpoint.", valueName: "url"))
        var database: String?

        @Option(
            name: .customLong("expect"),
            help: ArgumentHelp(
                "An event the log must hold with this hash, as an after-action report prints it (repeatable); "
                    + "checked once the chain is intact.", valueName: "seq:hash"))
        var expect: [String] = []

        /// `--expect` as (seq, hash) pairs.
        var expected: [(seq: Int64, hash: String)] {
            expect.compactMap { text in
                let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
                guard parts.count == 2, let seq = Int64(parts[0]) else { return nil }
                return (seq, parts[1])
            }
        }

        func validate() throws {
            for text in expect {
                let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
                guard parts.count == 2, let seq = Int64(parts[0]), seq > 0, parts[1].count == 64,
                    parts[1].allSatisfy({ $0.isHexDigit && !$0.isUppercase })
                else {
                    throw ValidationError(
                        "--expect: \"\(text)\" is not SEQ:HASH (a seq of 1 or more, a colon, 64 lowercase hex digits)")
                }
            }
            if data == nil, database == nil {
                throw ValidationError("give the server's data directory (--data DIR) or its database (--database URL)")
            }
        }

        /// Writes what `cap_held` was found to be: a line on standard output when it is the fold of the events (or
        /// predates them), or throws exit 1 listing each held message that differs by its identity.
        static func report(_ held: HeldCAPVerification) throws {
            let out = CommandOutput.current
            guard held.covered else {
                out.write(
                    "cap_held not checked: \(held.rows) held CAP \(held.rows == 1 ? "message" : "messages") stored "
                        + "before migration \(EventLog.heldEventsMigration), covered by no event (a server of that "
                        + "version or later records them when it opens the log)"
                        + (held.uncovered.isEmpty
                            ? "" : ": " + held.uncovered.map(\.description).joined(separator: " ")))
                return
            }
            guard held.holds else {
                throw CommandExit.invalid(
                    "cap_held differs from the log (\(held.problems.count) "
                        + "\(held.problems.count == 1 ? "problem" : "problems")): a held CAP message was written "
                        + "outside the event log\n" + held.problems.map { "  \($0)" }.joined(separator: "\n"))
            }
            out.write(
                "cap_held matches the log: \(held.rows) held CAP \(held.rows == 1 ? "message" : "messages"), as the "
                    + "CAPHeld, CAPHeldRefused, CAPHeldDropped and CAPReceived events say")
        }

        func run() async throws {
            if let database {
                try await verifyDatabase(database)
                return
            }
            guard let data else { return }
            let path = try AuditCommand.logPath(data, command: "audit verify")
            let checkpoint: ChainCheckpoint?
            do {
                checkpoint = try ChainCheckpoint.read(directory: data)
            } catch {
                throw CommandExit.invalid(
                    "audit verify: \(error); if DIR was restored from a backup, \(AuditCommand.resetCommand(data))")
            }
            let verification: ChainVerification
            let headHash: String
            var held: HeldCAPVerification?
            var expectedFound: [StoredEvent] = []
            do {
                let log = try EventLog.openReadOnly(path: path)
                verification = try log.verifyChain(checkpoint: checkpoint)
                headHash = try log.headHash()
                // Found by the `type` column, which only an intact chain vouches for.
                if case .intact = verification {
                    held = try log.verifyHeldCAPMessages()
                    expectedFound = try log.events(seqs: expected.map(\.seq))
                }
            } catch let error as EventLogError {
                throw CommandExit.invalid("audit verify: \(error)")
            } catch {
                throw CommandExit.invalid("audit verify: cannot read \(path): \(error)")
            }
            try Self.report(verification, headHash: headHash, checkpoint: checkpoint, data: data)
            if let held { try Self.report(held) }
            try Self.report(expected: expected, found: expectedFound)
        }

        /// The `--expect` verdict, once the chain is intact: `seq N has hash H` for each on standard output, or exit 1
        /// naming each seq the log does not hold or holds with another hash.
        static func report(expected: [(seq: Int64, hash: String)], found: [StoredEvent]) throws {
            let hashes = Dictionary(found.map { ($0.seq, $0.hash) }, uniquingKeysWith: { first, _ in first })
            var problems: [String] = []
            for (seq, hash) in expected {
                switch hashes[seq] {
                case nil: problems.append("seq \(seq): the log has no such event")
                case hash?: continue
                case let other?: problems.append("seq \(seq): the log has hash \(other), not \(hash)")
                }
            }
            guard problems.isEmpty else {
                throw CommandExit.invalid(
                    "expected events differ from the log:\n" + problems.map { "  \($0)" }.joined(separator: "\n"))
            }
            for (seq, hash) in expected { CommandOutput.current.write("seq \(seq) has hash \(hash), as expected") }
        }

        /// The chain's verdict: the intact lines on standard output, or exit 1 naming the broken seq.
        static func report(
            _ verification: ChainVerification, headHash: String, checkpoint: ChainCheckpoint?, data: String?
        )
            throws
        {
            switch verification {
            case .intact(let count, let head):
                let out = CommandOutput.current
                out.write(
                    "chain intact: \(count) \(count == 1 ? "event" : "events"), head seq \(head), head hash \(headHash)"
                )
                guard let data else { return }
                if let checkpoint, let latest = checkpoint.latest {
                    out.write(
                        "checkpoint holds: \(checkpoint.marks.count) "
                            + "\(checkpoint.marks.count == 1 ? "mark" : "marks") up to seq \(latest.seq) match")
                } else {
                    out.write(
                        "no checkpoint marks in \(ChainCheckpoint.file(in: data)): deleted newest events would not "
                            + "be noticed (a server writes it as the log grows)")
                }
            case .broken(let seq, let reason):
                var message = "chain broken at seq \(seq): \(reason)"
                if reason.contains("checkpoint"), let data {
                    message +=
                        "\nIf \(data) was restored from a backup, this is expected: reset the checkpoint "
                        + "with `\(AuditCommand.resetCommand(data))`."
                }
                throw CommandExit.invalid(message)
            }
        }
    }

    /// `watershed audit checkpoint [--reset] --data DIR`: shows the chain checkpoint, or sets it to the log's head
    /// after a restore from backup.
    ///
    /// Without `--reset`: the checkpoint's marks on standard output (or that there is none), exit 0. With
    /// `--reset`: takes the data directory's lock (a running server: exit 1 naming its pid), verifies the whole chain
    /// without the checkpoint (a broken chain: exit 1, nothing written), then writes a checkpoint holding the head
    /// alone and prints the old and new newest marks.
    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkpoint",
            abstract: "Show the chain checkpoint, or reset it to the log's head after a restore from backup.",
            discussion: """
                The server keeps DIR/chain-checkpoint.json: seqs and hashes of events it committed, so that events \
                deleted from, or rewritten in, the log are noticed at start and by `audit verify`. A data directory \
                restored from an older backup has lost its newest events on purpose; then, with the server \
                stopped, run `watershed audit checkpoint --reset --data DIR`: it verifies the whole chain and \
                writes a checkpoint at the restored head.
                """
        )

        @Option(help: ArgumentHelp("The server's data directory.", valueName: "dir"))
        var data: String

        @Flag(help: "Verify the whole chain and set the checkpoint to the log's head (the server must be stopped).")
        var reset = false

        func run() async throws {
            let path = try AuditCommand.logPath(data, command: "audit checkpoint")
            let out = CommandOutput.current
            let old: ChainCheckpoint?
            do {
                old = try ChainCheckpoint.read(directory: data)
            } catch {
                // An unreadable checkpoint is what a reset is for; without --reset, say so.
                guard reset else { throw CommandExit.invalid("audit checkpoint: \(error)") }
                old = nil
            }
            guard reset else {
                if let old, let latest = old.latest {
                    out.write("checkpoint \(ChainCheckpoint.file(in: data)): \(old.marks.count) marks")
                    for mark in old.marks { out.write("  seq \(mark.seq)  \(mark.hash)") }
                    out.write("newest: seq \(latest.seq)")
                } else {
                    out.write("no checkpoint marks in \(ChainCheckpoint.file(in: data))")
                }
                return
            }
            let lock: DataDirectoryLock
            do {
                lock = try DataDirectory.lock(data)
            } catch {
                throw CommandExit.invalid("audit checkpoint --reset: \(error)")
            }
            defer { lock.release() }
            let now = try AuditCommand.resetCheckpoint(data, path: path, command: "audit checkpoint --reset")
            let was = old?.latest.map { "seq \($0.seq), hash \($0.hash)" } ?? "no marks"
            out.write("checkpoint reset to \(now) (was \(was))")
        }
    }
}
