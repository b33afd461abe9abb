import Foundation
import HummingbirdWebSocket
import NIOCore
import WatershedCore
import WatershedStore

/// The feed protocol's event frame, which the live stream (people) and the peer link (neighbours) both send: the
/// event's stored bytes spliced into `{"type":"event","event":{…}}`, and written as one WebSocket text message.
public enum FeedFrame: Sendable {
    /// `{"type":"event","event":<the event as JSON>}`: the event's stored canonical bytes with its `hash` and
    /// `prevHash` added (the same fields as the event's `Codable` form), spliced rather than re-encoded, so that
    /// nothing is encoded between the commit and the push.
    public static func payload(for event: StoredEvent) throws -> ByteBuffer {
        try payload(for: StoredBytes(event))
    }

    /// The same frame from an event's stored bytes, read from the log without decoding them (the backlog).
    ///
    /// - Throws: ``StreamFrameError/notAnObject(seq:)`` if the bytes are not a JSON object's.
    public static func payload(for event: StoredBytes) throws -> ByteBuffer {
        let canonical = event.canonicalBytes
        guard canonical.count >= 2, canonical.first == UInt8(ascii: "{"), canonical.last == UInt8(ascii: "}") else {
            throw StreamFrameError.notAnObject(seq: event.seq)
        }
        let prefix = #"{"type":"event","event":"#
        let suffix = #","hash":""# + event.hash + #"","prevHash":""# + event.prevHash + #""}}"#
        var buffer = ByteBuffer()
        buffer.reserveCapacity(prefix.utf8.count + canonical.count + suffix.utf8.count)
        buffer.writeString(prefix)
        buffer.writeBytes(canonical.dropLast())
        if canonical.count == 2 {
            // `{}`: no field before the hash, so no comma either.
            buffer.writeString(String(suffix.dropFirst()))
        } else {
            buffer.writeString(suffix)
        }
        return buffer
    }
}

/// Why an event could not be framed.
public enum StreamFrameError: Error, Equatable {
    /// Its stored bytes are not a JSON object.
    case notAnObject(seq: Int64)
}

extension FeedFrame {
    /// Writes one text message, in frames of at most `maxFrameSize` bytes. The slices share the frame's storage, so
    /// a frame encoded once is never copied per subscriber.
    public static func write(_ payload: ByteBuffer, to outbound: WebSocketOutboundWriter, maxFrameSize: Int = 1 << 16)
        async throws
    {
        try await outbound.withTextMessageWriter { writer in
            var rest = payload
            repeat {
                let slice = rest.readSlice(length: min(maxFrameSize, rest.readableBytes))!
                try await writer(slice)
            } while rest.readableBytes > 0
        }
    }
}
