import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import WatershedFederation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The two listeners' start (issue 15, item 19): each port is tried before anything listens, so that a port in use
/// stops the start with a sentence naming the port and the listener, and "listening on" is said only once both
/// listen.
enum Listeners {
    /// Binds a socket to `host:port` without listening on it and closes it again, to learn whether the listener can
    /// have the port; port 0 is always free.
    ///
    /// The socket never listens: a client retrying meanwhile (a follower waiting for the server to come back) gets
    /// "connection refused" and tries again, rather than being accepted by a listener about to go away and left
    /// waiting on a connection nobody serves (what a listening probe did: it hung a test's follower for good). With
    /// `SO_REUSEADDR`, as the real listener binds, Linux refuses the bind only while another socket listens there.
    ///
    /// - Parameter listener: "people's port" or "peer port", for the message.
    /// - Throws: ``ServerStartupError/listen(_:)`` naming the listener, the address and why: in use (another server,
    ///   perhaps another `watershed serve`), not allowed (a port below 1024 without the privilege), an address that is
    ///   not this machine's, a host name that does not resolve.
    static func probe(host: String, port: Int, listener: String) async throws {
        guard port != 0 else { return }
        do {
            let address = try SocketAddress.makeAddressResolvingHost(host, port: port)
            try bindOnly(address)
        } catch {
            throw ServerStartupError.listen(describe(error, host: host, port: port, listener: listener))
        }
    }

    /// `socket`, `setsockopt(SO_REUSEADDR)`, `bind`, `close`.
    ///
    /// - Throws: `IOError` with the failing call's errno.
    private static func bindOnly(_ address: SocketAddress) throws {
        #if canImport(Glibc)
            let stream = Int32(SOCK_STREAM.rawValue)
        #else
            let stream = SOCK_STREAM
        #endif
        let descriptor = socket(address.protocol.rawValue, stream, 0)
        guard descriptor >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        defer { close(descriptor) }
        var on: Int32 = 1
        _ = setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        let result = address.withSockAddr { pointer, size in bind(descriptor, pointer, socklen_t(size)) }
        guard result == 0 else { throw IOError(errnoCode: errno, reason: "bind") }
    }

    /// A sentence for a bind error: `the peer port 127.0.0.1:8444 is in use (…)`.
    static func describe(_ error: any Error, host: String, port: Int, listener: String) -> String {
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        if let io = error as? IOError {
            switch io.errnoCode {
            case EADDRINUSE:
                return "the \(listener) \(address) is in use by another program (another watershed serve?); "
                    + "stop it or choose another port"
            case EACCES:
                return "the \(listener) \(address) needs privileges this user lacks (ports below 1024); "
                    + "choose a port from 1024 up"
            case EADDRNOTAVAIL:
                return "the \(listener) \(address): \(host) is not an address of this machine"
            default:
                return "cannot listen on the \(listener) \(address): \(io)"
            }
        }
        return "cannot listen on the \(listener) \(address): \(error)"
    }
}

/// Calls `onBoth` with the people's port once both listeners listen, whichever is first.
actor ListenerReadiness {
    private var peoplePort: Int?
    private var peerListening = false
    private var fired = false
    private let onBoth: @Sendable (Int) async -> Void

    init(onBoth: @escaping @Sendable (Int) async -> Void) {
        self.onBoth = onBoth
    }

    /// The people's port listens, on `port`.
    func people(_ port: Int) async {
        peoplePort = port
        await fireWhenBoth()
    }

    /// The peer port listens.
    func peer() async {
        peerListening = true
        await fireWhenBoth()
    }

    private func fireWhenBoth() async {
        guard let peoplePort, peerListening, !fired else { return }
        fired = true
        await onBoth(peoplePort)
    }
}

/// The peer port's application, run as a service of the people's: an error binding it becomes a
/// ``ServerStartupError/listen(_:)`` that names the peer port (NIO's says `bind(descriptor:ptr:bytes:): Address
/// already in use (errno: 98)`, naming none).
struct NamedListener<Wrapped: Service>: Service {
    let wrapped: Wrapped
    let host: String
    let port: Int
    let listener: String

    func run() async throws {
        do {
            try await wrapped.run()
        } catch let error as IOError {
            throw ServerStartupError.listen(Listeners.describe(error, host: host, port: port, listener: listener))
        }
    }
}

extension ServerStartupError {
    /// `error` from running the server as a start error naming the listener, when it is a failure to listen: the
    /// peer port's come named (``NamedListener``), so an unnamed one is the people's port's (its bind can still lose a
    /// race after ``Listeners/probe(host:port:listener:)``).
    public static func explaining(_ error: any Error, configuration: ServerConfiguration) -> ServerStartupError? {
        if let startup = error as? ServerStartupError { return startup }
        guard let io = error as? IOError else { return nil }
        return .listen(
            Listeners.describe(io, host: configuration.host, port: configuration.port, listener: "people's port"))
    }
}
