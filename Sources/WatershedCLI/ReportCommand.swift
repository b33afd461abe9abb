import ArgumentParser
import Foundation
import WatershedClient
import WatershedCore
import WatershedWire

/// `watershed report initial|followup|final …`: files a report (MEP Order No. 17 Art. 13–14) from a JSON file;
/// `watershed report forward` forwards a county's report to MEE for the province (Art. 3).
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "File an initial, follow-up or final report from a JSON file, or forward one to MEE.",
        subcommands: [Initial.self, FollowUp.self, Final.self, Forward.self]
    )

    /// The flags of every report.
    struct ReportOptions: ParsableArguments {
        @Option(help: ArgumentHelp("The report as JSON (see the subcommand's help for its shape).", valueName: "file"))
        var file: String

        @Option(
            name: .customLong("idempotency-key"),
            help: ArgumentHelp(
                "A key of your choosing (1–128 letters, digits, '-', '_', '.'); filing again with the same key and "
                    + "report gets the first answer and changes nothing, so a retry after a lost answer is safe.",
                valueName: "key"))
        var idempotencyKey: String?

        @Flag(help: "Print the API's JSON answer (the incident after the report and the seqs appended).")
        var json = false

        /// The file's bytes; a file that cannot be read is a usage error.
        func bytes() throws -> Data {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CommandExit.usage("--file: cannot read \(file)")
            }
            return data
        }

        /// The file decoded as `T` with the client's decoder; a file that does not parse is exit 1 with
        /// `file: field: message`.
        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let data = try bytes()
            do {
                return try WatershedClient.decoder.decode(T.self, from: data)
            } catch let error as DecodingError {
                throw CommandExit.invalid("\(file): \(ReportCommand.describe(error))")
            } catch {
                throw CommandExit.invalid("\(file): \(error)")
            }
        }
    }

    /// `field.path: message` for a decoding error: `signature.contactPhone: missing`,
    /// `release.instantaneous.massKg: expected a number`, `(file): not JSON …`.
    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            let keys = codingPath + (last.map { [$0] } ?? [])
            let text = keys.reduce("") { text, key in
                if let index = key.intValue { return text + "[\(index)]" }
                return text.isEmpty ? key.stringValue : text + "." + key.stringValue
            }
            return text.isEmpty ? "(top level)" : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath, key)): missing"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(expected(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(expected(type)), got null"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty, let underlying = context.underlyingError {
                return "not JSON: \((underlying as NSError).userInfo[NSDebugDescriptionErrorKey] ?? underlying)"
            }
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    static func expected(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Double.Type, is Int.Type, is Int64.Type: "a number"
        case is Bool.Type: "true or false"
        case is [Any].Type: "an array"
        case is [String: Any].Type: "an object"
        default: "\(type)"
        }
    }

    /// Prints what a filed report did, in English or, with `--lang zh` (or a Chinese locale), in Chinese with the
    /// server's names (`what` in both).
    static func printFiled(
        _ created: IncidentCreated, what: (en: String, zh: String), options: ReportOptions, client: ClientOptions
    ) async throws {
        let out = CommandOutput.current
        if options.json {
            out.write(try ClientJSON.encode(created))
            return
        }
        let incident = created.incident
        if client.chinese {
            let names = await (try? client.withClient { await ClientNames.fetch($0) }) ?? ClientNames()
            out.write(
                "\(what.zh)\(incident.exercise ? "[演习] " : "")\(incident.reference)：\(ClientNames.level(incident.level))，"
                    + "\(names.place(of: incident))，\(incident.pollutantNameZh ?? names.pollutant(incident.pollutant))，"
                    + "\(ClientNames.incidentState(incident.state))；事件序号 \(created.firstSeq)–\(created.lastSeq)。")
            out.write("查看：\(CommandName.current) incident show \(incident.reference)")
            return
        }
        out.write(
            "\(what.en) \(ClientFormat.reference(incident)): level \(ClientFormat.level(incident.level)), "
                + "\(ClientFormat.place(of: incident)), \(incident.pollutant), \(incident.state); "
                + "events seq \(created.firstSeq)–\(created.lastSeq).")
        out.write("See it with: \(CommandName.current) incident show \(incident.reference)")
    }

    /// `watershed report initial --file F`.
    struct Initial: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "initial",
            abstract: "File an initial report (初报): opens an incident, plans it and dispatches its tasks.",
            discussion: """
                The file is the InitialReport JSON that POST /v1/incidents takes: discoveredAt (RFC 3339 with \
                offset), place ({"river":{"id":…,"km":…}}, {"park":…} or {"sea":…}), informationSource, cause, \
                pollutant, release, monitoring, casualties, sensitivePointsAffected, measuresTaken, triggers, \
                signature, and optionally level, flowRatio, sea, exercise. A file that does not parse: exit 1 \
                with file: field: message. Refused by the server: exit 1.
                  watershed report initial --file longjiang.json --idempotency-key lj-1 \\
                    --ca data/tls/ca.pem --token wsd-dev-officer-yizhou
                """
        )

        @OptionGroup var report: ReportOptions
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let body = try report.decode(InitialReport.self)
            let created = try await client.withClient {
                try await $0.fileInitialReport(body, idempotencyKey: report.idempotencyKey)
            }
            try await ReportCommand.printFiled(
                created, what: (en: "Opened", zh: "已开立事件 "), options: report, client: client)
        }
    }

    /// `watershed report followup ID --file F`.
    struct FollowUp: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "followup",
            abstract: "File a follow-up report (续报) on an incident: new facts, monitoring, a level change.",
            discussion: """
                The file is the FollowUpReport JSON that POST /v1/incidents/{id}/reports takes, with \
                "kind":"followUp": summary, signature, and optionally monitoring, levelChange, measuresTaken, \
                casualties, applyFactorBelow.
                  watershed report followup GX-2026-0001 --file followup.json --token wsd-dev-officer-yizhou
                """
        )

        @Argument(help: ArgumentHelp("The incident's reference (GX-2026-0001) or UUID.", valueName: "id"))
        var id: String
        @OptionGroup var report: ReportOptions
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await ReportCommand.file(.followUp, on: id, report: report, client: client)
        }
    }

    /// `watershed report final ID --file F`.
    struct Final: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "final",
            abstract: "File the final report (处理结果报告) on an incident; it closes the incident.",
            discussion: """
                The file is the FollowUpReport JSON with "kind":"final".
                  watershed report final GX-2026-0001 --file final.json --token wsd-dev-officer-yizhou
                """
        )

        @Argument(help: ArgumentHelp("The incident's reference (GX-2026-0001) or UUID.", valueName: "id"))
        var id: String
        @OptionGroup var report: ReportOptions
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await ReportCommand.file(.final, on: id, report: report, client: client)
        }
    }

    /// Files a follow-up or final report whose file says the same `kind`.
    static func file(_ kind: ReportKind, on id: String, report: ReportOptions, client: ClientOptions) async throws {
        let body = try report.decode(FollowUpReport.self)
        guard body.kind == kind else {
            throw CommandExit.invalid(
                "\(report.file): kind: the file says \"\(body.kind.rawValue)\" but this is "
                    + "'report \(kind == .final ? "final" : "followup")' (\"kind\":\"\(kind.rawValue)\")")
        }
        let created = try await client.withClient {
            try await $0.fileReport(body, on: id, idempotencyKey: report.idempotencyKey)
        }
        try await printFiled(
            created,
            what: kind == .final
                ? (en: "Final report filed on", zh: "已提交处理结果报告：") : (en: "Follow-up report filed on", zh: "已提交续报："),
            options: report, client: client)
    }
}
