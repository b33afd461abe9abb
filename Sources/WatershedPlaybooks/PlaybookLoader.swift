import Foundation
import WatershedCore
import Yams

/// One file's name and text, as handed to ``PlaybookLoader/load(_:folder:)``.
public struct PlaybookSource: Sendable, Hashable {
    /// The file name to put in diagnostics, e.g. `playbooks/longjiang.yaml`.
    public var file: String
    /// The YAML text.
    public var text: String

    /// Creates a source.
    public init(file: String, text: String) {
        self.file = file
        self.text = text
    }
}

/// One file after decoding, before the basin-wide checks.
public struct DecodedPlaybookFile: Sendable {
    /// The file name as given.
    public var file: String
    /// The document; `nil` when the file is not valid YAML, has an unsupported
    /// `schemaVersion` or `kind`, or a value could not be stood in for. A document is
    /// returned even when it has problems (wrong fields hold placeholders).
    public var document: PlaybookDocument?
    /// The problems found in this file alone, sorted by line and column.
    public var diagnostics: [PlaybookDiagnostic]
    /// Where each field of the file is.
    public var sourceMap: YAMLSourceMap
    /// The `kind` and `id` read from the text when the document could not be decoded.
    var declaredKind: String?
    var declaredID: String?
    /// Fields whose problems were reported by the decoder (placeholders stand there).
    var coveredPaths: Set<String> = []
}

/// One line per file for a loaded basin: `playbooks/longjiang.yaml: river longjiang (龙江), 105 km, …`.
public struct PlaybookFileSummary: Sendable, Hashable, CustomStringConvertible {
    /// The file name as given.
    public var file: String
    /// Its document.
    public var document: PlaybookDocument

    /// Creates a summary.
    public init(file: String, document: PlaybookDocument) {
        self.file = file
        self.document = document
    }

    /// `file: <what it holds>`, see ``PlaybookDocument/summary``.
    public var description: String { "\(file): \(document.summary)" }
}

/// A basin loaded without problems, with a summary of each file in load order.
public struct LoadedBasin: Sendable {
    /// The basin, valid by ``Basin/problems()``.
    public var basin: Basin
    /// One summary per file: the playbooks folder's files sorted by name, then the peers file.
    public var files: [PlaybookFileSummary]
}

/// Reads the playbooks folder (and a province's peers file) into a ``Basin``, or reports every
/// problem in one run, each with file, line, column and field.
///
/// Per file: YAML syntax (tabs in indentation are named as such); `schemaVersion` (this build
/// reads 1) and `kind` (`river`, `park`, `sea`, `units`, `pollutants`, `peers`); the Core type,
/// decoded strictly by ``StrictYAMLDecoder`` (unknown keys, wrong types, missing fields, enum
/// values). Then the basin is built from every file that decoded and checked with
/// ``Basin/problems()``; each problem is placed at its field's line and column (or the nearest
/// enclosing field's). Problems that only follow from another one are left out: a field the
/// decoder already reported, and references to the units, pollutants, rivers or seas of a
/// file that could not be read at all.
public struct PlaybookLoader: Sendable {
    /// The `schemaVersion` this build reads.
    public static let supportedSchemaVersion = 1

    /// Creates a loader.
    public init() {}

    /// Loads every `*.yaml` and `*.yml` file directly in `directory` (sorted by name, not
    /// recursive; other files such as `README.md` are ignored) and, if given, `peersFile`.
    ///
    /// - Parameters:
    ///   - directory: The playbooks folder; file names in diagnostics start with it as given.
    ///   - peersFile: `seeds/<province>/peers.yaml`, or `nil` for no agreements.
    /// - Returns: The basin and one summary per file.
    /// - Throws: ``PlaybookLoadError`` with every problem, sorted by file, line and column
    ///   (including a folder or file that cannot be read).
    public func load(directory: String, peersFile: String? = nil) throws(PlaybookLoadError) -> LoadedBasin {
        var decoded: [DecodedPlaybookFile] = []
        for path in try Self.playbookFiles(in: directory) {
            decoded.append(decodeFile(at: path))
        }
        if let peersFile { decoded.append(decodeFile(at: peersFile)) }
        return try assemble(decoded, folder: directory)
    }

    /// Loads files given as text (tests, the server's upload check).
    ///
    /// - Parameters:
    ///   - sources: The files, in load order.
    ///   - folder: Where a problem with the set as a whole (no units file) is reported.
    /// - Throws: ``PlaybookLoadError`` with every problem.
    public func load(_ sources: [PlaybookSource], folder: String = "playbooks") throws(PlaybookLoadError)
        -> LoadedBasin
    {
        try assemble(sources.map(decodeFile), folder: folder)
    }

