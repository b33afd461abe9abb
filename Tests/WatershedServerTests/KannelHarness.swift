import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import WatershedServer
import WatershedTestSupport

/// A real Kannel for the tests (issue 19): bearerbox with a fake SMSC, smsbox with the sendsms interface, and
/// Kannel's own `fakesmsc` connected as "the phones", printing every text it receives — all on free loopback ports
/// in a temporary folder, from `Tests/kannel/kannel.conf.template`. Debian's `kannel` puts the boxes in
/// `/usr/sbin`; `kannel-extras` puts `fakesmsc` in `/usr/lib/kannel/test/`.
///
/// The tests that need it run when `WATERSHED_TEST_KANNEL` is set (`.ci/run` installs Kannel and sets it) and
/// report themselves skipped otherwise.
final class KannelHarness: @unchecked Sendable {
    static let enabled = ProcessInfo.processInfo.environment["WATERSHED_TEST_KANNEL"].map { !$0.isEmpty } ?? false
    static let bearerbox = "/usr/sbin/bearerbox"
    static let smsbox = "/usr/sbin/smsbox"
    static let fakesmsc = "/usr/lib/kannel/test/fakesmsc"

    let folder: URL
    let secret = "kannel-test-secret"
    let smscPort: Int
    let sendsmsPort: Int
    /// The fake SMSC a phone's reply comes in on (and its answer goes back to).
    let replyPort: Int
    private var boxes: [Process] = []
    private var smsbox: Process?
    private var phones: Process?
    private let received = NIOLockedValueBox<String>("")

    /// The sendsms URL Watershed calls.
    var sendsms: String { "http://127.0.0.1:\(sendsmsPort)/cgi-bin/sendsms" }

    /// Kannel with its `sms-service` calling `watershed` (the SMS listener's base URL, `http://127.0.0.1:PORT`) with
    /// `watershedSecret`.
    init(watershed: String = "http://127.0.0.1:9", watershedSecret: String = "unused") throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("watershed-kannel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        smscPort = try LiveServer.freePort()
        sendsmsPort = try LiveServer.freePort()
        replyPort = try LiveServer.freePort()
        let template = try String(
            contentsOf: Fixtures.repositoryRoot.appendingPathComponent("Tests/kannel/kannel.conf.template"),
            encoding: .utf8)
        let configuration =
            template
            .replacingOccurrences(of: "@ADMIN_PORT@", with: "\(try LiveServer.freePort())")
            .replacingOccurrences(of: "@SMSBOX_PORT@", with: "\(try LiveServer.freePort())")
            .replacingOccurrences(of: "@SMSC_PORT@", with: "\(smscPort)")
            .replacingOccurrences(of: "@SENDSMS_PORT@", with: "\(sendsmsPort)")
            .replacingOccurrences(of: "@REPLY_PORT@", with: "\(replyPort)")
            .replacingOccurrences(of: "@WATERSHED_SECRET@", with: watershedSecret)
            .replacingOccurrences(of: "@WATERSHED@", with: watershed)
            .replacingOccurrences(of: "@SECRET@", with: secret)
            .replacingOccurrences(of: "@DIR@", with: folder.path)
        try configuration.write(to: folder.appendingPathComponent("kannel.conf"), atomically: true, encoding: .utf8)
    }

    /// Starts bearerbox, smsbox and the phones; returns once smsbox answers.
    func start() async throws {
        let conf = folder.appendingPathComponent("kannel.conf").path
        boxes.append(try Self.run(Self.bearerbox, [conf], log: folder.appendingPathComponent("bearerbox.out")))
        try await Task.sleep(for: .milliseconds(300))
        try startPhones()
        try await startSMSBox()
    }

