import Foundation

/// Who holds which duty position of which unit when (issue 19, "A duty rota"; DESIGN.md "Data the server reads":
/// `seeds/<province>/rota.yaml`). Tasks are assigned to a unit and a duty position (``Assignee``), never to a
/// person; the rota says which person that is at a moment, so that a text message reaches them.
///
/// A position is staffed by a **rotation**: shifts of `shiftHours` from `startsAt`, taken by its people in turn
/// (the Chinese duty office's 24-hour 值班, 08:30 to 08:30, is `shiftHours: 24`). An **override** puts another person
/// on the position for a span (a swap, sick leave); the last override covering a moment wins over earlier ones and
/// over the rotation.
///
/// Mobile numbers are personal data: they are here and in the rota's file, never in an event, a log line or a
/// metric (an event names a person by ``Person/id``).
public struct DutyRota: Sendable, Hashable {
    /// A person who may hold a duty position.
    public struct Person: Sendable, Hashable {
        /// A short id, stable across rota files (`p-wei-ming`): what events and logs name.
        public var id: String
        /// The name as the duty office writes it (`韦明`).
        public var name: String
        /// The mobile number, E.164 (`+8613900000001`).
        public var mobile: MobileNumber

        public init(id: String, name: String, mobile: MobileNumber) {
            self.id = id
            self.name = name
            self.mobile = mobile
        }
    }

    /// Shifts of one position, taken in turn.
    public struct Rotation: Sendable, Hashable {
        /// The position this rotation staffs.
        public var assignee: Assignee
        /// When the first shift starts (`people[0]`'s).
        public var startsAt: Date
        /// The length of a shift, hours (1…168).
        public var shiftHours: Int
        /// The people in turn, by ``Person/id``; at least one.
        public var people: [String]

        public init(assignee: Assignee, startsAt: Date, shiftHours: Int, people: [String]) {
            self.assignee = assignee
            self.startsAt = startsAt
            self.shiftHours = shiftHours
            self.people = people
        }

        /// The person on shift at `time`: shift `n = ⌊(time − startsAt) / shiftHours⌋`, person `n mod people.count`
        /// (floored, so a time before `startsAt` counts back through the turns).
        public func person(at time: Date) -> String? {
            guard !people.isEmpty, shiftHours > 0 else { return nil }
            let shift = (time.timeIntervalSince(startsAt) / (Double(shiftHours) * 3_600)).rounded(.down)
            let count = Double(people.count)
            let index = shift - count * (shift / count).rounded(.down)
            return people[Int(index)]
        }
    }

    /// Another person on a position for a span `[from, to)`.
    public struct Override: Sendable, Hashable {
        public var assignee: Assignee
        public var person: String
        public var from: Date
        public var to: Date
        /// Why (`换班`, `sick leave`); shown to commanders.
        public var reason: String?

        public init(assignee: Assignee, person: String, from: Date, to: Date, reason: String? = nil) {
            self.assignee = assignee
            self.person = person
            self.from = from
            self.to = to
            self.reason = reason
        }

        /// Whether `time` is in `[from, to)`.
        public func covers(_ time: Date) -> Bool { from <= time && time < to }
    }

    /// The people, by ``Person/id``.
    public var people: [String: Person]
    /// The rotations, by position.
    public var rotations: [Assignee: Rotation]
    /// The overrides, in the order they were made (later wins).
    public var overrides: [Override]

    public init(people: [String: Person] = [:], rotations: [Assignee: Rotation] = [:], overrides: [Override] = []) {
        self.people = people
        self.rotations = rotations
        self.overrides = overrides
    }

    /// The person holding `assignee` at `time`: the last override covering it, else the rotation's person on shift;
    /// `nil` when the position is not on the rota.
    public func holder(of assignee: Assignee, at time: Date) -> Person? {
        if let override = overrides.last(where: { $0.assignee == assignee && $0.covers(time) }) {
            return people[override.person]
        }
        return rotations[assignee]?.person(at: time).flatMap { people[$0] }
    }

    /// The positions `mobile` holds at `time` (a reply is taken as from these positions only).
    public func positions(of mobile: MobileNumber, at time: Date) -> [Assignee] {
        let assignees = Set(rotations.keys).union(overrides.map(\.assignee))
        return assignees.filter { holder(of: $0, at: time)?.mobile == mobile }.sorted {
            ($0.unit, $0.position.rawValue) < ($1.unit, $1.position.rawValue)
        }
    }
}

/// A mobile number in E.164 form, `+` and 8–15 digits (ITU-T E.164 §6.2.1: at most 15 digits); a mainland China
/// number is `+86` and 11 digits starting with 1 (`+8613900000001`). Spaces and hyphens are taken out; `0086` and
/// a bare 11-digit mainland number starting with 1 are read as `+86`.
public struct MobileNumber: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// `+8613900000001`.
    public let e164: String

    /// Reads `text`; `nil` when it is not a number of that form.
    public init?(_ text: String) {
        var digits = text.filter { $0 != " " && $0 != "-" }
        if digits.hasPrefix("00") { digits = "+" + digits.dropFirst(2) }
        if !digits.hasPrefix("+"), digits.count == 11, digits.hasPrefix("1") { digits = "+86" + digits }
        guard digits.hasPrefix("+") else { return nil }
        let body = digits.dropFirst()
        guard (8...15).contains(body.count), body.allSatisfy({ $0.isASCII && $0.isNumber }), body.first != "0" else {
            return nil
        }
        if body.hasPrefix("86") {
            let national = body.dropFirst(2)
            guard national.count == 11, national.hasPrefix("1") else { return nil }
        }
        e164 = digits
    }

    /// The number as a log or a screen for commanders may show it: the country code and the last four digits
    /// (`+86*******0001`).
    public var masked: String {
        let country = e164.hasPrefix("+86") ? "+86" : String(e164.prefix(3))
        let tail = e164.suffix(4)
        return country + String(repeating: "*", count: e164.count - country.count - tail.count) + tail
    }

    /// Masked: a number interpolated into a log line by mistake does not leak.
    public var description: String { masked }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.e164 < rhs.e164 }
}
