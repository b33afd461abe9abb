import Foundation
import WatershedCore

/// `seeds/<province>/rota.yaml`: who holds which duty position when, with a mobile number for text messages
/// (issue 19, "A duty rota").
///
/// ```yaml
/// schemaVersion: 1
/// kind: rota
/// province: "450000"
/// note: "…"
/// people:
///   - {id: p-lu-jian, name: 陆建, mobile: "+86 139 0000 0101"}
/// rotations:
///   - {unit: "451203", dutyPosition: county-duty-officer, startsAt: "2026-12-01T08:30:00+08:00", shiftHours: 24,
///      people: [p-lu-jian, p-qin-li]}
/// overrides:
///   - {unit: "451203", dutyPosition: county-duty-officer, person: p-qin-li,
///      from: "2026-12-08T08:30:00+08:00", to: "2026-12-09T08:30:00+08:00", reason: 换班}
/// ```
struct RotaFile: Codable, Sendable {
    struct Person: Codable, Sendable {
        var id: String
        var name: String
        var mobile: String
    }
    struct Rotation: Codable, Sendable {
        var unit: UnitCode
        var dutyPosition: DutyPosition
        var startsAt: String
        var shiftHours: Int
        var people: [String]
    }
    struct Override: Codable, Sendable {
        var unit: UnitCode
        var dutyPosition: DutyPosition
        var person: String
        var from: String
        var to: String
        var reason: String?
    }
    var schemaVersion: Int
    var kind: String
    var province: UnitCode
    var note: String?
    var people: [Person]
    var rotations: [Rotation]
    var overrides: [Override]?
}

/// Reads a province's duty rota into a Core ``DutyRota``.
public enum RotaSeed {
    /// Shift lengths a rota may set, hours: an hour to a week.
    public static let shiftHoursRange: ClosedRange<Int> = 1...168

    /// Reads `rota.yaml` (the shape is on `RotaFile` above).
    ///
    /// Besides the strict decoder's problems (YAML errors, unknown or repeated keys, wrong types, missing fields),
    /// it reports: a schema version other than 1; a `kind` other than `rota`; a `province` other than the
    /// organisation's; a person id not of lower-case letters, digits and hyphens, or given twice; an empty name; a
    /// mobile number that is not E.164 (``MobileNumber``), or that two people share (a reply must name one person);
    /// a rotation or override for a unit or duty position the organisation does not have; two rotations for one
    /// position; a time that is not RFC 3339 with an offset; `shiftHours` outside 1…168; a rotation without people;
    /// a person id not among `people`; an override whose `to` is not after its `from`. The messages never repeat a
    /// mobile number (they name the person).
    ///
    /// - Parameters:
    ///   - file: The path, as it is to appear in diagnostics.
    ///   - organisation: The province's units and their positions (`organisation.yaml`).
    /// - Throws: ``PlaybookLoadError`` with one `file:line:column: field: message` diagnostic per problem, sorted
    ///   by position; an unreadable file is `file:1:1: cannot read the file: …`.
    public static func load(file: String, organisation: Organisation) throws(PlaybookLoadError) -> DutyRota {
        let (text, unreadable) = PlaybookLoader.read(file)
        if let unreadable { throw PlaybookLoadError(diagnostics: [unreadable]) }
        return try decode(text ?? "", file: file, organisation: organisation)
    }

