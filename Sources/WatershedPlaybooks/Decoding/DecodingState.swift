import Yams

/// A line and column in a YAML text, both 1-based.
struct SourcePosition: Sendable, Hashable {
    var line: Int
    var column: Int

    static let start = SourcePosition(line: 1, column: 1)

    init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    init?(_ mark: Mark?) {
        guard let mark else { return nil }
        self.init(line: max(mark.line, 1), column: max(mark.column, 1))
    }
}

/// Thrown inside the decoder when a value cannot be decoded and has no placeholder;
/// the reason has already been recorded as a diagnostic.
struct DecodingAbort: Error {}

/// A mapping the decoder has visited, with the keys the decoded type asked for.
///
/// After the whole document is decoded, every key of a mapping whose type finished
/// decoding that was never asked for is an unknown key.
final class MappingRecord {
    let path: String
    let position: SourcePosition
    /// The entries in document order, keyed by their scalar key text.
    let entries: [(key: String, keyNode: Node, value: Node)]
    private let index: [String: Int]
    /// The keys the type asked for, in the order it asked.
    private(set) var requested: [String] = []
    private var requestedSet: Set<String> = []
    /// Set when the type read `allKeys` (a dictionary): every key is then known.
    var acceptsAnyKey = false
    /// Set when the type's `init(from:)` returned.
    var complete = false
    /// Set when the mapping has a YAML merge key (`<<: *base`), reported on its own: the fields
    /// it would have brought in are not reported missing as well.
    var hasMergeKey = false

    init(path: String, position: SourcePosition, entries: [(key: String, keyNode: Node, value: Node)]) {
        self.path = path
        self.position = position
        self.entries = entries
        var index: [String: Int] = [:]
        for (offset, entry) in entries.enumerated() where index[entry.key] == nil {
            index[entry.key] = offset
        }
        self.index = index
    }

    /// Notes that the type asked for `key` and returns its entry, if present.
    func request(_ key: String) -> (key: String, keyNode: Node, value: Node)? {
        if requestedSet.insert(key).inserted { requested.append(key) }
        return index[key].map { entries[$0] }
    }

    /// The entries the type never asked for.
    var unknownEntries: [(key: String, keyNode: Node, value: Node)] {
        guard complete, !acceptsAnyKey else { return [] }
        return entries.filter { !requestedSet.contains($0.key) }
    }

    /// Whether the mapping has `key`.
    func has(_ key: String) -> Bool { index[key] != nil }
}

/// What one decoding run has seen: the position of every coding path, the diagnostics,
/// and the mappings whose keys are checked at the end.
final class DecodingState {
    let file: String
    var positions: [String: SourcePosition] = [:]
    var diagnostics: [PlaybookDiagnostic] = []
    var mappings: [MappingRecord] = []
    /// Fields reported under another field's diagnostic (a missing field whose key is misspelt).
    var foldedPaths: Set<String> = []

    init(file: String) { self.file = file }

    /// Every field with a problem reported by the decoder: a placeholder stands there.
    var coveredPaths: Set<String> { Set(diagnostics.map(\.field)).union(foldedPaths) }

    func report(_ field: String, at position: SourcePosition?, _ message: String) {
        let position = position ?? positions[field] ?? .start
        diagnostics.append(
            PlaybookDiagnostic(
                file: file, line: position.line, column: position.column, field: field, message: message))
    }

    /// Reports every key that a fully decoded mapping's type never asked for.
    func reportUnknownKeys() {
        for record in mappings {
            for entry in record.unknownEntries {
                let allowed = record.requested
                let missingAllowed = allowed.filter { !record.has($0) }
                var message = "unknown key \"\(entry.key)\""
                if let guess = closest(to: entry.key, among: missingAllowed) {
                    message += " (did you mean \"\(guess)\"?)"
                    let missing = CodingPathText.child(record.path, key: guess)
                    diagnostics.removeAll { $0.field == missing && $0.message.hasPrefix("missing required field") }
                    foldedPaths.insert(missing)
                }
                if !allowed.isEmpty {
                    message += "; expected one of: " + allowed.joined(separator: ", ")
                }
                report(
                    CodingPathText.child(record.path, key: entry.key), at: SourcePosition(entry.keyNode.mark),
                    message)
            }
        }
    }

    /// The candidate within a small edit distance of `word`, if there is exactly one best.
    private func closest(to word: String, among candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(1, min(3, word.count / 3)) else {
            return nil
        }
        return scored.filter { $0.1 == best.1 }.count == 1 ? best.0 : nil
    }
}

/// Levenshtein distance between two strings, by characters.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}

/// The dotted field paths the loader uses: `reaches[2].toKm`.
enum CodingPathText {
    static func child(_ parent: String, key: String) -> String {
        parent.isEmpty ? key : parent + "." + key
    }

    static func element(_ parent: String, index: Int) -> String {
        parent + "[\(index)]"
    }

    /// The path one level up (`reaches[2].toKm` → `reaches[2]` → `reaches` → ``""``), or `nil` at the top.
    static func parent(of path: String) -> String? {
        guard !path.isEmpty else { return nil }
        guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { return "" }
        return String(path[..<cut])
    }

    /// Whether `path` is `ancestor` or lies inside it.
    static func isWithin(_ path: String, _ ancestor: String) -> Bool {
        if ancestor.isEmpty || path == ancestor { return true }
        guard path.hasPrefix(ancestor) else { return false }
        let next = path[path.index(path.startIndex, offsetBy: ancestor.count)]
        return next == "." || next == "["
    }
}

/// A coding key for a list element.
struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }

    init(_ index: Int) { self.intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

/// A coding key for `superDecoder()`.
struct SuperKey: CodingKey {
    var stringValue: String { "super" }
    var intValue: Int? { nil }

    init() {}
    init?(stringValue: String) { self.init() }
    init?(intValue: Int) { nil }
}
