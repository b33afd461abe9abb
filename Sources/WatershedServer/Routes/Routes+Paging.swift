import Foundation
import HTTPTypes
import Hummingbird

/// A page of a list endpoint (`GET /v1/incidents`, `/v1/tasks`, `/v1/drills`, `/v1/cap/held`): `?limit=` (default
/// ``defaultLimit``, at most ``maximumLimit``) and `?cursor=` (the id of the last item of the page before). The body
/// stays a JSON array; when more items follow, the answer carries `Link: <…&cursor=ID>; rel="next"` (RFC 8288 §3) —
/// the same query with the cursor of this page's last item — so that no answer grows with the log.
struct PageRequest: Sendable {
    /// Items per page when `limit` is not given.
    static let defaultLimit = 100
    /// The largest `limit`.
    static let maximumLimit = 1_000

    var limit: Int
    /// The id of the last item of the page before (a UUID, or a held CAP message's id), as sent.
    var cursor: String?

    /// Reads `limit` and `cursor`.
    ///
    /// - Throws: ``APIError`` 400 naming `limit` (not a whole number in 1…``maximumLimit``).
    init(_ request: Request) throws {
        let query = request.uri.queryParameters
        if let text = query.get("limit") {
            guard let value = Int(text), (1...Self.maximumLimit).contains(value) else {
                throw APIError(
                    .badRequest, code: "invalid_field", message: "limit must be 1…\(Self.maximumLimit)",
                    field: "limit")
            }
            limit = value
        } else {
            limit = Self.defaultLimit
        }
        cursor = query.get("cursor").map { String($0) }
    }

    /// The page of `items` (in the list's order) after the item whose id is the cursor, and whether more follow.
    /// `order` gives the whole list's order of ids, unfiltered (asked only when there is a cursor), so that a cursor
    /// whose item has since left the filter (a task acknowledged between two pages) still marks the place; a cursor
    /// that names no item is a 400.
    ///
    /// - Throws: ``APIError`` 400 naming `cursor`.
    func slice<Item>(_ items: [Item], id: (Item) -> String, order: () async -> [String]) async throws -> (
        page: [Item], more: Bool
    ) {
        var rest = items[...]
        if let cursor {
            let order = await order()
            guard let place = order.firstIndex(of: cursor) else {
                throw APIError(
                    .badRequest, code: "invalid_field",
                    message: "cursor \"\(cursor)\" names no item of this list (take it from the Link header)",
                    field: "cursor")
            }
            let position = Dictionary(order.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            rest = rest.drop(while: { (position[id($0)] ?? Int.max) <= place })
        }
        return (Array(rest.prefix(limit)), rest.count > limit)
    }

    /// `Link: <path?query&cursor=last>; rel="next"` for `request`, keeping its other query items.
    static func nextLink(_ request: Request, after last: String, limit: Int) -> String {
        var items = URLComponents(string: "http://x\(request.uri.description)")?.queryItems ?? []
        items.removeAll { $0.name == "cursor" || $0.name == "limit" }
        items.append(URLQueryItem(name: "limit", value: String(limit)))
        items.append(URLQueryItem(name: "cursor", value: last))
        var components = URLComponents()
        components.path = request.uri.path
        components.queryItems = items
        return "<\(components.string ?? request.uri.path)>; rel=\"next\""
    }

    /// The JSON answer of a page: the items, with a `Link` to the next page when there is one.
    func response<Item: Encodable>(_ sliced: (page: [Item], more: Bool), id: (Item) -> String, request: Request) throws
        -> Response
    {
        var response = try JSONResponse.make(sliced.page)
        if sliced.more, let last = sliced.page.last {
            response.headers[HTTPField.Name("Link")!] = Self.nextLink(request, after: id(last), limit: limit)
        }
        return response
    }
}

extension Routes {
    /// Refuses a query parameter the route does not take — a misspelt `?asignee=` would otherwise be ignored and the
    /// whole list answered (issue 15, item 5).
    ///
    /// - Throws: ``APIError`` 400 `unknown_parameter` naming it.
    static func allowQuery(_ request: Request, _ allowed: Set<String>) throws {
        for (name, _) in request.uri.queryParameters where !allowed.contains(String(name)) {
            throw APIError(
                .badRequest, code: "unknown_parameter",
                message: "unknown query parameter \"\(name)\"; this route takes "
                    + (allowed.isEmpty ? "none" : allowed.sorted().joined(separator: ", ")),
                field: String(name))
        }
    }
}
