import Foundation
import Testing
import WatershedCore
import WatershedPlaybooks
import WatershedServer
import WatershedTestSupport
import WatershedWire

/// Task texts end to end (issue 19, "What it must show"): a `watershed serve` process sending through a real Kannel
/// (bearerbox, smsbox, Kannel's fake SMSCs on loopback) to the rota's holders, replies injected at a fake SMSC, and
/// the gateway stopped. Runs when `WATERSHED_TEST_KANNEL` is set (`.ci/run` sets it).
@Suite(.serialized, .enabled(if: KannelHarness.enabled, "WATERSHED_TEST_KANNEL is not set (no Kannel here)"))
struct TextMessageTests {
    static let secret = "text-message-test-secret"
    static let rota: DutyRota = {
        let file = Fixtures.repositoryRoot.appendingPathComponent("seeds/450000/rota.yaml").path
        let organisation = try! OrganisationSeed.load(
            file: Fixtures.repositoryRoot.appendingPathComponent("seeds/450000/organisation.yaml").path,
            units: PlaybookLoader().load(directory: Fixtures.playbooksDirectory.path, peersFile: nil).basin.units)
        return try! RotaSeed.load(file: file, organisation: organisation)
    }()

    /// A server and a Kannel that call each other; `undeliverableMinutes` for the give-up.
    static func withServer(
        undeliverableMinutes: String = "15", _ body: (ServerProcess, KannelHarness) async throws -> Void
    ) async throws {
        await HeavyTests.shared.acquire()
        let root = try LiveServer.temporaryDirectory()
        let smsPort = try LiveServer.freePort()
        let kannel = try KannelHarness(watershed: "http://127.0.0.1:\(smsPort)", watershedSecret: secret)
        let server = ServerProcess(
            province: "450000", data: root.appendingPathComponent("data"), port: try LiveServer.freePort(),
            peerPort: try LiveServer.freePort(),
            arguments: [
                "--log-level", "info", "--sms-gateway", kannel.sendsms, "--sms-user", "watershed", "--sms-password",
                kannel.secret, "--sms-listen", "127.0.0.1:\(smsPort)", "--sms-secret", secret,
                "--sms-undeliverable-minutes", undeliverableMinutes,
            ])
        defer {
            server.stop()
            kannel.stop()
            try? FileManager.default.removeItem(at: root)
        }
        do {
            try await kannel.start()
            try await server.start()
            try await body(server, kannel)
            await HeavyTests.shared.release()
        } catch {
            Issue.record("server log:\n\(server.log.suffix(4_000))\nkannel:\n\(kannel.log.suffix(2_000))")
            await HeavyTests.shared.release()
            throw error
        }
    }

