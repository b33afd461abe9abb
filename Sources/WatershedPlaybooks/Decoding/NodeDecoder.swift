import Foundation
import Yams

extension DecodingState {
    /// Decodes `T` from `node` (or, when `node` is `nil`, builds a placeholder for a missing field).
    ///
    /// Problems are recorded, not thrown: a wrong scalar becomes a placeholder (`""`, `0`,
    /// `false`, an enum's first case) so decoding goes on and every problem is found in one run.
    /// Throws ``DecodingAbort`` only when a value has no placeholder. With `silent`, nothing is
    /// recorded (the value stands in for one that was already reported).
    func decodeValue<T: Decodable>(
        _ type: T.Type, node: Node?, path: String, codingPath: [any CodingKey], silent: Bool
    ) throws -> T {
        var reported = false
        if let value = primitive(T.self, node: node, path: path, silent: silent, reported: &reported) {
            return value
        }
        let decoder = NodeDecoder(node: node, path: path, codingPath: codingPath, state: self, silent: silent)
        do {
            let value = try T(from: decoder)
            decoder.finish()
            return value
        } catch let error as DecodingError {
            if !silent && !decoder.reportedTypeError {
                report(path, at: SourcePosition(node?.mark), message(for: error, type: T.self, node: node))
            }
            if let placeholder = firstCase(of: T.self) { return placeholder }
            throw DecodingAbort()
        }
    }

    /// The value of a primitive type (`String`, `Bool`, the integers, `Double`, `Float`), a
    /// placeholder if the node is wrong or absent, or `nil` when `T` is not a primitive.
    func primitive<T>(_ type: T.Type, node: Node?, path: String, silent: Bool, reported: inout Bool) -> T? {
        if T.self == String.self {
            let value = string(node, path: path, silent: silent)
            reported = value == nil && node != nil && !silent
            return (value ?? "") as? T
        }
        if T.self == Double.self {
            let value = double(node, path: path, silent: silent)
            reported = value == nil && node != nil && !silent
            return (value ?? 0) as? T
        }
        if T.self == Date.self {
            let text = string(node, path: path, silent: silent)
            let date = text.flatMap(Self.time)
            if date == nil, text != nil, !silent, let node {
                report(
                    path, at: SourcePosition(node.mark),
                    "\(Scalars.describe(node)) is not an ISO 8601 time with offset, e.g. 2012-01-15T08:00:00+08:00")
            }
            reported = date == nil && node != nil && !silent
            return (date ?? Date(timeIntervalSince1970: 0)) as? T
        }
        if T.self == Float.self {
            let value = double(node, path: path, silent: silent)
            reported = value == nil && node != nil && !silent
            return Float(value ?? 0) as? T
        }
        if T.self == Bool.self {
            let value = bool(node, path: path, silent: silent)
            reported = value == nil && node != nil && !silent
            return (value ?? false) as? T
        }
        if let integerType = T.self as? any FixedWidthInteger.Type {
            var value = integer(node, path: path, silent: silent)
            reported = value == nil && node != nil && !silent
            if let whole = value, convert(whole, to: integerType) == nil {
                if !silent, let node {
                    report(path, at: SourcePosition(node.mark), "\(whole) is out of range for this field")
                }
                reported = !silent && node != nil
                value = nil
            }
            return convert(value ?? 0, to: integerType) as? T
        }
        return nil
    }

    /// An RFC 3339 time with its offset (fractional seconds allowed).
    static func time(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    private func convert<I: FixedWidthInteger>(_ value: Int, to type: I.Type) -> I? { I(exactly: value) }

    private func message<T>(for error: DecodingError, type: T.Type, node: Node?) -> String {
        switch error {
        case .dataCorrupted(let context):
            if context.debugDescription.hasPrefix("Cannot initialize"), let names = caseNames(of: T.self) {
                return "\(Scalars.describe(node)) is not one of: \(names.joined(separator: ", "))"
            }
            return context.debugDescription
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context):
            return context.debugDescription
        @unknown default:
            return "cannot be decoded: \(error)"
        }
    }

    /// Records where `path` is: at the value when it starts on the key's line, else at the key.
    func note(_ path: String, keyNode: Node, value: Node) {
        let key = SourcePosition(keyNode.mark)
        let at = SourcePosition(value.mark)
        if let at, at.line == key?.line, !Scalars.isNull(value) {
            positions[path] = at
        } else {
            positions[path] = key ?? at
        }
    }
}

/// The first case of a `CaseIterable` type, used as the placeholder for a bad value.
private func firstCase<T>(of type: T.Type) -> T? {
    guard let caseType = type as? any CaseIterable.Type else { return nil }
    return anyFirstCase(caseType) as? T
}

private func anyFirstCase<C: CaseIterable>(_ type: C.Type) -> Any? { C.allCases.first }

/// The raw values of a `CaseIterable & RawRepresentable` type, in declaration order.
private func caseNames<T>(of type: T.Type) -> [String]? {
    guard let caseType = type as? any (CaseIterable & RawRepresentable).Type else { return nil }
    return rawNames(caseType)
}

