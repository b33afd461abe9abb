import Foundation
import WatershedCAP
import WatershedCore
import WatershedStore
import WatershedWire

extension IncidentService {
    /// The detail of an incident made only of `CAPReceived` events (a peer's CAP 1.2 thread), with each message's
    /// `info` read again from the document as received; `nil` when the incident has no events or any event other
    /// than `CAPReceived` (an incident with a report has ``detail(of:)``).
    ///
    /// - Throws: `DatabaseError`; `EventLogError.unreadableEvent`.
    nonisolated func capDetail(of incident: UUID) async throws -> CAPIncidentDetail? {
        let events = try await log.allEvents(of: incident)
        guard !events.isEmpty, events.allSatisfy({ $0.type == .capReceived }) else { return nil }
        var messages: [CAPIncidentDetail.Message] = []
        var peer: UnitCode?
        var reference: String?
        for event in events {
            guard case .capReceived(let payload)? = (try? RecordedEvent(event))?.event else { continue }
            peer = peer ?? payload.peer
            reference = reference ?? payload.reference
            let alert = try? CAPAlert(xml: Data(payload.xml.utf8))
            messages.append(
                CAPIncidentDetail.Message(
                    seq: event.seq, at: event.at, sender: payload.sender, identifier: payload.identifier,
                    sent: payload.sent, status: payload.status, msgType: payload.msgType,
                    references: payload.references, wasHeld: payload.wasHeld,
                    info: (alert?.info ?? []).map { info in
                        CAPIncidentDetail.Info(
                            language: info.language, event: info.event, urgency: info.urgency.rawValue,
                            severity: info.severity.rawValue, certainty: info.certainty.rawValue,
                            headline: info.headline, description: info.description, instruction: info.instruction,
                            areas: info.areas.map(\.areaDesc),
                            parameters: info.parameters.map { [$0.valueName, $0.value] })
                    }))
        }
        guard let firstEvent = events.first, let peer else { return nil }
        var detail = CAPIncidentDetail(
            id: incident, peer: peer, exercise: firstEvent.exercise,
            state: messages.contains { $0.msgType == "Cancel" } ? "cancelled" : "open", messages: messages,
            timeline: events.map {
                IncidentDetail.TimelineEntry(seq: $0.seq, type: $0.type, at: $0.at, actor: $0.actor)
            })
        detail.reference = reference ?? "CAP-" + incident.uuidString.prefix(8)
        return detail
    }
}
