import Foundation

/// Builds a ``JSONValue`` straight from an `Encodable` value, without writing JSON text and parsing it back.
///
/// The result is the value that ``CanonicalJSON/makeEncoder()`` followed by ``JSONValue/parse(_:)`` gives — the rules
/// that encoder follows are kept here (issue 22: that round trip was 10 % of the server's CPU on ingest, and more
/// again for the request body's unknown-field check):
/// - `Date` → its ``CanonicalJSON/timestamp(_:)`` string (the encoder's custom date strategy); `Data` → base64
///   string; `URL` → its `absoluteString`; `Decimal` → the number its `description` writes;
/// - every integer type → `.number(Double(value))` (the parser reads the integer's text with `Double(_:)`, which
///   rounds the same way);
/// - `Float` → the `Double` its `description` reads as (what the text round trip gives, not the binary widening);
/// - a NaN or infinite `Double`/`Float` → `EncodingError.invalidValue`, as `JSONEncoder` throws;
/// - a value that encodes nothing → `{}`; `superEncoder()` writes under the key `"super"`.
///
/// `JSONValueEncoderTests` checks the two paths give the same canonical bytes for every event payload the fixtures
/// hold and for the edge cases above.
enum JSONValueEncoder {
    /// `value` as a JSON value.
    ///
    /// - Throws: `EncodingError.invalidValue` for a non-finite number (with its coding path) or a top-level value
    ///   that encodes nothing.
    static func encode(_ value: some Encodable) throws -> JSONValue {
        if let special = try special(value, path: { [] }) { return special }
        let node = Node()
        try value.encode(to: NodeEncoder(node: node, parent: nil, key: nil))
        guard node.kind != .empty else {
            throw EncodingError.invalidValue(
                value,
                .init(codingPath: [], debugDescription: "Top-level \(type(of: value)) did not encode any values."))
        }
        return node.resolve()
    }

    /// The JSON value of the types `JSONEncoder` writes itself rather than through their `encode(to:)`; `nil` for any
    /// other type.
    static func special(_ value: some Encodable, path: () -> [any CodingKey]) throws -> JSONValue? {
        switch value {
        case let date as Date: return .string(CanonicalJSON.timestamp(date))
        case let data as Data: return .string(data.base64EncodedString())
        case let url as URL: return .string(url.absoluteString)
        case let decimal as Decimal:
            guard let number = Double(decimal.description) else {
                throw EncodingError.invalidValue(
                    decimal, .init(codingPath: path(), debugDescription: "Unable to encode \(decimal) in JSON."))
            }
            return .number(number)
        default: return nil
        }
    }

    static func number(_ value: Double, path: () -> [any CodingKey]) throws -> JSONValue {
        guard value.isFinite else {
            throw EncodingError.invalidValue(
                value, .init(codingPath: path(), debugDescription: "Unable to encode Double.\(value) directly in JSON.")
            )
        }
        return .number(value)
    }

    static func number(_ value: Float, path: () -> [any CodingKey]) throws -> JSONValue {
        guard value.isFinite, let widened = Double(value.description) else {
            throw EncodingError.invalidValue(
                value, .init(codingPath: path(), debugDescription: "Unable to encode Float.\(value) directly in JSON."))
        }
        return .number(widened)
    }

    /// A value under construction: a finished value, an object or an array whose members may still be written
    /// through nested containers.
    final class Node {
        enum Kind { case empty, value, object, array }
        enum Child {
            case value(JSONValue)
            case node(Node)
        }

        var kind = Kind.empty
        var value = JSONValue.null
        var members: [String: Child] = [:]
        var items: [Child] = []

        func resolve() -> JSONValue {
            switch kind {
            case .empty: return .object([:])
            case .value: return value
            case .object: return .object(members.mapValues(Self.resolve))
            case .array: return .array(items.map(Self.resolve))
            }
        }

        static func resolve(_ child: Child) -> JSONValue {
            switch child {
            case .value(let value): return value
            case .node(let node): return node.resolve()
            }
        }

        /// Makes this node an object (keeping the members of an earlier keyed container of the same value).
        func becomeObject() {
            if kind != .object {
                kind = .object
                members = [:]
            }
        }

