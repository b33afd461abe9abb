import Foundation
import WatershedCore

/// The one JSON configuration of the API, the stream, the peer link and the CLI's `--json`: keys sorted, slashes
/// unescaped, times written in RFC 3339 UTC with exactly three fractional digits (`2026-01-15T08:00:00.517Z`, as the
/// log stores them: ``CanonicalJSON/timestamp(_:)``) and read with any offset, with or without fractions
/// (``CanonicalJSON/date(fromTimestamp:)``).
///
/// Writing milliseconds everywhere matters beyond looks: a client that echoes a time it was given (a deadline, an
/// acknowledgement's time) must get back the instant the server compares against, not one rounded to the second.
public enum WireJSON {
    /// A new encoder; `pretty` adds line breaks and indentation (the CLI's `--json`).
    public static func makeEncoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting =
            pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(CanonicalJSON.timestamp(date))
        }
        return encoder
    }

    /// A new decoder.
    ///
    /// Its decoding throws `DecodingError.dataCorrupted` naming the text for a time that is not RFC 3339 with an
    /// offset.
    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = CanonicalJSON.date(fromTimestamp: text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "expected an RFC 3339 time with offset, got \"\(text)\"")
            }
            return date
        }
        return decoder
    }

    /// A shared compact encoder (encoding does not change it, so it may be shared).
    public static let encoder = makeEncoder()
    /// A shared decoder.
    public static let decoder = makeDecoder()
}
