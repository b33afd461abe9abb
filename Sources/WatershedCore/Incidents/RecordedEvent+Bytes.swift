import Foundation

/// Where an event's payload is read from: a ``JSONValue`` already parsed, or the `payload` member of an event being
/// decoded from its stored bytes in one pass (``RecordedEvent/init(canonicalBytes:)``).
public protocol PayloadReader {
    /// The payload as a `T`.
    ///
    /// - Throws: `DecodingError` when it does not have the shape of `T`.
    func read<T: Decodable>() throws -> T
    /// The payload as a plan (``PlanRecord``): decoded now, or left in the stored bytes until read.
    ///
    /// - Throws: `DecodingError` when it is not a plan (or, when left in the bytes, has no `spillUnit`).
    func readPlan() throws -> PlanRecord
}

extension PayloadReader {
    /// The plan, decoded now.
    public func readPlan() throws -> PlanRecord { PlanRecord(try read()) }
}

extension JSONValue: PayloadReader {
    /// The value as a `T` (``decode(_:)``).
    public func read<T: Decodable>() throws -> T { try decode(T.self) }
}

extension RecordedEvent {
    /// Reads an event from its stored bytes (``StoredEvent/canonicalBytes``) in one pass: the envelope and the
    /// payload straight into their types with `JSONDecoder`, with no ``JSONValue`` in between; a `PlanComputed`
    /// event's plan is left in the bytes until it is read (``PlanRecord``). This is how a server reads its log at
    /// start-up (with ``fold(pages:into:)``; 11.2 s → 1.9 s for 100,000 events: `Benchmarks/results/`).
    ///
    /// - Throws: `DecodingError` when the bytes are not an event (as
    ///   ``StoredEvent/init(canonicalBytes:prevHash:hash:)`` says it); ``RecordedEventError`` when the payload does
    ///   not have its type's shape.
    public init(canonicalBytes: Data) throws {
        try self.init(canonicalBytes: canonicalBytes, decoder: CanonicalJSON.makeDecoder())
    }

    /// As ``init(canonicalBytes:)`` with `decoder` (``CanonicalJSON/makeDecoder()``), which a thread reading many
    /// events reuses.
    init(canonicalBytes: Data, decoder: JSONDecoder) throws {
        decoder.userInfo[Envelope.bytesKey] = canonicalBytes
        do {
            // A plan's event is decoded without its plan, which `JSONDecoder` would otherwise scan whole.
            self = try decoder.decode(Envelope.self, from: Envelope.withoutPlan(canonicalBytes) ?? canonicalBytes).event
        } catch {
            // The full reader names what is wrong in the terms every other reader of the log uses.
            self = try RecordedEvent(StoredEvent(canonicalBytes: canonicalBytes, prevHash: "", hash: ""))
        }
    }
}

/// An event's canonical object (``NewEvent/canonicalBytes(seq:)``) read into a ``RecordedEvent``.
private struct Envelope: Decodable {
    static let bytesKey = CodingUserInfoKey(rawValue: "watershed.eventBytes")!

    enum Field: String, CodingKey {
        case seq, id, at, incident, type, actor, exercise, drillAt, payload
    }

