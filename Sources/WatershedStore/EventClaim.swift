import Foundation
import WatershedCore

/// What an event claims once for the whole log (issue 18, "Nothing that only one node knows"): the identity of a
/// CAP message it applies, the id of the neighbour's event it stores, or the reference of an incident it opens.
/// Two nodes deciding from their folds at the same moment could both append the same thing; PostgreSQL keeps each
/// claim in a unique column of `event`, so the second append fails (``EventLogError/claimed(_:)``) and nothing of
/// it is written. (The SQLite log has one writer: its actor hands out references one at a time, and its
/// `cap_message` and `peer_inbox` tables hold the other keys unique.)
///
/// | event | claim |
/// | --- | --- |
/// | `CAPReceived` | `cap <sender>,<identifier>,<sent in UTC>` (CAP 1.2 §3.2.1: the three identify a message) |
/// | `PeerEventReceived` | `peer-event <province> <its event id>` |
/// | `IncidentReported` with an `origin` | `peer-event <province> <the origin's event id>` |
/// | `IncidentReported`, our own | `reference <its reference>` (`GX-2026-0007`: two nodes cannot hand out one twice) |
public enum EventClaim {
    /// The claim of `event`, or `nil` when it claims nothing.
    public static func of(_ event: NewEvent) -> String? {
        if case .capReceived(let payload)? = event.typed { return payload.identity.map { "cap \($0)" } }
        return of(type: event.type, payload: event.payload)
    }

    /// The claim of an event of `type` with `payload` (a stored event, when a log is imported).
    public static func of(type: EventType, payload: JSONValue) -> String? {
        switch type {
        case .capReceived:
            return (try? payload.decode(CAPReceivedPayload.self))?.identity.map { "cap \($0)" }
        case .peerEventReceived:
            guard let province = try? payload["province"]?.decode(String.self),
                let id = try? payload["event"]?["id"]?.decode(UUID.self)
            else { return nil }
            return "peer-event \(province) \(id.uuidString)"
        case .incidentReported:
            if let origin = try? payload["origin"]?.decode(IncidentOrigin.self) {
                return "peer-event \(origin.province) \(origin.event.uuidString)"
            }
            return (try? payload["reference"]?.decode(String.self)).map { "reference \($0)" }
        default:
            return nil
        }
    }
}