    /// Starts smsbox (again); returns once it answers.
    func startSMSBox() async throws {
        let conf = folder.appendingPathComponent("kannel.conf").path
        smsbox = try Self.run(Self.smsbox, [conf], log: folder.appendingPathComponent("smsbox.out"))
        for _ in 0..<100 {
            if (try? await Self.probe(port: sendsmsPort)) == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw KannelHarnessError.didNotStart(log)
    }

    /// Stops smsbox: the gateway Watershed sends through is gone (connections refused).
    func stopSMSBox() {
        if let smsbox, smsbox.isRunning {
            kill(smsbox.processIdentifier, SIGKILL)
            smsbox.waitUntilExit()
        }
        smsbox = nil
    }

    /// Starts (again) the fake SMSC that plays the phones.
    func startPhones() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.fakesmsc)
        // `-m 0`: send nothing, print what comes (fakesmsc wants one message to choose from all the same).
        process.arguments = ["-H", "127.0.0.1", "-r", "\(smscPort)", "-m", "0", "0 0 text nop"]
        // What it receives is in its log on stderr: `DEBUG: Got message N: <sender receiver type … data>`.
        let pipe = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = pipe
        let received = self.received
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if !data.isEmpty { received.withLockedValue { $0 += String(decoding: data, as: UTF8.self) } }
        }
        try process.run()
        phones = process
    }

    /// Stops the phones (the SMSC goes away: bearerbox queues what it is given).
    func stopPhones() {
        // SIGKILL: fakesmsc with nothing to send does not end on SIGTERM.
        if let phones, phones.isRunning {
            kill(phones.processIdentifier, SIGKILL)
            phones.waitUntilExit()
        }
        phones = nil
    }

    /// Sends `text` in from `number` to the service number 12369, as a phone replying, and returns the answer that
    /// comes back (put together from its parts), or `nil` when none comes within `seconds`.
    func reply(from number: String, text: String, seconds: Double = 5) async throws -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.fakesmsc)
        // One message in (`-m 1`): `<sender> <receiver> text <words…>`.
        process.arguments = ["-H", "127.0.0.1", "-r", "\(replyPort)", "-m", "1", "\(number) 12369 text \(text)"]
        let output = NIOLockedValueBox<String>("")
        let pipe = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if !data.isEmpty { output.withLockedValue { $0 += String(decoding: data, as: UTF8.self) } }
        }
        try process.run()
        defer {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            pipe.fileHandleForReading.readabilityHandler = nil
        }
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let answer = Self.texts(in: output.withLockedValue { $0 }).first { return answer.text }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    /// What the phones have printed so far.
    var printed: String { received.withLockedValue { $0 } }

    /// The texts the phones received, in order, a concatenated one put back together. fakesmsc logs each part as
    /// `Got message N: <sender receiver type data>`: type `ucs-2` with the UTF-16BE bytes percent-encoded, `text`
    /// with the text, or `udh` with the user data header (3GPP TS 23.040 §9.2.3.24.1: `05 00 03 ref total seq` for a
    /// concatenated part) before the part's bytes.
    var texts: [(to: String, text: String)] { Self.texts(in: printed) }

    /// ``texts`` in what a fake SMSC printed.
    static func texts(in printed: String) -> [(to: String, text: String)] {
        var texts: [(to: String, text: String)] = []
        var parts: [String: [Int: String]] = [:]
        for line in printed.split(separator: "\n") {
            guard let open = line.range(of: "Got message "), let start = line[open.upperBound...].firstIndex(of: "<"),
                let end = line.lastIndex(of: ">"), start < end
            else { continue }
            let tokens = line[line.index(after: start)..<end].split(separator: " ").map(String.init)
            guard tokens.count >= 4 else { continue }
            switch tokens[2] {
            case "ucs-2":
                if let text = Self.utf16(tokens[3]) { texts.append((tokens[1], text)) }
            case "text":
                texts.append((tokens[1], tokens[3...].joined(separator: " ")))
            case "udh":
                guard let header = Self.percentDecoded(tokens[3]), header.count >= 6, header[1] == 0, header[2] == 3,
                    let payload = tokens.last.flatMap(Self.utf16)
                else { continue }
                let key = "\(tokens[1]) \(header[3])"
                parts[key, default: [:]][Int(header[5])] = payload
                if parts[key]?.count == Int(header[4]) {
                    let whole = (parts[key] ?? [:]).sorted { $0.key < $1.key }.map(\.value).joined()
                    texts.append((tokens[1], whole))
                    parts[key] = nil
                }
            default: continue
            }
        }
        return texts
    }

    /// Percent-encoded UTF-16BE bytes as a string.
    static func utf16(_ encoded: String) -> String? {
        guard let bytes = percentDecoded(encoded), bytes.count % 2 == 0 else { return nil }
        let units = stride(from: 0, to: bytes.count, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
        return String(decoding: units, as: UTF16.self)
    }

    /// `%E6%B0%B4` and `+` (a space) back to bytes.
    static func percentDecoded(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let high = iterator.next(), let low = iterator.next(),
                    let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
                else { return nil }
                bytes.append(value)
            case UInt8(ascii: "+"): bytes.append(0x20)
            default: bytes.append(byte)
            }
        }
        return bytes
    }

    /// The boxes' logs (for failure messages).
    var log: String {
        ["bearerbox.log", "smsbox.log", "bearerbox.out", "smsbox.out"].map {
            "--- \($0)\n" + ((try? String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8)) ?? "")
        }.joined(separator: "\n")
    }

    func stop() {
        stopPhones()
        stopSMSBox()
        // The test's boxes hold nothing worth a clean shutdown (bearerbox's graceful one waits for its clients).
        for box in boxes.reversed() where box.isRunning {
            kill(box.processIdentifier, SIGKILL)
            box.waitUntilExit()
        }
        boxes = []
        try? FileManager.default.removeItem(at: folder)
    }

    deinit { stop() }

    private static func run(_ path: String, _ arguments: [String], log: URL) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// Whether smsbox answers HTTP on `port` (any answer: a request without a user is refused).
    private static func probe(port: Int) async throws -> Bool {
        let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/cgi-bin/sendsms")
        _ = try await HTTPClient.shared.execute(request, timeout: .seconds(1))
        return true
    }
}

enum KannelHarnessError: Error, CustomStringConvertible {
    case didNotStart(String)
    var description: String {
        switch self {
        case .didNotStart(let log): "Kannel did not start:\n\(log)"
        }
    }
}
