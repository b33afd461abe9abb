import Foundation
import WatershedCore

/// 2026-01-15T08:00:00Z (`date -u -d 2026-01-15T08:00:00Z +%s` = 1768464000): the time the log tests' events start.
public let morning = Date(timeIntervalSince1970: 1_768_464_000)

/// The incident the log tests' events belong to, when they belong to one.
public let incidentID = UUID(uuidString: "6F1C2D3E-0000-4000-8000-000000000002")!

/// A small event with a payload saying who wrote it and its number, for ordering checks in the log tests (both
/// backends): `at` is ``morning`` plus `number` seconds.
public func numbered(writer: Int, number: Int, incident: UUID? = nil, exercise: Bool = false) -> NewEvent {
    NewEvent(
        at: morning + Double(number), incident: incident, type: .taskAcknowledged,
        actor: .system(component: "writer-\(writer)"), exercise: exercise,
        payload: ["writer": .number(Double(writer)), "number": .number(Double(number))])
}
