import Foundation

extension Fixtures {
    /// `Tests/Fixtures/cap`: the OASIS CAP 1.2 schema and the four examples of the CAP 1.2 specification's
    /// Appendix A, byte-for-byte (their sources are in that folder's `README.md`).
    public static var capFixtures: URL {
        repositoryRoot.appendingPathComponent("Tests/Fixtures/cap")
    }

    /// `CAP-v1.2.xsd`, the official OASIS schema.
    public static var capSchema: URL { capFixtures.appendingPathComponent("CAP-v1.2.xsd") }

    /// What `xmllint --noout --schema CAP-v1.2.xsd` says of `document`: `nil` when it validates, else its output.
    /// A missing `xmllint` (package `libxml2-utils`, which `.ci/run` installs) is reported as such.
    public static func capSchemaProblems(_ document: String) throws -> String? {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cap-\(UUID().uuidString).xml")
        try Data(document.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["xmllint", "--noout", "--schema", capSchema.path, file.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if process.terminationStatus == 127 { return "xmllint is not installed (apt-get install libxml2-utils)" }
        return process.terminationStatus == 0 ? nil : text
    }
}
