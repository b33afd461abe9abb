import Foundation

/// A JSON value: the payload of an event, kept as data so that the log stores any event type's body.
///
/// Numbers are `Double` (as JSON numbers are); integers above 2⁵³ in magnitude lose precision, so identifiers and
/// counters that large travel as strings. Objects are unordered here: ``CanonicalJSON`` sorts their keys when
/// writing. Build one from a typed payload with ``init(encoding:)`` and read it back with ``decode(_:)``.
public enum JSONValue: Sendable, Hashable, Codable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number; must be finite to be written.
    case number(Double)
    /// A string (any Unicode; written as UTF-8, unescaped except `"`, `\` and control characters).
    case string(String)
    /// An array, in order.
    case array([JSONValue])
    /// An object; key order does not matter.
    case object([String: JSONValue])

    /// Converts any `Encodable` value to a JSON value as the canonical encoder writes it (dates become RFC 3339 UTC
    /// strings with three fractional digits, see ``CanonicalJSON``), built directly without writing JSON text
    /// (``JSONValueEncoder``); the same value as ``init(encodingThroughText:)``.
    ///
    /// - Throws: `EncodingError` when the value cannot be encoded (e.g. a non-finite `Double`).
    public init(encoding value: some Encodable) throws {
        self = try JSONValueEncoder.encode(value)
    }

    /// The same value as ``init(encoding:)``, the long way: ``CanonicalJSON/makeEncoder()`` writes JSON text and
    /// ``parse(_:)`` reads it back. Kept as the reference the direct encoder is tested against.
    ///
    /// - Throws: `EncodingError` when the value cannot be encoded (e.g. a non-finite `Double`).
    package init(encodingThroughText value: some Encodable) throws {
        let data = try CanonicalJSON.makeEncoder().encode(value)
        do {
            self = try JSONValue.parse(data)
        } catch {
            throw EncodingError.invalidValue(
                value, .init(codingPath: [], debugDescription: "the encoder wrote invalid JSON: \(error)"))
        }
    }

    /// Decodes a typed value from this JSON value, with the canonical decoder (dates as RFC 3339 strings).
    ///
    /// - Throws: `DecodingError` when the value does not have the shape of `T`;
    ///   ``CanonicalJSONError/nonFiniteNumber(path:)`` when it holds a NaN or infinity.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try CanonicalJSON.makeDecoder().decode(T.self, from: CanonicalJSON.data(self))
    }

    /// Decodes `null`, a boolean, a number, a string, an array or an object.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let array = try? container.decode([JSONValue].self) {
            self = .array(array)
        } else if let object = try? container.decode([String: JSONValue].self) {
            self = .object(object)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
        }
    }

    /// Encodes the value as the JSON it stands for.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let bool): try container.encode(bool)
        case .number(let number): try container.encode(number)
        case .string(let string): try container.encode(string)
        case .array(let array): try container.encode(array)
        case .object(let object): try container.encode(object)
        }
    }

    /// The member `key` of an object; `nil` for a missing key or a value that is not an object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    /// `nil` is `null`.
    public init(nilLiteral: ()) { self = .null }
    /// A boolean literal.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An integer literal, as a number.
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    /// A floating-point literal, as a number.
    public init(floatLiteral value: Double) { self = .number(value) }
    /// A string literal.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An array literal.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// A dictionary literal; a repeated key keeps its last value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
