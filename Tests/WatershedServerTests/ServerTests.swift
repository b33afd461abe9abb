import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdWSClient
import NIOCore
import NIOHTTP1
import NIOSSL
import Testing
import WatershedCore
import WatershedServer
import WatershedWire

/// A frame of the live stream, as a client reads it (``StreamMessage``): what a test compares of it, so that the
/// tens of thousands a stream test collects do not keep every event's payload.
struct Frame: Sendable, Equatable {
    var type: String
    var seq: Int64?
    var eventType: String?
    var hash: String?
    var head: Int64?

    init(_ text: String) throws {
        switch try StreamMessage(text: text) {
        case .event(let event):
            type = "event"
            seq = event.seq
            eventType = event.type.rawValue
            hash = event.hash
        case .caughtUp(let head):
            type = "caughtUp"
            self.head = head
        }
    }
}

final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var frames: [Frame] = []
    func append(_ frame: Frame) { lock.withLock { frames.append(frame) } }
    var all: [Frame] { lock.withLock { frames } }
}

/// Subscribes to `/v1/stream?after=`, reads the backlog up to `caughtUp`, runs `action` while still
/// connected, then reads `live` more event frames and disconnects.
func subscribe(
    _ handle: LiveServer.Handle, after: Int64, token: String? = DevToken.viewer, query: String = "", live: Int = 0,
    action: @escaping @Sendable () async throws -> Void = {}
) async throws -> [Frame] {
    let collected = Collected()
    var headers = HTTPFields()
    if let token { headers[.authorization] = "Bearer \(token)" }
    try await WebSocketClient.connect(
        url: "wss://127.0.0.1:\(handle.port)/v1/stream?after=\(after)\(query)",
        configuration: .init(maxFrameSize: 1 << 16, additionalHeaders: headers, sniHostname: "localhost"),
        tlsConfiguration: try LiveServer.tls(caFile: handle.caFile), logger: LiveServer.logger
    ) { inbound, outbound, _ in
        var messages = inbound.messages(maxSize: 16 << 20).makeAsyncIterator()
        var caughtUp = false
        var liveSeen = 0
        while let message = try await messages.next() {
            guard case .text(let text) = message else { continue }
            let frame = try Frame(text)
            collected.append(frame)
            if frame.type == "caughtUp" {
                caughtUp = true
                try await action()
            } else if caughtUp {
                liveSeen += 1
            }
            if caughtUp && liveSeen >= live { break }
        }
        try await outbound.close(.normalClosure, reason: nil)
    }
    return collected.all
}

@Suite(.serialized) struct ServerTests {
    @Test func healthOverTLSWithTheDevelopmentCA() async throws {
        let data = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let firstCA = try await LiveServer.run(data: data) { handle in
            let api = try APIClient(handle)
            defer { api.close() }
            let health = try await api.request(.GET, "/healthz")
            #expect(health.status == 200)
            #expect(String(decoding: health.body, as: UTF8.self) == "ok\n")
            let ready = try await api.request(.GET, "/readyz")
            #expect(ready.status == 200)
            return try String(contentsOfFile: handle.caFile, encoding: .utf8)
        }
        // A second start on the same data directory reuses the CA.
        let secondCA = try await LiveServer.run(data: data) { handle in
            try String(contentsOfFile: handle.caFile, encoding: .utf8)
        }
        #expect(firstCA == secondCA)
        #expect(firstCA.hasPrefix("-----BEGIN CERTIFICATE-----"))
    }

