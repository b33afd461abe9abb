import Foundation

/// The held CAP messages the log says there are: the fold of `CAPHeld`, `CAPHeldRefused`, `CAPHeldDropped` and
/// `CAPReceived` events — what the store's `cap_held` table must hold, row for row (`watershed audit verify` compares
/// the two).
///
/// Rules, in seq order:
/// - `CAPHeld` holds its message (a second `CAPHeld` of a message still held replaces it), unless a `CAPReceived` of
///   the same identity came before: a message applied already holds nothing (its hold committed after its release).
/// - `CAPHeldRefused` sets the held message's refusal; of a message not held, it does nothing.
/// - `CAPHeldDropped` removes it.
/// - `CAPReceived` removes it (applied: released from hold) and records the identity as applied.
/// - Every other event does nothing.
public struct HeldCAPLedger: Sendable, Hashable {
    /// One held message, as the log says it.
    public struct Entry: Sendable, Hashable {
        /// The seq of the `CAPHeld` that holds it.
        public var heldSeq: Int64
        /// The peer that sent it.
        public var peer: UnitCode
        /// When it was received (millisecond precision).
        public var receivedAt: Date
        /// The document as received.
        public var xml: String
        /// Why it was refused; `nil` while it waits.
        public var refusal: String?
        /// The messages it waited for when held (`nil`: recorded by the migration, not known).
        public var waitingFor: [String]?
    }

    /// The messages held now, by identity.
    public private(set) var held: [CAPIdentity: Entry] = [:]
    /// Every identity a `CAPReceived` applied.
    public private(set) var applied: Set<CAPIdentity> = []

    /// An empty ledger (before seq 1).
    public init() {}

    /// Folds one event (any type; only the four above change anything).
    public mutating func apply(_ event: RecordedEvent) {
        switch event.event {
        case .capHeld(let payload):
            let identity = payload.identity
            guard !applied.contains(identity) else { return }
            held[identity] = Entry(
                heldSeq: event.seq, peer: payload.peer, receivedAt: payload.receivedAt, xml: payload.xml,
                waitingFor: payload.waitingFor)
        case .capHeldRefused(let payload):
            held[payload.identity]?.refusal = payload.reason
        case .capHeldDropped(let payload):
            held[payload.identity] = nil
        case .capReceived(let payload):
            guard let identity = payload.identity else { return }
            applied.insert(identity)
            held[identity] = nil
        default:
            return
        }
    }

    /// The event types the ledger reads: the only ones a reader of the log need hand to ``apply(_:)``.
    public static let eventTypes: Set<EventType> = [.capHeld, .capHeldRefused, .capHeldDropped, .capReceived]
}
