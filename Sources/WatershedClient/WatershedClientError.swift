import Foundation
import WatershedWire

/// Why a call to a Watershed server failed, as a sentence a duty officer can act on (``description``), and which
/// exit code a command should end with (``exitCode``, DESIGN.md "Commands": 1 refused, 2 usage, 3 cannot connect).
public enum WatershedClientError: Error, Sendable, CustomStringConvertible {
    /// The server URL is not `https://host[:port]`.
    case invalidServer(String, why: String)
    /// The CA file given with `--ca` could not be read as PEM certificates.
    case unreadableCA(path: String, why: String)
    /// Nothing answered at the server's address (refused, unreachable, timed out).
    case cannotConnect(server: String, why: String)
    /// The TLS handshake failed because the server's certificate is not trusted by the CA in use.
    case untrustedCertificate(server: String, caFile: String?, why: String)
    /// The server answered with an error (4xx/5xx): its ``ErrorBody`` and status.
    case refused(status: Int, error: ErrorBody.Detail)
    /// The server answered something that is not what the API promises.
    case unexpectedAnswer(status: Int, why: String)
    /// The live stream was closed by the server because the token lost its rights (close code 4003).
    case rightsLost(reason: String)

    /// The exit code a command ends with for this error.
    public var exitCode: Int32 {
        switch self {
        case .invalidServer, .unreadableCA: 2
        case .cannotConnect, .untrustedCertificate: 3
        case .refused, .unexpectedAnswer, .rightsLost: 1
        }
    }

    /// The server's error code (`unknown_incident`, `bad_token`, …) when it refused.
    public var code: String? {
        if case .refused(_, let error) = self { return error.code }
        return nil
    }

    public var description: String {
        switch self {
        case .invalidServer(let server, let why):
            return "\"\(server)\" is not a server address: \(why) (e.g. https://127.0.0.1:8443)"
        case .unreadableCA(let path, let why):
            return "cannot read the CA file \(path): \(why)"
        case .cannotConnect(let server, let why):
            return "cannot connect to \(server): \(why). Is `watershed serve` running there, and is the address right?"
        case .untrustedCertificate(let server, let caFile, let why):
            let hint =
                if let caFile {
                    "it is not signed by the CA in \(caFile); pass the CA that signed the server's certificate with --ca"
                } else {
                    "it is not signed by a CA this machine trusts; pass the server's CA with --ca "
                        + "(a development server's is <data>/tls/ca.pem, e.g. data/tls/ca.pem)"
                }
            return "the certificate of \(server) is not trusted: \(hint) (\(why))"
        case .refused(let status, let error):
            switch (status, error.code) {
            case (401, _):
                return "the server refused the token (\(error.code)): \(error.message); "
                    + "check --token or WATERSHED_TOKEN"
            case (403, _):
                return "not allowed (\(error.code)): \(error.message)"
            case (404, _):
                return error.message.prefix(1).uppercased() + error.message.dropFirst() + " (\(error.code))"
            case (503, "storage_full"):
                return "the server's storage is full (storage_full): nothing was stored. Send it again once the "
                    + "server's operator has freed disk space"
            case (503, let code) where code.hasPrefix("storage_"):
                return "the server could not store it (\(code)): \(error.message)"
            default:
                let field = error.field.map { " [field \($0)]" } ?? ""
                return "refused (\(status) \(error.code))\(field): \(error.message)"
            }
        case .unexpectedAnswer(let status, let why):
            return "unexpected answer from the server (HTTP \(status)): \(why)"
        case .rightsLost(let reason):
            return "the server closed the stream: the token lost its rights (\(reason))"
        }
    }
}