        func becomeArray() {
            if kind != .array {
                kind = .array
                items = []
            }
        }
    }

    /// The child's value: encoded now when it is finished (a leaf, or a value whose containers are done once
    /// `encode(to:)` returned).
    static func child(
        _ value: some Encodable, parent: NodeEncoder, key: any CodingKey
    ) throws -> Node.Child {
        if let special = try special(value, path: { parent.codingPath + [key] }) { return .value(special) }
        let node = Node()
        try value.encode(to: NodeEncoder(node: node, parent: parent, key: key))
        return .value(node.resolve())
    }

    /// The `Encoder` a value writes itself to; its containers write into `node`.
    struct NodeEncoder: Encoder {
        let node: Node
        let parent: (any Encoder)?
        let key: (any CodingKey)?

        init(node: Node, parent: (any Encoder)?, key: (any CodingKey)?) {
            self.node = node
            self.parent = parent
            self.key = key
        }

        var codingPath: [any CodingKey] {
            guard let parent else { return [] }
            return key.map { parent.codingPath + [$0] } ?? parent.codingPath
        }

        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            node.becomeObject()
            return KeyedEncodingContainer(KeyedContainer<Key>(node: node, encoder: self))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            node.becomeArray()
            return UnkeyedContainer(node: node, encoder: self)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer {
            SingleValueContainer(node: node, encoder: self)
        }
    }

    struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let node: Node
        let encoder: NodeEncoder

        var codingPath: [any CodingKey] { encoder.codingPath }

        private func set(_ value: JSONValue, _ key: Key) { node.members[key.stringValue] = .value(value) }
        private func path(_ key: Key) -> () -> [any CodingKey] { { encoder.codingPath + [key] } }

