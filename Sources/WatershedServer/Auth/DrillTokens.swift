import Foundation
import Synchronization
import WatershedCore
import WatershedWire

/// The tokens of drills, by the SHA-256 of their secrets: made at `POST /v1/drills`, shown once, folded back from
/// `DrillStarted` after a restart. Each has the `drill` role only, so it reaches exercise incidents only; once its
/// drill has ended it may only read drills (`GET /v1/drills…`, e.g. the score a participant's `drill join` prints).
public final class DrillTokens: Sendable {
    /// A drill token's identity and whether its drill has ended.
    struct Entry: Sendable {
        var drill: UUID
        var identity: Identity
        var ended: Bool
    }
    private let state = Mutex<[String: Entry]>([:])

    /// An empty registry.
    public init() {}

    /// Applies what a folded event changed (``DrillBook/fold(_:)``): registers a started drill's tokens, marks an
    /// ended drill's.
    func apply(_ change: DrillBook.TokenChange?) {
        switch change {
        case .started(let drill, let participants): register(drill: drill, participants: participants)
        case .ended(let drill): end(drill: drill)
        case nil: return
        }
    }

    func register(drill: UUID, participants: [DrillParticipantToken]) {
        state.withLock { tokens in
            for participant in participants {
                tokens[participant.sha256.lowercased()] = Entry(
                    drill: drill,
                    identity: Identity(
                        tokenID: participant.tokenID, unit: participant.unit, dutyPosition: participant.dutyPosition,
                        roles: [.drill], drill: drill),
                    ended: false)
            }
        }
    }

    func end(drill: UUID) {
        state.withLock { tokens in
            for (hash, entry) in tokens where entry.drill == drill { tokens[hash]?.ended = true }
        }
    }

    /// Whether `drill` has ended (its tokens' open streams are then closed with 4003).
    func hasEnded(_ drill: UUID) -> Bool {
        state.withLock { tokens in tokens.values.contains { $0.drill == drill && $0.ended } }
    }

    /// The entry of a drill token's secret, or `nil`. (Keyed by the SHA-256 of a 128-bit random secret: a guess
    /// cannot steer the hash it looks up.)
    func entry(for secret: String) -> Entry? {
        guard secret.hasPrefix("wsd-drill-") else { return nil }
        let hash = TokenRegistry.hash(secret)
        return state.withLock { $0[hash] }
    }
}
