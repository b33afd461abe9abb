import NIOCore

/// Tells a dead `/v1/stream` connection from a slow one (issue 15, item 7).
///
/// A client that reads slowly answers the server's pings late: its pong waits behind the data it has not read yet.
/// hummingbird-websocket's own ping timeout (a pong within one ping period) dropped such clients with `1001 Ping
/// timeout` — slow readers that should have been cut off with `4001 resume:N`, and healthy clients busy with a large
/// backlog. Here a connection is alive while **either** it sends us something (a pong, any frame) **or** its TCP
/// acknowledges our data: the peer's kernel acknowledges bytes only as its receive buffer has room, that is, as the
/// client reads. A client that does neither for ``deadAfter`` is dead and is dropped; a slow one stays, and falls
/// behind its budget into the 4001 cut-off (``SubscriberQueue``).
///
/// Our own pings are acknowledged too, even by a client that hangs with room in its buffer: acknowledged bytes count
/// as progress only beyond ``keepaliveBytes`` per ``deadAfter`` (a TLS record of an empty ping is about 30 bytes).
///
/// Pure: the caller reads the clock and the socket (``LiveSink/probe()``) and asks ``isDead(now:lastInbound:bytesAcked:)``
/// every ``pingEvery``.
struct StreamLiveness: Sendable, Equatable {
    /// How often the server pings a stream connection and looks at it (DESIGN.md "Live stream").
    static let pingEvery: Duration = .seconds(10)
    /// How long a connection may neither speak nor take data before it is dropped (DESIGN.md "Live stream").
    static let deadAfter: TimeAmount = .seconds(30)
    /// Acknowledged bytes per ``deadAfter`` that are only our pings (3 pings in TLS records), not reading.
    static let keepaliveBytes: UInt64 = 512

    /// When the connection last showed progress, and the acknowledged-byte count then.
    private(set) var progressAt: NIODeadline
    private(set) var ackedAtProgress: UInt64?

    /// A connection that has just been upgraded.
    init(start: NIODeadline) {
        progressAt = start
        ackedAtProgress = nil
    }

    /// Notes what the connection did up to `now` and says whether it is dead.
    ///
    /// - Parameters:
    ///   - lastInbound: when the client last sent us any bytes.
    ///   - bytesAcked: the peer's TCP acknowledged-byte count (`tcpi_bytes_acked`), `nil` where it cannot be read
    ///     (then only what the client sends counts).
    mutating func isDead(now: NIODeadline, lastInbound: NIODeadline, bytesAcked: UInt64?) -> Bool {
        if let bytesAcked {
            if let before = ackedAtProgress {
                if bytesAcked >= before, bytesAcked - before > Self.keepaliveBytes {
                    progressAt = now
                    ackedAtProgress = bytesAcked
                }
            } else {
                ackedAtProgress = bytesAcked
            }
        }
        progressAt = max(progressAt, lastInbound)
        return now - progressAt >= Self.deadAfter
    }
}

/// The head of Linux's `struct tcp_info` (`<linux/tcp.h>`) up to `tcpi_bytes_acked` (RFC 4898
/// tcpEStatsAppHCThruOctetsAcked), which Glibc's older `struct tcp_info` lacks: fifteen 8-byte words, then the count
/// at byte offset 120 (checked against `offsetof` with gcc on Debian 12). `getsockopt(TCP_INFO)` copies at most the
/// length asked for, so a shorter struct is safe.
struct TCPInfoHead: Sendable {
    var words:
        (
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
            UInt64,
            UInt64
        ) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var bytesAcked: UInt64 = 0
}

extension LiveSink {
    /// An empty ping frame (FIN, opcode 0x9, no payload: RFC 6455 §5.5.2), written below the frame encoder so that
    /// sending it never waits on a connection whose buffers are full.
    static let pingFrame = ByteBuffer(bytes: [0x89, 0x00])

    /// Writes a ping and flushes. On ``eventLoop`` only; nothing is written after a close frame.
    func ping() {
        let writer = self.writer.value
        writer.write(Self.pingFrame, promise: nil)
        writer.flush()
    }

    /// When the client last sent us bytes, and its TCP acknowledged-byte count (`nil` where unreadable).
    func probe() -> EventLoopFuture<(lastInbound: NIODeadline, bytesAcked: UInt64?)> {
        eventLoop.flatSubmit {
            let writer = self.writer.value
            let lastInbound = writer.lastInbound
            #if os(Linux)
                guard let socket = writer.channel as? any SocketOptionProvider else {
                    return self.eventLoop.makeSucceededFuture((lastInbound, nil))
                }
                let info: EventLoopFuture<TCPInfoHead> = socket.unsafeGetSocketOption(level: .tcp, name: .tcp_info)
                return info.map { (lastInbound, Optional($0.bytesAcked)) }.recover { _ in (lastInbound, nil) }
            #else
                return self.eventLoop.makeSucceededFuture((lastInbound, nil))
            #endif
        }
    }
}
