import Foundation
import WatershedCore

/// One text message on the server-to-server link (`wss://<peer>:8444/v1/peer/link/<our province>`, mutual TLS;
/// issue 5). The connecting server is the **sender** of its own incidents' events; the accepting server is the
/// **receiver**, and answers on the same connection:
///
/// | direction | `type` | fields | meaning |
/// | --- | --- | --- | --- |
/// | receiver → sender | `hello` | `province`, `received` | who I am; the highest seq of yours I have stored (send what follows) |
/// | sender → receiver | `event` | `event` | one of our events you must see, in seq order (the live stream's frame) |
/// | receiver → sender | `received` | `received` | I have stored your events up to this seq (durably) |
/// | receiver → sender | `accepted` | `incident`, `reference`, `by`, `at` | our duty officer acknowledged your incident's notification |
/// | both | `heartbeat` | `at` | still here (every 10 s when idle) |
///
/// Delivery is at-least-once: the sender resends after the receiver's cursor, the receiver stores each event id once.
public struct PeerLinkMessage: Codable, Sendable, Hashable {
    /// What the message is.
    public enum Kind: String, Codable, Sendable {
        case hello, event, received, accepted, heartbeat
    }

    /// What the message is.
    public var type: Kind
    /// `hello`: the receiver's province.
    public var province: UnitCode?
    /// `hello`, `received`: the highest of the sender's seqs stored by the receiver.
    public var received: Int64?
    /// `event`: the event.
    public var event: StoredEvent?
    /// `accepted`: the sender's incident (its UUID on the sender's server).
    public var incident: UUID?
    /// `accepted`: the receiver's reference for it.
    public var reference: String?
    /// `accepted`: who acknowledged it, `unit/position`.
    public var by: String?
    /// `accepted`, `heartbeat`: when.
    public var at: Date?

    /// Creates a message.
    public init(
        type: Kind, province: UnitCode? = nil, received: Int64? = nil, event: StoredEvent? = nil, incident: UUID? = nil,
        reference: String? = nil, by: String? = nil, at: Date? = nil
    ) {
        self.type = type
        self.province = province
        self.received = received
        self.event = event
        self.incident = incident
        self.reference = reference
        self.by = by
        self.at = at
    }

    /// The message as JSON text (times as RFC 3339 UTC with milliseconds).
    public func text() throws -> String {
        String(decoding: try Self.encoder.encode(self), as: UTF8.self)
    }

    /// Reads a message.
    ///
    /// - Throws: `DecodingError` for anything else.
    public init(text: String) throws {
        self = try Self.decoder.decode(Self.self, from: Data(text.utf8))
    }

    static let encoder = WireJSON.encoder
    static let decoder = WireJSON.decoder
}
