import Foundation
import Logging
import NIOCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How long a connection may take over each step before it has sent a complete request head; past it, the server
/// closes the connection (issue 15, item 2: "connections that never speak are kept forever").
///
/// Each limit runs from the end of the step before: a bare TCP connection gets ``handshake``, a TLS connection that
/// says nothing ``firstRequest``, and a request head that trickles in ``header`` from its first byte. After the first
/// head, HTTP/1.1's idle timeout (30 s between reads, ``http1Configuration()``) and, once upgraded, the WebSocket
/// pings take over.
public struct ConnectionTimeouts: Codable, Sendable, Hashable {
    /// From accept to the end of the TLS handshake. Default 10 s: a handshake is two round trips.
    public var handshake: Duration = .seconds(10)
    /// From the end of the handshake to the first byte of the first request. Default 30 s: browsers open a
    /// connection ahead of the request that will use it ("preconnect").
    public var firstRequest: Duration = .seconds(30)
    /// From the first byte of the first request to the end of its head (request line and header fields). Default
    /// 10 s: a head is a few hundred bytes; this is the "slowloris" bound.
    public var header: Duration = .seconds(10)

    /// The defaults.
    public init() {}

    /// Custom limits (tests use short ones).
    public init(handshake: Duration, firstRequest: Duration, header: Duration) {
        self.handshake = handshake
        self.firstRequest = firstRequest
        self.header = header
    }
}

/// The process's descriptor limit (`RLIMIT_NOFILE`): raised to the hard limit at start, and the budget of connections
/// it leaves (issue 15, item 2).
enum DescriptorLimit {
    /// Descriptors kept back from connections: the SQLite reader pool (up to 5 connections, each with its database,
    /// WAL and shared-memory files), outgoing peer links, files the server reads (certificates, console assets,
    /// temporary files) and connections accepted during a flood that are being closed because the cap is reached.
    /// Without it, a server at its cap could not open the database for a reader, and accept() itself would fail.
    static let reserve = 128

    /// The soft and hard limits, and the soft limit found at start.
    struct Limits: Sendable, Equatable {
        /// The soft limit before ``raise()``.
        var before: Int
        /// The soft limit now.
        var soft: Int
        /// The hard limit.
        var hard: Int
    }

    #if os(Linux)
        private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
        private static let resource = RLIMIT_NOFILE
    #endif

    /// Raises the soft limit to the hard limit (on Darwin, at most `OPEN_MAX` when the hard limit is unlimited, which
    /// `setrlimit` would refuse); returns the limits before and after. When `getrlimit` fails, both are reported as
    /// 1,024 (the usual default); when `setrlimit` fails, the soft limit stays where it was.
    static func raise() -> Limits {
        var limits = rlimit()
        guard getrlimit(resource, &limits) == 0 else { return Limits(before: 1_024, soft: 1_024, hard: 1_024) }
        let before = clamp(limits.rlim_cur)
        var hard = clamp(limits.rlim_max)
        #if canImport(Darwin)
            hard = min(hard, Int(OPEN_MAX))
        #endif
        guard before < hard else { return Limits(before: before, soft: before, hard: hard) }
        var raised = limits
        raised.rlim_cur = rlim_t(hard)
        guard setrlimit(resource, &raised) == 0 else { return Limits(before: before, soft: before, hard: hard) }
        return Limits(before: before, soft: hard, hard: hard)
    }

    private static func clamp(_ value: rlim_t) -> Int {
        // RLIM_INFINITY is the largest rlim_t on Linux and 2^63 − 1 on Darwin: both fall in the first branch.
        value > rlim_t(Int32.max) ? Int(Int32.max) : Int(value)
    }

    /// The descriptors this process has open now (entries of `/proc/self/fd`, or `/dev/fd` on Darwin; 0 when neither
    /// can be read).
    static func openCount() -> Int {
        for folder in ["/proc/self/fd", "/dev/fd"] {
            // The listing itself holds one descriptor while it is read.
            if let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) {
                return max(0, entries.count - 1)
            }
        }
        return 0
    }

    /// The connections both ports together may hold: the configured cap, or what the soft limit leaves after the
    /// descriptors open now and ``reserve``, whichever is smaller.
    ///
    /// - Returns: the cap; 0 or less means the limit leaves no room at all.
    static func connectionCap(configured: Int, soft: Int, open: Int) -> Int {
        min(configured, soft - open - reserve)
    }
}

/// Counts the connections open on both ports of one server and refuses new ones beyond its cap, so that running short
/// of descriptors closes new connections cleanly — counted in `watershed_connections_refused_total` and logged at most
/// once per ``warningInterval`` — while the open ones are served (issue 15, item 2). The cap is below the descriptor
/// limit by ``DescriptorLimit/reserve``, so it refuses before accept() itself would fail.
final class ConnectionLimiter: Sendable {
    /// The most connections open at once.
    let cap: Int
    private let open = Atomic<Int>(0)
    private let refusals = Mutex(Refusals())
    private let metrics: ServerMetrics
    private let logger: Logger

    /// One warning at most per 10 s, however many connections are refused.
    static let warningInterval: Duration = .seconds(10)

    private struct Refusals {
        var sinceWarning = 0
        var lastWarning: ContinuousClock.Instant?
    }

    init(cap: Int, metrics: ServerMetrics, logger: Logger) {
        self.cap = cap
        self.metrics = metrics
        self.logger = logger
    }

    /// Connections open now.
    var openConnections: Int { open.load(ordering: .relaxed) }

    /// Counts a new connection in when the cap leaves room; returns whether it did. Each admitted connection must be
    /// ``release()``d once, when it closes.
    func admit() -> Bool {
        let now = open.wrappingAdd(1, ordering: .relaxed).newValue
        if now > cap {
            open.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        metrics.connectionsOpen(now)
        return true
    }

    /// Counts a closed connection out.
    func release() {
        let now = open.wrappingSubtract(1, ordering: .relaxed).newValue
        metrics.connectionsOpen(now)
    }

    /// Counts a refused connection and logs a warning unless one was logged in the last ``warningInterval``; the
    /// warning says how many were refused since the last one.
    func refused(listener: ConnectionGuard.Listener, peer: SocketAddress?) {
        metrics.connectionRefused(listener: listener.label)
        let now = ContinuousClock.now
        let count = refusals.withLock { state -> Int? in
            state.sinceWarning += 1
            if let last = state.lastWarning, now - last < Self.warningInterval { return nil }
            state.lastWarning = now
            defer { state.sinceWarning = 0 }
            return state.sinceWarning
        }
        guard let count else { return }
        let advice = "raise maxConnections or the descriptor limit (ulimit -n) if this is load"
        logger.warning(
            "connection cap reached: closing new connections (cap \(cap), \(DescriptorLimit.reserve) descriptors kept back); \(advice)",
            metadata: [
                "listener": "\(listener.name)", "peer": "\(peer?.description ?? "?")", "refused": "\(count)",
                "open": "\(openConnections)",
            ])
    }
}
