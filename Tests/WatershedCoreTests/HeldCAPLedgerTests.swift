import Foundation
import Testing
import WatershedCore

/// The fold of held CAP messages (``HeldCAPLedger``) and the identity it keys them by.
struct HeldCAPLedgerTests {
    static let at = Date(timeIntervalSince1970: 1_768_464_000)  // 2026-01-15T08:00:00Z
    static let peer = EventActor.peer(province: "440000")

    /// Fixture 03's `sent`, 2003-06-11T20:56:00-07:00, is 03:56 the next day in UTC; a fraction is dropped.
    @Test func identitiesAreKeyedByTheInstantInUTC() {
        #expect(
            CAPIdentity(sender: "trinet@caltech.edu", identifier: "TRI13970876.2", sent: "2003-06-11T20:56:00-07:00")?
                .sentUTC == "2003-06-12T03:56:00-00:00")
        #expect(
            CAPIdentity(sender: "s", identifier: "i", sent: "2012-01-15T08:00:00+08:00")?.sentUTC
                == "2012-01-15T00:00:00-00:00")
        #expect(CAPIdentity.utc(Date(timeIntervalSince1970: 0.9)) == "1970-01-01T00:00:00-00:00")
        #expect(CAPIdentity(sender: "s", identifier: "i", sent: "yesterday") == nil)
        #expect(
            CAPIdentity(sender: "s", identifier: "i", sentUTC: "2003-06-12T03:56:00-00:00").description
                == "s,i,2003-06-12T03:56:00-00:00")
    }

    static func held(_ identifier: String, seq: Int64) -> RecordedEvent {
        RecordedEvent(
            seq: seq, at: at, incident: nil, actor: peer,
            event: .capHeld(
                CAPHeldPayload(
                    peer: "440000", sender: "s", identifier: identifier, sentUTC: "2003-04-02T19:39:01-00:00",
                    receivedAt: at, xml: "<alert/>", waitingFor: ["s,A,2003-04-02T19:39:01-00:00"])))
    }

    static func identity(_ identifier: String) -> CAPIdentity {
        CAPIdentity(sender: "s", identifier: identifier, sentUTC: "2003-04-02T19:39:01-00:00")
    }

    /// The `CAPReceived` of `identifier`, `sent` written at −05:00 (19:39:01 UTC).
    static func received(_ identifier: String, seq: Int64) -> RecordedEvent {
        RecordedEvent(
            seq: seq, at: at, incident: UUID(), actor: peer,
            event: .capReceived(
                CAPReceivedPayload(
                    peer: "440000", sender: "s", identifier: identifier, sent: "2003-04-02T14:39:01-05:00",
                    status: "Actual", msgType: "Update", references: [], headline: nil, wasHeld: true,
                    xml: "<alert/>")))
    }

    @Test func holdRefuseDropAndApply() {
        var ledger = HeldCAPLedger()
        for event in [Self.held("U-1", seq: 1), Self.held("U-2", seq: 2), Self.held("U-3", seq: 3)] {
            ledger.apply(event)
        }
        ledger.apply(
            RecordedEvent(
                seq: 4, at: Self.at, incident: nil, actor: .system(component: "cap-ingest"),
                event: .capHeldRefused(CAPHeldRefusedPayload(identity: Self.identity("U-2"), reason: "expired: …"))))
        ledger.apply(
            RecordedEvent(
                seq: 5, at: Self.at, incident: nil,
                actor: .person(unit: "450000", position: "provincial-duty-chief", token: "gx-commander"),
                event: .capHeldDropped(
                    CAPHeldDroppedPayload(
                        identity: Self.identity("U-3"), by: nil, reason: "dropped by a commander"))))
        ledger.apply(Self.received("U-1", seq: 6))
        #expect(Set(ledger.held.keys) == [Self.identity("U-2")])
        #expect(ledger.held[Self.identity("U-2")]?.refusal == "expired: …")
        #expect(ledger.held[Self.identity("U-2")]?.heldSeq == 2)
        #expect(ledger.applied == [Self.identity("U-1")])

        // Held after it was applied (its release committed first): holds nothing. A refusal of a message not held
        // does nothing either.
        ledger.apply(Self.held("U-1", seq: 7))
        ledger.apply(
            RecordedEvent(
                seq: 8, at: Self.at, incident: nil, actor: Self.peer,
                event: .capHeldRefused(CAPHeldRefusedPayload(identity: Self.identity("U-9"), reason: "no"))))
        #expect(Set(ledger.held.keys) == [Self.identity("U-2")])
    }
}
