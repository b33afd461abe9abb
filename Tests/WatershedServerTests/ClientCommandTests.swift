import Foundation
import NIOConcurrencyHelpers
import Testing
import WatershedCLI
import WatershedClient
import WatershedCore
import WatershedFederation
import WatershedServer
import WatershedTestSupport
import WatershedWire

/// Runs `watershed` in-process with `environment` as its `WATERSHED_*` fallbacks and captures what it writes.
func watershed(_ arguments: [String], environment: [String: String] = [:], output: CommandOutput? = nil) async -> (
    code: Int32, out: String, err: String
) {
    let output = output ?? CommandOutput(capture: true)
    let code = await ClientEnvironment.$variables.withValue(environment) {
        await CommandOutput.$current.withValue(output) { await Watershed.run(arguments) }
    }
    return (code, output.standardOutput, output.standardError)
}

/// The client commands (`incidents`, `incident show`, `report`, `task`, `tail`) run in-process against a live
/// server over TLS: what they print, their `--json`, and the sentences and exit codes of DESIGN.md "Commands".
@Suite struct ClientCommandTests {
    /// 2026-11-29T14:05:00Z = 22:05 +08:00 (China Standard Time, no daylight saving): the server's clock.
    static let now = Date(timeIntervalSince1970: 1_795_961_100)
    /// The Longjiang report discovered 25 minutes before `now`, at 21:40 +08:00.
    static let discovery = "2026-11-29T21:40:00+08:00"

    static func flags(_ handle: LiveServer.Handle, token: String) -> [String] {
        ["--server", handle.base, "--ca", handle.caFile, "--token", token]
    }

