import Crypto
import Foundation
import Hummingbird
import NIOCore
import WatershedFederation

/// The duty-officer console (issue 8): the HTML, CSS and JavaScript modules in `Sources/WatershedServer/Console`,
/// shipped as the target's resources (``bundled()``) and served at `/` with no authentication (the page signs in with a token
/// itself; every API call it makes is authenticated).
///
/// The files are read once at start into memory (about 300 KB, 200 of them the Chinese web font
/// `fonts/watershed-cjk.woff2`), so a request never touches the file system
/// and no request path can reach a file outside the folder. Each file gets its own route: `/` for `index.html` and
/// `/<path>` for the others, so nothing under `/v1/`, `/healthz`, `/readyz` or `/metrics` can be shadowed (such
/// names are refused at load). Responses carry a strong `ETag` (SHA-256 of the bytes) and
/// `Cache-Control: no-cache`: a browser keeps the files but revalidates them on each load (a 304 costs nothing),
/// so a new server version is never hidden behind a stale cached script.
struct ConsoleAssets: Sendable {
    /// One file, ready to send.
    struct Asset: Sendable {
        var bytes: ByteBuffer
        var contentType: String
        var etag: String
    }

    /// By URL path (`/`, `/app.js`, …).
    let assets: [String: Asset]

    /// Content types by file extension; a file with another extension is not served.
    static let contentTypes: [String: String] = [
        "html": "text/html; charset=utf-8",
        "js": "text/javascript; charset=utf-8",
        "css": "text/css; charset=utf-8",
        "svg": "image/svg+xml",
        "json": "application/json; charset=utf-8",
        "png": "image/png",
        "ico": "image/x-icon",
        "txt": "text/plain; charset=utf-8",
        "woff2": "font/woff2",
    ]

    /// Paths the API owns; no console file may take them.
    static let reserved = ["/v1", "/healthz", "/readyz", "/metrics"]

    /// The console files shipped with the server: the `Console` folder of the resource bundle
    /// (``BundledResources/folder(_:marker:)``: beside the executable, else the package's source folder).
    ///
    /// - Throws: ``ServerStartupError/invalidFiles(_:)`` when the folder is missing or cannot be loaded.
    static func bundled() throws -> ConsoleAssets {
        try load(folder: try BundledResources.folder("Console", marker: "index.html"))
    }

    /// Reads every file under `folder` with a known extension.
    ///
    /// - Throws: ``ServerStartupError/invalidFiles(_:)`` when the folder cannot be read, has no `index.html`, or a
    ///   file would take a reserved path.
    static func load(folder: URL) throws -> ConsoleAssets {
        let root = folder.standardizedFileURL.resolvingSymlinksInPath()
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        else {
            throw ServerStartupError.invalidFiles(["cannot read the console folder \(root.path)"])
        }
        var assets: [String: Asset] = [:]
        for case let url as URL in walker {
            let file = url.standardizedFileURL.resolvingSymlinksInPath()
            guard (try? file.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true,
                let type = contentTypes[file.pathExtension.lowercased()],
                file.path.hasPrefix(root.path + "/")
            else { continue }
            let path = String(file.path.dropFirst(root.path.count))
            if reserved.contains(where: { path == $0 || path.hasPrefix($0 + "/") }) {
                throw ServerStartupError.invalidFiles(["console file \(path) would shadow an API route"])
            }
            let data: Data
            do {
                data = try Data(contentsOf: file)
            } catch {
                throw ServerStartupError.invalidFiles(["cannot read console file \(file.path): \(error)"])
            }
            let digest = SHA256.hash(data: data).prefix(16).map { String(format: "%02x", $0) }.joined()
            assets[path] = Asset(bytes: ByteBuffer(bytes: data), contentType: type, etag: "\"\(digest)\"")
        }
        guard let index = assets["/index.html"] else {
            throw ServerStartupError.invalidFiles(["the console folder \(root.path) has no index.html"])
        }
        assets["/"] = index
        return ConsoleAssets(assets: assets)
    }

    /// Adds one `GET` route per file.
    func register(on router: Router<AppRequestContext>) {
        for (path, asset) in assets {
            router.get(RouterPath(path)) { request, _ in Self.response(asset, request: request) }
        }
    }

    /// `200` with the file, or `304` when the browser's `If-None-Match` names its ETag.
    static func response(_ asset: Asset, request: Request) -> Response {
        var headers: HTTPFields = [
            .eTag: asset.etag, .cacheControl: "no-cache", .init("X-Content-Type-Options")!: "nosniff",
        ]
        if let tags = request.headers[.ifNoneMatch],
            tags.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == asset.etag })
        {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = asset.contentType
        if asset.contentType.hasPrefix("text/html") {
            // Only the server's own files and its own API and stream; no frames of the page elsewhere.
            headers[.contentSecurityPolicy] =
                "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                + "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.bytes))
    }
}
