import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import WatershedCore
import WatershedFederation

/// The request context of the SMS listener: the address the call came from (for the allow-list).
struct SMSRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// A call back is a URL; anything with a body is not Kannel.
    var maxUploadSize: Int { 4 << 10 }
}

/// Where Kannel calls Watershed back (issue 19, "Kannel calls back into Watershed for replies and reports on a
/// listener the docs name"; docs/sms.md): plain HTTP on `smsListen`, each call carrying the shared secret
/// (`secret=`, compared in constant time) and coming from an address on `smsAllow`, else `403` (counted as
/// `refused`, logged without the query).
///
/// - `GET /sms/delivery?secret=…&type=%d&key=…` — a delivery report (the `dlr-url` the sender gives with each text;
///   Kannel fills in `%d`, the report's type): ``IncidentService/deliveryReport(key:type:now:)``.
/// - `GET /sms/reply?secret=…&from=%p&text=%a` — a text sent to the service number (Kannel's `sms-service` with
///   `get-url`): ``IncidentService/textReply(_:from:now:)``. The answer's body (UTF-8, `X-Kannel-Coding: 2` for
///   UCS-2) is the text Kannel sends back; for a number not on the rota it is empty, and the `sms-service` has
///   `omit-empty = true`, so a stranger gets nothing.
struct SMSCallbacks {
    let incidents: IncidentService
    let secret: String
    let allow: Set<String>
    let clock: any WallClock
    let metrics: ServerMetrics
    let logger: Logger

    func register(on router: Router<SMSRequestContext>) {
        router.get("/sms/delivery") { request, context -> Response in
            try check(request, context)
            let query = Self.form(request.uri.query)
            guard let key = query["key"], let type = query["type"].flatMap({ Int($0) })
            else { return Self.plain(.badRequest, "key and type (the report's %d) are needed\n") }
            do {
                if let outcome = try await incidents.deliveryReport(key: key, type: type, now: clock.now) {
                    metrics.text(outcome)
                }
            } catch let error as DomainError {
                logger.warning("a delivery report for no text", metadata: ["key": "\(key)"])
                return Self.plain(.notFound, error.message + "\n")
            }
            return Self.plain(.ok, "")
        }
        router.get("/sms/reply") { request, context -> Response in
            try check(request, context)
            let query = Self.form(request.uri.query)
            guard let fromText = query["from"], let text = query["text"] else {
                return Self.plain(.badRequest, "from (%p) and text (%a) are needed\n")
            }
            guard let from = MobileNumber(fromText) else {
                metrics.reply("stranger")
                logger.notice("a reply from a number that is not a mobile number: ignored")
                return Self.plain(.ok, "")
            }
            let decision = try await incidents.textReply(text, from: from, now: clock.now)
            switch decision.outcome {
            case .acknowledge(_, let reference, let position, let person):
                metrics.reply("acknowledged")
                logger.info(
                    "task acknowledged by text",
                    metadata: ["task": "\(reference)", "position": "\(position)", "person": "\(person)"])
            case .list: metrics.reply("listed")
            case .notFound: metrics.reply("not_found")
            case .stranger:
                metrics.reply("stranger")
                logger.notice("a reply from a number not on the duty rota: ignored", metadata: ["from": "\(from)"])
            }
            var response = Self.plain(.ok, decision.answer ?? "")
            response.headers[HTTPField.Name("X-Kannel-Coding")!] = "2"
            return response
        }
    }

    /// Refuses a call without the secret or from an address not allowed.
    func check(_ request: Request, _ context: SMSRequestContext) throws {
        let address = context.remoteAddress?.ipAddress ?? ""
        let given = Self.form(request.uri.query)["secret"] ?? ""
        let secretMatches = Self.constantTimeEqual(
            Data(SHA256.hash(data: Data(given.utf8))), Data(SHA256.hash(data: Data(secret.utf8))))
        guard allow.contains(address), secretMatches else {
            metrics.reply("refused")
            logger.warning(
                "SMS callback refused",
                metadata: [
                    "from": "\(address)", "why": "\(allow.contains(address) ? "wrong secret" : "address not allowed")",
                ])
            throw HTTPError(.forbidden, message: "not allowed")
        }
    }

    /// A query's values as Kannel encodes them — `application/x-www-form-urlencoded`, a space as `+` (WHATWG URL
    /// Standard, "application/x-www-form-urlencoded parsing"); the first of a repeated name.
    static func form(_ query: String?) -> [String: String] {
        var values: [String: String] = [:]
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decoded(_ part: Substring) -> String {
                let spaced = part.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            let name = decoded(parts[0])
            if values[name] == nil { values[name] = parts.count > 1 ? decoded(parts[1]) : "" }
        }
        return values
    }

    static func constantTimeEqual(_ a: Data, _ b: Data) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func plain(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
