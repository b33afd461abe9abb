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
/// Per file: it must be a readable regular file (links followed) of at most
/// ``maximumFileBytes`` (4 MiB), in UTF-8; then YAML syntax (tabs in indentation are named as
/// such, every repeated key is reported); `schemaVersion` (this build reads 1) and `kind`
/// (`river`, `park`, `sea`, `units`, `pollutants`, `peers`); the Core type, decoded strictly by
/// ``StrictYAMLDecoder`` (unknown keys, wrong types, missing fields, enum values). A river, park
/// or sea file is named after its id (`<id>.yaml`, playbooks/README.md). Then the basin is built
/// from every file that decoded and checked with ``Basin/problems()``; each problem is placed at
/// its field's line and column (or the nearest enclosing field's). Problems that only follow
/// from another one are left out: the basin's problems in a file that has problems of its own
/// (placeholders stand for its wrong fields), and references to the units, pollutants, rivers or
/// seas of a file that could not be read or decoded cleanly.
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

    /// The paths of the `*.yaml` and `*.yml` names directly in `directory` (hidden names left
    /// out), sorted by name. An entry that is not a readable regular file (a folder, a dangling
    /// link, a link loop) is listed too: ``decodeFile(at:)`` reports it as `cannot read the file`.
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
    }

    /// `directory/name`, keeping `directory` as given.
    static func join(_ directory: String, _ name: String) -> String {
        if directory.isEmpty { return name }
        return directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The largest playbook or seed file the loader reads: 4 MiB (4,194,304 bytes). The largest
    /// real playbook is a few tens of KiB; a larger file is refused before it is read, since
    /// parsing takes time and memory in proportion (a 50 MiB file took over a minute and 1.8 GB).
    public static let maximumFileBytes = 4 * 1024 * 1024

    /// Reads and decodes the file at `path`.
    ///
    /// A path that is not a readable regular file once links are followed (missing, a dangling
    /// link, a link loop, a folder, a device) gives `cannot read the file: <reason>` at 1:1; a
    /// file over ``maximumFileBytes`` gives `the file is N MiB; a playbook may be at most 4 MiB`
    /// without being read; bytes that are not UTF-8 are reported at the line and column of the
    /// first invalid one.
    public func decodeFile(at path: String) -> DecodedPlaybookFile {
        let (text, problem) = Self.read(path)
        guard let problem else { return decodeFile(PlaybookSource(file: path, text: text ?? "")) }
        var result = DecodedPlaybookFile(
            file: path, document: nil, diagnostics: [problem], sourceMap: YAMLSourceMap())
        // Text that is not all UTF-8 may still say which kind of file it is.
        if let text { (result.declaredKind, result.declaredID) = Self.declaredKindAndID(in: text) }
        return result
    }

    /// The text of the file at `path`, or the diagnostic that says why it cannot be used (with
    /// the text read as far as it goes when the problem is invalid UTF-8).
    static func read(_ path: String) -> (text: String?, problem: PlaybookDiagnostic?) {
        func refuse(_ message: String) -> (String?, PlaybookDiagnostic?) {
            (nil, PlaybookDiagnostic(file: path, line: 1, column: 1, field: "", message: message))
        }
        var info = stat()
        // stat follows links: a link is judged by the file it leads to.
        guard stat(path, &info) == 0 else { return refuse("cannot read the file: \(unreadableReason(path))") }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: return refuse("cannot read the file: it is a folder")
        default: return refuse("cannot read the file: it is not a regular file")
        }
        let size = Int(info.st_size)
        if size > maximumFileBytes { return refuse(tooLarge(size)) }
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            data = try handle.read(upToCount: maximumFileBytes + 1) ?? Data()
        } catch {
            return refuse("cannot read the file: \(unreadableReason(path))")
        }
        if data.count > maximumFileBytes { return refuse(tooLarge(data.count)) }
        let text = String(decoding: data, as: UTF8.self)
        if let invalid = firstInvalidUTF8(in: data) {
            let byte = String(invalid.byte, radix: 16, uppercase: true)
            return (
                text,
                PlaybookDiagnostic(
                    file: path, line: invalid.line, column: invalid.column, field: "",
                    message:
                        "the file is not UTF-8 text: byte 0x\(byte) starts no UTF-8 character; save the file as UTF-8")
            )
        }
        return (text, nil)
    }

    /// `the file is 50 MiB; a playbook may be at most 4 MiB`, the size rounded up to 0.1 MiB.
    static func tooLarge(_ bytes: Int) -> String {
        let tenths = (bytes * 10 + 1024 * 1024 - 1) / (1024 * 1024)
        let size = tenths % 10 == 0 ? "\(tenths / 10)" : "\(tenths / 10).\(tenths % 10)"
        return "the file is \(size) MiB; a playbook may be at most \(maximumFileBytes / (1024 * 1024)) MiB"
    }

    /// Why `path` cannot be opened, from the system's error: `no such file` for a missing file or
    /// a link that leads nowhere, `a loop of symbolic links`, `permission denied`.
    static func unreadableReason(_ path: String) -> String {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK)
        let code = errno
        if descriptor >= 0 {
            close(descriptor)
            return "it cannot be read"
        }
        var isLink = false
        if let type = try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType {
            isLink = type == .typeSymbolicLink
        }
        switch code {
        case ENOENT:
            if isLink, let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                return "it is a symbolic link to \"\(target)\", which does not exist"
            }
            return "no such file"
        case ELOOP: return "it is a symbolic link in a loop of links"
        case EACCES: return "permission denied"
        case EISDIR: return "it is a folder"
        default:
            let text = String(cString: strerror(code))
            return text.prefix(1).lowercased() + text.dropFirst()
        }
    }

    /// The first byte of `data` that does not begin a valid UTF-8 character, with its line and
    /// column (counted in Unicode scalars, as libyaml counts them); `nil` for valid UTF-8.
    static func firstInvalidUTF8(in data: Data) -> (byte: UInt8, line: Int, column: Int)? {
        var iterator = data.makeIterator()
        var decoder = UTF8()
        var offset = 0
        var line = 1
        var column = 1
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                offset += UTF8.width(scalar)
                if scalar == "\n" {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
            case .emptyInput:
                return nil
            case .error:
                return (data[data.startIndex + offset], line, column)
            }
        }
    }

    /// Decodes one file: YAML syntax, `schemaVersion`, `kind`, then the document for its kind.
    /// Never throws: the problems are in the result.
    public func decodeFile(_ source: PlaybookSource) -> DecodedPlaybookFile {
        let file = source.file
        var result = DecodedPlaybookFile(file: file, document: nil, diagnostics: [], sourceMap: YAMLSourceMap())
        let size = source.text.utf8.count
        if size > Self.maximumFileBytes {
            result.diagnostics = [
                PlaybookDiagnostic(file: file, line: 1, column: 1, field: "", message: Self.tooLarge(size))
            ]
            return result
        }
        let node: Node
        switch StrictYAMLDecoder.compose(source.text, file: file) {
        case .failure(let error):
            result.diagnostics = error.diagnostics
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
