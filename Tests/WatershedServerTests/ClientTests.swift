import Foundation
import NIOConcurrencyHelpers
import Testing
import WatershedClient
import WatershedCore
import WatershedServer
import WatershedTestSupport
import WatershedWire

/// `WatershedClient` against a live server over TLS: typed calls, the error sentences a command prints, and the
/// stream that resumes by itself.
@Suite struct ClientTests {
    static func client(_ handle: LiveServer.Handle, token: String? = DevToken.officer) throws -> WatershedClient {
        try WatershedClient(.init(server: handle.base, token: token, caFile: handle.caFile))
    }

    static func initialReport() throws -> InitialReport {
        try WatershedClient.decoder.decode(InitialReport.self, from: longjiangReport())
    }

    @Test func typedCallsFileListShowAndWorkATask() async throws {
        try await LiveServer.withAPI { handle, _ in
            let officer = try Self.client(handle)
            defer { Task { try? await officer.shutdown() } }
            let me = try await officer.me()
            #expect(me.unit == "451203")
            #expect(me.dutyPosition == .countyDutyOfficer)
            #expect(me.roles == [.officer])

            let created = try await officer.fileInitialReport(try Self.initialReport(), idempotencyKey: "client-1")
            #expect(created.incident.reference.hasPrefix("GX-"))
            #expect(created.firstSeq == 1)
            // The same key and body: the same incident, nothing appended.
            let again = try await officer.fileInitialReport(try Self.initialReport(), idempotencyKey: "client-1")
            #expect(again.incident.id == created.incident.id)
            #expect(again.lastSeq == created.lastSeq)

            let list = try await officer.incidents(state: "open")
            #expect(list.map(\.id) == [created.incident.id])
            let detail = try await officer.incident(created.incident.reference)
            #expect(detail.incident.plan?.arrivals.isEmpty == false)
            #expect(detail.timeline.count == Int(created.lastSeq - created.firstSeq + 1))

            // Yizhou's first task, acknowledged by its reference (the `/` travels as %2F).
            let mine = try await officer.tasks(assignee: "451203", state: .dispatched)
            let first = try #require(mine.first)
            #expect(first.reference.contains("/"))
            let acknowledged = try await officer.work(task: first.reference, .ack)
            #expect(acknowledged.state == .acknowledged)
            #expect(try await officer.task(first.id.uuidString).state == .acknowledged)

            let page = try await officer.events(after: 0, limit: 3)
            #expect(page.map(\.seq) == [1, 2, 3])
            #expect(page.first?.type == .incidentReported)
        }
    }