    /// The paths of the `*.yaml` and `*.yml` files directly in `directory`, sorted by name.
    ///
    /// - Throws: ``PlaybookLoadError`` when the folder cannot be read.
    public static func playbookFiles(in directory: String) throws(PlaybookLoadError) -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw PlaybookLoadError(diagnostics: [
                PlaybookDiagnostic(
                    file: directory, line: 1, column: 1, field: "", message: "cannot read the folder: \(error)")
            ])
        }
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
            .filter { !$0.hasPrefix(".") }
            .sorted()
            .map { join(directory, $0) }
            .filter { path in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
            }
    }

    /// `directory/name`, keeping `directory` as given.
    static func join(_ directory: String, _ name: String) -> String {
        if directory.isEmpty { return name }
        return directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// Reads and decodes the file at `path`.
    public func decodeFile(at path: String) -> DecodedPlaybookFile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            return DecodedPlaybookFile(
                file: path, document: nil,
                diagnostics: [
                    PlaybookDiagnostic(file: path, line: 1, column: 1, field: "", message: "cannot read the file")
                ], sourceMap: YAMLSourceMap())
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return DecodedPlaybookFile(
                file: path, document: nil,
                diagnostics: [
                    PlaybookDiagnostic(file: path, line: 1, column: 1, field: "", message: "the file is not UTF-8 text")
                ], sourceMap: YAMLSourceMap())
        }
        return decodeFile(PlaybookSource(file: path, text: text))
    }

    /// Decodes one file: YAML syntax, `schemaVersion`, `kind`, then the document for its kind.
    /// Never throws: the problems are in the result.
    public func decodeFile(_ source: PlaybookSource) -> DecodedPlaybookFile {
        let file = source.file
        var result = DecodedPlaybookFile(file: file, document: nil, diagnostics: [], sourceMap: YAMLSourceMap())
        let node: Node
        switch StrictYAMLDecoder.compose(source.text, file: file) {
        case .failure(let diagnostic):
            result.diagnostics = [diagnostic]
            (result.declaredKind, result.declaredID) = Self.declaredKindAndID(in: source.text)
            return result
        case .success(let composed):
            node = composed
        }
        func report(_ field: String, _ at: Mark?, _ message: String) {
            let position = SourcePosition(at) ?? SourcePosition(node.mark) ?? .start
            result.diagnostics.append(
                PlaybookDiagnostic(
                    file: file, line: position.line, column: position.column, field: field, message: message))
        }
        guard case .mapping(let root) = node else {
            report("", node.mark, "expected a mapping with schemaVersion and kind, got \(Scalars.describe(node))")
            return result
        }
        let kindNode = root["kind"]
        let kind = kindNode?.scalar.map(\.string)
        let id = root["id"]?.scalar.map(\.string)
        (result.declaredKind, result.declaredID) = (kind, id)

        let supported = Self.supportedSchemaVersion
        if let versionNode = root["schemaVersion"] {
            let text = versionNode.scalar?.string
            if text.flatMap(Scalars.integer) != supported || versionNode.scalar?.style != .plain {
                report(
                    "schemaVersion", versionNode.mark,
                    "unsupported schemaVersion \(Scalars.describe(versionNode).trimmingCharacters(in: ["\""])); "
                        + "this build reads schemaVersion: \(supported)")
            }
        } else {
            report("schemaVersion", node.mark, "missing schemaVersion; this build reads schemaVersion: \(supported)")
        }
        let expected = PlaybookDocument.kinds.joined(separator: ", ")
        if let kindNode {
            if kind == nil || !PlaybookDocument.kinds.contains(kind ?? "") {
                report(
                    "kind", kindNode.mark, "unknown kind \(Scalars.describe(kindNode)); expected one of: \(expected)")
            }
        } else {
            report("kind", node.mark, "missing kind; expected one of: \(expected)")
        }
        guard result.diagnostics.isEmpty, let kind else { return result }

        let decoder = StrictYAMLDecoder()
        func take<T>(_ decoded: StrictDecodingResult<T>, _ wrap: (T) -> PlaybookDocument) {
            result.document = decoded.value.map(wrap)
            result.diagnostics = decoded.diagnostics
            result.sourceMap = decoded.sourceMap
            result.coveredPaths = decoded.coveredPaths
        }
        switch kind {
        case "river": take(decoder.decode(RiverPlaybook.self, node: node, file: file), PlaybookDocument.river)
        case "park": take(decoder.decode(ParkPlaybook.self, node: node, file: file), PlaybookDocument.park)
        case "sea": take(decoder.decode(SeaPlaybook.self, node: node, file: file), PlaybookDocument.sea)
        case "units": take(decoder.decode(UnitRegistry.self, node: node, file: file), PlaybookDocument.units)
        case "pollutants":
            take(decoder.decode(PollutantTable.self, node: node, file: file), PlaybookDocument.pollutants)
        default: take(decoder.decode(PeerRegistry.self, node: node, file: file), PlaybookDocument.peers)
        }
        return result
    }

    /// `kind:` and `id:` at the start of a line, read from text that is not valid YAML.
    static func declaredKindAndID(in text: String) -> (kind: String?, id: String?) {
        func value(of key: String) -> String? {
            for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
                var value = line.dropFirst(key.count + 1)
                if let comment = value.range(of: " #") { value = value[..<comment.lowerBound] }
                let trimmed = value.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: ["\"", "'"])
                return trimmed.isEmpty ? nil : trimmed
            }
            return nil
        }
        return (value(of: "kind"), value(of: "id"))
    }
}
