import ArgumentParser
import Foundation
import WatershedClient

extension IncidentCommand {
    /// `watershed incident report ID [--pdf FILE] [--html FILE]`: the after-action report of an incident (issue 21),
    /// `GET /v1/incidents/{id}/report`, as HTML on standard output, into a file, or printed to PDF by headless
    /// Chromium.
    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: "The after-action report of an incident: HTML, or a PDF printed by headless Chromium.",
            discussion: """
                The report (GET /v1/incidents/{id}/report) holds the merged timeline of both provinces, the map \
                with the plume's path, arrivals predicted and observed, every legal report with its deadline and \
                when it was met, every task with who acknowledged it when, the neighbour notifications, the first \
                and last seq of the incident's events with their hashes and the `watershed audit verify` command \
                that checks them, and for a drill its score. In Chinese or English (--lang), times in --time-zone. \
                Without --pdf or --html the HTML goes to standard output. --pdf runs Chromium headless (--chromium, \
                else $WATERSHED_CHROMIUM, else chromium, chromium-browser or google-chrome on PATH) on a temporary \
                copy. Exit 0 written, 1 refused, no such incident or the PDF not made, 2 usage, 3 cannot connect or \
                the certificate is not trusted.
                  watershed incident report GX-2026-0001 --lang zh --pdf GX-2026-0001.pdf --ca data/tls/ca.pem \\
                    --token wsd-dev-viewer-gx
                """
        )

        @Argument(help: ArgumentHelp("The incident's reference (GX-2026-0001) or UUID.", valueName: "id"))
        var id: String

        @OptionGroup var client: ClientOptions

        @Option(help: ArgumentHelp("Print the report to this PDF file (A4) with headless Chromium.", valueName: "file"))
        var pdf: String?

        @Option(help: ArgumentHelp("Write the report's HTML to this file.", valueName: "file"))
        var html: String?

        @Option(
            help: ArgumentHelp(
                "The Chromium (or Chrome) binary for --pdf. Default: $WATERSHED_CHROMIUM, else chromium, "
                    + "chromium-browser or google-chrome on PATH.", valueName: "path"))
        var chromium: String?

        func run() async throws {
            let document = try await client.withClient { client in
                try await client.afterActionReport(
                    id, language: self.client.chinese ? "zh" : "en", timeZone: self.client.timeZone)
            }
            if let html {
                do {
                    try Data(document.utf8).write(to: URL(fileURLWithPath: html))
                } catch {
                    throw CommandExit.invalid("incident report: cannot write \(html): \(error.localizedDescription)")
                }
            }
            if let pdf {
                try PDFPrinter(binary: try PDFPrinter.find(chromium)).print(document, to: pdf)
                CommandOutput.current.write("wrote \(pdf)")
            }
            if html == nil, pdf == nil { CommandOutput.current.write(document) }
        }
    }
}

/// Prints an HTML document to PDF with headless Chromium: `chromium --headless --no-sandbox --disable-gpu
/// --no-pdf-header-footer --print-to-pdf=FILE file:///tmp/….html`, with a throw-away profile, bounded at
/// ``timeout`` seconds.
struct PDFPrinter {
    let binary: String
    /// Seconds Chromium may take before it is stopped.
    static let timeout: TimeInterval = 120

    /// The binary: `explicit` (`--chromium`), else `$WATERSHED_CHROMIUM`, else the first of `chromium`,
    /// `chromium-browser`, `google-chrome` on `$PATH`.
    ///
    /// - Throws: ``CommandExit/invalid(_:)`` naming what to install when there is none.
    static func find(_ explicit: String?) throws -> String {
        let environment = ClientEnvironment.variables
        if let chosen = explicit ?? environment["WATERSHED_CHROMIUM"].flatMap({ $0.isEmpty ? nil : $0 }) {
            guard FileManager.default.isExecutableFile(atPath: chosen) else {
                throw CommandExit.invalid("incident report: \(chosen) is not an executable Chromium")
            }
            return chosen
        }
        let path = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for folder in path {
                let candidate = "\(folder)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        throw CommandExit.invalid(
            "incident report: --pdf needs Chromium, and none was found (install Debian's chromium, or give "
                + "--chromium PATH or WATERSHED_CHROMIUM)")
    }

    /// Writes `document` to a temporary file, prints it to `output` and checks that a PDF came out.
    ///
    /// - Throws: ``CommandExit/invalid(_:)`` when Chromium cannot start, fails, times out, or writes no file
    ///   starting with `%PDF`.
    func print(_ document: String, to output: String) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("watershed-report-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let page = folder.appendingPathComponent("report.html")
        try Data(document.utf8).write(to: page)
        let target = URL(fileURLWithPath: output).standardizedFileURL
        try? FileManager.default.removeItem(at: target)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
            "--user-data-dir=\(folder.appendingPathComponent("profile").path)", "--print-to-pdf=\(target.path)",
            page.absoluteString,
        ]
        let log = folder.appendingPathComponent("chromium.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw CommandExit.invalid("incident report: cannot start \(binary): \(error.localizedDescription)")
        }
        let deadline = Date().addingTimeInterval(Self.timeout)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                process.waitUntilExit()
                throw CommandExit.invalid("incident report: \(binary) did not finish within \(Int(Self.timeout)) s")
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        let written = (try? Data(contentsOf: target)) ?? Data()
        guard process.terminationStatus == 0, written.starts(with: Data("%PDF".utf8)) else {
            let said = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            let tail = said.split(separator: "\n").suffix(3).joined(separator: "\n")
            throw CommandExit.invalid(
                "incident report: \(binary) exited \(process.terminationStatus) without writing a PDF to "
                    + "\(target.path)" + (tail.isEmpty ? "" : "\n\(tail)"))
        }
    }
}
