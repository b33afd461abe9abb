import Foundation
import Testing
import WatershedCore
import WatershedServer
import WatershedWire

/// Production tokens through the API (issue 20): made by a commander with the secret shown once and only its hash in
/// the log; refused with the field at fault; revoked, it stops at once and its open stream closes with 4003.
@Suite struct TokenRoutesTests {
    @Test func aMadeTokenWorksUntilRevokedAndItsStreamCloses() async throws {
        try await LiveServer.withAPI { handle, api in
            let body = Data(
                #"{"unit":"451203","dutyPosition":"county-duty-officer","roles":["officer"],"note":"Yizhou night desk"}"#
                    .utf8)
            #expect(try await api.request(.POST, "/v1/tokens", token: DevToken.officer, body: body).status == 403)
            for (bad, field) in [
                (#"{"unit":"451203","dutyPosition":"county-duty-officer","roles":["drill"]}"#, "roles"),
                (#"{"unit":"451203","dutyPosition":"county-duty-officer","roles":[]}"#, "roles"),
                (
                    #"{"id":"gx-commander","unit":"451203","dutyPosition":"county-duty-officer","roles":["viewer"]}"#,
                    "id"
                ),
                (#"{"unit":"451203","dutyPosition":"city-duty-chief","roles":["viewer"]}"#, "dutyPosition"),
                (#"{"unit":"999999","dutyPosition":"city-duty-chief","roles":["viewer"]}"#, "unit"),
            ] {
                let refused = try await api.request(
                    .POST, "/v1/tokens", token: DevToken.commander, body: Data(bad.utf8))
                #expect(refused.status == 422, "\(bad)")
                #expect(refused.error?.field == field, "\(bad)")
            }

            let reply = try await api.request(.POST, "/v1/tokens", token: DevToken.commander, body: body)
            #expect(reply.status == 201, "\(String(decoding: reply.body, as: UTF8.self))")
            let made = try reply.decoded(TokenMade.self)
            // `wsd-` and 128 random bits in hex.
            #expect(made.token.hasPrefix("wsd-") && made.token.count == 36)
            #expect(made.id.hasPrefix("451203-county-duty-officer-"))
            #expect(try await api.request(.GET, "/v1/incidents", token: made.token).status == 200)

            let listed = try await api.request(.GET, "/v1/tokens", token: DevToken.commander)
                .decoded([TokenSummary].self)
            let entry = try #require(listed.first { $0.id == made.id })
            #expect(entry.source == "issued" && !entry.revoked && entry.roles == [.officer])
            #expect(entry.note == "Yizhou night desk")
            #expect(listed.contains { $0.id == "gx-commander" && $0.source == "seeds" })

            // Its stream, then the revocation under it.
            let closing = Task { try await StreamContractTests.connect(handle, after: "0", token: made.token) }
            try await DrillTests.eventually("the token's stream") {
                try await api.request(.GET, "/metrics").body.range(of: Data("watershed_stream_connections 1".utf8))
                    != nil
            }
            let revoked = try await api.request(
                .POST, "/v1/tokens/\(made.id)/revoke", token: DevToken.commander)
            #expect(revoked.status == 200)
            let (_, close) = try await closing.value
            #expect(close?.closeCode == .unknown(4003))
            #expect(close?.reason == "token \(made.id) was revoked")
            #expect(try await api.request(.GET, "/v1/incidents", token: made.token).status == 401)
            #expect(
                try await api.request(.POST, "/v1/tokens/\(made.id)/revoke", token: DevToken.commander).status == 409)
            #expect(
                try await api.request(.POST, "/v1/tokens/gx-commander/revoke", token: DevToken.commander).status == 409)

            // The log holds the secret's hash, never the secret.
            let events = try await DispatchTests.events(api, type: .tokenIssued)
            #expect(events.first?.payload["sha256"] == .string(TokenRegistry.hash(made.token)))
            let files = FileManager.default.enumerator(at: handle.data, includingPropertiesForKeys: nil)
            while let file = files?.nextObject() as? URL {
                let data = (try? Data(contentsOf: file)) ?? Data()
                #expect(data.range(of: Data(made.token.utf8)) == nil, "\(file.lastPathComponent)")
            }
        }
    }
}