    /// Writes `data` to a fresh temporary file (`watershed-cli-<uuid>-<name>`) and returns its path; the test removes
    /// it (`defer { try? FileManager.default.removeItem(atPath: path) }`).
    static func file(_ data: Data, name: String = "report.json") throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("watershed-cli-\(UUID())-\(name)")
        try data.write(to: url)
        return url.path
    }

    /// The Longjiang fixture as a duty officer would save it, discovered at ``discovery``.
    static func longjiangFile(exercise: Bool = false) throws -> String {
        let fixture = Fixtures.repositoryRoot.appendingPathComponent("Tests/Fixtures/longjiang-initial-report.json")
        var object = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: fixture)) as? [String: Any])
        object["discoveredAt"] = discovery
        if exercise {
            // Filed by the Liuzhou drill token, which signs as its own unit (issue 15, item 12).
            object["exercise"] = true
            var signature = try #require(object["signature"] as? [String: Any])
            signature["reportingUnit"] = "450200"
            object["signature"] = signature
        }
        return try file(try JSONSerialization.data(withJSONObject: object))
    }

    /// What a command printed with `--json`, decoded as the Wire type it prints (``decode(_:from:)``).
    ///
    /// - Throws: `DecodingError` when the output is not one.
    static func printed<T: Decodable>(_ type: T.Type, _ output: String) throws -> T {
        try decode(type, from: Data(output.utf8))
    }

    /// The clock checks itself: 1_795_961_100 s is 2026-11-29 14:05 UTC.
    @Test func theClockIsTheOneDocumented() {
        #expect(ISO8601DateFormatter().date(from: "2026-11-29T14:05:00Z") == Self.now)
    }

    /// File the Longjiang report, list it, show it, file a follow-up and a final report: real references, local
    /// times at +08:00, the level, place and state; the [DRILL] mark on an exercise.
    @Test func reportListShowAndClose() async throws {
        try await LiveServer.withAPI(clock: ManualWallClock(Self.now)) { handle, _ in
            let officer = Self.flags(handle, token: DevToken.officer)
            let viewer = Self.flags(handle, token: DevToken.viewer)
            let path = try Self.longjiangFile()
            defer { try? FileManager.default.removeItem(atPath: path) }

            let filed = await watershed(["report", "initial", "--file", path, "--idempotency-key", "lj-1"] + officer)
            #expect(filed.code == 0, "\(filed.err)")
            #expect(filed.out.hasPrefix("Opened GX-2026-0001: level ungraded, longjiang km 0, cadmium, open; "))
            #expect(filed.out.contains("events seq 1–"))
            // The same key and file: the same incident, not a second one.
            let again = await watershed(["report", "initial", "--file", path, "--idempotency-key", "lj-1"] + officer)
            #expect(again.out == filed.out)

            let list = await watershed(["incidents"] + viewer)
            #expect(list.code == 0, "\(list.err)")
            let rows = list.out.split(separator: "\n").map(String.init)
            #expect(rows.count == 3, "header, rule, one incident:\n\(list.out)")
            let row = try #require(rows.last)
            for cell in ["GX-2026-0001", "ungraded", "longjiang km 0", "cadmium", "2026-11-29 21:40 +08:00", "open"] {
                #expect(row.contains(cell), "\(cell) in \(row)")
            }

            // A drill incident, filed by the drill token, is marked in the list.
            let drillPath = try Self.longjiangFile(exercise: true)
            defer { try? FileManager.default.removeItem(atPath: drillPath) }
            let drill = await watershed(
                ["report", "initial", "--file", drillPath] + Self.flags(handle, token: DevToken.drill))
            #expect(drill.code == 0, "\(drill.err)")
            #expect(drill.out.hasPrefix("Opened [DRILL] GX-2026-0002"))
            let both = await watershed(["incidents"] + viewer)
            #expect(both.out.contains("[DRILL] GX-2026-0002"))
            #expect(!both.out.contains("[DRILL] GX-2026-0001"))

            let show = await watershed(["incident", "show", "GX-2026-0001"] + viewer)
            #expect(show.code == 0, "\(show.err)")
            #expect(show.out.hasPrefix("INCIDENT  GX-2026-0001  level ungraded  open"))
            #expect(show.out.contains("Discovered  2026-11-29 21:40 +08:00"))
            for section in ["TASKS (", "REPORT OBLIGATIONS", "ARRIVALS", "TIMELINE ("] {
                #expect(show.out.contains(section), "\(section)")
            }
            #expect(show.out.contains("GX-2026-0001/T1"))
            // Every arrival with its band (issue 17).
            let arrivalHeader = show.out.split(separator: "\n").first { $0.hasPrefix("receptor ") }
            #expect(arrivalHeader?.contains("latest arrival") == true && arrivalHeader?.contains("band h") == true)
            // Ungraded cadmium is an Art. 4(3) heavy-metal incident: Yizhou's initial report is due within 2 h of
            // discovery (21:40 + 2 h = 23:40) and the filed report met it; the region's report to the ministry is
            // due 1 h after it received Yizhou's (22:05 + 1 h = 23:05, MEP Order No. 17 Art. 3), not yet met.
            let obligationLines = show.out.split(separator: "\n").filter { $0.hasPrefix("initial ") }
            #expect(obligationLines.count == 2, "\(show.out)")
            #expect(obligationLines.first?.contains("Yizhou District (451203)") == true)
            #expect(obligationLines.first?.contains("2026-11-29 23:40 +08:00") == true)
            #expect(obligationLines.first?.hasSuffix("met") == true)
            #expect(obligationLines.last?.contains("(450000)") == true)
            #expect(obligationLines.last?.contains("2026-11-29 23:05 +08:00") == true)
            #expect(obligationLines.last?.hasSuffix("due") == true)
            // The Liuzhou intake lies downstream of Lalang; Guangxi is 450000. Events were committed at 22:05.
            #expect(show.out.contains("Liuzhou"))
            #expect(show.out.contains("450000"))
            let reported = show.out.split(separator: "\n").first { $0.contains("IncidentReported") }
            #expect(reported?.contains("2026-11-29 22:05 +08:00") == true)
            #expect(reported?.hasSuffix("451203/county-duty-officer") == true)
            let dispatched = show.out.split(separator: "\n").first { $0.contains("TaskDispatched") }
            #expect(dispatched?.contains("GX-2026-0001/T1") == true, "the timeline names the task")
            // The plume reaches the Xijiang boundary with Guangdong (440000): a notification, not delivered here.
            #expect(show.out.contains("NEIGHBOURING PROVINCES"))
            let guangdong = show.out.split(separator: "\n").first { $0.contains("(440000)") }
            #expect(guangdong?.hasSuffix("pending") == true, "\(show.out)")

            let followUp = try Self.file(ReportsTests.report())
            defer { try? FileManager.default.removeItem(atPath: followUp) }
            let filedFollowUp = await watershed(["report", "followup", "GX-2026-0001", "--file", followUp] + officer)
            #expect(filedFollowUp.code == 0, "\(filedFollowUp.err)")
            #expect(filedFollowUp.out.hasPrefix("Follow-up report filed on GX-2026-0001: level ungraded"))

            // A final report closes the incident (commanders only).
            let final = try Self.file(ReportsTests.report(kind: "final"))
            defer { try? FileManager.default.removeItem(atPath: final) }
            let closing = await watershed(
                ["report", "final", "GX-2026-0001", "--file", final, "--json"]
                    + Self.flags(handle, token: DevToken.commander))
            #expect(closing.code == 0, "\(closing.err)")
            let answer = try Self.printed(IncidentCreated.self, closing.out)
            #expect(answer.incident.state == "closed")
            #expect(answer.lastSeq > answer.firstSeq)
            let closed = await watershed(["incidents", "--state", "closed"] + viewer)
            #expect(closed.out.contains("GX-2026-0001") && closed.out.contains("closed"))
            #expect(!closed.out.contains("GX-2026-0002"))
        }
    }

    /// `--json` prints the API's shapes: an array of incidents, the detail with its plan, tasks, obligations and
    /// timeline, the task after an action.
    @Test func jsonShapes() async throws {
        try await LiveServer.withAPI(clock: ManualWallClock(Self.now)) { handle, _ in
            let path = try Self.longjiangFile()
            defer { try? FileManager.default.removeItem(atPath: path) }
            let filed = await watershed(
                ["report", "initial", "--file", path, "--json"] + Self.flags(handle, token: DevToken.officer))
            let created = try Self.printed(IncidentCreated.self, filed.out)
            let lastSeq = created.lastSeq
            #expect(created.firstSeq == 1)

            let list = await watershed(["incidents", "--json"] + Self.flags(handle, token: DevToken.viewer))
            let incidents = try Self.printed([IncidentSummary].self, list.out)
            #expect(incidents.count == 1)
            #expect(incidents.first?.reference == "GX-2026-0001")
            #expect(incidents.first?.state == "open")
            #expect(try incidents.first?.discoveredAt == instant("2026-11-29T13:40:00.000Z"))

            let show = await watershed(
                ["incident", "show", "GX-2026-0001", "--json"] + Self.flags(handle, token: DevToken.viewer))
            let detail = try Self.printed(IncidentDetail.self, show.out)
            #expect(detail.incident.reference == "GX-2026-0001")
            #expect(Int64(detail.timeline.count) == lastSeq)
            #expect(detail.incident.plan?.arrivals.isEmpty == false)
            #expect(!detail.obligations.isEmpty)
            #expect(detail.tasks.first?.reference == "GX-2026-0001/T1")
        }
    }

    /// `task ack|start|done|decline` move a task as the server then reports it.
    @Test func taskCommandsWorkTasks() async throws {
        try await LiveServer.withAPI(clock: ManualWallClock(Self.now)) { handle, _ in
            let officer = Self.flags(handle, token: DevToken.officer)
            let path = try Self.longjiangFile()
            defer { try? FileManager.default.removeItem(atPath: path) }
            #expect(await watershed(["report", "initial", "--file", path] + officer).code == 0)

            let client = try WatershedClient(.init(server: handle.base, token: DevToken.officer, caFile: handle.caFile))
            defer { Task { try? await client.shutdown() } }
            let yizhou = try await client.tasks(assignee: "451203/county-duty-officer", state: .dispatched)
            try #require(yizhou.count >= 2, "Yizhou, where the spill is, has tasks")
            let first = yizhou[0]
            let second = yizhou[1]

            let ack = await watershed(["task", "ack", first.reference] + officer)
            #expect(ack.code == 0, "\(ack.err)")
            #expect(ack.out.hasPrefix("\(first.reference) acknowledged — \(first.title)"))
            #expect(try await client.task(first.reference).state == .acknowledged)

            let start = await watershed(["task", "start", first.reference, "--json"] + officer)
            #expect(start.code == 0, "\(start.err)")
            #expect(try Self.printed(ResponseTask.self, start.out).state == .inProgress)
            #expect(try await client.task(first.reference).state == .inProgress)

            let done = await watershed(["task", "done", first.reference] + officer)
            #expect(done.code == 0, "\(done.err)")
            #expect(try await client.task(first.reference).state == .done)

            // Done is final: a second `done` is refused, exit 1, with the server's reason.
            let twice = await watershed(["task", "done", first.reference] + officer)
            #expect(twice.code == 1)
            #expect(twice.err.contains(first.reference) || twice.err.contains("done"), "\(twice.err)")

            // A decline passes the task to the next position of its frozen chain.
            let next = try #require(second.chain.first)
            let decline = await watershed(["task", "decline", second.reference, "--reason", "no boat"] + officer)
            #expect(decline.code == 0, "\(decline.err)")
            #expect(decline.out.contains("declined; passed to \(next.unit)/\(next.position.rawValue)"))
            let declined = try await client.task(second.reference)
            #expect(declined.assignee == next)
            #expect(declined.state == .dispatched)

            let noReason = await watershed(["task", "decline", second.reference] + officer)
            #expect(noReason.code == 2)
            #expect(noReason.err.contains("--reason"))
        }
    }

    /// The sentences and exit codes of DESIGN.md "Commands": nothing listening (3), no CA for a development
    /// certificate (3, names --ca), a refused token (1, names --token), an unknown incident (1), a report file that
    /// does not parse (1, names file and field), usage (2); and the `WATERSHED_*` fallbacks.
    @Test func errorSentencesAndExitCodes() async throws {
        let closedPort = try LiveServer.freePort()
        let unreachable = await watershed(["incidents", "--server", "https://127.0.0.1:\(closedPort)"])
        #expect(unreachable.code == 3)
        #expect(unreachable.err.contains("cannot connect to https://127.0.0.1:\(closedPort)"))
        #expect(unreachable.err.contains("connection refused"))
        #expect(!unreachable.err.contains("NIO"), "a sentence, not a dump: \(unreachable.err)")

        try await LiveServer.withAPI(clock: ManualWallClock(Self.now)) { handle, _ in
            let untrusted = await watershed(["incidents", "--server", handle.base, "--token", DevToken.viewer])
            #expect(untrusted.code == 3)
            #expect(untrusted.err.contains("the certificate of \(handle.base) is not trusted"))
            #expect(untrusted.err.contains("--ca"))
            #expect(!untrusted.err.contains("BoringSSL"), "a sentence, not a dump: \(untrusted.err)")

            let stranger = await watershed(["incidents"] + Self.flags(handle, token: "wsd-not-a-token"))
            #expect(stranger.code == 1)
            #expect(stranger.err.contains("refused the token"))
            #expect(stranger.err.contains("--token"))

            let unknown = await watershed(
                ["incident", "show", "GX-2026-0099"] + Self.flags(handle, token: DevToken.viewer))
            #expect(unknown.code == 1)
            #expect(unknown.err.contains("GX-2026-0099"))
            #expect(unknown.err.contains("unknown_incident"))
            let unknownTail = await watershed(
                ["tail", "--incident", "GX-2026-0099"] + Self.flags(handle, token: DevToken.viewer))
            #expect(unknownTail.code == 1)
            #expect(unknownTail.err.contains("GX-2026-0099"))

            // A report without the contact's phone: the file and the field, exit 1, nothing sent.
            let complete = try Self.longjiangFile()
            defer { try? FileManager.default.removeItem(atPath: complete) }
            var object = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: complete)))
                    as? [String: Any])
            var signature = try #require(object["signature"] as? [String: Any])
            signature["contactPhone"] = nil
            object["signature"] = signature
            let broken = try Self.file(try JSONSerialization.data(withJSONObject: object))
            defer { try? FileManager.default.removeItem(atPath: broken) }
            let refused = await watershed(
                ["report", "initial", "--file", broken] + Self.flags(handle, token: DevToken.officer))
            #expect(refused.code == 1)
            #expect(refused.err == "\(broken): signature.contactPhone: missing\n")
            let mistyped = try Self.file(Data(#"{"kind":"followUp","summary":7}"#.utf8))
            defer { try? FileManager.default.removeItem(atPath: mistyped) }
            let typed = await watershed(
                ["report", "followup", "GX-2026-0001", "--file", mistyped] + Self.flags(handle, token: DevToken.officer)
            )
            #expect(typed.code == 1)
            #expect(typed.err == "\(mistyped): summary: expected a string\n")
            let wrongKind = try Self.file(ReportsTests.report(kind: "final"))
            defer { try? FileManager.default.removeItem(atPath: wrongKind) }
            let kind = await watershed(
                ["report", "followup", "GX-2026-0001", "--file", wrongKind]
                    + Self.flags(handle, token: DevToken.officer))
            #expect(kind.code == 1)
            #expect(kind.err.hasPrefix("\(wrongKind): kind: "))
            let head = await watershed(["incidents", "--json"] + Self.flags(handle, token: DevToken.viewer))
            #expect(try Self.printed([IncidentSummary].self, head.out).isEmpty, "nothing was filed: \(head.out)")

            // Usage: exit 2.
            #expect(await watershed(["incidents", "--state", "shut"]).code == 2)
            #expect(await watershed(["task", "ack"]).code == 2)
            #expect(await watershed(["task", "finish", "GX-2026-0001/T1"]).code == 2)
            #expect(await watershed(["tail", "--exercise", "sometimes"]).code == 2)

            // The environment stands in for the flags.
            let fromEnvironment = await watershed(
                ["incidents"],
                environment: [
                    "WATERSHED_SERVER": handle.base, "WATERSHED_TOKEN": DevToken.viewer, "WATERSHED_CA": handle.caFile,
                ])
            #expect(fromEnvironment.code == 0, "\(fromEnvironment.err)")
            #expect(fromEnvironment.out == "No incidents.\n")
        }
    }

    /// Every client command's `--help` explains the shared options.
    @Test(arguments: [
        ["incidents"], ["incident", "show"], ["report", "initial"], ["report", "followup"], ["report", "final"],
        ["tail"], ["task", "ack"], ["task", "start"], ["task", "done"], ["task", "decline"],
    ])
    func helpExplainsTheOptions(command: [String]) async {
        let help = await watershed(command + ["--help"])
        #expect(help.code == 0)
        for words in ["--server", "WATERSHED_SERVER", "--token", "WATERSHED_TOKEN", "--ca", "WATERSHED_CA", "--json"] {
            #expect(help.out.contains(words), "\(command) --help names \(words)")
        }
    }

    /// `tail` across two server restarts on the same port and data: every seq printed once and in order, the drop and
    /// the reconnection said on standard error, a drill incident's events marked [DRILL].
    @Test func tailResumesAcrossARestartWithoutGap() async throws {
        let data = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let port = try LiveServer.freePort()
        let clock = ManualWallClock(Self.now)
        let (firstLast, caFile) = try await LiveServer.run(data: data, port: port, clock: clock) { handle in
            let api = try APIClient(handle)
            defer { api.close() }
            let reply = try await api.request(
                .POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport(discoveredAt: Self.discovery))
            #expect(reply.status == 201)
            return (try reply.decoded(IncidentCreated.self).lastSeq, handle.caFile)
        }
        #expect(firstLast > 10)

        let output = CommandOutput(capture: true)
        let arguments = [
            "tail", "--server", "https://127.0.0.1:\(port)", "--ca", caFile, "--token", DevToken.commander,
        ]
        let printed: @Sendable () -> [Int64] = { Self.seqs(output.standardOutput) }
        let waitFor: @Sendable (Int64) async throws -> Void = { seq in
            for _ in 0..<3_000 where (Self.seqs(output.standardOutput).last ?? 0) < seq {
                try await Task.sleep(for: .milliseconds(10))
            }
        }

        let tail = NIOLockedValueBox<Task<(code: Int32, out: String, err: String), Never>?>(nil)
        let secondLast = try await LiveServer.run(data: data, port: port, clock: clock) { handle in
            tail.withLockedValue { $0 = Task { await watershed(arguments, output: output) } }
            try await waitFor(firstLast)
            #expect(printed().last == firstLast)
            let api = try APIClient(handle)
            defer { api.close() }
            var last: Int64 = 0
            for _ in 0..<2 {
                let reply = try await api.request(
                    .POST, "/v1/incidents/GX-2026-0001/reports", token: DevToken.officer, body: ReportsTests.report())
                #expect(reply.status == 201)
                last = try reply.decoded(IncidentCreated.self).lastSeq
            }
            try await waitFor(last)
            return last
        }
        // While the server is down and comes back, an exercise is reported: it must come through, marked.
        let thirdLast = try await LiveServer.run(data: data, port: port, clock: clock) { handle in
            let api = try APIClient(handle)
            defer { api.close() }
            let reply = try await api.request(
                .POST, "/v1/incidents", token: DevToken.drill, body: try AccessTests.exerciseReport())
            #expect(reply.status == 201)
            let last = try reply.decoded(IncidentCreated.self).lastSeq
            try await waitFor(last)
            return last
        }
        let running = tail.withLockedValue { $0 }
        running?.cancel()
        let result = await running?.value
        #expect(result?.code == 0)

        let lines = output.standardOutput.split(separator: "\n").map(String.init)
        #expect(thirdLast > secondLast && secondLast > firstLast)
        #expect(Self.seqs(output.standardOutput) == Array(1...max(1, thirdLast)), "every seq once, in order")
        let first = try #require(lines.first)
        #expect(first.hasPrefix("     1  2026-11-29 22:05 +08:00  IncidentReported    GX-2026-0001"), "\(first)")
        #expect(first.contains("cadmium at longjiang km 0"))
        let drillLines = lines.filter { $0.hasPrefix("[DRILL] ") }
        #expect(drillLines.count == Int(thirdLast - secondLast), "the exercise's events, and only they, are marked")
        #expect(drillLines.first?.contains("IncidentReported") == true)
        #expect(drillLines.first?.contains("GX-2026-0002") == true)
        let err = output.standardError
        #expect(err.contains("— caught up at seq \(firstLast)"))
        #expect(err.contains("— reconnecting ("))
        #expect(err.contains("resuming after seq \(secondLast)"))
        #expect(err.contains("— reconnected; resuming after seq \(secondLast)"))
    }

    /// The seqs of `tail`'s lines: the first number of each (after a [DRILL] mark).
    static func seqs(_ text: String) -> [Int64] {
        text.split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ")
            let first = words.first == "[DRILL]" ? words.dropFirst().first : words.first
            return first.flatMap { Int64($0) }
        }
    }
}