    /// Decodes and checks the text of a rota file (see ``load(file:organisation:)``).
    ///
    /// - Throws: ``PlaybookLoadError`` with every problem.
    public static func decode(_ text: String, file: String, organisation: Organisation) throws(PlaybookLoadError)
        -> DutyRota
    {
        let result = StrictYAMLDecoder().decodeCollectingProblems(RotaFile.self, from: text, file: file)
        var problems = result.diagnostics
        func problem(_ path: String, _ message: String) {
            let (line, column) = result.sourceMap.position(of: path)
            problems.append(PlaybookDiagnostic(file: file, line: line, column: column, field: path, message: message))
        }
        guard let decoded = result.value, problems.isEmpty else { throw PlaybookLoadError(diagnostics: problems) }
        if decoded.schemaVersion != 1 {
            problem("schemaVersion", "schema version \(decoded.schemaVersion) is not supported; expected 1")
        }
        if decoded.kind != "rota" { problem("kind", "\"\(decoded.kind)\" is not \"rota\"") }
        if decoded.province != organisation.province {
            problem("province", "\"\(decoded.province)\" is not this organisation's province \(organisation.province)")
        }
        let people = checkPeople(decoded.people, problem)
        // Every id given counts as a person here, even one whose number is refused (reported once, above).
        let ids = Set(decoded.people.map(\.id))
        var rotations: [Assignee: DutyRota.Rotation] = [:]
        var firstRotation: [Assignee: Int] = [:]
        for (index, entry) in decoded.rotations.enumerated() {
            let path = "rotations[\(index)]"
            let assignee = Assignee(unit: entry.unit, position: entry.dutyPosition)
            guard checkPosition(assignee, at: path, organisation: organisation, problem) else { continue }
            if let earlier = firstRotation[assignee] {
                problem(path, "a second rotation for \(assignee) (first at rotations[\(earlier)])")
                continue
            }
            firstRotation[assignee] = index
            let start = time(entry.startsAt, at: "\(path).startsAt", problem)
            if !shiftHoursRange.contains(entry.shiftHours) {
                problem("\(path).shiftHours", "\(entry.shiftHours) hours is outside 1…168 (an hour to a week)")
            }
            if entry.people.isEmpty { problem("\(path).people", "a rotation needs at least one person") }
            for (turn, person) in entry.people.enumerated() where !ids.contains(person) {
                problem("\(path).people[\(turn)]", "no person \"\(person)\" in people")
            }
            if let start {
                rotations[assignee] = DutyRota.Rotation(
                    assignee: assignee, startsAt: start, shiftHours: entry.shiftHours, people: entry.people)
            }
        }
        var overrides: [DutyRota.Override] = []
        for (index, entry) in (decoded.overrides ?? []).enumerated() {
            let path = "overrides[\(index)]"
            let assignee = Assignee(unit: entry.unit, position: entry.dutyPosition)
            guard checkPosition(assignee, at: path, organisation: organisation, problem) else { continue }
            if !ids.contains(entry.person) { problem("\(path).person", "no person \"\(entry.person)\" in people") }
            let from = time(entry.from, at: "\(path).from", problem)
            let to = time(entry.to, at: "\(path).to", problem)
            if let from, let to {
                if to <= from { problem("\(path).to", "\(entry.to) is not after from (\(entry.from))") }
                overrides.append(
                    DutyRota.Override(
                        assignee: assignee, person: entry.person, from: from, to: to, reason: entry.reason))
            }
        }
        guard problems.isEmpty else { throw PlaybookLoadError(diagnostics: problems) }
        return DutyRota(people: people, rotations: rotations, overrides: overrides)
    }

    /// The people by id; problems for bad ids, names and numbers.
    private static func checkPeople(_ entries: [RotaFile.Person], _ problem: (String, String) -> Void)
        -> [String: DutyRota.Person]
    {
        var people: [String: DutyRota.Person] = [:]
        var firstIndex: [String: Int] = [:]
        var holderOfNumber: [MobileNumber: String] = [:]
        for (index, entry) in entries.enumerated() {
            let path = "people[\(index)]"
            let idCharacters = entry.id.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-"
            }
            if entry.id.isEmpty || !idCharacters || entry.id.count > 64 {
                problem("\(path).id", "\"\(entry.id)\" is not an id of 1–64 lower-case letters, digits and hyphens")
            }
            if let earlier = firstIndex[entry.id] {
                problem("\(path).id", "person \"\(entry.id)\" is given twice (first at people[\(earlier)])")
                continue
            }
            firstIndex[entry.id] = index
            if entry.name.trimmingCharacters(in: .whitespaces).isEmpty { problem("\(path).name", "the name is empty") }
            guard let mobile = MobileNumber(entry.mobile) else {
                problem(
                    "\(path).mobile",
                    "the number of \(entry.id) is not a mobile number (E.164, e.g. +86 139 0000 0101)")
                continue
            }
            if let other = holderOfNumber[mobile] {
                problem("\(path).mobile", "\(entry.id) has the same number as \(other): a reply must name one person")
                continue
            }
            holderOfNumber[mobile] = entry.id
            people[entry.id] = DutyRota.Person(id: entry.id, name: entry.name, mobile: mobile)
        }
        return people
    }

    /// Whether the organisation has `assignee`'s unit and position; a problem at `path` when not.
    private static func checkPosition(
        _ assignee: Assignee, at path: String, organisation: Organisation, _ problem: (String, String) -> Void
    ) -> Bool {
        guard organisation.units[assignee.unit] != nil else {
            problem("\(path).unit", "unit \"\(assignee.unit)\" is not in organisation.yaml")
            return false
        }
        guard organisation.positions(of: assignee.unit).contains(assignee.position) else {
            problem("\(path).dutyPosition", "\(assignee.unit) has no duty position \"\(assignee.position)\"")
            return false
        }
        return true
    }

    /// `text` as a date; a problem at `path` when it is not RFC 3339 with an offset.
    private static func time(_ text: String, at path: String, _ problem: (String, String) -> Void) -> Date? {
        guard let date = DrillScenario.parseTime(text) else {
            problem(path, "\"\(text)\" is not an RFC 3339 time with an offset, e.g. 2026-12-01T08:30:00+08:00")
            return nil
        }
        return date
    }
}
