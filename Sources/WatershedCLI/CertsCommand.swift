import ArgumentParser
import Foundation
import WatershedServer

/// `watershed certs --province 450000=wss://127.0.0.1:8444 --province 440000=wss://127.0.0.1:9444 --out trial`:
/// one CA per province with its server and peer-client certificates, and the peer files each data directory needs
/// (``TrialCertificates``).
struct CertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Make development certificates and peer files for trying several provinces on one machine.",
        discussion: """
            For each --province CODE[=PEER-URL] makes OUT/CODE/ as a server data directory: tls/ca.pem (the \
            province's own CA), tls/server.pem, tls/peer-client.pem (CN=watershed-peer-CODE) with their keys (mode \
            0600), peers/OTHER-ca.pem for every other province, and peers/links.yaml with the other provinces' peer \
            URLs. Then run `watershed serve --province CODE --data OUT/CODE --peer-port PORT` for each. Existing \
            usable certificates are kept.
            """
    )

    @Option(
        name: .customLong("province"),
        help: ArgumentHelp(
            "A province code, optionally with the URL of its peer port as the others reach it.",
            valueName: "code[=wss://host:port]"))
    var provinces: [String] = []

    @Option(help: ArgumentHelp("The folder to write the data directories in.", valueName: "dir"))
    var out: String

    func run() async throws {
        guard provinces.count >= 1 else { throw CommandExit.usage("certs: give at least one --province") }
        var parsed: [TrialCertificates.Province] = []
        for text in provinces {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            let code = parts[0]
            guard code.count == 6, code.allSatisfy(\.isNumber), code.hasSuffix("0000") else {
                throw CommandExit.usage("certs: --province \(text): a province code is 6 digits ending in 0000")
            }
            if parts.count == 2 {
                guard let url = URLComponents(string: parts[1]), url.scheme == "wss", url.host != nil else {
                    throw CommandExit.usage("certs: --province \(text): the peer URL is wss://host:port")
                }
            }
            parsed.append(.init(code: code, peerURL: parts.count == 2 ? parts[1] : nil))
        }
        let made: [String: URL]
        do {
            made = try TrialCertificates.make(parsed, in: URL(fileURLWithPath: out))
        } catch {
            throw CommandExit.invalid("certs: \(error)")
        }
        for province in parsed {
            let data = made[province.code]!.path
            CommandOutput.current.write(
                "\(province.code): \(data) (CA \(data)/tls/ca.pem; watershed serve --province \(province.code) "
                    + "--data \(data))")
        }
    }
}
