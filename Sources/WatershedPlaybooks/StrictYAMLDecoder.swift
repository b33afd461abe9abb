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
/// - reports a key the type never asks for as `unknown key "x"; expected one of: …`;
/// - keeps going after a wrong value (`expected a number, got "abc"`,
///   `missing required field "source"`, `"foo" is not one of: a, b, c`), so one run finds all;
/// - takes numbers only from plain scalars (an integer is fine for a `Double`), and rejects
///   `.nan` and `.inf`; takes any non-empty scalar as a string (`owner: 450000` is `"450000"`);
/// - reports YAML syntax errors at libyaml's mark, and tab indentation as
///   `YAML indentation must use spaces, not tabs` at the tab.
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
        case .failure(let diagnostic):
            return StrictDecodingResult(value: nil, diagnostics: [diagnostic], sourceMap: YAMLSourceMap())
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

    /// Parses `yaml` into a node tree, or the one diagnostic that says why it cannot.
    static func compose(_ yaml: String, file: String) -> Result<Node, PlaybookDiagnostic> {
        func diagnostic(_ position: SourcePosition, _ message: String) -> PlaybookDiagnostic {
            PlaybookDiagnostic(file: file, line: position.line, column: position.column, field: "", message: message)
        }
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                return .failure(diagnostic(.start, "the file is empty; expected a YAML mapping"))
            }
            return .success(node)
        } catch let error as YamlError {
            let (position, message) = describe(error, in: yaml)
            if let tab = firstIndentationTab(in: yaml, before: position.line) {
                return .failure(diagnostic(tab, "YAML indentation must use spaces, not tabs"))
            }
            return .failure(diagnostic(position, message))
        } catch {
            return .failure(diagnostic(.start, "invalid YAML: \(error)"))
        }
    }

    /// The position and message for a Yams error.
    private static func describe(_ error: YamlError, in yaml: String) -> (SourcePosition, String) {
        func contextText(_ context: YamlError.Context?) -> String {
            guard let context else { return "" }
            return " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            return (SourcePosition(mark) ?? .start, "invalid YAML: \(problem)\(contextText(context))")
        case .reader(let problem, let offset, _, _):
            return (position(ofCharacterOffset: offset ?? 0, in: yaml), "cannot read the text: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates.first ?? ""
            let first = SourcePosition(context.mark) ?? .start
            let second = repeatedKey(key, after: first, in: yaml)
            return (second ?? first, "duplicate key \"\(key)\" (first at line \(first.line))")
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

    /// The second occurrence of `key:` at the first one's column, after the first one's line.
    private static func repeatedKey(_ key: String, after first: SourcePosition, in yaml: String) -> SourcePosition? {
        var number = 0
        for text in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            guard number > first.line else { continue }
            let scalars = Array(text.unicodeScalars)
            guard scalars.count >= first.column else { continue }
            let rest = String(String.UnicodeScalarView(scalars[(first.column - 1)...]))
            let prefix = String(String.UnicodeScalarView(scalars[..<(first.column - 1)]))
            let lead = prefix.trimmingCharacters(in: .whitespaces)
            guard lead.isEmpty || lead == "-" else { continue }
            for candidate in [key, "\"\(key)\"", "'\(key)'"] where rest.hasPrefix(candidate) {
                let after = rest.dropFirst(candidate.count).drop { $0 == " " }
                if after.first == ":" { return SourcePosition(line: number, column: first.column) }
            }
        }
        return nil
    }
}