    /// Files the Longjiang report as discovered 10 minutes ago; returns the incident's tasks as dispatched.
    static func fileReport(_ server: ServerProcess) async throws -> (IncidentCreated, [ResponseTask]) {
        let discovered = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-600))
        let reply = try await server.request(
            .POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport(discoveredAt: discovered))
        #expect(reply.status == 201, "\(String(decoding: reply.body, as: UTF8.self))")
        let created = try reply.decoded(IncidentCreated.self)
        let tasks = try await server.request(
            .GET, "/v1/tasks?incident=\(created.incident.id)", token: DevToken.viewer
        ).decoded([ResponseTask].self)
        return (created, tasks)
    }

    /// `12:45` in China Standard Time.
    static func clock(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
        formatter.dateFormat = "HH:mm"
        return formatter.string(from: date)
    }

    /// Waits up to `seconds` for `condition`.
    static func eventually(_ seconds: Double = 20, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(200))
        }
        return false
    }

    /// The Longjiang drill's scenario, whose participants give numbers.
    static func longjiangDrill() throws -> DrillScenario {
        try DrillScenarioFile.load(
            file: Fixtures.repositoryRoot.appendingPathComponent("seeds/450000/drills/longjiang-cadmium-2012.yaml").path
        )
    }

    /// Every number the rota and the drill hold, as E.164 digits and as the national number: neither may appear
    /// anywhere.
    static var numbers: [String] {
        let drill = (try? longjiangDrill().phones?.people.values.map(\.mobile)) ?? []
        return (rota.people.values.map(\.mobile) + drill).flatMap {
            [String($0.e164.dropFirst()), String($0.e164.dropFirst(3))]
        }
    }

    /// The numbers found in the data directory's files, the server's log and `/metrics`.
    static func leakedNumbers(_ server: ServerProcess) async throws -> [String] {
        var haystacks: [(String, Data)] = [("log", Data(server.log.utf8))]
        haystacks.append(("/metrics", Data(try await server.text("/metrics").utf8)))
        let files = FileManager.default.enumerator(at: server.data, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            if let data = try? Data(contentsOf: file) { haystacks.append((file.lastPathComponent, data)) }
        }
        return numbers.flatMap { number in
            haystacks.filter { $0.1.range(of: Data(number.utf8)) != nil }.map { "\(number) in \($0.0)" }
        }
    }

    @Test func theHolderIsTextedAndAcknowledgesByReplyAndStrangersChangeNothing() async throws {
        try await Self.withServer { server, kannel in
            // First a swap: someone who is not on shift takes Yizhou's county duty officer for the next hour.
            let yizhou = Assignee(unit: "451203", position: .countyDutyOfficer)
            let start = Date().addingTimeInterval(-60)
            let onShift = try #require(Self.rota.holder(of: yizhou, at: start))
            let swappedIn = try #require(["p-lu-jian", "p-wu-min", "p-tan-yu"].first { $0 != onShift.id })
            let format = ISO8601DateFormatter()
            let swap = try await server.request(
                .POST, "/v1/rota/overrides", token: DevToken.commander,
                body: Data(
                    """
                    {"unit":"451203","dutyPosition":"county-duty-officer","person":"\(swappedIn)",
                     "from":"\(format.string(from: start))","to":"\(format.string(from: start.addingTimeInterval(3_600)))"}
                    """.utf8))
            #expect(swap.status == 201, "\(String(decoding: swap.body, as: UTF8.self))")
            let override = try swap.decoded(RotaOverridden.self).override
            #expect(override.numberHash?.count == 16)  // keyed by smsSecret
            let rota = Self.rota.applying(override)

            let (created, tasks) = try await Self.fileReport(server)
            let now = Date()
            // Every task whose position someone holds on the rota is texted to that person, once: Yizhou's to the
            // person swapped in.
            let texted = tasks.compactMap { task in rota.holder(of: task.assignee, at: now).map { (task, $0) } }
            #expect(texted.contains { $0.0.assignee == yizhou && $0.1.id == swappedIn })
            #expect(texted.count >= 3, "tasks: \(tasks.map(\.assignee))")
            #expect(try await Self.eventually { kannel.texts.count >= texted.count })
            let received = kannel.texts
            for (task, person) in texted {
                let ackBy = try #require(task.ackBy)
                let code = TaskTextMessage.code(for: task.id)
                let expected =
                    "\(task.reference) \(task.titleZh ?? task.title)。请\(Self.clock(ackBy))前确认：回复 1 T\(task.number) 或 \(code)"
                #expect(
                    received.filter { $0.to == person.mobile.e164 && $0.text == expected }.count == 1,
                    "no text \(expected) to \(person.id): \(received.map(\.text))")
            }
            // The fake SMSC reports delivery: TaskTextDelivered on the timeline.
            #expect(
                try await Self.eventually {
                    try await server.events(token: DevToken.viewer).filter { $0.type == .taskTextDelivered }.count
                        >= texted.count
                })

            // Yizhou's county duty officer on duty replies `1 T<n>` for a task of theirs.
            let (task, officer) = try #require(texted.first { $0.0.assignee == yizhou })
            let answer = try await kannel.reply(from: officer.mobile.e164, text: "1 T\(task.number)")
            #expect(answer == "已确认 \(task.reference)。")
            let acknowledged = try await server.events(token: DevToken.viewer).filter {
                $0.type == .taskAcknowledged && $0.incident == created.incident.id
            }
            #expect(acknowledged.count == 1)
            #expect(
                acknowledged.first?.actor
                    == .person(unit: "451203", position: "county-duty-officer", token: "sms:\(officer.id)"))
            #expect(
                acknowledged.first?.payload["by"] == .object(["unit": "451203", "position": "county-duty-officer"]))

            // A stranger replying with another task's number changes nothing and hears nothing.
            let (other, _) = try #require(texted.first { $0.0.id != task.id })
            let before = try await server.events(token: DevToken.viewer).count
            #expect(try await kannel.reply(from: "+8613900000000", text: "1 T\(other.number)", seconds: 3) == nil)
            // Someone on the rota who does not hold the task's position is told so, and nothing changes either.
            let chief = try #require(rota.holder(of: Assignee(unit: "450200", position: .cityDutyChief), at: now))
            let refused = try await kannel.reply(from: chief.mobile.e164, text: "1 T\(task.number)")
            #expect(refused?.hasPrefix("没有待您确认的任务 T\(task.number)。") == true, "\(refused ?? "nil")")
            #expect(try await server.events(token: DevToken.viewer).count == before)
            let metrics = try await server.text("/metrics")
            #expect(metrics.contains("watershed_sms_replies_total{outcome=\"stranger\"} 1"))
            #expect(metrics.contains("watershed_sms_replies_total{outcome=\"acknowledged\"} 1"))
            #expect(metrics.contains("watershed_sms_texts_total{outcome=\"sent\"} \(texted.count)"))

            // `?` lists the officer's open tasks, the acknowledged one among them.
            let listing = try await kannel.reply(from: officer.mobile.e164, text: "?")
            #expect(listing?.hasPrefix("待办：") == true)
            #expect(listing?.contains("\(task.reference) 已确认") == true, "\(listing ?? "nil")")

            #expect(try await Self.leakedNumbers(server) == [])
        }
    }

    @Test func whenTheGatewayIsDownDispatchGoesOnAndTheChiefIsAskedToPhone() async throws {
        // Given up after 9 s (0.15 min); meanwhile each try waits 3 s for the connection, then 1 s, then 2 s.
        try await Self.withServer(undeliverableMinutes: "0.15") { server, kannel in
            kannel.stopSMSBox()
            let (created, tasks) = try await Self.fileReport(server)
            #expect(!tasks.isEmpty)  // dispatch does not wait for texts
            let yizhou = Assignee(unit: "451203", position: .countyDutyOfficer)
            let task = try #require(tasks.first { $0.assignee == yizhou })
            // The first failure is recorded, then, 9 s on, the final one and a call for Hechi's city duty chief.
            #expect(
                try await Self.eventually(30) {
                    try await server.request(.GET, "/v1/tasks?incident=\(created.incident.id)", token: DevToken.viewer)
                        .decoded([ResponseTask].self).contains { $0.kind == .textUndelivered }
                })
            let events = try await server.events(token: DevToken.viewer).filter { $0.incident == created.incident.id }
            let failures = try events.filter { $0.type == .taskTextFailed }.map {
                try $0.payload.decode(TaskTextFailed.self)
            }
            #expect(failures.contains { $0.task == task.id && !$0.final })
            #expect(failures.contains { $0.task == task.id && $0.final })
            #expect(events.filter { $0.type == .taskTextSent }.isEmpty)
            let calls = try await server.request(
                .GET, "/v1/tasks?incident=\(created.incident.id)", token: DevToken.viewer
            ).decoded([ResponseTask].self).filter { $0.kind == .textUndelivered }
            let call = try #require(calls.first { $0.obligation == "text:\(task.id.uuidString)" })
            #expect(call.assignee == Assignee(unit: "451200", position: .cityDutyChief))
            #expect(call.titleZh == "电话通知宜州区县级值班员：\(task.reference) 的短信已1分钟未能送达")
            // Retried before giving up (attempt 2 at 1 s).
            #expect(server.log.contains("text not sent; retrying"))
            #expect(server.log.contains("attempt=2"))
            #expect(try await server.text("/metrics").contains("watershed_sms_texts_total{outcome=\"undeliverable\"}"))
            #expect(try await Self.leakedNumbers(server) == [])
        }
    }

    @Test func aDrillIsTextedToItsParticipantsOnlyAndMarked() async throws {
        try await Self.withServer { server, kannel in
            let scenario = try Self.longjiangDrill()
            let phones = try #require(scenario.phones)
            #expect(phones.people.count == 4)  // the provincial duty chief gives no number
            // ×10: a drill task's 15 minutes to acknowledge are 90 s of wall time, longer than the test.
            let started = try await server.request(
                .POST, "/v1/drills", token: DevToken.commander,
                body: try JSONEncoder().encode(DrillStartRequest(scenario: scenario, clockFactor: 10)))
            #expect(started.status == 201, "\(String(decoding: started.body, as: UTF8.self))")
            let drillNumbers = Set(phones.people.values.map(\.mobile.e164))
            #expect(try await Self.eventually { kannel.texts.count >= 2 })
            try await Task.sleep(for: .seconds(1))
            let texts = kannel.texts
            // Only the participants' numbers, every text marked 【演习】; the duty rota's people get nothing.
            #expect(texts.allSatisfy { drillNumbers.contains($0.to) }, "\(texts.map(\.to))")
            #expect(texts.allSatisfy { $0.text.hasPrefix("【演习】GX-") }, "\(texts.map(\.text))")
            #expect(Set(texts.map(\.to)).isDisjoint(with: Self.rota.people.values.map(\.mobile.e164)))
            // The drill's log keeps no number: its DrillStarted holds the scenario without them.
            let events = try await server.events(token: DevToken.commander)
            let drillStarted = try #require(events.first { $0.type == .drillStarted })
            guard case .array(let participants)? = drillStarted.payload["scenario"]?["participants"] else {
                Issue.record("no participants in \(drillStarted.payload)")
                return
            }
            #expect(participants.count == 5)
            #expect(participants.allSatisfy { $0["mobile"] == nil })
            // A participant acknowledges a drill task by reply, on the drill's clock.
            let incident = try #require(events.first { $0.type == .incidentReported && $0.exercise }?.incident)
            let tasks = try await server.request(.GET, "/v1/tasks?incident=\(incident)", token: DevToken.commander)
                .decoded([ResponseTask].self)
            let yizhou = Assignee(unit: "451203", position: .countyDutyOfficer)
            let task = try #require(tasks.first { $0.assignee == yizhou && $0.state == .dispatched })
            let answer = try await kannel.reply(from: "+8610000459231", text: "1 T\(task.number)")
            #expect(answer == "已确认 \(task.reference)。")
            let acknowledged = try await server.events(token: DevToken.commander).filter {
                $0.type == .taskAcknowledged && $0.incident == incident
            }
            #expect(
                acknowledged.map(\.actor) == [
                    .person(unit: "451203", position: "county-duty-officer", token: "sms:drill-1")
                ])
            #expect(acknowledged.first?.exercise == true)
            #expect(try await Self.leakedNumbers(server) == [])
        }
    }
}