        mutating func encodeNil(forKey key: Key) throws { set(.null, key) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), key) }
        mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), key) }
        mutating func encode(_ value: Double, forKey key: Key) throws {
            set(try JSONValueEncoder.number(value, path: path(key)), key)
        }
        mutating func encode(_ value: Float, forKey key: Key) throws {
            set(try JSONValueEncoder.number(value, path: path(key)), key)
        }
        mutating func encode(_ value: Int, forKey key: Key) throws { set(.number(Double(value)), key) }
        mutating func encode(_ value: Int8, forKey key: Key) throws { set(.number(Double(value)), key) }
        mutating func encode(_ value: Int16, forKey key: Key) throws { set(.number(Double(value)), key) }
        mutating func encode(_ value: Int32, forKey key: Key) throws { set(.number(Double(value)), key) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { set(.number(Double(value)), key) }
        mutating func encode(_ value: UInt, forKey key: Key) throws { set(.number(Double(value)), key) }
        mutating func encode(_ value: UInt8, forKey key: Key) throws { set(.number(Double(value)), key) }
        mutating func encode(_ value: UInt16, forKey key: Key) throws { set(.number(Double(value)), key) }
        mutating func encode(_ value: UInt32, forKey key: Key) throws { set(.number(Double(value)), key) }
        mutating func encode(_ value: UInt64, forKey key: Key) throws { set(.number(Double(value)), key) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            node.members[key.stringValue] = try JSONValueEncoder.child(value, parent: encoder, key: key)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type, forKey key: Key
        ) -> KeyedEncodingContainer<NestedKey> {
            NodeEncoder(node: nested(key), parent: encoder, key: key).container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            NodeEncoder(node: nested(key), parent: encoder, key: key).unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder {
            NodeEncoder(node: nested(SuperKey.super), parent: encoder, key: SuperKey.super)
        }

        mutating func superEncoder(forKey key: Key) -> any Encoder {
            NodeEncoder(node: nested(key), parent: encoder, key: key)
        }

        /// The node under `key`, made if there is none yet (a second nested container for a key writes into the
        /// first one's node).
        private func nested(_ key: some CodingKey) -> Node {
            if case .node(let existing) = node.members[key.stringValue] { return existing }
            let child = Node()
            node.members[key.stringValue] = .node(child)
            return child
        }
    }

    enum SuperKey: String, CodingKey { case `super` }

    struct IndexKey: CodingKey {
        let intValue: Int?
        var stringValue: String { "Index \(intValue ?? 0)" }
        init(_ index: Int) { intValue = index }
        init?(stringValue: String) { nil }
        init?(intValue: Int) { self.intValue = intValue }
    }

    struct UnkeyedContainer: UnkeyedEncodingContainer {
        let node: Node
        let encoder: NodeEncoder

        var codingPath: [any CodingKey] { encoder.codingPath }
        var count: Int { node.items.count }

        private func add(_ value: JSONValue) { node.items.append(.value(value)) }
        private var path: () -> [any CodingKey] { { [encoder, count] in encoder.codingPath + [IndexKey(count)] } }

        mutating func encodeNil() throws { add(.null) }
        mutating func encode(_ value: Bool) throws { add(.bool(value)) }
        mutating func encode(_ value: String) throws { add(.string(value)) }
        mutating func encode(_ value: Double) throws { add(try JSONValueEncoder.number(value, path: path)) }
        mutating func encode(_ value: Float) throws { add(try JSONValueEncoder.number(value, path: path)) }
        mutating func encode(_ value: Int) throws { add(.number(Double(value))) }
        mutating func encode(_ value: Int8) throws { add(.number(Double(value))) }
        mutating func encode(_ value: Int16) throws { add(.number(Double(value))) }
        mutating func encode(_ value: Int32) throws { add(.number(Double(value))) }
        mutating func encode(_ value: Int64) throws { add(.number(Double(value))) }
        mutating func encode(_ value: UInt) throws { add(.number(Double(value))) }
        mutating func encode(_ value: UInt8) throws { add(.number(Double(value))) }
        mutating func encode(_ value: UInt16) throws { add(.number(Double(value))) }
        mutating func encode(_ value: UInt32) throws { add(.number(Double(value))) }
        mutating func encode(_ value: UInt64) throws { add(.number(Double(value))) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            node.items.append(try JSONValueEncoder.child(value, parent: encoder, key: IndexKey(count)))
        }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type
        ) -> KeyedEncodingContainer<NestedKey> {
            nestedEncoder().container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            nestedEncoder().unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder { nestedEncoder() }

        private func nestedEncoder() -> NodeEncoder {
            let child = Node()
            let key = IndexKey(count)
            node.items.append(.node(child))
            return NodeEncoder(node: child, parent: encoder, key: key)
        }
    }

    struct SingleValueContainer: SingleValueEncodingContainer {
        let node: Node
        let encoder: NodeEncoder

        var codingPath: [any CodingKey] { encoder.codingPath }

        private func set(_ value: JSONValue) {
            node.kind = .value
            node.value = value
        }

        mutating func encodeNil() throws { set(.null) }
        mutating func encode(_ value: Bool) throws { set(.bool(value)) }
        mutating func encode(_ value: String) throws { set(.string(value)) }
        mutating func encode(_ value: Double) throws {
            set(try JSONValueEncoder.number(value, path: { encoder.codingPath }))
        }
        mutating func encode(_ value: Float) throws {
            set(try JSONValueEncoder.number(value, path: { encoder.codingPath }))
        }
        mutating func encode(_ value: Int) throws { set(.number(Double(value))) }
        mutating func encode(_ value: Int8) throws { set(.number(Double(value))) }
        mutating func encode(_ value: Int16) throws { set(.number(Double(value))) }
        mutating func encode(_ value: Int32) throws { set(.number(Double(value))) }
        mutating func encode(_ value: Int64) throws { set(.number(Double(value))) }
        mutating func encode(_ value: UInt) throws { set(.number(Double(value))) }
        mutating func encode(_ value: UInt8) throws { set(.number(Double(value))) }
        mutating func encode(_ value: UInt16) throws { set(.number(Double(value))) }
        mutating func encode(_ value: UInt32) throws { set(.number(Double(value))) }
        mutating func encode(_ value: UInt64) throws { set(.number(Double(value))) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            if let special = try JSONValueEncoder.special(value, path: { encoder.codingPath }) {
                set(special)
                return
            }
            // The value writes itself into this same node (as `JSONEncoder` does for a single value container).
            try value.encode(to: encoder)
        }
    }
}
