/// One problem in a playbook or seed file, located by file, line, column and field.
///
/// ``description`` is the line `watershed playbooks check` prints:
/// `file:line:column: field: message`, e.g.
/// `playbooks/longjiang.yaml:42:11: reaches[2].toKm: km 130 is beyond the river's length 105 km`.
/// A problem with no field (a YAML syntax error) prints as `file:line:column: message`.
public struct PlaybookDiagnostic: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file, as the path was given to the loader (e.g. `playbooks/longjiang.yaml`).
    public var file: String
    /// The line, 1-based.
    public var line: Int
    /// The column, 1-based, counted in Unicode scalars as libyaml counts them.
    public var column: Int
    /// The field as a dotted path, e.g. `reaches[2].toKm`; empty for a problem with the file as a whole.
    public var field: String
    /// What is wrong, in a sentence.
    public var message: String

    /// Creates a diagnostic.
    public init(file: String, line: Int, column: Int, field: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.message = message
    }

    /// `file:line:column: field: message`, or `file:line:column: message` when ``field`` is empty.
    public var description: String {
        field.isEmpty
            ? "\(file):\(line):\(column): \(message)"
            : "\(file):\(line):\(column): \(field): \(message)"
    }

    /// Orders diagnostics by file, then line, then column.
    static func byPosition(_ a: PlaybookDiagnostic, _ b: PlaybookDiagnostic) -> Bool {
        (a.file, a.line, a.column) < (b.file, b.line, b.column)
    }
}

/// Every problem found in one run of the loader or the strict decoder.
///
/// Thrown by ``PlaybookLoader/load(directory:peersFile:)``, ``PlaybookLoader/load(_:)`` and
/// ``StrictYAMLDecoder/decode(_:from:file:)``. ``diagnostics`` is never empty and is sorted
/// by file, then line, then column; ``description`` has one diagnostic per line.
public struct PlaybookLoadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The problems, sorted by file, line and column.
    public var diagnostics: [PlaybookDiagnostic]

    /// Creates an error from problems; they are sorted by position (stable for equal positions).
    public init(diagnostics: [PlaybookDiagnostic]) {
        self.diagnostics = diagnostics.sortedByPosition()
    }

    /// One `file:line:column: field: message` line per problem.
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

extension [PlaybookDiagnostic] {
    /// Sorted by file, line and column; problems at the same position keep their order.
    func sortedByPosition() -> [PlaybookDiagnostic] {
        enumerated()
            .sorted { a, b in
                if PlaybookDiagnostic.byPosition(a.element, b.element) { return true }
                if PlaybookDiagnostic.byPosition(b.element, a.element) { return false }
                return a.offset < b.offset
            }
            .map(\.element)
    }
}
