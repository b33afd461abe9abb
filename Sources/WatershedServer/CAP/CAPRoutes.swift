import Foundation
import Hummingbird
import NIOCore
import WatershedCAP
import WatershedCore
import WatershedFederation
import WatershedStore

/// CAP 1.2 exports on the people's port (8443), for any token that may read (viewer; a drill-only token sees
/// exercise incidents only):
///
/// - `GET /v1/incidents/{id}/cap` — the incident's latest CAP message (`application/cap+xml`); `?seq=N` gives
///   the message that the event with seq N started (each message's identifier ends in `:N`).
/// - `GET /v1/feeds/cap` — an Atom 1.0 feed (`application/atom+xml`) of the messages of the
///   ``feedIncidents`` most recently reported incidents, one entry per message, newest first.
///
/// The mapping from incidents to CAP is ``WatershedCAP/CAPDocument``. An incident a neighbour's CAP alert opened is
/// exported as received: its sender's messages, unchanged, each under the seq of the event that applied it.
struct CAPRoutes: Sendable {
    let basin: Basin
    let log: any ServerLog
    let incidents: IncidentService
    let province: UnitCode
    let clock: any WallClock

    /// How many incidents (the most recently reported) the feed covers.
    static let feedIncidents = 50
    /// `Content-Type` of a CAP document.
    static let capType = "application/cap+xml; charset=utf-8"

    func register(on router: RouterGroup<AuthenticatedContext>) {
        router.get("/v1/incidents/:id/cap") { request, context in
            let id = try context.parameters.require("id")
            guard let incident = await incidents.find(id) else { throw IncidentService.unknown(id) }
            _ = try context.require(.viewer, exercise: incident.exercise, field: "id")
            let alerts = try await alerts(of: incident.id)
            let chosen: (seq: Int64, alert: CAPAlert)?
            if let text = request.uri.queryParameters.get("seq") {
                guard let seq = Int64(text), seq > 0 else {
                    throw APIError(
                        .badRequest, code: "invalid_field", message: "seq must be a seq number", field: "seq")
                }
                chosen = alerts.first { $0.seq == seq }
                guard chosen != nil else {
                    throw APIError(
                        .notFound, code: "unknown_message",
                        message: "event \(seq) starts no CAP message of incident \(incident.reference)", field: "seq")
                }
            } else {
                chosen = alerts.last
            }
            guard let alert = chosen?.alert else { throw IncidentService.unknown(id) }
            return Self.response(alert.xmlDocument(), type: Self.capType)
        }
        router.get("/v1/feeds/cap") { _, context in
            let reader = try context.requireReader()
            var listed = await incidents.list(state: nil)
            if reader.isDrillOnly { listed = listed.filter(\.exercise) }
            var entries: [(seq: Int64, entry: CAPFeed.Entry)] = []
            for incident in listed.prefix(Self.feedIncidents) {
                for (seq, alert) in try await alerts(of: incident.id) {
                    entries.append(
                        (
                            seq,
                            CAPFeed.Entry(alert: alert, link: "/v1/incidents/\(incident.id.uuidString)/cap?seq=\(seq)")
                        ))
                }
            }
            entries.sort { $0.seq > $1.seq }
            let feed = CAPFeed.atom(
                id: "urn:watershed:\(province):cap", title: "Watershed \(basin.displayName(province)) CAP 1.2 alerts",
                selfLink: "/v1/feeds/cap", entries: entries.map(\.entry), now: CAPTime(date: clock.now))
            return Self.response(feed, type: "application/atom+xml; charset=utf-8")
        }
    }

    /// The incident's CAP messages, oldest first, with the seq of the event that starts each: ours from its events
    /// (each identifier ends in `:seq`), or a neighbour's thread as received.
    func alerts(of incident: UUID) async throws -> [(seq: Int64, alert: CAPAlert)] {
        let events = try await log.allEvents(of: incident)
        let received = events.compactMap { event -> (Int64, CAPAlert)? in
            guard case .capReceived(let payload)? = (try? RecordedEvent(event))?.event,
                let alert = try? CAPAlert(xml: Data(payload.xml.utf8))
            else { return nil }
            return (event.seq, alert)
        }
        if !received.isEmpty, !events.contains(where: { $0.type == .incidentReported }) { return received }
        return CAPDocument.alerts(for: events, basin: basin, province: province).map { alert in
            (Int64(alert.identifier.split(separator: ":").last ?? "") ?? 0, alert)
        }
    }

    static func response(_ text: String, type: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// Mounts `POST /v1/feeds/cap` — CAP 1.2 ingest from a known peer (``CAPIngest``) — on `router`: meant for the
/// peer port (8444, mutual TLS), whose context knows the peer.
///
/// The body (at most 1 MiB) is the CAP document; the answer is a CAP `Ack` (200 applied, duplicate or test; 202
/// held for its references) or `Error` (400 not CAP 1.2 or too large; 422 refused, the reason in its `note`), as
/// `application/cap+xml`.
///
/// - Parameters:
///   - router: the peer port's router.
///   - ingest: the ingest service (one per server, shared by every peer).
///   - clock: the wall clock for the events' times.
///   - peer: the authenticated peer's province code (GB/T 2260) for a request — from its client certificate,
///     never a header; throw to refuse the request.
public func mountCAPIngest<Context: RequestContext>(
    on router: Router<Context>, ingest: CAPIngest, clock: any WallClock,
    peer: @escaping @Sendable (Request, Context) throws -> UnitCode
) {
    router.post("/v1/feeds/cap") { request, context in
        let province = try peer(request, context)
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: 1 << 20)
        } catch {
            let document = CAPIngest.answerDocument(
                .error, to: nil, note: "the document is over 1 MiB", province: await ingest.province, now: clock.now)
            return CAPRoutes.response(document.xmlDocument(), type: CAPRoutes.capType, status: .contentTooLarge)
        }
        let answer = try await ingest.ingest(Data(buffer: body), from: province, now: clock.now)
        return CAPRoutes.response(
            answer.document, type: CAPRoutes.capType, status: HTTPResponse.Status(code: answer.httpStatus))
    }
}
