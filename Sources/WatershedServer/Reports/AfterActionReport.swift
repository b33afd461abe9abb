import Foundation
import WatershedCore
import WatershedWire

/// The after-action report of an incident (issue 21): what happened, from the log, for the file — rendered as one
/// self-contained HTML document (``html()``, in AfterActionReport+HTML.swift) that prints on A4.
///
/// A pure read-out: the incident's detail (``WatershedWire/IncidentDetail``, with the Chinese texts of its
/// obligations and notifications), its events as stored (seq, hash), the events of the incidents linked to it, and —
/// for a drill — its score (``WatershedCore/DrillScoring``, the same as `GET /v1/drills/{id}/score`). Nothing here
/// reads the log or the clock. Times are on the incident's clock: a drill's events by their drill time (`drillAt`),
/// as its deadlines and acknowledgements are.
struct AfterActionReport: Sendable {
    /// An incident linked to this one and its events (the neighbour's events inside them as we received them).
    struct Linked: Sendable {
        var reference: String
        var events: [StoredEvent]
    }

    /// The drill's score and the scenario's expectations (for their Chinese wording), for a drill's incident.
    struct Drill: Sendable {
        var score: DrillScore
        var expectations: [DrillExpectation]
    }

    var detail: IncidentDetail
    /// The incident's events, in seq order.
    var events: [StoredEvent]
    var linked: [Linked] = []
    var drill: Drill?
    var basin: Basin
    /// This server's province (GB/T 2260).
    var province: UnitCode
    /// What `watershed audit verify` is given to find this server's log: `--data DIR` or `--database URL`.
    var logOption: String
    var language: ReportLanguage
    /// The zone the report's times are in (`?tz=`); fixed at init, since the formatters below are made for it.
    let timeZone: TimeZone
    /// ``time(_:)``'s and ``timeWithSeconds(_:)``'s formatters for ``timeZone``, made once per report rather than
    /// once per time printed (a report prints one or two for each of its events).
    private let minutes: DateFormatter
    private let seconds: DateFormatter

    init(
        detail: IncidentDetail, events: [StoredEvent], linked: [Linked] = [], drill: Drill? = nil, basin: Basin,
        province: UnitCode, logOption: String, language: ReportLanguage, timeZone: TimeZone
    ) {
        self.detail = detail
        self.events = events
        self.linked = linked
        self.drill = drill
        self.basin = basin
        self.province = province
        self.logOption = logOption
        self.language = language
        self.timeZone = timeZone
        self.minutes = Self.formatter(timeZone, seconds: false)
        self.seconds = Self.formatter(timeZone, seconds: true)
    }

    // MARK: Times and names

    /// A time on the incident's clock, local with its offset: `2012-01-15 10:00 +08:00`.
    func time(_ date: Date) -> String { minutes.string(from: date) }

    /// The same with seconds, for the timeline: `2012-01-15 10:00:05 +08:00`.
    func timeWithSeconds(_ date: Date) -> String { seconds.string(from: date) }

    /// A formatter of local times in `zone` with its offset, to the minute or to the second (POSIX locale, so the
    /// digits and calendar are the same on every server): `yyyy-MM-dd HH:mm xxx`, `yyyy-MM-dd HH:mm:ss xxx`.
    static func formatter(_ zone: TimeZone, seconds: Bool) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = seconds ? "yyyy-MM-dd HH:mm:ss xxx" : "yyyy-MM-dd HH:mm xxx"
        return formatter
    }

    /// An event's time on the incident's clock: its drill time for a drill's event, else its wall time.
    static func clockTime(_ event: StoredEvent) -> Date { event.drillAt ?? event.at }

    /// A unit's name in the report's language: `宜州区` / `Yizhou District`, else its code.
    func unitName(_ code: UnitCode) -> String {
        guard let unit = basin.units[code] else { return code }
        return language == .zh ? unit.nameZh ?? unit.name : unit.name
    }

    /// A unit's duty position: `宜州区 县级值班员` / `Yizhou District, county duty officer`.
    func assignee(_ assignee: Assignee) -> String {
        language == .zh
            ? unitName(assignee.unit) + " " + (assignee.position.nameZh ?? assignee.position.rawValue)
            : unitName(assignee.unit) + ", " + assignee.position.rawValue.replacingOccurrences(of: "-", with: " ")
    }

    /// `unit/position` as the peer link carries who accepted (`440000/provincial-duty-chief`), in words.
    func assignee(text: String) -> String {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return text }
        return assignee(Assignee(unit: parts[0], position: DutyPosition(rawValue: parts[1])))
    }

    /// Who caused an event, in words.
    func actor(_ actor: EventActor) -> String {
        switch actor {
        case .person(let unit, let position, _):
            assignee(Assignee(unit: unit, position: DutyPosition(rawValue: position)))
        case .peer(let province):
            unitName(province) + (language == .zh ? "（对方）" : " (peer)")
        case .system(let component):
            ReportWords.system(component, language)
        }
    }

    /// A place of the playbooks by id, in the report's language (a Chinese name where it has one; the English
    /// name in an English report).
    func placeName(_ id: String, name: String? = nil, nameZh: String? = nil) -> String {
        if language == .zh { return nameZh ?? basin.placeNameZh(id) ?? name ?? id }
        return name ?? englishPlaceName(id) ?? id
    }

    private func englishPlaceName(_ id: String) -> String? {
        if let river = basin.rivers[id] { return river.name }
        if let sea = basin.seas[id] { return sea.name }
        if let park = basin.parks[id] { return park.name }
        for river in basin.rivers.values {
            if let receptor = river.receptors.first(where: { $0.id == id }) { return receptor.name }
            if let site = river.sites.first(where: { $0.id == id }) { return site.name }
            if let section = river.monitoringSections.first(where: { $0.id == id }) { return section.name }
        }
        for sea in basin.seas.values {
            if let receptor = sea.receptors.first(where: { $0.id == id }) { return receptor.name }
        }
        return nil
    }

    /// Where the incident is: `贺江 140 km` / `He River km 140`.
    var place: String {
        guard let place = detail.incident.place else { return detail.incident.spillUnit }
        switch place {
        case .river(let id, let km):
            let km = Self.km(km)
            return language == .zh ? "\(placeName(id)) \(km) km" : "\(placeName(id)) km \(km)"
        case .park(let id, let scenario):
            return "\(placeName(id)) (\(scenario))"
        case .sea(let id, let lng, let lat):
            return "\(placeName(id)) \(lng)°E \(lat)°N"
        }
    }

    /// A chainage as written: `140`, `12.5`.
    static func km(_ km: Double) -> String { String(format: "%g", km) }

    /// The pollutant: `铊` / `thallium`.
    var pollutant: String {
        let id = detail.incident.pollutant
        guard let pollutant = basin.pollutants[id] else { return id }
        return language == .zh ? pollutant.nameZh ?? pollutant.name : pollutant.name
    }

    // MARK: Proof

    /// The first and last event of this incident as the log stores them (seq and hash), and the command that
    /// verifies the chain through them (`watershed audit verify … --expect SEQ:HASH`).
    var proof: (first: StoredEvent, last: StoredEvent, command: String)? {
        guard let first = events.first, let last = events.last else { return nil }
        let expects = [first, last].map { "--expect \($0.seq):\($0.hash)" }
        let unique = first.seq == last.seq ? [expects[0]] : expects
        return (first, last, "watershed audit verify \(logOption) " + unique.joined(separator: " "))
    }
}
