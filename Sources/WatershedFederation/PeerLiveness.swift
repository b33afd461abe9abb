import Foundation
import Synchronization
import WatershedCore

/// When each neighbour we link to was last heard from, on the injected clock (issue 5, "Store-and-forward":
/// heartbeats on the link; a peer silent beyond a configured time opens a task for our duty officer).
///
/// *Heard* is any message from the neighbour on either direction of the link — its `hello`, *received*,
/// *accepted* and heartbeat answers on our link to it, its events and heartbeats on its link to us — and any
/// request its certificate makes on the peer port (a link upgrade, a CAP 1.2 post). Both links send a heartbeat
/// after 10 s idle and the other end answers, so a live link is heard from at least every ~10 s.
///
/// A *silence* starts at the last time heard (at start-up: the start, since nothing is known before it) and lasts
/// until the neighbour is heard again. Each silence longer than the neighbour's `silentAfterMin` is reported once
/// (``silences(at:)``, ``reported(_:)``); hearing the neighbour ends it, so the next silence is reported again.
/// The state is in memory: a restart begins a new watch, and a silence that began at the start may be one that began
/// before it, so an open phone task from before the restart counts as its report
/// (``FederatedIncidents/dispatchSilenceCalls(liveness:names:now:)``).
public final class PeerLiveness: Sendable {
    private struct Entry {
        var silentAfter: Duration
        var lastHeard: Date
        var reported = false
        /// Whether anything was heard since the start (else `lastHeard` is only the start).
        var heardSinceStart = false
    }
    private let entries: Mutex<[UnitCode: Entry]>

    /// Watches `peers` (code → silence allowed), each heard last at `start`.
    package init(peers: [UnitCode: Duration], start: Date) {
        entries = Mutex(peers.mapValues { Entry(silentAfter: $0, lastHeard: start) })
    }

    /// Records that `province` was heard from at `at` (ends its silence); a neighbour not watched is ignored.
    package func heard(_ province: UnitCode, at: Date) {
        entries.withLock { entries in
            guard var entry = entries[province] else { return }
            entry.lastHeard = max(entry.lastHeard, at)
            entry.reported = false
            entry.heardSinceStart = true
            entries[province] = entry
        }
    }

    /// The watched neighbours silent at `now` for longer than their `silentAfter`, whose silence has not been
    /// reported: code, last heard, the silence allowed, and whether the silence began at the start (nothing heard
    /// since: it may be one that began before a restart); in code order.
    package func silences(at now: Date) -> [(
        province: UnitCode, lastHeard: Date, silentAfter: Duration, sinceStart: Bool
    )] {
        entries.withLock { entries in
            entries.filter { _, entry in
                !entry.reported && now.timeIntervalSince(entry.lastHeard) > entry.silentAfter.seconds
            }
            .map { ($0.key, $0.value.lastHeard, $0.value.silentAfter, !$0.value.heardSinceStart) }
            .sorted { $0.province < $1.province }
        }
    }

    /// Marks the current silence of `province` as reported (no further task until it is heard again).
    package func reported(_ province: UnitCode) {
        entries.withLock { $0[province]?.reported = true }
    }
}

extension Duration {
    /// The duration in seconds, fractions included.
    package var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
