import Foundation
import Yams

/// Where each field of a decoded YAML document is: the line and column of every coding
/// path the decoder visited (`""` for the document, `reaches[2]`, `reaches[2].toKm`).
///
/// A field whose value starts on its key's line is located at the value; a block mapping
/// or list, and an empty value, at the key.
public struct YAMLSourceMap: Sendable, Hashable {
    var positions: [String: SourcePosition]

    /// An empty map: every path is at line 1, column 1.
    public init() { positions = [:] }

    init(positions: [String: SourcePosition]) { self.positions = positions }

    /// The position recorded for exactly `path`, or `nil`.
    public func recordedPosition(of path: String) -> (line: Int, column: Int)? {
        positions[path].map { ($0.line, $0.column) }
    }

    /// The position of `path`, or of its longest recorded prefix (`sites[0].source` falls back
    /// to `sites[0]`, then `sites`, then the document); line 1, column 1 if nothing is recorded.
    public func position(of path: String) -> (line: Int, column: Int) {
        let found = sourcePosition(of: path)
        return (found.line, found.column)
    }

    func sourcePosition(of path: String) -> SourcePosition {
        var current: String? = path
        while let candidate = current {
            if let position = positions[candidate] { return position }
            current = CodingPathText.parent(of: candidate)
        }
        return .start
    }
}

/// What ``StrictYAMLDecoder/decodeCollectingProblems(_:from:file:)`` found: the value (with
/// placeholders where fields were wrong), every problem, and where each field is.
public struct StrictDecodingResult<Value> {
    /// The decoded value; `nil` when the text is not valid YAML or a value could not be
    /// stood in for. When ``diagnostics`` is not empty, wrong fields hold placeholders
    /// (`""`, `0`, `false`, an enum's first case, `[]`).
    public var value: Value?
    /// The problems, sorted by line and column.
    public var diagnostics: [PlaybookDiagnostic]
    /// The position of every field the decoder visited.
    public var sourceMap: YAMLSourceMap
    /// Fields whose problems the decoder reported (placeholders stand there).
    var coveredPaths: Set<String> = []
}

extension StrictDecodingResult: Sendable where Value: Sendable {}

/// Decodes YAML into `Decodable` types strictly, reporting every problem with its line,
/// column and field instead of stopping at the first.
///
/// Unlike Yams' `YAMLDecoder` it:
/// - reports a key the type never asks for as `unknown key "x"; expected one of: …`, with
///   ` (did you mean "y"?)` after the key when a required field missing there is spelt alike;
/// - reports every repeated key of every block mapping (`duplicate key "x" (first at line 3)`),
///   and a YAML merge key (`<<: *base`) as not supported;
/// - keeps going after a wrong value (`expected a number, got "abc"`,
///   `missing required field "source"`, `"foo" is not one of: a, b, c`), so one run finds all;
/// - takes numbers only from plain scalars (an integer is fine for a `Double`), and rejects
///   `.nan` and `.inf`, and says a number too large to hold (`1e400`) is out of range; takes
///   any non-empty scalar as a string (`owner: 450000` is `"450000"`);
/// - reports YAML syntax errors at libyaml's mark, tab indentation as
///   `YAML indentation must use spaces, not tabs` at the tab, and nesting deeper than libyaml's
///   limit (1000 levels) in a sentence.
public struct StrictYAMLDecoder: Sendable {
    /// Creates a decoder.
    public init() {}

    /// Decodes `type` from `yaml`.
    ///
    /// - Parameters:
    ///   - type: The type to decode.
    ///   - yaml: The YAML text (one document).
    ///   - file: The file name to put in diagnostics.
    /// - Throws: ``PlaybookLoadError`` with every problem found.
    public func decode<T: Decodable>(_ type: T.Type, from yaml: String, file: String) throws(PlaybookLoadError) -> T {
        let result = decodeCollectingProblems(type, from: yaml, file: file)
        guard let value = result.value, result.diagnostics.isEmpty else {
            throw PlaybookLoadError(diagnostics: result.diagnostics)
        }
        return value
    }

    /// Decodes `type` from `yaml` and returns the value, the problems and the source map
    /// without throwing.
    public func decodeCollectingProblems<T: Decodable>(
        _ type: T.Type, from yaml: String, file: String
    ) -> StrictDecodingResult<T> {
        switch Self.compose(yaml, file: file) {
        case .failure(let error):
            return StrictDecodingResult(value: nil, diagnostics: error.diagnostics, sourceMap: YAMLSourceMap())
        case .success(let node):
            return decode(type, node: node, file: file)
        }
    }

