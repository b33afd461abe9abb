import Foundation
import Testing
import WatershedServer

/// The OpenAPI document served at `/v1/openapi.json` (Sources/WatershedServer/OpenAPI/openapi.json, hand-written)
/// and the routes the server registers agree: every route is described, every described operation is a route (an
/// operation tagged `peer` on the peer port, any other on the people's port), every operation has an answer, and
/// every `$ref` resolves. A failure names the route or the reference.
@Suite struct OpenAPICoverageTests {
    static let methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

    /// What the document describes: `"GET /v1/incidents/{id}"` → the operation.
    static func operations(_ document: [String: Any]) -> [String: [String: Any]] {
        var found: [String: [String: Any]] = [:]
        for (path, item) in document["paths"] as? [String: Any] ?? [:] {
            for (method, operation) in item as? [String: Any] ?? [:] where methods.contains(method) {
                found["\(method.uppercased()) \(path)"] = operation as? [String: Any] ?? [:]
            }
        }
        return found
    }

    /// Every `$ref` string anywhere in `value`, with where it was found.
    static func references(in value: Any, at place: String = "#") -> [(place: String, ref: String)] {
        switch value {
        case let object as [String: Any]:
            return object.flatMap { key, member -> [(place: String, ref: String)] in
                if key == "$ref", let ref = member as? String { return [(place, ref)] }
                return references(in: member, at: place + "/" + key)
            }
        case let array as [Any]:
            return array.enumerated().flatMap { references(in: $1, at: place + "/\($0)") }
        default:
            return []
        }
    }

    /// The value a local `$ref` (`#/components/schemas/Error`) points at, or `nil`.
    static func resolve(_ ref: String, in document: [String: Any]) -> Any? {
        guard ref.hasPrefix("#/") else { return nil }
        var here: Any = document
        for raw in ref.dropFirst(2).split(separator: "/", omittingEmptySubsequences: false) {
            let key = raw.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            guard let object = here as? [String: Any], let next = object[key] else { return nil }
            here = next
        }
        return here
    }

    @Test func theDocumentDescribesEveryRouteAndOnlyThem() async throws {
        try await LiveServer.withAPI { handle, api in
            let reply = try await api.request(.GET, "/v1/openapi.json")
            #expect(reply.status == 200)
            #expect(reply.headers.first(name: "Content-Type")?.hasPrefix("application/json") == true)
            #expect(reply.headers.first(name: "ETag")?.hasPrefix("\"") == true)
            let document = try #require(try JSONSerialization.jsonObject(with: reply.body) as? [String: Any])
            #expect(document["openapi"] as? String == "3.1.0")
            let described = Self.operations(document)
            let people = Set(handle.routes)
            let peer = Set(handle.peerRoutes)
            // The lists themselves are what they should be: the API without the console's files, the peer port's link.
            #expect(people.contains("GET /v1/incidents/{id}"), "routes listed: \(people.sorted())")
            #expect(!people.contains("GET /app.js") && !people.contains("GET /"), "console files are not API routes")
            #expect(peer.contains("GET /v1/peer/link/{province}"), "peer routes listed: \(peer.sorted())")

            for route in people.sorted() {
                #expect(described[route] != nil, "route \(route) (people's port) is not in openapi.json")
                if let tags = described[route]?["tags"] as? [String] {
                    #expect(!tags.contains("peer"), "route \(route) is on the people's port but tagged peer")
                }
            }
            for route in peer.sorted() {
                guard let operation = described[route] else {
                    Issue.record("route \(route) (peer port) is not in openapi.json")
                    continue
                }
                let tags = operation["tags"] as? [String] ?? []
                if people.contains(route) {
                    // On both ports (`/healthz`): described once, said to be on the peer port too.
                    #expect(operation["x-peer-port"] as? Bool == true, "route \(route) is on both ports: x-peer-port")
                } else {
                    #expect(tags.contains("peer"), "route \(route) is on the peer port only but not tagged peer")
                    #expect(operation["servers"] != nil, "route \(route) is on the peer port: give its servers entry")
                }
            }
            for (route, operation) in described.sorted(by: { $0.key < $1.key }) {
                let tags = operation["tags"] as? [String] ?? []
                if tags.contains("peer") {
                    #expect(
                        peer.contains(route) && !people.contains(route), "\(route) is tagged peer: no such peer route")
                } else {
                    #expect(people.contains(route), "\(route) is described but no such route is registered")
                }
                let responses = operation["responses"] as? [String: Any] ?? [:]
                #expect(!responses.isEmpty, "\(route) describes no response")
            }
            for (place, ref) in Self.references(in: document) {
                #expect(Self.resolve(ref, in: document) != nil, "\(ref) at \(place) resolves to nothing")
            }
        }
    }

    @Test func theDocumentRevalidatesWithItsETagAndNeedsNoToken() async throws {
        try await LiveServer.withAPI { _, api in
            let first = try await api.request(.GET, "/v1/openapi.json")
            #expect(first.status == 200)
            let tag = try #require(first.headers.first(name: "ETag"))
            let again = try await api.request(.GET, "/v1/openapi.json", headers: [("If-None-Match", tag)])
            #expect(again.status == 304)
            #expect(again.body.isEmpty)
        }
    }
}
