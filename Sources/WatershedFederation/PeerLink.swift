import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization
import WatershedCore
import WatershedStore
import WatershedWire

/// The sending end of the link to one neighbour (issue 5, "Link" and "Outbound"): connects to its peer port with
/// our peer-client certificate, trusting only its CA; after its `hello` sends our outbox from its cursor on, in seq
/// order, then each new outbox event as it commits; records *received* (`PeerReceived`, once per incident, when the
/// neighbour's cursor reaches the incident's first shared event) and *accepted* (`PeerAccepted`, once per
/// incident). A dropped or refused connection is retried with backoff (0.5 s doubling to 30 s, on the injected
/// clock); one neighbour's link never waits on another's.
public struct PeerLink: Service {
    package let own: UnitCode
    package let peer: PeerEndpoint
    package let url: String
    package let tls: TLSConfiguration
    package let log: any PeerStore
    package let incidents: any FederatedIncidents
    package let signal: CommitSignal
    /// Every message from the neighbour counts as hearing from it.
    package let liveness: PeerLiveness
    package let clock: any WallClock
    package let logger: Logger
    /// Told when the link goes up or down (the server's `watershed_peer_link_up` gauge).
    public var linkState: (@Sendable (_ peer: UnitCode, _ up: Bool) -> Void)?

    package init(
        own: UnitCode, peer: PeerEndpoint, url: String, tls: TLSConfiguration, log: any PeerStore,
        incidents: any FederatedIncidents, signal: CommitSignal, liveness: PeerLiveness, clock: any WallClock,
        logger: Logger, linkState: (@Sendable (_ peer: UnitCode, _ up: Bool) -> Void)? = nil
    ) {
        self.own = own
        self.peer = peer
        self.url = url
        self.tls = tls
        self.log = log
        self.incidents = incidents
        self.signal = signal
        self.liveness = liveness
        self.clock = clock
        self.logger = logger
        self.linkState = linkState
    }

    /// Idle time after which a heartbeat is sent.
    package static let heartbeat: Duration = .seconds(10)

    public func run() async throws {
        try? await cancelWhenGracefulShutdown { try await self.loop() }
    }

    private func loop() async throws {
        var attempt = 0
        linkState?(peer.province, false)
        while !Task.isCancelled {
            let connected = Flag()
            defer { linkState?(peer.province, false) }
            do {
                try await connectOnce(connected: connected)
            } catch is CancellationError {
                return
            } catch {
                logger.notice(
                    "peer link down", metadata: ["peer": "\(peer.province)", "error": "\(String(describing: error))"])
            }
            if connected.value.withLock({ $0 }) { attempt = 0 }
            if Task.isCancelled { return }
            let delay = min(30.0, 0.5 * Double(1 << min(attempt, 6)))
            attempt += 1
            try? await clock.sleep(until: clock.now.addingTimeInterval(delay))
        }
    }

    private func connectOnce(connected: Flag) async throws {
        let address = url.hasSuffix("/") ? String(url.dropLast()) : url
        let host = URLComponents(string: address)?.host ?? ""
        let sni = host.hasPrefix("127.") || host == "::1" || host == "[::1]" ? "localhost" : nil
        try await WebSocketClient.connect(
            url: address + "/v1/peer/link/\(own)",
            configuration: .init(maxFrameSize: 1 << 16, autoPing: .enabled(timePeriod: .seconds(10)), sniHostname: sni),
            tlsConfiguration: tls, logger: logger
        ) { inbound, outbound, _ in
            connected.value.withLock { $0 = true }
            linkState?(peer.province, true)
            logger.info("peer link up", metadata: ["peer": "\(peer.province)"])
            let (cursors, cursorContinuation) = AsyncStream<Int64>.makeStream(bufferingPolicy: .bufferingNewest(1))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    defer { cursorContinuation.finish() }
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        liveness.heard(peer.province, at: clock.now)
                        guard case .text(let text) = message, let decoded = try? PeerLinkMessage(text: text) else {
                            continue
                        }
                        switch decoded.type {
                        case .hello:
                            cursorContinuation.yield(decoded.received ?? 0)
                            if let received = decoded.received { try await recordReceived(through: received) }
                        case .received:
                            if let received = decoded.received { try await recordReceived(through: received) }
                        case .accepted:
                            try await recordAccepted(decoded)
                        case .event, .heartbeat:
                            continue
                        }
                    }
                }
                // Wake-ups of the writer: `true` after a commit, `false` when a heartbeat is due.
                let (wakes, wake) = AsyncStream<Bool>.makeStream(bufferingPolicy: .bufferingNewest(2))
                group.addTask {
                    for await _ in signal.subscribe() { wake.yield(true) }
                }
                group.addTask {
                    while true {
                        try await Task.sleep(for: Self.heartbeat)
                        wake.yield(false)
                    }
                }
                group.addTask {
                    var cursorIterator = cursors.makeAsyncIterator()
                    guard var sent = await cursorIterator.next() else { return }
                    var wakeIterator = wakes.makeAsyncIterator()
                    var heartbeatDue = false
                    while !Task.isCancelled {
                        let batch = try await log.outbox(for: peer.province, after: sent, limit: 200)
                        for event in batch {
                            try await FeedFrame.write(try FeedFrame.payload(for: event), to: outbound)
                            sent = event.seq
                        }
                        if batch.count == 200 { continue }
                        if heartbeatDue && batch.isEmpty {
                            try await outbound.writeTextMessage(
                                try PeerLinkMessage(type: .heartbeat, at: clock.now).text())
                        }
                        guard let woke = await wakeIterator.next() else { return }
                        heartbeatDue = !woke
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }

    /// `PeerReceived` for every shared incident whose first shared event the neighbour now has, once.
    private func recordReceived(through seq: Int64) async throws {
        let firsts = try log.firstOutboxSeqs(for: peer.province)
        for share in try log.sharedIncidents(with: peer.province) where share.receivedSeq == nil {
            guard let first = firsts[share.incident], first <= seq else { continue }
            try await incidents.acknowledge(
                PeerAcknowledgementPayload(province: peer.province, throughSeq: seq, at: clock.now), accepted: false,
                on: share.incident, wall: clock.now)
        }
    }

    /// `PeerAccepted` for the incident the neighbour's duty officer acknowledged, once.
    private func recordAccepted(_ message: PeerLinkMessage) async throws {
        guard let incident = message.incident,
            let share = try log.sharedIncidents(with: peer.province).first(where: { $0.incident == incident }),
            share.acceptedSeq == nil
        else { return }
        let payload = PeerAcknowledgementPayload(
            province: peer.province, by: message.by, peerReference: message.reference, at: message.at ?? clock.now)
        try await incidents.acknowledge(payload, accepted: true, on: incident, wall: clock.now)
    }
}

/// A flag shared by a connection's tasks.
final class Flag: Sendable {
    package let value = Mutex(false)
}
