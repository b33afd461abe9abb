import HTTPTypes
import Hummingbird

/// Adds `Strict-Transport-Security: max-age=31536000` to every response of the people's port, errors included, so a
/// browser that has once reached the console over HTTPS never tries it over plain HTTP for a year (RFC 6797 §6.1:
/// the header; §6.1.1: `max-age` in seconds; §7.2: sent over secure transport only — the port is TLS only).
/// `includeSubDomains` is left out: the server cannot know what else lives under its host's domain (issue 15,
/// item 14).
struct StrictTransportSecurityMiddleware<Context: RequestContext>: RouterMiddleware {
    /// One year (365 days), in seconds.
    static var value: String { "max-age=31536000" }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[.strictTransportSecurity] = Self.value
        return response
    }
}
