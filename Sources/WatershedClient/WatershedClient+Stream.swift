import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOConcurrencyHelpers
import NIOCore
import WatershedCore
import WatershedWire

/// What ``WatershedClient/follow(after:incident:exercise:reconnect:onUpdate:)`` hands its caller.
public enum StreamUpdate: Sendable {
    /// A committed event, in seq order, never one already handed over.
    case event(StoredEvent)
    /// The backlog up to `head` has been sent (after every connection, the first and each reconnection).
    case caughtUp(head: Int64)
    /// The connection dropped; the client connects again after `retryIn` and resumes after `resumeAfter`.
    case disconnected(reason: String, resumeAfter: Int64, retryIn: Duration)
    /// Connected again; what was missed since `resumeAfter` follows, then ``caughtUp(head:)``.
    case reconnected(resumeAfter: Int64)
}

/// Whether to go on reading the stream.
public enum StreamDecision: Sendable {
    /// Read on.
    case proceed
    /// Close the stream and return.
    case stop
}

/// `?exercise=` of the stream: only drill events, or none.
public enum ExerciseFilter: String, Sendable {
    /// Only exercise events.
    case only
    /// No exercise events.
    case exclude
}

extension WatershedClient {
    /// Delays between reconnection attempts: 0.25 s, doubling, at most 5 s.
    static func backoff(attempt: Int) -> Duration {
        .milliseconds(min(5_000, 250 << min(attempt, 5)))
    }

    /// Follows the live stream (DESIGN.md "Live stream"): the events after `after`, ``StreamUpdate/caughtUp(head:)``,
    /// then live events, each handed to `onUpdate` in seq order; the next message is read only after `onUpdate`
    /// returns, so a slow caller slows the stream rather than filling memory (the server cuts a client that falls
    /// too far behind with 4001, and this client resumes).
    ///
    /// With `reconnect`, a dropped connection (the server restarting, a 4001 cut-off, a network failure) is
    /// reopened by itself with `after=` the last seq handed over — so nothing is missed and nothing repeated —
    /// after ``StreamUpdate/disconnected(reason:resumeAfter:retryIn:)``; without it, a drop ends the call by
    /// throwing. Returns when `onUpdate` says ``StreamDecision/stop``.
    ///
    /// - Parameters:
    ///   - incident: only this incident's events (UUID or reference).
    ///   - exercise: only exercise events, or none.
    /// - Throws: ``WatershedClientError``: a refused token or filter (never retried), an untrusted certificate (never
    ///   retried), 4003 (rights lost); without `reconnect`, also a dropped connection. `CancellationError` when the
    ///   task is cancelled.
    public func follow(
        after: Int64 = 0, incident: String? = nil, exercise: ExerciseFilter? = nil, reconnect: Bool = true,
        onUpdate: @escaping @Sendable (StreamUpdate) async throws -> StreamDecision
    ) async throws {
        let state = NIOLockedValueBox(FollowState(last: after))
        var attempt = 0
        while true {
            try Task.checkCancellation()
            let resumeAfter = state.withLockedValue { $0.last }
            let isReconnection = state.withLockedValue { $0.connections > 0 }
            let reason: String
            do {
                let closing = try await connectOnce(
                    after: resumeAfter, incident: incident, exercise: exercise, state: state,
                    isReconnection: isReconnection, onUpdate: onUpdate)
                if state.withLockedValue({ $0.stopped }) { return }
                if state.withLockedValue({ $0.caughtUp }) { attempt = 0 }
                switch closing?.closeCode {
                case .unknown(StreamMessage.rightsLostCloseCode):
                    throw WatershedClientError.rightsLost(reason: closing?.reason ?? "")
                case .unknown(StreamMessage.resumeCloseCode):
                    reason = "the server cut this client off for falling behind (\(closing?.reason ?? "4001"))"
                case .unknown(StreamMessage.aheadCloseCode):
                    // The server's log ends before what this client has seen: restored from an older backup, or a
                    // new data directory. What it had after its head is not there any more: start over from seq 0.
                    let head = closing?.reason?.split(separator: ":").dropFirst().first.map(String.init) ?? "?"
                    reason =
                        "the server's event log ends at seq \(head), before seq \(resumeAfter) that this client had "
                        + "seen (restored from a backup or a new data directory); starting over from seq 0"
                    state.withLockedValue { $0.last = 0 }
                case .goingAway:
                    reason = "the server is going away (restarting or stopping)"
                case let code?:
                    reason = "the server closed the stream (\(code)\(closing?.reason.map { ": \($0)" } ?? ""))"
                case nil:
                    reason = "the connection closed"
                }
            } catch let error as WatershedClientError {
                switch error {
                case .cannotConnect(_, let why):
                    reason = why
                default:
                    throw error
                }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                if Task.isCancelled { throw CancellationError() }
                reason = Self.reason(error)
            }
            let last = state.withLockedValue { $0.last }
            guard reconnect else {
                throw WatershedClientError.cannotConnect(server: address.base, why: "the stream ended: \(reason)")
            }
            let delay = Self.backoff(attempt: attempt)
            attempt += 1
            logger.debug("stream dropped, reconnecting", metadata: ["reason": "\(reason)", "after": "\(last)"])
            if try await onUpdate(.disconnected(reason: reason, resumeAfter: last, retryIn: delay)) == .stop { return }
            try await Task.sleep(for: delay)
        }
    }

