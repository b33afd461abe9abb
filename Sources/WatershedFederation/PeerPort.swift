import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOSSL
import Synchronization
import WatershedCore
import WatershedStore
import WatershedWire
import X509

/// The request context of the peer port (8444): the channel, to read the client certificate the TLS handshake
/// verified, and the neighbour it belongs to (set by ``PeerAuthenticator``, never from a header).
public struct PeerRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<PeerRequestContext>
    /// The TLS connection.
    package let channel: any Channel
    /// The neighbour whose certificate this connection presented.
    package var peer: PeerEndpoint?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
        self.channel = source.channel
        self.peer = nil
    }

    /// Peer messages are small; the CAP feed's largest document is well under 1 MiB.
    public var maxUploadSize: Int { 1 << 20 }
}

/// Maps the verified client certificate to a neighbour. The TLS handshake has already refused a connection without a
/// certificate or with one that is neither pinned (`certSHA256`) nor signed by a known neighbour's CA
/// (``PeerDirectory/verify(_:now:)``); here a CA-signed certificate whose subject is not its CA's province
/// (`CN=watershed-peer-<code>`), or a link opened in another province's name (`/v1/peer/link/<code>`), is refused
/// with 403 before any upgrade. A pinned certificate is that peer's whatever its subject: the fingerprint names it.
public struct PeerAuthenticator: RouterMiddleware {
    public typealias Context = PeerRequestContext
    package let directory: PeerDirectory
    /// Every request a neighbour's certificate makes counts as hearing from it.
    package let liveness: PeerLiveness
    package let clock: any WallClock

    package init(directory: PeerDirectory, liveness: PeerLiveness, clock: any WallClock) {
        self.directory = directory
        self.liveness = liveness
        self.clock = clock
    }

    public func handle(
        _ request: Request, context: PeerRequestContext,
        next: (Request, PeerRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        guard let presented = try await context.channel.nioSSL_peerCertificate().get(),
            let der = try? presented.toDERBytes(),
            let certificate = try? Certificate(derEncoded: der),
            let recognition = directory.recognise(certificate, der: der)
        else {
            throw PeerRefusal(
                .forbidden, code: "unknown_peer", message: "the client certificate belongs to no known peer")
        }
        if case .signed(let peer) = recognition,
            certificate.subject != (try? PeerNames.clientName(province: peer.province))
        {
            throw PeerRefusal(
                .forbidden, code: "wrong_province",
                message: "the client certificate is signed by \(peer.province)'s CA but its subject is "
                    + "\(certificate.subject), not CN=watershed-peer-\(peer.province)")
        }
        context.peer = recognition.peer
        liveness.heard(recognition.peer.province, at: clock.now)
        return try await next(request, context)
    }
}

/// The peer port's routes: the link (`/v1/peer/link/{province}`, WebSocket) and its health.
public struct PeerRoutes: Sendable {
    package let province: UnitCode
    package let log: any PeerStore
    package let incidents: any FederatedIncidents
    package let signal: CommitSignal
    package let liveness: PeerLiveness
    package let clock: any WallClock
    package let logger: Logger

    package init(
        province: UnitCode, log: any PeerStore, incidents: any FederatedIncidents, signal: CommitSignal,
        liveness: PeerLiveness, clock: any WallClock, logger: Logger
    ) {
        self.province = province
        self.log = log
        self.incidents = incidents
        self.signal = signal
        self.liveness = liveness
        self.clock = clock
        self.logger = logger
    }

    package func register(on router: Router<PeerRequestContext>) {
        router.get("/healthz") { _, _ in "ok\n" }
        router.ws("/v1/peer/link/:province") { request, context in
            guard let peer = context.peer else {
                throw PeerRefusal(.forbidden, code: "unknown_peer", message: "no peer certificate")
            }
            let claimed = try context.parameters.require("province")
            guard claimed == peer.province else {
                throw PeerRefusal(
                    .forbidden, code: "wrong_province",
                    message: "this certificate is \(peer.province)'s; it cannot open \(claimed)'s link",
                    field: "province")
            }
            guard request.headers[.upgrade]?.lowercased() == "websocket" else {
                throw PeerRefusal(.upgradeRequired, code: "upgrade_required", message: "the peer link is a WebSocket")
            }
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            guard let peer = context.requestContext.peer else { return }
            try await PeerLinkReceiver(
                own: province, peer: peer, log: log, incidents: incidents, signal: signal, liveness: liveness,
                clock: clock, logger: logger
            ).run(inbound: inbound, outbound: outbound)
        }
    }
}

/// The receiving end of a neighbour's link: says hello with its cursor, stores each event once and answers
/// *received*, and sends *accepted* for every incident of the neighbour's whose notification task our duty officer
/// acknowledged (all of them at each connection — the sender keeps the first — then each new one).
public struct PeerLinkReceiver: Sendable {
    package let own: UnitCode
    package let peer: PeerEndpoint
    package let log: any PeerStore
    package let incidents: any FederatedIncidents
    package let signal: CommitSignal
    package let liveness: PeerLiveness
    package let clock: any WallClock
    package let logger: Logger

