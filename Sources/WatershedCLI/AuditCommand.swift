import ArgumentParser
import Foundation
import WatershedStore

/// `watershed audit …`: offline checks of a server's data directory.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check a data directory offline.",
        subcommands: [Verify.self]
    )
}

extension AuditCommand {
    /// `watershed audit verify --data DIR`: recomputes the event log's hash chain from the stored bytes.
    ///
    /// Opens `<DIR>/watershed.sqlite` read-only (never creates or migrates it; a running server may keep writing).
    /// Intact: `chain intact: N events, head seq N, head hash H` on standard output, exit 0. Broken:
    /// `chain broken at seq N: reason` on standard error, exit 1; a file that is not an event log, exit 1.
    /// No file: a usage error, exit 2.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Recompute the event log's hash chain and name the first bad seq.",
            discussion: """
                Reads DIR/watershed.sqlite read-only and checks, event by event, that seqs run 1, 2, 3 … without \
                gaps, that each prevHash is the previous event's hash and that each hash is SHA-256 of prevHash \
                and the stored bytes. Exit 0 when intact, 1 at the first bad seq.
                """
        )

        @Option(help: ArgumentHelp("The server's data directory.", valueName: "dir"))
        var data: String

        func run() async throws {
            let path = (data as NSString).appendingPathComponent("watershed.sqlite")
            guard FileManager.default.fileExists(atPath: path) else {
                throw CommandExit.usage("audit verify: no event log at \(path); give the server's data directory")
            }
            let log: EventLog
            let verification: ChainVerification
            let headHash: String
            do {
                log = try EventLog.openReadOnly(path: path)
                verification = try log.verifyChain()
                headHash = try log.headHash()
            } catch let error as EventLogError {
                throw CommandExit.invalid("audit verify: \(error)")
            } catch {
                throw CommandExit.invalid("audit verify: cannot read \(path): \(error)")
            }
            switch verification {
            case .intact(let count, let head):
                CommandOutput.current.write(
                    "chain intact: \(count) \(count == 1 ? "event" : "events"), head seq \(head), head hash \(headHash)"
                )
            case .broken(let seq, let reason):
                throw CommandExit.invalid("chain broken at seq \(seq): \(reason)")
            }
        }
    }
}
