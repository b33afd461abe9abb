import Foundation
import Hummingbird
import WatershedCore
import WatershedStore
import WatershedWire

/// What the federation asks of the incidents (the server's `IncidentService`): the narrow interface between the
/// peer link, the peer port, CAP ingest and the peer watch and the one path every event is appended through. Each
/// call decides with Core's rules (``IncidentRules``) and appends; none of them is for a person's request.
public protocol FederatedIncidents: Actor {
    /// A neighbour's events, in their order: each one becomes ours through the same decisions
    /// (``IncidentRules/neighbourEvent(_:on:now:followOriginClose:)``), stored once by its id; `progress` is told the
    /// neighbour's seq of each event stored. Returns how many were stored.
    func receivePeerEvents(
        _ events: [StoredEvent], from peer: UnitCode, peerName: String, now: Date,
        progress: (Int64) async throws -> Void
    ) async throws -> Int
    /// A neighbour's server stored (`accepted: false`) or its duty officer accepted (`true`) our notification of
    /// `incident`.
    func acknowledge(_ payload: PeerAcknowledgementPayload, accepted: Bool, on incident: UUID, wall: Date) async throws
    /// Appends a CAP message applied to `incident` (opening it when `opens`), with its `record` (``CAPStore``) in the
    /// same transaction; returns the seq of its `CAPReceived`.
    func appendCAP(
        _ payload: CAPReceivedPayload, incident: UUID, opens: Bool, exercise: Bool, sent: Date, wall: Date,
        recording record: CAPMessageRecord
    ) async throws -> Int64
    /// Our reference of an incident (`GX-2026-0007`), `nil` when unknown.
    func reference(of incident: UUID) async -> String?
    /// Dispatches the phone and escalation tasks for notifications past their deadline; returns them.
    func dispatchPeerCalls(names: [UnitCode: String], now: Date) async throws -> [TaskDispatched]
    /// Dispatches the phone tasks for links silent too long; returns them and the silent peers with no incident to
    /// put a task on.
    func dispatchSilenceCalls(liveness: PeerLiveness, names: [UnitCode: String], now: Date) async throws -> (
        dispatched: [TaskDispatched], unplaced: [UnitCode]
    )
}

/// A refusal on the peer port: a status and the JSON error body every Watershed API answers with
/// (`{"error": {"code", "message"}}`, ``ErrorBody``).
struct PeerRefusal: Error, HTTPResponseError {
    package let status: HTTPResponse.Status
    package let body: ErrorBody

    package init(_ status: HTTPResponse.Status, code: String, message: String, field: String? = nil) {
        self.status = status
        self.body = ErrorBody(code: code, message: message, field: field)
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: try WireJSON.encoder.encode(body))))
    }
}
