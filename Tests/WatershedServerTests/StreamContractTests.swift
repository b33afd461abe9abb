import Foundation
import HTTPTypes
import HummingbirdWSClient
import NIOConcurrencyHelpers
import Testing
import WatershedClient
import WatershedCore
import WatershedServer
import WatershedWire

/// The live stream's close codes (docs/stream.md): 4002 for a client ahead of the committed head, 4003 for a token
/// that lost its rights (issue 15, items 8 and 9).
@Suite struct StreamContractTests {
    /// Connects with `after` and reads until the server closes; returns the text messages and the close frame.
    static func connect(_ handle: LiveServer.Handle, after: String, token: String) async throws -> (
        [String], WebSocketCloseFrame?
    ) {
        let texts = NIOLockedValueBox<[String]>([])
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(token)"
        let close = try await WebSocketClient.connect(
            url: "wss://127.0.0.1:\(handle.port)/v1/stream?after=\(after)",
            configuration: .init(maxFrameSize: 1 << 16, additionalHeaders: headers, sniHostname: "localhost"),
            tlsConfiguration: try LiveServer.tls(caFile: handle.caFile), logger: LiveServer.logger
        ) { inbound, _, _ in
            for try await message in inbound.messages(maxSize: 16 << 20) {
                if case .text(let text) = message { texts.withLockedValue { $0.append(text) } }
            }
        }
        return (texts.withLockedValue { $0 }, close)
    }

    /// A log whose head is below the client's `after` (a restore from an older backup, a new data directory): the
    /// server closes with 4002 `ahead:<head>:<hash of seq 1>` and sends no `caughtUp`; `after` equal to the head is
    /// not ahead. The hash is the one `GET /v1/events` shows for seq 1.
    @Test func aClientAheadOfTheLogIsToldSo() async throws {
        try await LiveServer.withAPI { handle, api in
            let filed = try await api.request(.POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport())
            #expect(filed.status == 201)
            let head = try filed.decoded(IncidentCreated.self).lastSeq
            let first = try await api.request(.GET, "/v1/events?after=0&limit=1", token: DevToken.viewer)
            let hash = try #require(try first.decoded([StoredEvent].self).first?.hash)
            #expect(hash.count == 64)

            let (texts, close) = try await Self.connect(handle, after: "500", token: DevToken.viewer)
            #expect(texts.isEmpty)
            #expect(close?.closeCode == .unknown(4002))
            #expect(close?.reason == "ahead:\(head):\(hash)")

            // At the head exactly: nothing is missing, so caughtUp at once (read one message, then leave).
            let client = try ClientTests.client(handle, token: DevToken.viewer)
            defer { Task { try? await client.shutdown() } }
            let atHead = NIOLockedValueBox<[StreamUpdate]>([])
            try await client.follow(after: head, reconnect: false) { update in
                atHead.withLockedValue { $0.append(update) }
                return .stop
            }
            guard case .caughtUp(let caughtUp) = atHead.withLockedValue({ $0.first }) else {
                Issue.record("expected caughtUp, got \(atHead.withLockedValue { $0 })")
                return
            }
            #expect(caughtUp == head)
        }
    }

    /// The client library says why and starts over from seq 0: every event of the log is handed to it once.
    @Test func theClientStartsOverWhenAhead() async throws {
        try await LiveServer.withAPI { handle, api in
            let filed = try await api.request(.POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport())
            let head = try filed.decoded(IncidentCreated.self).lastSeq
            let client = try ClientTests.client(handle, token: DevToken.viewer)
            defer { Task { try? await client.shutdown() } }
            let updates = NIOLockedValueBox<[StreamUpdate]>([])
            try await client.follow(after: 500) { update in
                updates.withLockedValue { $0.append(update) }
                if case .caughtUp = update { return .stop }
                return .proceed
            }
            let seen = updates.withLockedValue { $0 }
            guard case .disconnected(let reason, let resumeAfter, _) = seen.first else {
                Issue.record("expected a disconnection first, got \(seen)")
                return
            }
            #expect(reason.contains("ends at seq \(head), before seq 500"))
            #expect(reason.contains("starting over from seq 0"))
            #expect(resumeAfter == 0)
            let seqs = seen.compactMap { update -> Int64? in
                if case .event(let event) = update { return event.seq }
                return nil
            }
            #expect(seqs == Array(1...head))
        }
    }
}
