import Logging
import ServiceLifecycle
import Synchronization

/// A one-shot signal every live stream listens for: fired when the server starts to shut down, so that each stream
/// closes with 1001 (going away, RFC 6455 §7.4.1) and its resume seq (``StreamSession``) before the server stops.
/// hummingbird-websocket's own shutdown closes WebSocket connections with 1000 (normal closure), which tells a
/// client nothing about coming back; this runs first (``StreamDrain``).
public final class GoingAway: Sendable {
    private struct State {
        var fired = false
        var next: UInt64 = 0
        var callbacks: [UInt64: @Sendable () -> Void] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Whether ``fire()`` was called.
    public var fired: Bool { state.withLock { $0.fired } }

    /// Calls `callback` once when the signal fires, on the thread that fires it. Returns the id to ``forget(_:)``
    /// it by, or `nil` — having called it at once — if the signal has fired.
    func whenFired(_ callback: @escaping @Sendable () -> Void) -> UInt64? {
        let id: UInt64? = state.withLock { state in
            guard !state.fired else { return nil }
            state.next += 1
            state.callbacks[state.next] = callback
            return state.next
        }
        if id == nil { callback() }
        return id
    }

    /// Callbacks waiting for the signal (one per live stream).
    var listenerCount: Int { state.withLock { $0.callbacks.count } }

    /// Drops a callback that has not been called (its stream ended first).
    func forget(_ id: UInt64) { state.withLock { _ = $0.callbacks.removeValue(forKey: id) } }

    /// Fires the signal: every callback is called, once.
    func fire() {
        let callbacks = state.withLock { state in
            state.fired = true
            defer { state.callbacks = [:] }
            return Array(state.callbacks.values)
        }
        for callback in callbacks { callback() }
    }
}

/// The service that closes the live streams with 1001 when the server shuts down, before the server does
/// (``ServerStartInfo/streamDrain``): run it after the application in the same `ServiceGroup`, which shuts its
/// services down in reverse order, waiting for each. On graceful shutdown it fires the hub's ``GoingAway`` and waits
/// until every stream has ended, at most ``bound`` (each gives its client ``StreamSession/shutdownGrace`` to answer
/// the close).
public struct StreamDrain: Service {
    let hub: PushHub
    let logger: Logger

    /// The longest the drain waits for the streams to end.
    static let bound: Duration = .seconds(3)

    public func run() async throws {
        // Waits for the group's graceful shutdown; a cancelled group (no graceful shutdown) ends here.
        do { try await gracefulShutdown() } catch { return }
        let open = hub.count
        let start = ContinuousClock.now
        hub.goingAway.fire()
        while hub.count > 0 && ContinuousClock.now - start < Self.bound {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if open > 0 {
            logger.notice(
                "live streams closed with 1001 for shutdown",
                metadata: ["streams": "\(open)", "left": "\(hub.count)", "took": "\(ContinuousClock.now - start)"])
        }
    }
}
