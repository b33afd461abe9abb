import Foundation

/// `RotaOverridden` (outside any incident): a commander put a person of the duty rota on a position for a span — a
/// swap (换班) or leave (issue 19, "swaps and overrides a commander can make through the API and the CLI"). Folded on
/// every node into the rota the texts go by (``DutyRota/applying(_:)``). It names the person by the rota's id and
/// carries only a keyed hash of their number (`numberHash`; see ``TaskTextSent``), never the number: a person must
/// be in the rota file to be put on a position.
public struct RotaOverriddenPayload: Codable, Sendable, Hashable {
    /// The position.
    public var assignee: Assignee
    /// The rota's id of the person who holds it for the span.
    public var person: String
    /// A keyed hash of their number; `nil` when the server has no SMS secret to key it with.
    public var numberHash: String?
    /// The span, `[from, to)`.
    public var from: Date
    public var to: Date
    /// Why (`换班`, `sick leave`).
    public var reason: String?

    public init(
        assignee: Assignee, person: String, numberHash: String? = nil, from: Date, to: Date, reason: String? = nil
    ) {
        self.assignee = assignee
        self.person = person
        self.numberHash = numberHash
        self.from = from
        self.to = to
        self.reason = reason
    }
}

extension DutyRota {
    /// The rota with `override` added after the file's and earlier ones (the last covering a moment wins).
    public func applying(_ override: RotaOverriddenPayload) -> DutyRota {
        var copy = self
        copy.overrides.append(
            Override(
                assignee: override.assignee, person: override.person, from: override.from, to: override.to,
                reason: override.reason))
        return copy
    }

    /// The longest span an override may cover: 31 days (a month's leave; a longer change belongs in the rota file).
    public static let longestOverride: TimeInterval = 31 * 86_400

    /// Decides a commander's override (a pure rule; the server adds the number's hash and appends it).
    ///
    /// - Parameters:
    ///   - positions: the duty positions of the organisation (a position outside it is refused).
    ///   - now: the request's time (an override that has already ended is refused).
    /// - Throws: ``DomainError`` forbidden (`not_commander`) for a holder who is not a commander; unprocessable
    ///   (`unknown_person`, field `person`) for a person not in the rota, (`unknown_position`, field `dutyPosition`)
    ///   for a position the organisation does not have, (`bad_span`, field `to`) when `to` is not after `from`, is
    ///   not after `now`, or the span is longer than ``longestOverride``.
    public func override(
        _ assignee: Assignee, person: String, from: Date, to: Date, reason: String?, positions: Set<Assignee>,
        by holder: TokenHolder, now: Date
    ) throws(DomainError) -> RotaOverriddenPayload {
        guard holder.isCommander else {
            throw DomainError(
                .forbidden, code: "not_commander", message: "only a commander changes the duty rota", field: nil)
        }
        guard people[person] != nil else {
            throw DomainError(
                .invalid, code: "unknown_person",
                message: "no person \"\(person)\" in the rota (people are added in the rota file)", field: "person")
        }
        guard positions.contains(assignee) else {
            throw DomainError(
                .invalid, code: "unknown_position",
                message: "\(assignee) is not a duty position of the organisation", field: "dutyPosition")
        }
        guard to > from, to > now, to.timeIntervalSince(from) <= Self.longestOverride else {
            let why =
                to <= from
                ? "ends before it starts" : to <= now ? "has already ended" : "is longer than 31 days"
            throw DomainError(.invalid, code: "bad_span", message: "the span \(why)", field: "to")
        }
        return RotaOverriddenPayload(assignee: assignee, person: person, from: from, to: to, reason: reason)
    }
}
