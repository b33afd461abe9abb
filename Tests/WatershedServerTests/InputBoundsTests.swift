import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import Testing
import WatershedCAP
import WatershedClient
import WatershedCore
import WatershedFederation
import WatershedPlaybooks
import WatershedServer
import WatershedTestSupport
import WatershedWire

/// Issue 15, items 1, 10, 11 and 12, live over TLS: each input named in the issue, the status, the error's field,
/// and that nothing was stored (the log's head, read from `/readyz`, unchanged).
@Suite struct InputBoundsTests {
    /// The log's head as `/readyz` reports it.
    static func head(_ api: APIClient) async throws -> Int {
        Int(try await api.head())
    }

    /// A POST with the body exactly as given and the `Content-Type` given (``APIClient/request`` always says
    /// `application/json`).
    static func post(_ api: APIClient, _ path: String, token: String, body: Data, contentType: String) async throws
        -> APIClient.Reply
    {
        var request = HTTPClientRequest(url: api.handle.base + path)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: contentType)
        request.body = .bytes(ByteBuffer(data: body))
        let response = try await api.client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return APIClient.Reply(status: Int(response.status.code), body: Data(buffer: bytes))
    }

    static func message(_ reply: APIClient.Reply) -> String {
        reply.error?.message ?? ""
    }

    /// The Longjiang report (``longjiangReport(massKg:km:river:discoveredAt:)``) signed by `unit`.
    static func signed(_ body: Data, as unit: String) -> Data {
        Data(
            String(decoding: body, as: UTF8.self)
                .replacingOccurrences(of: #""reportingUnit":"451203""#, with: #""reportingUnit":"\#(unit)""#).utf8)
    }

    /// An HTTPS client presenting Guangdong's peer-client certificate (made by `TrialCertificates` under `root`).
    static func guangdongPeer(root: URL, caFile: String) throws -> HTTPClient {
        let guangdongTLS = root.appendingPathComponent("440000/tls")
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
        tls.certificateChain = try NIOSSLCertificate.fromPEMFile(
            guangdongTLS.appendingPathComponent("peer-client.pem").path
        ).map { .certificate($0) }
        tls.privateKey = .privateKey(
            try NIOSSLPrivateKey(file: guangdongTLS.appendingPathComponent("peer-client-key.pem").path, format: .pem))
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = tls
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Posts a CAP document to `POST /v1/feeds/cap` on the peer port: the HTTP status and the CAP answer.
    static func postCAP(_ document: Data, with peer: HTTPClient, port: Int) async throws -> (Int, CAPAlert) {
        var post = HTTPClientRequest(url: "https://127.0.0.1:\(port)/v1/feeds/cap")
        post.method = .POST
        post.headers.add(name: "Content-Type", value: "application/cap+xml")
        post.body = .bytes(ByteBuffer(data: document))
        let answer = try await peer.execute(post, timeout: .seconds(30))
        let body = try await answer.body.collect(upTo: 1 << 20)
        return (Int(answer.status.code), try CAPAlert(xml: Data(buffer: body)))
    }

    // MARK: Item 1 — depth bounds

    /// CAP XML nested 50,000 elements deep (7 bytes a level: 350,000 bytes plus the root, under the 1 MiB limit)
    /// posted to the peer port used to kill the server (SIGSEGV). Now: 400 with a CAP Error whose note names the
    /// limit (64 levels), nothing stored, and the server still ingests the next message.
    @Test func capNested50000DeepIsACAPError() async throws {
        let root = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        try TrialCertificates.make([.init(code: "450000"), .init(code: "440000")], in: root)
        let peerPort = try LiveServer.freePort()
        try await LiveServer.run(data: root.appendingPathComponent("450000"), peerPort: peerPort) { handle in
            let peer = try Self.guangdongPeer(root: root, caFile: handle.caFile)
            defer { peer.shutdown { _ in } }
            func post(_ document: Data) async throws -> (Int, CAPAlert) {
                try await Self.postCAP(document, with: peer, port: peerPort)
            }
            let api = try APIClient(handle)
            defer { api.close() }

            let deep =
                #"<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">"#
                + String(repeating: "<a>", count: 50_000) + String(repeating: "</a>", count: 50_000) + "</alert>"
            // 7 bytes a level, plus the root's start tag (52 bytes) and end tag (8).
            #expect(deep.utf8.count == 350_000 + 52 + 8)
            #expect(deep.utf8.count < 1 << 20)
            let (status, answer) = try await post(Data(deep.utf8))
            #expect(status == 400)
            #expect(answer.msgType == .error)
            #expect(answer.note?.contains("xml: elements nest deeper than 64 levels") == true, "\(answer.note ?? "")")
            #expect(try await Self.head(api) == 0)

            // 64 levels (alert + 63) is within the bound: read, then refused for what CAP itself lacks.
            let atLimit =
                #"<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">"#
                + String(repeating: "<a>", count: 63) + String(repeating: "</a>", count: 63) + "</alert>"
            let (limitStatus, limitAnswer) = try await post(Data(atLimit.utf8))
            #expect(limitStatus == 400)
            #expect(limitAnswer.note?.contains("nest deeper") == false, "\(limitAnswer.note ?? "")")

            // Still serving: OASIS example A.1 is applied.
            let alert = try Data(
                contentsOf: Fixtures.capFixtures.appendingPathComponent("01-oasis-A1-homeland-security-alert.xml"))
            let (applied, ack) = try await post(alert)
            #expect(applied == 200)
            #expect(ack.msgType == .ack)
            #expect(try await Self.head(api) == 1)
        }
    }

    /// The parser alone: one level over the bound is refused before a tree is built, the bound itself is not.
    @Test func capDepthBoundIsSixtyFourLevels() throws {
        func document(levels: Int) -> Data {
            Data(
                (#"<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">"#
                    + String(repeating: "<x:a xmlns:x=\"urn:example\">", count: levels - 1)
                    + String(repeating: "</x:a>", count: levels - 1) + "</alert>").utf8)
        }
        #expect(throws: CAPParseError(path: "xml", message: "elements nest deeper than 64 levels (the limit)")) {
            try CAPAlert(xml: document(levels: 65))
        }
        // 64 levels parse as far as the first missing CAP element (identifier).
        #expect(throws: CAPParseError(path: "alert.identifier", message: "is required")) {
            try CAPAlert(xml: document(levels: 64))
        }
    }

    /// A JSON body nested 50,000 arrays deep inside a report field: 400 `invalid_body` on `body`, the message naming
    /// the 512-level limit, nothing stored.
    @Test func jsonNested50000DeepIs400() async throws {
        try await LiveServer.withAPI { _, api in
            let report = String(decoding: longjiangReport(), as: UTF8.self)
            let deep = report.replacingOccurrences(
                of: #""cause":"cadmium discharge through karst caves""#,
                with: #""cause":"# + String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000))
            #expect(deep.utf8.count > 100_000)
            let reply = try await api.request(.POST, "/v1/incidents", token: DevToken.officer, body: Data(deep.utf8))
            #expect(reply.status == 400)
            #expect(reply.error?.code == "invalid_body")
            #expect(reply.error?.field == "body")
            #expect(Self.message(reply).contains("nested deeper than 512 levels"), "\(Self.message(reply))")
            #expect(try await Self.head(api) == 0)
        }
    }

    /// Foundation's `JSONDecoder` (used for peer-link frames and stream frames) refuses 50,000 levels with an error
    /// rather than exhausting the stack, so the frames decoded with it directly are bounded too.
    @Test func foundationJSONDecoderRefusesDeepNesting() throws {
        let deep = Data((String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000)).utf8)
        #expect(throws: (any Error).self) { try JSONDecoder().decode(JSONValue.self, from: deep) }
        let frame =
            #"{"type":"events","events":"# + String(repeating: "[", count: 50_000)
            + String(repeating: "]", count: 50_000) + "}"
        #expect(throws: (any Error).self) { try PeerLinkMessage(text: frame) }
    }

    /// A playbook nested beyond libyaml's 1000 levels (5,000 `[` in `reaches`), and an organisation seed likewise: one
    /// `file:line:column: field: message` diagnostic each, naming the limit, on the line where the nesting is.
    @Test func yamlNestedTooDeepIsADiagnostic() throws {
        let deep = String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000) + "\n"
        let playbook = PlaybookLoader().decodeFile(
            PlaybookSource(
                file: "playbooks/deep.yaml", text: "schemaVersion: 1\nkind: river\nid: deep\nreaches: " + deep))
        #expect(playbook.document == nil)
        #expect(playbook.diagnostics.count == 1)
        let diagnostic = try #require(playbook.diagnostics.first)
        #expect(diagnostic.file == "playbooks/deep.yaml")
        #expect(diagnostic.line == 4)
        // "reaches: " is 9 characters: the run of "[" starts at column 10 (libyaml marks a position within the run,
        // up to the 1,001st "[" at column 1010, or just after it).
        #expect((10...1_011).contains(diagnostic.column), "\(diagnostic.column)")
        #expect(diagnostic.message == "invalid YAML: lists and mappings nest deeper than 1000 levels")
        #expect(diagnostic.description.hasPrefix("playbooks/deep.yaml:4:"))

        let seed = Result { () throws(PlaybookLoadError) -> Organisation in
            try OrganisationSeed.decode("schemaVersion: 1\nunits: " + deep, file: "organisation.yaml", units: [:])
        }
        guard case .failure(let error) = seed else {
            Issue.record("decoded")
            return
        }
        #expect(error.diagnostics.map(\.line) == [2])
        #expect(error.diagnostics.first?.message == "invalid YAML: lists and mappings nest deeper than 1000 levels")
    }

    // MARK: Item 10 — discovery time

    /// The wall clock of these tests: 2026-11-29 10:00 +08:00 (02:00Z; `date -u -d @1795917600`).
    static let now = Date(timeIntervalSince1970: 1_795_917_600)

    /// A report discovered a year from now, in 9999, in 0001 or 0000, before 2000 (+08:00), or 301 s ahead: 422 on
    /// `discoveredAt`, nothing stored. 300 s ahead (the follow-up skew) and 2000-01-01 00:00 +08:00 file.
    @Test func discoveryTimeIsBoundedOnTheWallClock() async throws {
        try await LiveServer.withAPI(clock: ManualWallClock(Self.now)) { _, api in
            for discoveredAt in [
                "2027-11-29T10:00:00+08:00",  // a year from now
                "9999-12-31T23:59:59+08:00", "0001-01-01T00:00:00+08:00", "0000-01-01T00:00:00Z",
                "1999-12-31T23:59:59+08:00",  // one second before the bound
                "2026-11-29T02:05:01Z",  // now + 301 s
            ] {
                let reply = try await api.request(
                    .POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport(discoveredAt: discoveredAt))
                #expect(reply.status == 422, "\(discoveredAt)")
                #expect(reply.error?.field == "discoveredAt", "\(discoveredAt)")
                #expect(try await Self.head(api) == 0)
            }
            let ahead = try await api.request(
                .POST, "/v1/incidents", token: DevToken.officer,
                body: longjiangReport(discoveredAt: "2026-11-29T10:05:00+08:00"))
            #expect(ahead.status == 201, "\(String(decoding: ahead.body, as: UTF8.self))")
            let first = try await Self.head(api)
            #expect(first > 0)
            let earliest = try await api.request(
                .POST, "/v1/incidents", token: DevToken.officer,
                body: longjiangReport(discoveredAt: "2000-01-01T00:00:00+08:00"))
            #expect(earliest.status == 201, "\(String(decoding: earliest.body, as: UTF8.self))")
        }
    }

    /// The He River drill (2013) files its initial report on the drill's clock (wall clock: 2026). A discovery after
    /// the drill clock's time is refused when the drill starts (422 on the inject's `discoveredAt`, before any
    /// inject plays); a replay of an incident before 2000 starts but its report is refused by the runner, naming
    /// the bound (2000-01-01T00:00:00+08:00 = 1999-12-31T16:00:00.000Z), and no incident is opened.
    @Test func heRiverDrillFilesOnTheDrillClock() async throws {
        try await LiveServer.withAPI(clock: ManualWallClock(Self.now), scheduler: true) { handle, _ in
            let commander = try DrillTests.client(handle, DevToken.commander)
            defer { Task { try? await commander.shutdown() } }
            let started = try await commander.startDrill(
                DrillStartRequest(scenario: try DrillTests.scenario("he-river-2013-joint"), clockFactor: 60))
            try await DrillTests.eventually("the opening inject") {
                try await commander.drill(started.drill.id.uuidString).injectsPlayed == 1
            }
            let reported = try await DrillTests.events(commander).filter { $0.type == .incidentReported }
            #expect(reported.count == 1)
            // 2013-07-05 12:00 +08:00, the scenario's startsAt.
            #expect(reported.first?.drillAt == CanonicalJSON.date(fromTimestamp: "2013-07-05T04:00:00Z"))
            _ = try await commander.endDrill(started.drill.id.uuidString)

            var late = try DrillTests.scenario("he-river-2013-joint")
            var report = try #require(late.injects[0].report).decode(InitialReport.self)
            report.discoveredAt = try #require(CanonicalJSON.date(fromTimestamp: "2013-07-05T13:00:00+08:00"))
            late.injects[0].report = try JSONValue(encoding: report)
            do {
                _ = try await commander.startDrill(DrillStartRequest(scenario: late, clockFactor: 60))
                Issue.record("a drill whose discovery is after its inject started")
            } catch {
                #expect("\(error)".contains("scenario.injects[0].report.discoveredAt"), "\(error)")
            }

            var old = try DrillTests.scenario("he-river-2013-joint")
            old.startsAt = "1999-12-31T12:00:00+08:00"
            old.endsAtMin = nil
            old.injects = [old.injects[0]]
            old.expectations = []
            report.discoveredAt = try #require(CanonicalJSON.date(fromTimestamp: "1999-12-31T12:00:00+08:00"))
            old.injects[0].report = try JSONValue(encoding: report)
            let second = try await commander.startDrill(DrillStartRequest(scenario: old, clockFactor: 60))
            try await DrillTests.eventually("the refused inject") {
                try await commander.drill(second.drill.id.uuidString).injectsPlayed == 1
            }
            let events = try await DrillTests.events(commander)
            #expect(events.filter { $0.type == .incidentReported }.count == 1, "only the first drill's")
            let injected = try #require(
                events.last { $0.type == .drillInjected }.map { try $0.payload.decode(DrillInjectedPayload.self) })
            #expect(injected.drill == second.drill.id)
            #expect(injected.summary.contains("the runner could not file it"), "\(injected.summary)")
            #expect(injected.summary.contains("is before 1999-12-31T16:00:00.000Z"), "\(injected.summary)")
        }
    }

    // MARK: Item 11 — encodings

    /// A follow-up with a misspelt `levelchange` in UTF-8 with a byte order mark: 400 `unknown_field` on
    /// `levelchange`, as without the mark. In UTF-16 (either order, with or without a mark), UTF-32, or declared
    /// `charset=utf-16`: 415 on `body`. Nothing stored; a correct report with the mark files (201).
    @Test func everyEncodingGetsTheStrictChecksOr415() async throws {
        try await LiveServer.withAPI { _, api in
            let id = try await api.file(longjiangReport())
            let head = try await Self.head(api)
            let path = "/v1/incidents/\(id)/reports"
            let text = String(
                decoding: ReportsTests.report(#""levelchange":{"to":"III","at":"2012-01-15T10:00:00+08:00"}"#),
                as: UTF8.self)
            let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
            let misspelt = try await Self.post(
                api, path, token: DevToken.officer, body: Data(bom + Array(text.utf8)),
                contentType: "application/json")
            #expect(misspelt.status == 400)
            #expect(misspelt.error?.code == "unknown_field")
            #expect(misspelt.error?.field == "levelchange")

            let utf16LE = Data([0xFF, 0xFE] + text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
            let utf16BE = Data([0xFE, 0xFF] + text.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] })
            let utf16BENoMark = Data(text.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] })
            let utf32LE = Data(
                text.unicodeScalars.flatMap { scalar in (0..<4).map { UInt8((scalar.value >> (8 * $0)) & 0xFF) } })
            for (name, body, contentType) in [
                ("UTF-16LE with a mark", utf16LE, "application/json"),
                ("UTF-16BE with a mark", utf16BE, "application/json"),
                ("UTF-16BE without a mark", utf16BENoMark, "application/json"),
                ("UTF-32LE without a mark", utf32LE, "application/json"),
                ("UTF-8 declared as UTF-16", Data(text.utf8), "application/json; charset=utf-16"),
            ] {
                let reply = try await Self.post(
                    api, path, token: DevToken.officer, body: body, contentType: contentType)
                #expect(reply.status == 415, "\(name)")
                #expect(reply.error?.code == "unsupported_encoding", "\(name)")
                #expect(reply.error?.field == "body", "\(name)")
            }
            #expect(try await Self.head(api) == head)

            let correct = try await Self.post(
                api, path, token: DevToken.officer, body: Data(bom + Array(ReportsTests.report())),
                contentType: "application/json; charset=UTF-8")
            #expect(correct.status == 201, "\(String(decoding: correct.body, as: UTF8.self))")
        }
    }

    // MARK: Item 12 — reporting unit

    /// Liuzhou's officer (450200) signing as 451203 (Yizhou, under Hechi), 441225 (a Guangdong county) or 450000
    /// (the region): 403 on `signature.reportingUnit`, for initial and follow-up reports, nothing stored. It files
    /// as itself and as Liubei District (450205, under Liuzhou, listed in seeds/450000/organisation.yaml); the
    /// commander (450000) files for Yizhou but not for Guangdong's 441225.
    @Test func theReportingUnitIsOneTheTokenMayReportFor() async throws {
        let liuzhou = "wsd-dev-officer-liuzhou"
        try await LiveServer.withAPI { _, api in
            for unit in ["451203", "441225", "450000"] {
                let reply = try await api.request(
                    .POST, "/v1/incidents", token: liuzhou, body: Self.signed(longjiangReport(), as: unit))
                #expect(reply.status == 403, "\(unit)")
                #expect(reply.error?.code == "reporting_unit", "\(unit)")
                #expect(reply.error?.field == "signature.reportingUnit", "\(unit)")
            }
            #expect(try await Self.head(api) == 0)
            let commanderAbroad = try await api.request(
                .POST, "/v1/incidents", token: DevToken.commander, body: Self.signed(longjiangReport(), as: "441225"))
            #expect(commanderAbroad.status == 403)
            #expect(commanderAbroad.error?.field == "signature.reportingUnit")
            #expect(try await Self.head(api) == 0)

            for (token, unit) in [(liuzhou, "450200"), (liuzhou, "450205"), (DevToken.commander, "451203")] {
                let reply = try await api.request(
                    .POST, "/v1/incidents", token: token, body: Self.signed(longjiangReport(), as: unit))
                #expect(reply.status == 201, "\(unit): \(String(decoding: reply.body, as: UTF8.self))")
            }
            let id = try await api.file(longjiangReport())
            let head = try await Self.head(api)
            for unit in ["451203", "441225", "450000"] {
                let reply = try await api.request(
                    .POST, "/v1/incidents/\(id)/reports", token: liuzhou,
                    body: Self.signed(ReportsTests.report(), as: unit))
                #expect(reply.status == 403, "\(unit)")
                #expect(reply.error?.field == "signature.reportingUnit", "\(unit)")
            }
            #expect(try await Self.head(api) == head)
            let own = try await api.request(
                .POST, "/v1/incidents/\(id)/reports", token: liuzhou,
                body: Self.signed(ReportsTests.report(), as: "450200"))
            #expect(own.status == 201, "\(String(decoding: own.body, as: UTF8.self))")
        }
    }

    /// A body declared over 1 MiB is refused before any of it is read: 413, and the connection closed, so a client
    /// still writing its 12 MB learns at once (the live fuzz found a client left waiting on a full socket buffer,
    /// its answer unread, when the route answered and the rest of the body stayed unread).
    @Test func aBodyDeclaredOverTheLimitIsRefusedUnreadAndTheConnectionClosed() async throws {
        try await LiveServer.withAPI { handle, _ in
            let connection = try await RawConnection.connect(
                port: handle.port, tls: try LiveServer.tls(caFile: handle.caFile),
                first: "POST /v1/incidents HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(DevToken.officer)\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 12000000\r\n\r\n{\"discoveredAt\":")
            let answer = await connection.response(within: .seconds(5))
            #expect(answer?.status == 413)
            #expect(answer?.headers["connection"] == "close")
            #expect(answer?.body.contains(#""code":"body_too_large","field":"body""#) == true)
            #expect(await connection.closed(within: .seconds(5)))
            connection.close()
        }
    }
}
