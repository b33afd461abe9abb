import Foundation
import WatershedCore

/// A small network worked out by hand for the planner tests:
///
///     trib (36 km, one reach A) ──joins main at km 20──► main (100 km: B1 0–20, B2 20–100)
///
/// Reach A: D_a = 1,000 km², Q_a = 20 m³/s, S = 0.001 (Jobson eq. 12–13).
/// Reach B2: D_a = 5,000 km², Q_a = 100 m³/s, slope unknown (eq. 14–15).
enum HandBasin {
    static let units = [
        AdministrativeUnit(code: "450000", name: "Guangxi", kind: .province),
        AdministrativeUnit(code: "451200", name: "Hechi", kind: .districtedCity, parent: "450000"),
        AdministrativeUnit(code: "451203", name: "Yizhou", kind: .county, parent: "451200"),
        AdministrativeUnit(code: "450200", name: "Liuzhou", kind: .districtedCity, parent: "450000"),
        AdministrativeUnit(code: "450222", name: "Liucheng", kind: .county, parent: "450200"),
        AdministrativeUnit(code: "440000", name: "Guangdong", kind: .province),
        AdministrativeUnit(code: "441200", name: "Zhaoqing", kind: .districtedCity, parent: "440000"),
        AdministrativeUnit(code: "441225", name: "Fengkai", kind: .county, parent: "441200"),
    ]

    static let cadmium = Pollutant(
        id: "cadmium", name: "Cadmium", cas: "7440-43-9", pollutantClass: .heavyMetal, limitMgL: 0.005,
        table: "Table 1", waterClass: "III", source: "GB 3838-2002 Table 1")
    static let benzene = Pollutant(
        id: "benzene", name: "Benzene", pollutantClass: .organic, limitMgL: 0.01, table: "Table 3",
        source: "GB 3838-2002 Table 3")

    static func reach(
        _ id: String, _ from: Double, _ to: Double, owner: UnitCode, area: Double, qa: Double, slope: Double?
    )
        -> Reach
    {
        Reach(
            id: id, fromKm: from, toKm: to, owner: owner, drainageAreaKm2: area, meanDischargeM3s: qa, slope: slope,
            velocityMs: nil, line: [[108.0, 24.0], [108.1, 24.1]], source: "hand-made", note: nil)
    }

    static var trib: RiverPlaybook {
        RiverPlaybook(
            schemaVersion: 1, kind: "river", id: "trib", name: "Trib", nameZh: nil, version: "test",
            chainageOrigin: "test origin", lengthKm: 36, joins: Confluence(river: "main", km: 20), mouth: nil,
            reaches: [reach("A", 0, 36, owner: "451203", area: 1_000, qa: 20, slope: 0.001)],
            sites: [
                EmergencySite(
                    id: "trib-dam", name: "Trib dam", nameZh: nil, kind: .dam, km: 10, lng: 108.05, lat: 24.05,
                    owner: "451203", operator: nil, actions: [.intercept, .dose], storageM3: nil, removalFraction: 0.5,
                    releaseM3s: nil, source: "hand-made", note: nil)
            ],
            receptors: [],
            monitoringSections: [
                MonitoringSection(
                    id: "trib-5", name: "Trib km 5", nameZh: nil, km: 5, lng: 108.02, lat: 24.02, owner: "451203",
                    source: "hand-made", note: nil)
            ],
            measures: [
                Measure(
                    id: "dose-trib-dam", site: "trib-dam", action: .dose, pollutantClasses: [.heavyMetal],
                    leadTimeH: 2, dutyPosition: nil, description: "raise pH, dose PAC", source: "hand-made", note: nil)
            ],
            source: "hand-made", note: nil)
    }

    static var main: RiverPlaybook {
        RiverPlaybook(
            schemaVersion: 1, kind: "river", id: "main", name: "Main", nameZh: nil, version: "test",
            chainageOrigin: "test origin", lengthKm: 100, joins: nil, mouth: "the sea",
            reaches: [
                reach("B1", 0, 20, owner: "451203", area: 4_000, qa: 80, slope: nil),
                reach("B2", 20, 100, owner: "450222", area: 5_000, qa: 100, slope: nil),
            ],
            sites: [],
            receptors: [
                Receptor(
                    id: "main-intake", name: "Main intake", nameZh: nil, kind: .intake, km: 74, lng: 108.3, lat: 24.3,
                    owner: "450222", supplyLevel: .districtedCity, populationServed: 500_000, closeLeadTimeH: 3,
                    beyond: nil, source: "hand-made", note: nil),
                Receptor(
                    id: "main-border", name: "Main border", nameZh: nil, kind: .boundary, km: 90, lng: 108.4,
                    lat: 24.4, owner: "450222", supplyLevel: nil, populationServed: nil, closeLeadTimeH: nil,
                    beyond: "440000", source: "hand-made", note: nil),
            ],
            monitoringSections: [
                MonitoringSection(
                    id: "main-50", name: "Main km 50", nameZh: nil, km: 50, lng: 108.2, lat: 24.2, owner: "450222",
                    source: "hand-made", note: nil)
            ],
            measures: [], source: "hand-made", note: nil)
    }

    static func basin(agreements: [NotificationAgreement] = []) -> Basin {
        Basin(units: units, pollutants: [cadmium, benzene], rivers: [trib, main], agreements: agreements)
    }

    /// 2012-01-15T08:00:00+08:00.
    static let spillTime = Date(timeIntervalSince1970: 1_326_585_600)

    static func input(massKg: Double? = 1_000, holds: [String: Double] = [:], level: SeverityLevel? = nil)
        -> SpillInput
    {
        SpillInput(
            location: .river(id: "trib", km: 0), at: spillTime, pollutant: "cadmium",
            release: .instantaneous(massKg: massKg), holds: holds, level: level)
    }
}
