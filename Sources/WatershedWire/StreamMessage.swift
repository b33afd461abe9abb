import Foundation
import WatershedCore

/// One text message of `GET /v1/stream` (DESIGN.md "Live stream"), as a client reads it:
/// `{"type":"event","event":{…}}` for a committed event, `{"type":"caughtUp","head":N}` once the backlog is sent.
public enum StreamMessage: Sendable, Hashable {
    /// A committed event (with its `hash` and `prevHash`).
    case event(StoredEvent)
    /// The backlog up to `head` (the log's last seq when the connection opened) has been sent; live events follow.
    case caughtUp(head: Int64)

    /// Close code of a client that fell behind its bounded buffer; the reason is `resume:<seq>`.
    public static let resumeCloseCode: UInt16 = 4001
    /// Close code of a client whose `after` is beyond the committed head (the log was restored from an older backup,
    /// or the data directory is new); the reason is `ahead:<head>:<hash of seq 1>` (64 zeros for an empty log), at
    /// most 90 bytes of the 123 a close reason may hold (RFC 6455 §5.5). The client starts over.
    public static let aheadCloseCode: UInt16 = 4002
    /// Close code of a connection whose token lost its rights.
    public static let rightsLostCloseCode: UInt16 = 4003

    /// Reads one message.
    ///
    /// - Throws: ``StreamMessageError`` for a message that is not one of the two shapes; `DecodingError` for an
    ///   event that is not an event.
    public init(json: Data) throws {
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: json)
        } catch let error as DecodingError {
            throw StreamMessageError.malformed(String(describing: error))
        }
        switch envelope.type {
        case "event":
            guard let event = envelope.event else {
                throw StreamMessageError.malformed("an event frame needs \"event\"")
            }
            self = .event(event)
        case "caughtUp":
            guard let head = envelope.head else { throw StreamMessageError.malformed("caughtUp needs \"head\"") }
            self = .caughtUp(head: head)
        default:
            throw StreamMessageError.unknownType(envelope.type)
        }
    }

    /// Reads one message from its text.
    public init(text: String) throws { try self.init(json: Data(text.utf8)) }

    private struct Envelope: Decodable {
        var type: String
        var event: StoredEvent?
        var head: Int64?
    }
}

/// Why a stream message could not be read.
public enum StreamMessageError: Error, Hashable, CustomStringConvertible {
    /// Not JSON, or a known type without its field.
    case malformed(String)
    /// A `type` this client does not know.
    case unknownType(String)

    public var description: String {
        switch self {
        case .malformed(let why): "malformed stream message: \(why)"
        case .unknownType(let type): "unknown stream message type \"\(type)\""
        }
    }
}