    /// Decodes `type` from a composed node.
    func decode<T: Decodable>(_ type: T.Type, node: Node, file: String) -> StrictDecodingResult<T> {
        let state = DecodingState(file: file)
        state.positions[""] = SourcePosition(node.mark) ?? .start
        let value = try? state.decodeValue(T.self, node: node, path: "", codingPath: [], silent: false)
        state.reportUnknownKeys()
        return StrictDecodingResult(
            value: value, diagnostics: state.diagnostics.sortedByPosition(),
            sourceMap: YAMLSourceMap(positions: state.positions), coveredPaths: state.coveredPaths)
    }

    /// The deepest nesting libyaml accepts: `MAX_NESTING_LEVEL` in Yams' `Sources/CYaml/src/parser.c`.
    static let maximumNesting = 1000

    /// How many mappings with duplicate keys are looked for before giving up on finding more.
    static let maximumDuplicateRounds = 100

    /// Parses `yaml` into a node tree, or the diagnostics that say why it cannot: one for a
    /// syntax error, or one per repeated key (every mapping's, not only the first's).
    static func compose(_ yaml: String, file: String) -> Result<Node, PlaybookLoadError> {
        func diagnostic(_ position: SourcePosition, _ message: String) -> PlaybookDiagnostic {
            PlaybookDiagnostic(file: file, line: position.line, column: position.column, field: "", message: message)
        }
        var text = yaml
        var duplicates: [PlaybookDiagnostic] = []
        for _ in 0..<maximumDuplicateRounds {
            do {
                guard let node = try Yams.compose(yaml: text) else {
                    return .failure(
                        PlaybookLoadError(diagnostics: [
                            diagnostic(.start, "the file is empty; expected a YAML mapping")
                        ]))
                }
                guard duplicates.isEmpty else { return .failure(PlaybookLoadError(diagnostics: duplicates)) }
                return .success(node)
            } catch YamlError.duplicatedKeysInMapping(let keys, let context) {
                let first = SourcePosition(context.mark) ?? .start
                guard let found = repeatedKeys(keys, near: first, in: text) else {
                    // A flow mapping or a layout not followed here: report the first key and stop.
                    let key = keys.first ?? ""
                    duplicates.append(diagnostic(first, "duplicate key \"\(key)\" (first at line \(first.line))"))
                    return .failure(PlaybookLoadError(diagnostics: duplicates))
                }
                for repeated in found.repeats {
                    duplicates.append(
                        diagnostic(
                            repeated.position,
                            "duplicate key \"\(repeated.key)\" (first at line \(repeated.firstLine))"))
                }
                text = found.text
            } catch let error as YamlError {
                let (position, message) = describe(error, in: text)
                if let tab = firstIndentationTab(in: text, before: position.line) {
                    duplicates.append(diagnostic(tab, "YAML indentation must use spaces, not tabs"))
                } else {
                    duplicates.append(diagnostic(position, message))
                }
                return .failure(PlaybookLoadError(diagnostics: duplicates))
            } catch {
                duplicates.append(diagnostic(.start, "invalid YAML: \(error)"))
                return .failure(PlaybookLoadError(diagnostics: duplicates))
            }
        }
        return .failure(PlaybookLoadError(diagnostics: duplicates))
    }

