import Foundation
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import WatershedCore
import WatershedFederation
import WatershedStore
import WatershedWire

/// The request context: who is asking (set by ``TokenAuthenticator``), and the WebSocket hook.
public struct AppRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<AppRequestContext>
    /// The token's identity, once authenticated.
    public var identity: Identity?
    /// Why a `/v1/stream` request could not be authenticated, kept for the stream route to throw (so that a plain
    /// GET of the stream gets the JSON error; a refused upgrade itself is an empty 400, see `Routes`).
    var streamRefusal: APIError?
    /// The connection the request came on; `/v1/stream` writes to it directly once upgraded (``StreamSession``).
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
        self.webSocket = .init()
        self.identity = nil
        self.streamRefusal = nil
    }

    /// Bodies larger than 1 MiB are refused with 413.
    public var maxUploadSize: Int { 1 << 20 }

    /// The identity, or 401.
    func requireIdentity() throws -> Identity {
        guard let identity else {
            throw APIError(.unauthorized, code: "unauthenticated", message: "a bearer token is required")
        }
        return identity
    }

    /// The identity if it may read the log, else 401 or 403 (the stream's upgrade, which comes before any route).
    func requireReader() throws -> Identity {
        try requireIdentity().requireReader()
    }
}

/// An API error: a status and the `{"error": {"code", "message", "field"}}` body (DESIGN.md "HTTP API").
struct APIError: Error, HTTPResponseError {
    let status: HTTPResponse.Status
    let body: ErrorBody
    /// Headers the answer carries besides the body's (`Retry-After`).
    var headers: HTTPFields = [:]

    init(
        _ status: HTTPResponse.Status, code: String, message: String, field: String? = nil,
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.body = ErrorBody(code: code, message: message, field: field)
        self.headers = headers
    }

    init(_ error: PlanError) {
        self.status = .unprocessableContent
        self.body = ErrorBody(error)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try JSONResponse.make(body, status: status)
        response.headers.append(contentsOf: headers)
        return response
    }
}

/// The one mapping of the incident model's refusals to HTTP (issue 16): invalid 422, forbidden 403, not found 404,
/// conflict 409, with the JSON error body naming the field.
extension DomainError: HTTPResponseError {
    public var status: HTTPResponse.Status {
        switch kind {
        case .invalid: .unprocessableContent
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try JSONResponse.make(ErrorBody(code: code, message: message, field: field), status: status)
    }
}

extension APIError {
    /// The answer to a refusal of the incident model (the mapping above), where an ``APIError`` is needed.
    init(_ error: DomainError) {
        self.init(error.status, code: error.code, message: error.message, field: error.field)
    }
}

extension Identity {
    /// The token as the incident model's decisions see it.
    var holder: TokenHolder {
        TokenHolder(unit: unit, position: dutyPosition, token: tokenID, isCommander: has(.commander))
    }
}

/// JSON responses (``WireJSON``: times with three fractional digits, as the stream writes them).
enum JSONResponse {
    static let encoder = WireJSON.encoder

    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Reads `Authorization: Bearer <token>` into the context, or — for browsers' WebSocket, which cannot send that
/// header — a one-use `?ticket=` on `/v1/stream` (``StreamTickets``). A header or ticket that names no known token
/// is refused at once with 401; routes then check roles.
struct TokenAuthenticator: RouterMiddleware {
    typealias Context = AppRequestContext
    let registry: TokenRegistry
    /// Tokens of running drills (made at `POST /v1/drills`).
    let drillTokens: DrillTokens
    /// Tokens made through the API (`POST /v1/tokens`), not revoked.
    var issuedTokens = IssuedTokens()
    let tickets: StreamTickets
    let clock: any WallClock

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        // `/metrics` takes no person's token: open, or behind the metrics token it checks itself (MetricsAccess).
        if request.uri.path == "/metrics" { return try await next(request, context) }
        var context = context
        let isStream = request.uri.path == "/v1/stream"
        do {
            if let header = request.headers[.authorization] {
                // The scheme is case-insensitive (RFC 9110 §11.1); the token is not.
                guard header.count > 7, header.prefix(7).lowercased() == "bearer " else {
                    throw APIError(
                        .unauthorized, code: "bad_token", message: "the bearer token is not known to this server")
                }
                let secret = String(header.dropFirst(7))
                if let identity = registry.identity(for: secret) ?? issuedTokens.identity(for: secret) {
                    context.identity = identity
                } else if let drill = drillTokens.entry(for: secret) {
                    // A drill's token outlives its drill only to read it (the score at the end of `drill join`).
                    if drill.ended, !(request.method == .get && request.uri.path.hasPrefix("/v1/drills")) {
                        throw APIError(
                            .unauthorized, code: "drill_ended",
                            message: "token \(drill.identity.tokenID) belongs to a drill that has ended; it can only "
                                + "read the drill (GET /v1/drills/\(drill.drill.uuidString)/score)")
                    }
                    context.identity = drill.identity
                } else {
                    throw APIError(
                        .unauthorized, code: "bad_token", message: "the bearer token is not known to this server")
                }
            } else if isStream, let ticket = request.uri.queryParameters.get("ticket") {
                guard let identity = try await tickets.redeem(String(ticket), now: clock.now) else {
                    throw APIError(
                        .unauthorized, code: "bad_ticket",
                        message: "the stream ticket is unknown, used or older than \(Int(StreamTickets.lifetime)) s; "
                            + "ask POST /v1/stream-tickets for a new one",
                        field: "ticket")
                }
                context.identity = identity
            }
        } catch let refusal as APIError where isStream {
            context.streamRefusal = refusal
        }
        return try await next(request, context)
    }
}

/// Gives every error the `{"error": {"code", "message", "field"}}` body: Hummingbird's own errors (no route for the
/// path or method, a malformed request) arrive as `HTTPError` with an empty body; they become ``APIError``s with
/// the same status — `no_route` (field `path`) for a 404, `http_error` otherwise. A decision another node kept
/// making stale (``WatershedStore/EventLogError/stale(incident:expected:found:)``, `claimed`) is 503 `contended`
/// with `Retry-After: 1`. Any other error is logged and answered 500 `internal_error`, with no internals in the body.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError {
            if error.status == .notFound {
                throw APIError(
                    .notFound, code: "no_route",
                    message:
                        "no route for \(request.method.rawValue) \(request.uri.path); the API is listed in README.md",
                    field: "path")
            }
            throw APIError(
                error.status, code: "http_error", message: error.body ?? error.status.reasonPhrase)
        } catch let error as any HTTPResponseError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as EventLogError {
            // Another node kept winning the same race (issue 18): the client may simply try again.
            switch error {
            case .stale, .claimed:
                throw APIError(
                    .serviceUnavailable, code: "contended",
                    message: "other requests on the same incident kept committing first; try again (\(error))",
                    headers: [.retryAfter: "1"])
            default:
                throw Self.internalError(error, request: request, context: context)
            }
        } catch {
            throw Self.internalError(error, request: request, context: context)
        }
    }

    /// Logs `error` and gives the 500 answer.
    static func internalError(_ error: any Error, request: Request, context: Context) -> APIError {
        // Anything else is a fault of ours: logged with what it was, answered with the JSON body and no internals
        // (a CAP message posted twice at once used to end here as an empty 500 with nothing logged).
        context.logger.error(
            "request failed",
            metadata: [
                "method": "\(request.method.rawValue)", "path": "\(request.uri.path)",
                "error": "\(String(reflecting: error))",
            ])
        return APIError(
            .internalServerError, code: "internal_error",
            message: "the server could not handle this request; the failure is in its log")
    }
}