private func rawNames<C: CaseIterable & RawRepresentable>(_ type: C.Type) -> [String] {
    C.allCases.map { "\($0.rawValue)" }
}

/// A `Decoder` over a Yams `Node` that records positions and problems in a ``DecodingState``.
final class NodeDecoder: Decoder {
    let node: Node?
    let path: String
    let codingPath: [any CodingKey]
    let state: DecodingState
    let silent: Bool
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    /// Set when this decoder reported that its node has the wrong shape, so the type's own
    /// error that follows is not reported a second time.
    var reportedTypeError = false
    private var record: MappingRecord?
    private var recordIsPlaceholder = false

    init(node: Node?, path: String, codingPath: [any CodingKey], state: DecodingState, silent: Bool) {
        self.node = node
        self.path = path
        self.codingPath = codingPath
        self.state = state
        self.silent = silent
    }

    /// Called when the type's `init(from:)` returned: its mapping's keys can now be checked.
    func finish() { record?.complete = true }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        let record = self.record ?? makeRecord()
        self.record = record
        return KeyedDecodingContainer(
            NodeKeyedContainer<Key>(decoder: self, record: record, silent: silent || recordIsPlaceholder))
    }

    private func makeRecord() -> MappingRecord {
        let position = SourcePosition(node?.mark) ?? state.positions[path] ?? .start
        if case .mapping(let mapping)? = node {
            var entries: [(key: String, keyNode: Node, value: Node)] = []
            var hasMergeKey = false
            for (key, value) in mapping {
                guard case .scalar(let scalar) = key else {
                    if !silent {
                        state.report(
                            path, at: SourcePosition(key.mark), "a key must be a name, got \(Scalars.describe(key))")
                    }
                    continue
                }
                if scalar.string == "<<" && (scalar.style == .plain || scalar.style == .any) {
                    if !silent {
                        state.report(
                            CodingPathText.child(path, key: "<<"), at: SourcePosition(key.mark),
                            "merge keys (<<) are not supported; write the fields out")
                    }
                    hasMergeKey = true
                    continue
                }
                entries.append((scalar.string, key, value))
            }
            let record = MappingRecord(path: path, position: position, entries: entries)
            record.hasMergeKey = hasMergeKey
            state.mappings.append(record)
            return record
        }
        if let node, !silent {
            state.report(path, at: state.valuePosition(node, path), "expected a mapping, got \(Scalars.describe(node))")
            reportedTypeError = true
        }
        recordIsPlaceholder = true
        return MappingRecord(path: path, position: position, entries: [])
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        if case .sequence(let sequence)? = node {
            return NodeUnkeyedContainer(decoder: self, elements: Array(sequence), silent: silent)
        }
        if let node, !silent {
            var message = "expected a list, got \(Scalars.describe(node))"
            if Scalars.isNull(node) { message += " (write [] for none)" }
            state.report(path, at: state.valuePosition(node, path), message)
            reportedTypeError = true
        }
        return NodeUnkeyedContainer(decoder: self, elements: [], silent: true)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        NodeSingleValueContainer(decoder: self)
    }

    /// Decodes a primitive from this decoder's own node.
    func primitive<T>(_ type: T.Type) -> T {
        var reported = false
        let value = state.primitive(
            T.self, node: node, path: path, silent: silent || reportedTypeError, reported: &reported)
        if reported { reportedTypeError = true }
        guard let value else { preconditionFailure("\(T.self) is not a primitive") }
        return value
    }

    /// A decoder for a child node, for nested containers and super decoders.
    func child(node: Node?, path: String, key: any CodingKey, silent: Bool) -> NodeDecoder {
        NodeDecoder(node: node, path: path, codingPath: codingPath + [key], state: state, silent: silent)
    }
}

