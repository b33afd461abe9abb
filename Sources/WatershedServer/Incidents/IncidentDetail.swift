import Foundation
import WatershedCore
import WatershedWire

extension IncidentService {
    /// The detail of the incident with this UUID, read out of the incident model (``IncidentBook``); `nil` for an
    /// unknown incident. While a report is being filed the actor is suspended in its append, so this never waits
    /// for one. Obligations and notifications carry their Chinese text, in this basin's names.
    func detail(of incident: UUID) -> IncidentDetail? {
        book.incident(incident).map { IncidentDetail($0, basin: basin) }
    }
}
