import HTTPTypes
import Hummingbird

/// Read-your-writes across nodes (issue 18): every answer says how far this node has folded the log
/// (`Watershed-Seq`), and a request that says what it has seen (`Watershed-Seen: <seq>`, say the `lastSeq` of a
/// report it filed on another node) waits until this node has folded that far — at most ``limit`` — before it is
/// answered; still behind then, it is answered 503 with `Retry-After: 1` (code `catching_up`) rather than with a
/// state that lacks the client's own write. One node (SQLite) is never behind.
struct ReadYourWritesMiddleware<Context: RequestContext>: RouterMiddleware {
    let incidents: IncidentService
    /// How long a request waits for this node to catch up.
    var limit: Duration = .seconds(2)

    static var seen: HTTPField.Name { HTTPField.Name("Watershed-Seen")! }
    static var folded: HTTPField.Name { HTTPField.Name("Watershed-Seq")! }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if let text = request.headers[Self.seen] {
            guard let seq = Int64(text), seq >= 0 else {
                throw APIError(
                    .badRequest, code: "invalid_header", message: "Watershed-Seen must be a seq (0 or more)",
                    field: "Watershed-Seen")
            }
            guard await incidents.waitFolded(through: seq, limit: limit) else {
                throw APIError(
                    .serviceUnavailable, code: "catching_up",
                    message: "this node has not yet read the log up to seq \(seq); try again in a second",
                    field: "Watershed-Seen", headers: [.retryAfter: "1"])
            }
        }
        var response = try await next(request, context)
        response.headers[Self.folded] = String(incidents.foldedSeq)
        return response
    }
}