    package func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        try await outbound.writeTextMessage(
            try PeerLinkMessage(type: .hello, province: own, received: try log.inboxCursor(for: peer.province)).text())
        let commits = signal.subscribe()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var sent: Set<UUID> = []
                var iterator = commits.makeAsyncIterator()
                repeat {
                    for inbound in try log.inboundIncidents(from: peer.province)
                    where inbound.acceptedAt != nil && !sent.contains(inbound.originIncident) {
                        let reference = await incidents.reference(of: inbound.localIncident)
                        try await outbound.writeTextMessage(
                            try PeerLinkMessage(
                                type: .accepted, incident: inbound.originIncident, reference: reference,
                                by: inbound.acceptedBy, at: inbound.acceptedAt
                            ).text())
                        sent.insert(inbound.originIncident)
                    }
                } while await iterator.next() != nil
            }
            // The reader queues events as they arrive; the storer takes all that are waiting, stores them with one
            // commit and acknowledges the last (a queued outbox arrives much faster than one fsync per event).
            let queue = EventQueue()
            group.addTask {
                defer { queue.finish() }
                for try await message in inbound.messages(maxSize: 16 << 20) {
                    liveness.heard(peer.province, at: clock.now)
                    guard case .text(let text) = message else { continue }
                    let decoded: PeerLinkMessage
                    do {
                        decoded = try PeerLinkMessage(text: text)
                    } catch {
                        logger.warning("unreadable peer message", metadata: ["peer": "\(peer.province)"])
                        continue
                    }
                    switch decoded.type {
                    case .event:
                        if let event = decoded.event { await queue.push(event) }
                    case .heartbeat:
                        try await outbound.writeTextMessage(
                            try PeerLinkMessage(type: .heartbeat, at: clock.now).text())
                    case .hello, .received, .accepted:
                        continue
                    }
                }
            }
            group.addTask {
                while let batch = await queue.take() {
                    // *received* after each append: a new incident is acknowledged as soon as it is stored.
                    _ = try await incidents.receivePeerEvents(
                        batch, from: peer.province, peerName: peer.name, now: clock.now
                    ) { seq in
                        try await outbound.writeTextMessage(try PeerLinkMessage(type: .received, received: seq).text())
                    }
                }
            }
            // The connection ends when the neighbour closes it; the acceptance watcher ends with it.
            try await group.next()
            group.cancelAll()
        }
    }
}

/// Wakes whoever waits for the next commit (peer links, their receivers): each subscriber gets at most one pending
/// wake-up, however many commits happened meanwhile.
public final class CommitSignal: Sendable {
    private let continuations = Mutex<[UUID: AsyncStream<Void>.Continuation]>([:])

    public init() {}

    /// A stream that yields after commits (coalesced) until the caller stops reading it.
    package func subscribe() -> AsyncStream<Void> {
        let id = UUID()
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        continuation.onTermination = { [weak self] _ in
            _ = self?.continuations.withLock { $0.removeValue(forKey: id) }
        }
        continuations.withLock { $0[id] = continuation }
        return stream
    }

    /// Wakes every subscriber.
    public func fire() {
        for continuation in continuations.withLock({ Array($0.values) }) { continuation.yield() }
    }
}

/// The receiver's queue between reading a neighbour's events and storing them: ``take()`` hands over everything
/// waiting (at most 1,000), ``push(_:)`` waits while 5,000 are waiting (so a fast sender cannot fill memory).
public final class EventQueue: Sendable {
    private struct State {
        var items: [StoredEvent] = []
        var finished = false
        var taker: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    package static let maximumWaiting = 5_000
    package static let batch = 1_000

    package func push(_ event: StoredEvent) async {
        while state.withLock({ $0.items.count >= Self.maximumWaiting && !$0.finished }) {
            try? await Task.sleep(for: .milliseconds(5))
        }
        let taker = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.items.append(event)
            defer { state.taker = nil }
            return state.taker
        }
        taker?.resume()
    }

    package func finish() {
        let taker = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.finished = true
            defer { state.taker = nil }
            return state.taker
        }
        taker?.resume()
    }

    /// The waiting events in order (up to ``batch``), waiting for one; `nil` once finished and empty.
    package func take() async -> [StoredEvent]? {
        while true {
            let taken = state.withLock { state -> [StoredEvent]?? in
                if !state.items.isEmpty {
                    let count = min(Self.batch, state.items.count)
                    let batch = Array(state.items.prefix(count))
                    state.items.removeFirst(count)
                    return .some(batch)
                }
                return state.finished ? .some(nil) : nil
            }
            if let taken { return taken }
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if !state.items.isEmpty || state.finished { return true }
                    state.taker = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }
}
