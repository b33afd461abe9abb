import Foundation

/// Why the server cannot start; the CLI prints it and exits 1.
public enum ServerStartupError: Error, Sendable, CustomStringConvertible {
    /// Playbooks or seeds are invalid: one `file:line:column: field: message` line each.
    case invalidFiles([String])
    /// A certificate or key cannot be used.
    case tls(String)
    /// The event log cannot be opened.
    case store(String)
    /// The data directory cannot be made private or locked: another server holds it (the message names its pid).
    case dataDirectory(String)
    /// The event log's hash chain does not hold from the checkpoint to the head; the message says how to go on.
    case brokenChain(String)
    /// A port cannot be listened on: the sentence names the listener (people's port or peer port) and the address.
    case listen(String)
    /// The descriptor limit leaves no room for connections.
    case descriptors(String)

    public var description: String {
        switch self {
        case .invalidFiles(let lines): lines.joined(separator: "\n")
        case .tls(let message): "TLS: \(message)"
        case .store(let message): "event log: \(message)"
        case .dataDirectory(let message): message
        case .brokenChain(let message): message
        case .listen(let message): message
        case .descriptors(let message): message
        }
    }
}