    /// TLS 1.2 is the minimum: a client limited to TLS 1.1 cannot connect.
    @Test func tls11IsRefused() async throws {
        let data = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        try await LiveServer.run(data: data) { handle in
            var tls = try LiveServer.tls(caFile: handle.caFile)
            tls.maximumTLSVersion = .tlsv11
            tls.minimumTLSVersion = .tlsv1
            var configuration = HTTPClient.Configuration()
            configuration.tlsConfiguration = tls
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            await #expect(throws: (any Error).self) {
                _ = try await client.execute(HTTPClientRequest(url: handle.base + "/healthz"), timeout: .seconds(3))
            }
            try await client.shutdown()
        }
    }

    /// 401 without or with an unknown token, 403 with the wrong role; the JSON error names the code.
    @Test func authentication() async throws {
        try await LiveServer.withAPI { handle, api in
            let none = try await api.request(.GET, "/v1/playbooks")
            #expect(none.status == 401)
            #expect(none.error?.code == "unauthenticated")
            let unknown = try await api.request(.GET, "/v1/playbooks", token: "not-a-token")
            #expect(unknown.status == 401)
            #expect(unknown.error?.code == "bad_token")
            let viewerPosts = try await api.request(
                .POST, "/v1/incidents", token: DevToken.viewer, body: longjiangReport())
            #expect(viewerPosts.status == 403)
            #expect(viewerPosts.error?.code == "forbidden")
            let me = try await api.request(.GET, "/v1/me", token: DevToken.officer)
            #expect(try me.decoded(Identity.self).unit == "451203")
            let playbooks = try await api.request(.GET, "/v1/playbooks", token: DevToken.viewer)
            #expect(playbooks.status == 200)
            let map = try await api.request(.GET, "/v1/playbooks/longjiang/map", token: DevToken.viewer)
            #expect(try map.decoded(JSONValue.self)["type"] == "FeatureCollection")
        }
    }

    /// Bad input gets a 4xx naming the field, and nothing is appended.
    @Test func badReportsAppendNothing() async throws {
        try await LiveServer.withAPI { handle, api in
            let cases: [(Data, Int, String?)] = [
                (longjiangReport(river: "nile"), 422, "place.river.id"),
                (longjiangReport(km: "500"), 422, "place.river.km"),
                (longjiangReport(massKg: "-5"), 422, "release"),
                (longjiangReport(discoveredAt: "2012-01-15T08:00:00"), 400, "discoveredAt"),
                (Data("{not json".utf8), 400, "body"),
                (Data(#"{"discoveredAt": 5}"#.utf8), 400, "discoveredAt"),
                (Data(repeating: 0x20, count: (1 << 20) + 10), 413, "body"),
            ]
            for (body, status, field) in cases {
                let reply = try await api.request(.POST, "/v1/incidents", token: DevToken.officer, body: body)
                #expect(reply.status == status, "\(String(decoding: reply.body, as: UTF8.self))")
                #expect(reply.error?.field == field)
            }
            let events = try await api.request(.GET, "/v1/events?after=0", token: DevToken.viewer)
            #expect(String(decoding: events.body, as: UTF8.self) == "[]")
            let badAfter = try await api.request(.GET, "/v1/events?after=-1", token: DevToken.viewer)
            #expect(badAfter.status == 400)
            #expect(badAfter.error?.field == "after")
        }
    }

    /// The issue's live test: a subscriber sees the Longjiang report's events in seq order; after a
    /// disconnect it resumes with exactly the missed events; after a restart a new client with
    /// after=0 gets the same seqs and hashes.
    @Test func streamInOrderResumeAndRestart() async throws {
        let data = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let (firstRun, resumed) = try await LiveServer.run(data: data) { handle in
            try await Self.fileAndResume(handle)
        }
        // Restart on the same data directory: the same seqs and hashes from 0.
        let again = try await LiveServer.run(data: data) { handle in try await subscribe(handle, after: 0) }
        #expect(again == firstRun)
        #expect(again.count > resumed.count)
        #expect(Set(again.compactMap(\.hash)).count == again.count - 1)
    }
}

extension ServerTests {
    /// Client A subscribes from 0 and files the Longjiang report once caught up; then three more
    /// reports are filed while it is away; it resumes after its last seq. Returns a full replay from 0
    /// and the resumed frames.
    static func fileAndResume(_ handle: LiveServer.Handle) async throws -> ([Frame], [Frame]) {
        let api = try APIClient(handle)
        defer { api.close() }
        let created = ManagedCount()
        let frames = try await subscribe(handle, after: 0, live: 4) {
            let reply = try await api.request(.POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport())
            #expect(reply.status == 201)
            created.set(Int(try reply.decoded(IncidentCreated.self).lastSeq))
        }
        #expect(frames.first == (try Frame(#"{"type":"caughtUp","head":0}"#)))
        let live = frames.dropFirst()
        #expect(live.map(\.seq) == [1, 2, 3, 4])
        #expect(live.map(\.eventType) == ["IncidentReported", "PlanComputed", "ObligationDue", "ObligationDue"])
        let lastSeen: Int64 = 4
        for km in ["10", "20", "30"] {
            let reply = try await api.request(
                .POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport(km: km))
            #expect(reply.status == 201)
        }
        let head = try await api.head()
        // A resumes after its last seq: exactly the missed events, in order, then caughtUp.
        let back = try await subscribe(handle, after: lastSeen)
        #expect(back.compactMap(\.seq) == Array((lastSeen + 1)...head))
        #expect(back.last?.type == "caughtUp")
        #expect(back.last?.head == head)
        #expect(created.value > 4)
        return (try await subscribe(handle, after: 0), back)
    }
}

final class ManagedCount: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = 0
    func set(_ value: Int) { lock.withLock { stored = value } }
    var value: Int { lock.withLock { stored } }
}