    @Test func refusalsReadAsSentences() async throws {
        try await LiveServer.withAPI { handle, _ in
            let stranger = try Self.client(handle, token: "not-a-token")
            defer { Task { try? await stranger.shutdown() } }
            let refused = await #expect(throws: WatershedClientError.self) { try await stranger.me() }
            #expect(refused?.exitCode == 1)
            #expect(refused?.code == "bad_token")
            #expect(refused?.description.contains("check --token or WATERSHED_TOKEN") == true)

            let viewer = try Self.client(handle, token: DevToken.viewer)
            defer { Task { try? await viewer.shutdown() } }
            let unknown = await #expect(throws: WatershedClientError.self) { try await viewer.incident("GX-2012-0099") }
            #expect(unknown?.code == "unknown_incident")
            #expect(unknown?.description.contains("GX-2012-0099") == true)
            #expect(unknown?.exitCode == 1)

            let forbidden = await #expect(throws: WatershedClientError.self) {
                try await viewer.fileInitialReport(try Self.initialReport())
            }
            #expect(forbidden?.code == "forbidden")
            #expect(forbidden?.description.hasPrefix("not allowed") == true)

            // No CA given: the system's roots do not know the development CA.
            let untrusting = try WatershedClient(.init(server: handle.base, token: DevToken.viewer))
            defer { Task { try? await untrusting.shutdown() } }
            let untrusted = await #expect(throws: WatershedClientError.self) { try await untrusting.me() }
            guard case .untrustedCertificate = untrusted else {
                Issue.record("expected an untrusted certificate, got \(String(describing: untrusted))")
                return
            }
            #expect(untrusted?.exitCode == 3)
            #expect(untrusted?.description.contains("--ca") == true)
        }
    }

    @Test func nothingListeningIsCannotConnect() async throws {
        let port = try LiveServer.freePort()
        let client = try WatershedClient(.init(server: "https://127.0.0.1:\(port)", token: DevToken.viewer))
        defer { Task { try? await client.shutdown() } }
        let error = await #expect(throws: WatershedClientError.self) { try await client.me() }
        guard case .cannotConnect(_, let why) = error else {
            Issue.record("expected cannot connect, got \(String(describing: error))")
            return
        }
        #expect(why.contains("connection refused"))
        #expect(error?.exitCode == 3)
    }

    @Test func badAddressesAndCAFiles() throws {
        #expect(throws: WatershedClientError.self) { try ServerAddress("http://127.0.0.1:8443") }
        #expect(throws: WatershedClientError.self) { try ServerAddress("https://127.0.0.1:8443/v1") }
        #expect(throws: WatershedClientError.self) { try ServerAddress("127.0.0.1") }
        #expect(try ServerAddress("https://example.org").port == 8443)
        #expect(try ServerAddress("https://[::1]:9443").base == "https://[::1]:9443")
        let missing = #expect(throws: WatershedClientError.self) {
            try WatershedClient(.init(caFile: "/nonexistent/ca.pem"))
        }
        #expect(missing?.exitCode == 2)
        let notPEM = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-ca-\(UUID()).pem")
        try Data("hello".utf8).write(to: notPEM)
        defer { try? FileManager.default.removeItem(at: notPEM) }
        let garbage = #expect(throws: WatershedClientError.self) { try WatershedClient(.init(caFile: notPEM.path)) }
        #expect(garbage?.description.contains(notPEM.path) == true)
    }

    @Test func streamRefusalIsNotRetried() async throws {
        try await LiveServer.withAPI { handle, _ in
            let stranger = try Self.client(handle, token: "not-a-token")
            defer { Task { try? await stranger.shutdown() } }
            let error = await #expect(throws: WatershedClientError.self) {
                try await stranger.follow(after: 0) { _ in .proceed }
            }
            #expect(error?.code == "bad_token")
        }
    }

    /// The follower is handed every seq once, in order, across a server restart on the same port and data, and says
    /// when it dropped and when it came back.
    @Test func followResumesAcrossARestartWithoutGapOrDuplicate() async throws {
        let data = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let port = try LiveServer.freePort()
        let seen = NIOLockedValueBox<[StreamUpdate]>([])
        // First run: file the report, start following, see it all.
        let (firstLast, caFile, reference) = try await LiveServer.run(data: data, port: port) { handle in
            let api = try APIClient(handle)
            defer { api.close() }
            let reply = try await api.request(.POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport())
            #expect(reply.status == 201)
            let created = try reply.decoded(IncidentCreated.self)
            return (created.lastSeq, handle.caFile, created.incident.reference)
        }
        #expect(firstLast > 10)
        let client = try WatershedClient(
            .init(server: "https://127.0.0.1:\(port)", token: DevToken.viewer, caFile: caFile))
        defer { Task { try? await client.shutdown() } }
        let follower = Task {
            try await client.follow(after: 0) { update in
                seen.withLockedValue { $0.append(update) }
                return .proceed
            }
        }
        // The server is down: the follower keeps retrying. Start it again and wait for the first caughtUp.
        let secondLast = try await LiveServer.run(data: data, port: port) { handle in
            let head = try await Self.caughtUp(1, in: seen)
            #expect(head == firstLast)
            let api = try APIClient(handle)
            defer { api.close() }
            var last: Int64 = 0
            for _ in 0..<2 {
                let reply = try await api.request(
                    .POST, "/v1/incidents/\(reference)/reports", token: DevToken.officer,
                    body: ReportsTests.report())
                #expect(reply.status == 201, "\(String(decoding: reply.body, as: UTF8.self))")
                last = try reply.decoded(IncidentCreated.self).lastSeq
            }
            // Wait until the follower has been handed the last event, then stop the server under it.
            for _ in 0..<500 where Self.lastSeq(seen.withLockedValue { $0 }) < last {
                try await Task.sleep(for: .milliseconds(10))
            }
            return last
        }
        // Third run: one more report while the follower reconnects.
        let thirdLast = try await LiveServer.run(data: data, port: port) { handle in
            let head = try await Self.caughtUp(2, in: seen)
            #expect(head == secondLast)
            let api = try APIClient(handle)
            defer { api.close() }
            let reply = try await api.request(
                .POST, "/v1/incidents/\(reference)/reports", token: DevToken.officer,
                body: ReportsTests.report())
            let last = try reply.decoded(IncidentCreated.self).lastSeq
            for _ in 0..<500 where Self.lastSeq(seen.withLockedValue { $0 }) < last {
                try await Task.sleep(for: .milliseconds(10))
            }
            return last
        }
        follower.cancel()
        _ = await follower.result
        let updates = seen.withLockedValue { $0 }
        let seqs = updates.compactMap { update -> Int64? in
            if case .event(let event) = update { return event.seq }
            return nil
        }
        #expect(thirdLast > secondLast && secondLast > firstLast)
        #expect(seqs == Array(1...max(1, thirdLast)), "every seq once, in order")
        #expect(updates.contains { if case .disconnected = $0 { true } else { false } })
        let resumes = updates.compactMap { update -> Int64? in
            if case .reconnected(let after) = update { return after }
            return nil
        }
        #expect(resumes.contains(secondLast), "the second reconnection resumes after the last seq handed over")
    }

    /// The head of the `n`th `caughtUp` (1-based) the follower was handed, waiting up to 30 s for it.
    static func caughtUp(_ n: Int, in seen: NIOLockedValueBox<[StreamUpdate]>) async throws -> Int64? {
        for _ in 0..<3_000 {
            let heads = seen.withLockedValue { updates in
                updates.compactMap { update -> Int64? in
                    if case .caughtUp(let head) = update { return head }
                    return nil
                }
            }
            if heads.count >= n { return heads[n - 1] }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    static func lastSeq(_ updates: [StreamUpdate]) -> Int64 {
        for update in updates.reversed() {
            if case .event(let event) = update { return event.seq }
        }
        return 0
    }
}
