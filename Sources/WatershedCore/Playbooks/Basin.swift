/// The shared basin map: every river, park and sea playbook, the units that own
/// them, the pollutant table and the neighbours' notification agreements,
/// joined into one network.
///
/// Build one with ``init(units:pollutants:rivers:parks:seas:agreements:)`` and
/// check it with ``problems()``; the planner assumes a basin without problems.
public struct Basin: Sendable {
    /// Units by code.
    public let units: [UnitCode: AdministrativeUnit]
    /// Pollutants by id.
    public let pollutants: [String: Pollutant]
    /// River playbooks by id.
    public let rivers: [String: RiverPlaybook]
    /// Park playbooks by id.
    public let parks: [String: ParkPlaybook]
    /// Sea playbooks by id.
    public let seas: [String: SeaPlaybook]
    /// Notification agreements by neighbour code.
    public let agreements: [UnitCode: NotificationAgreement]
    /// The lists as given, for validation (duplicates are kept here).
    let riverList: [RiverPlaybook]
    let parkList: [ParkPlaybook]
    let seaList: [SeaPlaybook]
    let unitList: [AdministrativeUnit]
    let pollutantList: [Pollutant]
    let agreementList: [NotificationAgreement]

    /// Creates a basin. Later duplicates of an id replace earlier ones in the
    /// dictionaries; ``problems()`` reports them.
    public init(
        units: [AdministrativeUnit], pollutants: [Pollutant], rivers: [RiverPlaybook],
        parks: [ParkPlaybook] = [], seas: [SeaPlaybook] = [], agreements: [NotificationAgreement] = []
    ) {
        self.unitList = units
        self.pollutantList = pollutants
        self.agreementList = agreements
        self.riverList = rivers
        self.parkList = parks
        self.seaList = seas
        self.units = Dictionary(units.map { ($0.code, $0) }, uniquingKeysWith: { _, new in new })
        self.pollutants = Dictionary(pollutants.map { ($0.id, $0) }, uniquingKeysWith: { _, new in new })
        self.rivers = Dictionary(rivers.map { ($0.id, $0) }, uniquingKeysWith: { _, new in new })
        self.parks = Dictionary(parks.map { ($0.id, $0) }, uniquingKeysWith: { _, new in new })
        self.seas = Dictionary(seas.map { ($0.id, $0) }, uniquingKeysWith: { _, new in new })
        self.agreements = Dictionary(agreements.map { ($0.province, $0) }, uniquingKeysWith: { _, new in new })
    }

    /// The unit with the given code, or `nil`.
    public func unit(_ code: UnitCode) -> AdministrativeUnit? { units[code] }

    /// The chain of units from `code` up to its province (inclusive), nearest first.
    public func ancestry(of code: UnitCode) -> [AdministrativeUnit] {
        var chain: [AdministrativeUnit] = []
        var next: UnitCode? = code
        while let current = next, let unit = units[current], !chain.contains(unit) {
            chain.append(unit)
            next = unit.parent
        }
        return chain
    }

    /// A display name for a unit: `"Yizhou District (宜州区)"`, or the code when unknown.
    public func displayName(_ code: UnitCode) -> String {
        guard let unit = units[code] else { return code }
        return unit.name
    }

    /// The agreement with a neighbour, or the fallback.
    public func agreement(with province: UnitCode) -> NotificationAgreement {
        agreements[province] ?? .fallback(for: province)
    }

    /// The rivers downstream of `river` (itself first) in the order the water flows
    /// through them, each with the chainage where the water enters it. Stops at a
    /// river that joins nothing, or at a cycle.
    public func downstreamCourse(from river: String, km: Double) -> [(river: RiverPlaybook, entryKm: Double)] {
        var course: [(river: RiverPlaybook, entryKm: Double)] = []
        var seen: Set<String> = []
        var current = rivers[river]
        var entry = km
        while let playbook = current, seen.insert(playbook.id).inserted {
            course.append((playbook, entry))
            guard let joins = playbook.joins else { break }
            entry = joins.km
            current = rivers[joins.river]
        }
        return course
    }

    /// The reach of `river` that contains chainage `km` (a chainage at a reach
    /// boundary belongs to the reach above it; km 0 to the first reach).
    public func reach(of river: RiverPlaybook, at km: Double) -> Reach? {
        river.reaches.first { km > $0.fromKm && km <= $0.toKm } ?? river.reaches.first { km == $0.fromKm }
    }
}