    /// One connection: reads until the server closes, the caller stops, or the connection fails.
    private func connectOnce(
        after: Int64, incident: String?, exercise: ExerciseFilter?, state: NIOLockedValueBox<FollowState>,
        isReconnection: Bool, onUpdate: @escaping @Sendable (StreamUpdate) async throws -> StreamDecision
    ) async throws -> WebSocketCloseFrame? {
        var headers = HTTPFields()
        if let token = configuration.token { headers[.authorization] = "Bearer \(token)" }
        let path =
            "/v1/stream"
            + Self.query(["after": String(after), "incident": incident, "exercise": exercise?.rawValue])
        // SNI cannot carry an IP address; for a loopback address the development certificate's `localhost` is checked.
        let sni: String? = address.isIPAddress ? (address.isLoopback ? "localhost" : nil) : nil
        if address.isIPAddress && sni == nil {
            throw WatershedClientError.invalidServer(
                address.base,
                why: "the live stream needs the server's host name, not an IP address, to check its certificate")
        }
        state.withLockedValue { $0.caughtUp = false }
        do {
            return try await WebSocketClient.connect(
                url: address.webSocketBase + path,
                configuration: .init(
                    maxFrameSize: 1 << 16, additionalHeaders: headers,
                    autoPing: .enabled(timePeriod: .seconds(15)), sniHostname: sni),
                tlsConfiguration: tls, logger: logger
            ) { inbound, outbound, _ in
                state.withLockedValue { $0.connections += 1 }
                if isReconnection, try await onUpdate(.reconnected(resumeAfter: after)) == .stop {
                    state.withLockedValue { $0.stopped = true }
                    try await outbound.close(.normalClosure, reason: nil)
                    return
                }
                for try await message in inbound.messages(maxSize: 64 << 20) {
                    guard case .text(let text) = message else { continue }
                    let update: StreamUpdate
                    switch try StreamMessage(text: text) {
                    case .event(let event):
                        let isNew = state.withLockedValue { state in
                            guard event.seq > state.last else { return false }
                            state.last = event.seq
                            return true
                        }
                        guard isNew else { continue }
                        update = .event(event)
                    case .caughtUp(let head):
                        state.withLockedValue { $0.caughtUp = true }
                        update = .caughtUp(head: head)
                    }
                    if try await onUpdate(update) == .stop {
                        state.withLockedValue { $0.stopped = true }
                        try await outbound.close(.normalClosure, reason: nil)
                        return
                    }
                }
            }
        } catch let error as WebSocketClientError where error == .webSocketUpgradeFailed {
            // A refused upgrade is an empty 400; the same request without `Upgrade` gets the JSON error.
            let (status, body) = try await raw(.GET, path, body: nil as DeclineBody?)
            if status == 426 {
                throw WatershedClientError.cannotConnect(server: address.base, why: "the upgrade failed")
            }
            throw Self.refusal(status: status, body: body)
        } catch let error as WatershedClientError {
            throw error
        } catch let error as StreamMessageError {
            throw WatershedClientError.unexpectedAnswer(status: 101, why: error.description)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw classify(error)
        }
    }
}

/// What the follow loop knows across connections.
struct FollowState: Sendable {
    /// The last seq handed over.
    var last: Int64
    /// Connections opened so far.
    var connections = 0
    /// Whether the current connection has sent `caughtUp`.
    var caughtUp = false
    /// The caller said stop.
    var stopped = false
}

extension ServerAddress {
    /// Whether the host is a loopback address (`127.0.0.0/8`, `::1`).
    var isLoopback: Bool { host.hasPrefix("127.") || host == "::1" }
}
