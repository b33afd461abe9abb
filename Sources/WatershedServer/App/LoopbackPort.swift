import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Ports for servers started on one machine (`watershed demo`, tests, benchmarks).
public enum LoopbackPort {
    /// Ports handed out by this process, never handed out twice.
    private static let handedOut = Mutex<Set<Int>>([])

    /// A TCP port free on 127.0.0.1 right now, below the kernel's ephemeral range (`ip_local_port_range`, 32768 on
    /// Linux by default): a port the kernel picks for port 0 or an outgoing connection can be taken by any socket
    /// of the machine between this call and its use (CI's parallel tests lost a peer port that way); one below that
    /// range is taken only by someone who asks for it by number. Each is tried with a bind, handed out once per
    /// process, and picked at random, so parallel processes rarely meet. Falls back to a kernel-picked port when 200
    /// tries find none.
    ///
    /// - Throws: `CocoaError(.fileWriteUnknown)` when no socket can be bound.
    public static func free() throws -> Int {
        let low = ephemeralStart()
        let range = max(1_024, low - 12_000)..<low
        for _ in 0..<200 {
            let port = Int.random(in: range)
            let fresh = handedOut.withLock { $0.insert(port).inserted }
            if fresh, (try? bindable(port)) == port { return port }
        }
        return try bindable(0)
    }

    /// The first port of the kernel's ephemeral range (32768 when it cannot be read).
    static func ephemeralStart() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8),
            let first = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first,
            let port = Int(first), port > 2_048
        else { return 32_768 }
        return port
    }

    /// Binds a socket to 127.0.0.1:`port` (0: the kernel picks) and closes it; returns the port bound.
    ///
    /// - Throws: `CocoaError(.fileWriteUnknown)` when it cannot be bound.
    static func bindable(_ port: Int) throws -> Int {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard fd >= 0, bound else { throw CocoaError(.fileWriteUnknown) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
