import Foundation
import WatershedCore

/// `POST /v1/rota/overrides` (commander): put a person of the duty rota on a position for `[from, to)` — a swap
/// (换班) or leave (issue 19). Times RFC 3339 with an offset.
public struct RotaOverrideRequest: Codable, Sendable, Hashable {
    public var unit: UnitCode
    public var dutyPosition: DutyPosition
    /// The rota's id of the person (`p-wu-min`).
    public var person: String
    public var from: Date
    public var to: Date
    public var reason: String?

    public init(
        unit: UnitCode, dutyPosition: DutyPosition, person: String, from: Date, to: Date, reason: String? = nil
    ) {
        self.unit = unit
        self.dutyPosition = dutyPosition
        self.person = person
        self.from = from
        self.to = to
        self.reason = reason
    }
}

/// `GET /v1/rota?at=…`: who holds a position of the duty rota at that moment. The number is masked
/// (`+86*******0001`): the full number never leaves the server.
public struct RotaHolder: Codable, Sendable, Hashable {
    public var unit: UnitCode
    public var dutyPosition: DutyPosition
    /// The person's rota id, name and masked number; `nil` when nobody holds the position then.
    public var person: String?
    public var name: String?
    public var mobile: String?
    /// When an override holds the position: its end and reason.
    public var until: Date?
    public var reason: String?

    public init(
        unit: UnitCode, dutyPosition: DutyPosition, person: String?, name: String?, mobile: String?, until: Date?,
        reason: String?
    ) {
        self.unit = unit
        self.dutyPosition = dutyPosition
        self.person = person
        self.name = name
        self.mobile = mobile
        self.until = until
        self.reason = reason
    }
}

/// `201` of `POST /v1/rota/overrides`: the override as recorded and its event's seq.
public struct RotaOverridden: Codable, Sendable, Hashable {
    public var seq: Int64
    public var override: RotaOverriddenPayload

    public init(seq: Int64, override: RotaOverriddenPayload) {
        self.seq = seq
        self.override = override
    }
}
