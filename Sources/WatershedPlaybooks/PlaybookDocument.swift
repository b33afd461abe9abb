import WatershedCore

/// `seeds/<province>/peers.yaml`: the neighbouring provinces this server exchanges
/// incident feeds with, and the notification agreement with each.
///
/// ```yaml
/// schemaVersion: 1
/// kind: peers
/// peers:
///   - province: "440000"
///     name: Guangdong Province
///     notifyWithinH: 1
///     marginH: 2
///     agreement: "Guangxi–Guangdong upstream–downstream joint prevention agreement"
/// ```
public struct PeerRegistry: Codable, Sendable, Hashable {
    /// Format version of the file; 1.
    public var schemaVersion: Int
    /// `"peers"`.
    public var kind: String
    /// One agreement per neighbour.
    public var peers: [NotificationAgreement]
    /// Caveats.
    public var note: String?

    /// Creates a registry.
    public init(schemaVersion: Int = 1, kind: String = "peers", peers: [NotificationAgreement], note: String? = nil) {
        self.schemaVersion = schemaVersion
        self.kind = kind
        self.peers = peers
        self.note = note
    }
}

/// The content of one playbook or seed file, chosen by its `kind`.
public enum PlaybookDocument: Sendable, Hashable {
    /// `kind: river`, a river playbook.
    case river(RiverPlaybook)
    /// `kind: park`, a chemical park playbook.
    case park(ParkPlaybook)
    /// `kind: sea`, a sea-area playbook.
    case sea(SeaPlaybook)
    /// `kind: units`, the administrative units (`playbooks/units.yaml`).
    case units(UnitRegistry)
    /// `kind: pollutants`, the pollutant table (`playbooks/pollutants.yaml`).
    case pollutants(PollutantTable)
    /// `kind: peers`, the neighbours' notification agreements (`seeds/<province>/peers.yaml`).
    case peers(PeerRegistry)

    /// The kinds a file may declare, in the order messages list them.
    public static let kinds = ["river", "park", "sea", "units", "pollutants", "peers"]

    /// The file's `kind`.
    public var kind: String {
        switch self {
        case .river: "river"
        case .park: "park"
        case .sea: "sea"
        case .units: "units"
        case .pollutants: "pollutants"
        case .peers: "peers"
        }
    }

    /// The playbook id for a river, park or sea; `nil` for the registries.
    public var id: String? {
        switch self {
        case .river(let river): river.id
        case .park(let park): park.id
        case .sea(let sea): sea.id
        case .units, .pollutants, .peers: nil
        }
    }

    /// The name ``Basin/problems()`` uses for this document: the playbook id, or
    /// `"units"`, `"pollutants"`, `"agreements"`.
    public var problemDocument: String {
        switch self {
        case .river, .park, .sea: id ?? ""
        case .units: "units"
        case .pollutants: "pollutants"
        case .peers: "agreements"
        }
    }

    /// One line saying what the file holds, e.g.
    /// `river longjiang (龙江), 105 km, 4 reaches, 5 sites, 3 receptors, 4 sections, 9 measures`.
    public var summary: String {
        switch self {
        case .river(let river):
            return "river \(river.id) (\(river.nameZh ?? river.name)), \(kilometres(river.lengthKm)) km, "
                + [
                    count(river.reaches.count, "reach", "reaches"), count(river.sites.count, "site"),
                    count(river.receptors.count, "receptor"), count(river.monitoringSections.count, "section"),
                    count(river.measures.count, "measure"),
                ].joined(separator: ", ")
        case .park(let park):
            return "park \(park.id) (\(park.nameZh ?? park.name)), "
                + [
                    count(park.sites.count, "site"), count(park.outfalls.count, "outfall"),
                    count(park.scenarios.count, "scenario"),
                ].joined(separator: ", ")
        case .sea(let sea):
            return "sea \(sea.id) (\(sea.nameZh ?? sea.name)), "
                + [
                    count(sea.zones.count, "zone"), count(sea.receptors.count, "receptor"),
                    count(sea.boundaries.count, "boundary", "boundaries"),
                ].joined(separator: ", ")
        case .units(let registry):
            return "units, " + count(registry.units.count, "unit")
        case .pollutants(let table):
            return "pollutants, " + count(table.pollutants.count, "pollutant")
        case .peers(let registry):
            let codes = registry.peers.map(\.province).joined(separator: ", ")
            return "peers, " + count(registry.peers.count, "agreement") + (codes.isEmpty ? "" : " (\(codes))")
        }
    }
}

/// `"1 reach"`, `"4 reaches"`.
func count(_ number: Int, _ singular: String, _ plural: String? = nil) -> String {
    "\(number) " + (number == 1 ? singular : plural ?? singular + "s")
}

/// `105` for 105.0, `105.5` otherwise.
func kilometres(_ value: Double) -> String {
    if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
    return String(value)
}