    /// The position and message for a Yams error other than a duplicate key.
    private static func describe(_ error: YamlError, in yaml: String) -> (SourcePosition, String) {
        func contextText(_ context: YamlError.Context?) -> String {
            guard let context else { return "" }
            return " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            if problem.hasPrefix("Maximum nesting level reached") {
                // libyaml's text names its own C function; say what it means instead.
                return (
                    SourcePosition(mark) ?? .start,
                    "invalid YAML: lists and mappings nest deeper than \(maximumNesting) levels"
                )
            }
            return (SourcePosition(mark) ?? .start, "invalid YAML: \(problem)\(contextText(context))")
        case .reader(let problem, let offset, _, _):
            return (position(ofCharacterOffset: offset ?? 0, in: yaml), "cannot read the text: \(problem)")
        default:
            return (.start, "invalid YAML: \(error)")
        }
    }

    /// The first tab in the leading whitespace of a non-blank line up to `line`.
    static func firstIndentationTab(in yaml: String, before line: Int) -> SourcePosition? {
        var number = 0
        for text in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            if number > line { break }
            let leading = text.prefix { $0 == " " || $0 == "\t" }
            let rest = text.dropFirst(leading.count).trimmingCharacters(in: .whitespaces)
            guard !rest.isEmpty, let tab = leading.firstIndex(of: "\t") else { continue }
            return SourcePosition(line: number, column: leading.distance(from: leading.startIndex, to: tab) + 1)
        }
        return nil
    }

    /// The line and column of the `offset`-th character.
    private static func position(ofCharacterOffset offset: Int, in yaml: String) -> SourcePosition {
        var line = 1
        var column = 1
        for character in yaml.prefix(offset) {
            if character == "\n" || character == "\r\n" {
                line += 1
                column = 1
            } else {
                column += character.unicodeScalars.count
            }
        }
        return SourcePosition(line: line, column: column)
    }

    /// A key that is repeated in its mapping: where the repeat is and where the key first appears.
    struct RepeatedKey {
        var key: String
        var position: SourcePosition
        var firstLine: Int
    }

    /// What a line is to a block mapping whose keys start at a given column.
    private enum MappingLine {
        /// Blank or a comment.
        case neutral
        /// Indented deeper: a value's content.
        case nested
        /// At the keys' indentation, with the key written there (if it is one of those looked for).
        case sibling(String?)
        /// `- key:` whose key is at the column: the first line of a mapping in a list.
        case entryStart(String?)
        /// Indented less: the mapping has ended.
        case outside
    }

    /// Finds every repeat of `keys` in the block mapping whose keys start at `first.column` and
    /// which holds line `first.line` (libyaml's mark for a duplicated key), and returns them with
    /// the text in which each repeated key is renamed, so that composing it again goes on to the
    /// next mapping with duplicates. `nil` when a key is not found twice (a flow mapping).
    static func repeatedKeys(
        _ keys: [String], near first: SourcePosition, in yaml: String
    ) -> (repeats: [RepeatedKey], text: String)? {
        var lines = yaml.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let column = first.column
        let start = first.line - 1
        guard lines.indices.contains(start), column >= 1 else { return nil }

        func key(at scalars: [Unicode.Scalar]) -> String? {
            guard scalars.count >= column else { return nil }
            let text = String(String.UnicodeScalarView(scalars[(column - 1)...]))
            for key in keys {
                for written in [key, "\"\(key)\"", "'\(key)'"] where text.hasPrefix(written) {
                    if text.dropFirst(written.count).drop(while: { $0 == " " }).first == ":" { return key }
                }
            }
            return nil
        }
        func classify(_ index: Int) -> MappingLine {
            let scalars = Array(lines[index].unicodeScalars)
            let indent = scalars.prefix { $0 == " " }.count
            if indent == scalars.count || scalars[indent] == "#" || scalars[indent] == "\r" { return .neutral }
            if indent > column - 1 { return .nested }
            if indent == column - 1 { return .sibling(key(at: scalars)) }
            guard scalars.count >= column - 1 else { return .outside }  // ends before the keys' column
            let between = scalars[indent..<(column - 1)]
            if between.first == "-", between.last == " ", between.allSatisfy({ $0 == "-" || $0 == " " }) {
                return .entryStart(key(at: scalars))
            }
            return .outside
        }

        var top = start
        if case .sibling = classify(start) {
            upward: for index in stride(from: start - 1, through: 0, by: -1) {
                switch classify(index) {
                case .neutral, .nested, .sibling: top = index
                case .entryStart:
                    top = index
                    break upward
                case .outside: break upward
                }
            }
        }
        var bottom = start
        downward: for index in (start + 1)..<max(start + 1, lines.count) {
            switch classify(index) {
            case .neutral, .nested, .sibling: bottom = index
            case .entryStart, .outside: break downward
            }
        }

        var firstLines: [String: Int] = [:]
        var repeats: [RepeatedKey] = []
        for index in top...bottom {
            let found: String?
            switch classify(index) {
            case .sibling(let key), .entryStart(let key): found = key
            case .neutral, .nested, .outside: found = nil
            }
            guard let key = found else { continue }
            guard let firstLine = firstLines[key] else {
                firstLines[key] = index + 1
                continue
            }
            repeats.append(
                RepeatedKey(key: key, position: SourcePosition(line: index + 1, column: column), firstLine: firstLine))
            var scalars = Array(lines[index].unicodeScalars)
            scalars.insert(contentsOf: "duplicate-on-line-\(index + 1)-".unicodeScalars, at: column - 1)
            lines[index] = String(String.UnicodeScalarView(scalars))
        }
        guard Set(repeats.map(\.key)) == Set(keys) else { return nil }
        return (repeats, lines.joined(separator: "\n"))
    }
}