    let event: RecordedEvent

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Field.self)
        let name = try container.decode(String.self, forKey: .type)
        guard let type = EventType(rawValue: name) else {
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown event type")
        }
        // The event's own bytes: the one event decoded, or the element of a batch (``RecordedEvent/read(_:decoder:)``).
        let bytes: Data? =
            switch decoder.userInfo[Self.bytesKey] {
            case let one as Data: one
            case let batch as [Data]:
                decoder.codingPath.last?.intValue.flatMap { batch.indices.contains($0) ? batch[$0] : nil }
            default: nil
            }
        let reader = Reader(container: container, bytes: bytes)
        func uuid(_ text: String?, _ key: Field) throws -> UUID? {
            guard let text else { return nil }
            guard let id = Self.uuid(text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "expected a UUID")
            }
            return id
        }
        event = RecordedEvent(
            seq: try container.decode(Int64.self, forKey: .seq),
            id: try uuid(try container.decode(String.self, forKey: .id), .id)!,
            at: try container.decode(Date.self, forKey: .at),
            incident: try uuid(try container.decodeIfPresent(String.self, forKey: .incident), .incident),
            actor: try container.decode(EventActor.self, forKey: .actor),
            exercise: try container.decode(Bool.self, forKey: .exercise),
            drillAt: try container.decodeIfPresent(Date.self, forKey: .drillAt),
            event: try IncidentEvent(type: type, reading: reader))
    }

    /// The `payload` member of the event being decoded.
    struct Reader: PayloadReader {
        let container: KeyedDecodingContainer<Field>
        /// The whole event's bytes, where a plan is left until read.
        let bytes: Data?

        func read<T: Decodable>() throws -> T { try container.decode(T.self, forKey: .payload) }

        func readPlan() throws -> PlanRecord {
            guard let bytes else { return PlanRecord(try read()) }
            let head = try container.decode(PlanHead.self, forKey: .payload)
            return PlanRecord(
                spillUnit: head.spillUnit, pollutantName: head.pollutant?.name,
                pollutantNameZh: head.pollutant?.nameZh, eventBytes: bytes)
        }
    }

    /// A UUID as ``NewEvent/canonicalBytes(seq:)`` writes it (`UUID.uuidString`: 8-4-4-4-12 hexadecimal digits);
    /// `nil` for anything else. What `UUID(uuidString:)` reads, without the `sscanf` it costs on Linux (a tenth of
    /// reading a task event).
    static func uuid(_ text: String) -> UUID? {
        text.utf8.withContiguousStorageIfAvailable { chars -> UUID? in
            guard chars.count == 36 else { return nil }
            var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            let parsed = withUnsafeMutableBytes(of: &bytes) { out -> Bool in
                var index = 0
                for byte in 0..<16 {
                    if index == 8 || index == 13 || index == 18 || index == 23 {
                        guard chars[index] == UInt8(ascii: "-") else { return false }
                        index += 1
                    }
                    guard let high = hex(chars[index]), let low = hex(chars[index + 1]) else { return false }
                    out[byte] = high << 4 | low
                    index += 2
                }
                return true
            }
            return parsed ? UUID(uuid: bytes) : nil
        } ?? UUID(uuidString: text)
    }

    private static func hex(_ char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): char - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): char - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): char - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    /// What the fold reads of a plan at once: the spill unit, and the pollutant's names for an incident list.
    struct PlanHead: Decodable {
        struct PollutantNames: Decodable {
            let name: String
            let nameZh: String?
        }
        let spillUnit: UnitCode
        let pollutant: PollutantNames?
    }

    /// For the canonical bytes of a `PlanComputed` event, the same event with its payload cut down to
    /// `{"pollutant":{…},"spillUnit":"…"}` (the pollutant where the payload has one at its top level); `nil` for any
    /// other event, or when the cut cannot be made with certainty (then the whole event is decoded).
    ///
    /// In canonical form (``CanonicalJSON``: sorted keys, no whitespace) such an event ends with
    /// `,"seq":N,"type":"PlanComputed"}` and its top-level keys before `payload` (`actor`, `at`, `drillAt`,
    /// `exercise`, `id`, `incident`) hold no key `payload`; an unescaped `"payload":` can only be a key, since a
    /// string holds its quotes escaped. So the payload runs from the first `"payload":` to the last `,"seq":`, and
    /// its `spillUnit` and `pollutant` are found by walking its top level, skipping strings and nested values.
    static func withoutPlan(_ bytes: Data) -> Data? {
        let suffix = Data(#","type":"PlanComputed"}"#.utf8)
        guard bytes.count > suffix.count, bytes.suffix(suffix.count).elementsEqual(suffix),
            let payloadKey = bytes.firstRange(of: Data(#""payload":"#.utf8)),
            let seqKey = bytes.lastRange(of: Data(#","seq":"#.utf8)), payloadKey.upperBound < seqKey.lowerBound,
            let spillUnit = topLevelString("spillUnit", in: bytes[payloadKey.upperBound..<seqKey.lowerBound])
        else { return nil }
        var cut = Data(bytes[..<payloadKey.upperBound])
        cut.append(contentsOf: "{".utf8)
        if let pollutant = topLevelObject("pollutant", in: bytes[payloadKey.upperBound..<seqKey.lowerBound]) {
            cut.append(contentsOf: #""pollutant":"#.utf8)
            cut.append(pollutant)
            cut.append(contentsOf: ",".utf8)
        }
        cut.append(contentsOf: #""spillUnit":""#.utf8)
        cut.append(spillUnit)
        cut.append(contentsOf: #""}"#.utf8)
        cut.append(bytes[seqKey.lowerBound...])
        return cut
    }

    /// The bytes of the string value of `key` in the top level of the JSON object `object`, without its quotes;
    /// `nil` when the object has no such key, its value is not a string, or the string holds an escape.
    static func topLevelString(_ key: String, in object: Data) -> Data? {
        topLevelValue(key, opening: UInt8(ascii: "\""), in: object)
    }

    /// The bytes of the object value of `key` in the top level of the JSON object `object`, braces included; `nil`
    /// when the object has no such key, its value is not an object, or the value does not end within `object`.
    static func topLevelObject(_ key: String, in object: Data) -> Data? {
        topLevelValue(key, opening: UInt8(ascii: "{"), in: object)
    }

    /// The value of `key` at the top level of `object` when it starts with `opening`: a string's bytes without its
    /// quotes (none when it holds an escape), or an object's bytes with its braces (strings within it skipped).
    private static func topLevelValue(_ key: String, opening: UInt8, in object: Data) -> Data? {
        let pattern = Array(("\"" + key + "\":").utf8) + [opening]
        return object.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Data? in
            let quote = UInt8(ascii: "\"")
            let backslash = UInt8(ascii: "\\")
            var depth = 0
            var index = 0
            while index < raw.count {
                let byte = raw[index]
                switch byte {
                case quote:
                    if depth == 1, index + pattern.count <= raw.count,
                        raw[index..<index + pattern.count].elementsEqual(pattern)
                    {
                        let start = index + pattern.count
                        guard opening == UInt8(ascii: "{") else {
                            var end = start
                            while end < raw.count, raw[end] != quote {
                                if raw[end] == backslash { return nil }
                                end += 1
                            }
                            return end < raw.count ? Data(raw[start..<end]) : nil
                        }
                        // The object from its `{` (the pattern's last byte) to the `}` that closes it.
                        var end = start
                        var nested = 1
                        while end < raw.count, nested > 0 {
                            switch raw[end] {
                            case quote:
                                end += 1
                                while end < raw.count, raw[end] != quote { end += raw[end] == backslash ? 2 : 1 }
                            case UInt8(ascii: "{"), UInt8(ascii: "["): nested += 1
                            case UInt8(ascii: "}"), UInt8(ascii: "]"): nested -= 1
                            default: break
                            }
                            end += 1
                        }
                        return nested == 0 && end <= raw.count ? Data(raw[(start - 1)..<end]) : nil
                    }
                    // Skip the string (a key or a value), escapes included.
                    index += 1
                    while index < raw.count, raw[index] != quote {
                        index += raw[index] == backslash ? 2 : 1
                    }
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                default:
                    break
                }
                index += 1
            }
            return nil
        }
    }
}

extension RecordedEvent {
    /// Reads a log page by page and hands every event, in order, to `fold`: each page's bytes are read into events
    /// (``init(canonicalBytes:)``) on every core while the previous page is folded, since reading is pure and most
    /// of what a start-up spends (`Benchmarks/results/`). The page is read in parts of at most 128 events, which
    /// the cores take as they come free, so a core that folds takes fewer.
    ///
    /// - Parameters:
    ///   - next: the next page of stored bytes, in log order; empty or `nil` when there is no more.
    ///   - fold: called once per event, in log order, one call at a time (from any thread).
    /// - Throws: what `next` throws; the first error (in log order) that ``init(canonicalBytes:)`` throws.
    public static func fold(
        pages next: () throws -> [Data]?, into fold: (RecordedEvent) -> Void
    ) throws {
        let size = 128
        var pending: [RecordedEvent] = []
        while let page = try next(), !page.isEmpty {
            let parts = (page.count + size - 1) / size
            let results = PartResults(parts: parts)
            let folded = pending
            // Iteration 0 folds the previous page (first, so that it is not left for last); iteration n reads part
            // n - 1 of this one.
            withoutActuallyEscaping(fold) { fold in
                let folder = Folder(fold)
                DispatchQueue.concurrentPerform(iterations: parts + 1) { iteration in
                    guard iteration > 0 else {
                        folder.run(folded)
                        return
                    }
                    let part = iteration - 1
                    let slice = page[part * size..<min(page.count, (part + 1) * size)]
                    results.set(part, Result { try RecordedEvent.read(Array(slice)) })
                }
            }
            pending = try results.all()
        }
        pending.forEach(fold)
    }

    /// Reads events from their stored bytes as ``init(canonicalBytes:)`` does, all in one `JSONDecoder` call (a JSON
    /// array of them: one decoder, one scan, instead of one per event).
    ///
    /// - Throws: as ``init(canonicalBytes:)``, for the first event in `batch` that is not read.
    static func read(_ batch: [Data]) throws -> [RecordedEvent] {
        let decoder = CanonicalJSON.makeDecoder()
        var array = Data("[".utf8)
        array.reserveCapacity(batch.reduce(2) { $0 + min($1.count, 2_048) + 1 })
        for (index, bytes) in batch.enumerated() {
            if index > 0 { array.append(UInt8(ascii: ",")) }
            array.append(Envelope.withoutPlan(bytes) ?? bytes)
        }
        array.append(UInt8(ascii: "]"))
        decoder.userInfo[Envelope.bytesKey] = batch
        do {
            return try decoder.decode([Envelope].self, from: array).map(\.event)
        } catch {
            // One at a time, to throw what the first event that is not read says.
            return try batch.map { try RecordedEvent(canonicalBytes: $0, decoder: decoder) }
        }
    }

    /// The fold, called from the one iteration that folds.
    private final class Folder: @unchecked Sendable {
        let fold: (RecordedEvent) -> Void
        init(_ fold: @escaping (RecordedEvent) -> Void) { self.fold = fold }
        func run(_ events: [RecordedEvent]) { events.forEach(fold) }
    }

    /// Each part's events, set once from its thread.
    private final class PartResults: @unchecked Sendable {
        private let lock = NSLock()
        private var results: [Result<[RecordedEvent], any Error>?]

        init(parts: Int) { results = Array(repeating: nil, count: parts) }

        func set(_ part: Int, _ result: Result<[RecordedEvent], any Error>) {
            lock.lock()
            defer { lock.unlock() }
            results[part] = result
        }

        func all() throws -> [RecordedEvent] {
            lock.lock()
            defer { lock.unlock() }
            return try results.flatMap { try $0?.get() ?? [] }
        }
    }
}
