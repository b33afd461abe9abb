import ArgumentParser
import Foundation
import WatershedServer

/// The `watershed` command tree.
///
/// Exit codes for every command (DESIGN.md "Commands"): 0 done; 1 refused or
/// invalid input in a file; 2 usage error, including a flag value that names
/// nothing known (swift-argument-parser's 64 is mapped to 2); 3 cannot connect.
public struct Watershed: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "watershed",
        abstract: "Coordinates the response to sudden environmental incidents across a river basin.",
        discussion: """
            Offline planning commands work on the playbooks folder alone:
              watershed playbooks check playbooks
              watershed plan --river longjiang --km 0 --pollutant cadmium --mass-kg 21000
            Client commands talk to a server (--server, --token, --ca, or WATERSHED_SERVER,
            WATERSHED_TOKEN, WATERSHED_CA):
              watershed incidents
              watershed incident show GX-2026-0001
              watershed report initial --file report.json
              watershed tail --after 120
              watershed task ack GX-2026-0001/T3
            """,
        version: BuildInfo.description,
        subcommands: [
            ServeCommand.self, PlaybooksCommand.self, PlanCommand.self, AuditCommand.self, CertsCommand.self,
            IncidentsCommand.self, IncidentCommand.self, ReportCommand.self, TailCommand.self, TaskCommand.self,
            DrillCommand.self, DemoCommand.self, CAPCommand.self, HindcastCommand.self, MigrateCommand.self,
            RotaCommand.self, TokensCommand.self,
        ]
    )

    public init() {}

    /// Runs the command line `arguments` (without the program name) and returns the exit code.
    /// Output goes through ``CommandOutput/current`` so tests can capture it.
    public static func run(_ arguments: [String]) async -> Int32 {
        if let first = arguments.first, !first.hasPrefix("-"), first != "help" {
            let known = configuration.subcommands.compactMap { $0.configuration.commandName }
            guard known.contains(first) else {
                CommandOutput.current.error(
                    "watershed: unknown command \"\(first)\"; commands: \(known.joined(separator: ", ")) "
                        + "(see 'watershed --help')")
                return 2
            }
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
        } catch let exit as CommandExit {
            CommandOutput.current.error(exit.message)
            return exit.code
        } catch {
            let code = exitCode(for: error).rawValue
            let message = fullMessage(for: error)
            if code == 0 {
                CommandOutput.current.write(message)
                return 0
            }
            CommandOutput.current.error(message)
            return code == ExitCode.validationFailure.rawValue ? 2 : code
        }
    }
}

/// A command's own failure with the exit code and the sentence to print.
public struct CommandExit: Error, Sendable {
    /// The process exit code (1 refused or invalid files, 2 usage, 3 cannot connect).
    public var code: Int32
    /// The message, printed to standard error.
    public var message: String

    /// Invalid input in a file, or refused: exit 1.
    public static func invalid(_ message: String) -> CommandExit { CommandExit(code: 1, message: message) }
    /// A usage error or a flag naming nothing known: exit 2.
    public static func usage(_ message: String) -> CommandExit { CommandExit(code: 2, message: message) }
}

/// Where commands write: standard output and error by default, a buffer in tests.
public final class CommandOutput: @unchecked Sendable {
    private let lock = NSLock()
    private let capture: Bool
    private var outText = ""
    private var errText = ""

    /// The output of the running command.
    @TaskLocal public static var current = CommandOutput(capture: false)

    /// Creates an output; with `capture` it keeps the text instead of printing it.
    public init(capture: Bool) { self.capture = capture }

    /// Writes to standard output. When the reader has gone (`watershed tail | head`), the command ends as a pipe
    /// writer does on SIGPIPE (exit 141), instead of trapping on the error `FileHandle.write` raises.
    static func standardOutput(_ text: String) {
        do {
            try FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
        } catch {
            exit(141)
        }
    }

    /// Writes a line to standard output.
    public func write(_ line: String) {
        if capture {
            lock.withLock { outText += line + "\n" }
        } else {
            Self.standardOutput(line + "\n")
        }
    }

    /// Writes a line to standard error.
    public func error(_ line: String) {
        if capture {
            lock.withLock { errText += line + "\n" }
        } else {
            try? FileHandle.standardError.write(contentsOf: Data((line + "\n").utf8))
        }
    }

    /// What was written to standard output (capturing outputs only).
    public var standardOutput: String { lock.withLock { outText } }
    /// What was written to standard error (capturing outputs only).
    public var standardError: String { lock.withLock { errText } }
}