/// A keyed container over a mapping node; it notes every key the type asks for.
struct NodeKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: NodeDecoder
    let record: MappingRecord
    let silent: Bool

    var codingPath: [any CodingKey] { decoder.codingPath }

    var allKeys: [Key] {
        record.acceptsAnyKey = true
        return record.entries.compactMap { Key(stringValue: $0.key) }
    }

    func contains(_ key: Key) -> Bool { record.request(key.stringValue) != nil }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let entry = record.request(key.stringValue) else { return true }
        return Scalars.isNull(entry.value)
    }

    private func path(_ key: Key) -> String { CodingPathText.child(decoder.path, key: key.stringValue) }

    private func value<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let path = path(key)
        guard let entry = record.request(key.stringValue) else {
            if !silent && !record.hasMergeKey {
                decoder.state.report(path, at: record.position, "missing required field \"\(key.stringValue)\"")
            }
            return try decoder.state.decodeValue(
                T.self, node: nil, path: path, codingPath: codingPath + [key], silent: true)
        }
        decoder.state.note(path, keyNode: entry.keyNode, value: entry.value)
        return try decoder.state.decodeValue(
            T.self, node: entry.value, path: path, codingPath: codingPath + [key], silent: silent)
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try value(type, forKey: key) }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let entry = record.request(key.stringValue) else { return nil }
        decoder.state.note(path(key), keyNode: entry.keyNode, value: entry.value)
        if Scalars.isNull(entry.value) { return nil }
        return try value(type, forKey: key)
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try value(type, forKey: key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try value(type, forKey: key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try value(type, forKey: key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try value(type, forKey: key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try value(type, forKey: key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try value(type, forKey: key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try value(type, forKey: key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try value(type, forKey: key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try value(type, forKey: key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try value(type, forKey: key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try value(type, forKey: key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try value(type, forKey: key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try value(type, forKey: key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try value(type, forKey: key) }

    private func childDecoder(forKey key: any CodingKey, name: String) -> NodeDecoder {
        let path = CodingPathText.child(decoder.path, key: name)
        guard let entry = record.request(name) else {
            if !silent && !record.hasMergeKey {
                decoder.state.report(path, at: record.position, "missing required field \"\(name)\"")
            }
            return decoder.child(node: nil, path: path, key: key, silent: true)
        }
        decoder.state.note(path, keyNode: entry.keyNode, value: entry.value)
        return decoder.child(node: entry.value, path: path, key: key, silent: silent)
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        let child = childDecoder(forKey: key, name: key.stringValue)
        defer { child.finish() }
        return try child.container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try childDecoder(forKey: key, name: key.stringValue).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { childDecoder(forKey: SuperKey(), name: "super") }

    func superDecoder(forKey key: Key) throws -> any Decoder { childDecoder(forKey: key, name: key.stringValue) }
}

/// An unkeyed container over a sequence node.
struct NodeUnkeyedContainer: UnkeyedDecodingContainer {
    let decoder: NodeDecoder
    let elements: [Node]
    let silent: Bool
    private(set) var currentIndex = 0

    init(decoder: NodeDecoder, elements: [Node], silent: Bool) {
        self.decoder = decoder
        self.elements = elements
        self.silent = silent
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else { return true }
        if Scalars.isNull(elements[currentIndex]) {
            currentIndex += 1
            return true
        }
        return false
    }

    /// The next element's node and path (`nil` node past the end, after reporting it).
    private mutating func next() -> (node: Node?, path: String, key: IndexKey) {
        let index = currentIndex
        let path = CodingPathText.element(decoder.path, index: index)
        guard index < elements.count else {
            if !silent {
                decoder.state.report(
                    path, at: SourcePosition(decoder.node?.mark), "expected at least \(index + 1) items")
            }
            return (nil, path, IndexKey(index))
        }
        currentIndex += 1
        let node = elements[index]
        decoder.state.positions[path] = SourcePosition(node.mark)
        return (node, path, IndexKey(index))
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try element(type) }

    private mutating func element<T: Decodable>(_ type: T.Type) throws -> T {
        let (node, path, key) = next()
        return try decoder.state.decodeValue(
            T.self, node: node, path: path, codingPath: codingPath + [key], silent: silent || node == nil)
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try element(type) }
    mutating func decode(_ type: String.Type) throws -> String { try element(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try element(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try element(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try element(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try element(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try element(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try element(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try element(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try element(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try element(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try element(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try element(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try element(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws -> KeyedDecodingContainer<NestedKey> {
        let (node, path, key) = next()
        let child = decoder.child(node: node, path: path, key: key, silent: silent || node == nil)
        defer { child.finish() }
        return try child.container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (node, path, key) = next()
        return try decoder.child(node: node, path: path, key: key, silent: silent || node == nil).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (node, path, key) = next()
        return decoder.child(node: node, path: path, key: key, silent: silent || node == nil)
    }
}

/// A single-value container over a scalar (or, for a type's own decoding, any node).
struct NodeSingleValueContainer: SingleValueDecodingContainer {
    let decoder: NodeDecoder

    var codingPath: [any CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool { decoder.node == nil || Scalars.isNull(decoder.node) }

    func decode(_ type: Bool.Type) throws -> Bool { decoder.primitive(type) }
    func decode(_ type: String.Type) throws -> String { decoder.primitive(type) }
    func decode(_ type: Double.Type) throws -> Double { decoder.primitive(type) }
    func decode(_ type: Float.Type) throws -> Float { decoder.primitive(type) }
    func decode(_ type: Int.Type) throws -> Int { decoder.primitive(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { decoder.primitive(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { decoder.primitive(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { decoder.primitive(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { decoder.primitive(type) }
    func decode(_ type: UInt.Type) throws -> UInt { decoder.primitive(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { decoder.primitive(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { decoder.primitive(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { decoder.primitive(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { decoder.primitive(type) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try decoder.state.decodeValue(
            T.self, node: decoder.node, path: decoder.path, codingPath: decoder.codingPath,
            silent: decoder.silent || decoder.reportedTypeError)
    }
}
