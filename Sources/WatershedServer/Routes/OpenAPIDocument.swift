import Crypto
import Foundation
import Hummingbird
import NIOCore
import WatershedFederation

/// The OpenAPI 3.1 description of the HTTP API (`Sources/WatershedServer/OpenAPI/openapi.json`, hand-written and
/// checked against the router by `OpenAPICoverageTests` and by schemathesis in CI), served at `GET /v1/openapi.json`
/// with no authentication, like the console's files: read once at start, a strong `ETag` (SHA-256 of the bytes),
/// `Cache-Control: no-cache`, and `304` for a matching `If-None-Match` (``ConsoleAssets/response(_:request:)``).
struct OpenAPIDocument: Sendable {
    /// Where it is served.
    static let path = "/v1/openapi.json"

    /// The document, ready to send.
    let asset: ConsoleAssets.Asset

    /// The document shipped with the server: `OpenAPI/openapi.json` of the resource bundle
    /// (``BundledResources/folder(_:marker:)``).
    ///
    /// - Throws: ``ServerStartupError/invalidFiles(_:)`` when the file is missing, cannot be read or is not JSON.
    static func bundled() throws -> OpenAPIDocument {
        let file = try BundledResources.folder("OpenAPI", marker: "openapi.json").appendingPathComponent("openapi.json")
        let data: Data
        do {
            data = try Data(contentsOf: file)
            _ = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw ServerStartupError.invalidFiles(["cannot read the OpenAPI document \(file.path): \(error)"])
        }
        let digest = SHA256.hash(data: data).prefix(16).map { String(format: "%02x", $0) }.joined()
        return OpenAPIDocument(
            asset: .init(
                bytes: ByteBuffer(bytes: data), contentType: "application/json; charset=utf-8", etag: "\"\(digest)\""))
    }

    /// Adds `GET /v1/openapi.json` (no token: the route is on the router itself, not the authenticated group).
    func register(on router: Router<AppRequestContext>) {
        router.get(RouterPath(Self.path)) { request, _ in ConsoleAssets.response(asset, request: request) }
    }
}
