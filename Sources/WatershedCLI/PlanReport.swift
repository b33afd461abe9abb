import Foundation
import WatershedCore

/// The plan as a duty officer reads it: arrivals by time, tasks by latest start,
/// report obligations, peer notifications, grading hint and notes.
struct PlanReport {
    let plan: PlanDocument
    let basin: Basin
    let time: LocalTime

    func render() -> String {
        var sections = [header()]
        if let containment = plan.containment { sections.append(containmentSection(containment)) }
        sections.append(arrivalsSection())
        sections.append(tasksSection())
        sections.append(obligationsSection())
        sections.append(notificationsSection())
        sections.append(gradingSection())
        if !plan.notes.isEmpty { sections.append("NOTES\n" + plan.notes.map { "- " + $0 }.joined(separator: "\n")) }
        return sections.joined(separator: "\n\n")
    }

    static func number(_ value: Double, digits: Int = 4) -> String {
        if value == 0 { return "0" }
        if value >= 1000 || value == value.rounded() { return String(format: "%.0f", value) }
        if value >= 1 { return String(format: "%.\(max(0, min(digits, 3) - 1))f", value) }
        return String(format: "%.\(digits)g", value)
    }

    static func ratio(_ value: Double?) -> String {
        guard let value else { return "—" }
        return value >= 100 ? String(format: "%.0f×", value) : String(format: "%.1f×", value)
    }

    func header() -> String {
        let input = plan.input
        let pollutant = plan.pollutant
        let place: String
        switch input.location {
        case .river(let id, let km):
            place = "\(basin.rivers[id]?.name ?? id) km \(RiverKm(km))"
        case .park(let id, let scenario):
            place = "\(basin.parks[id]?.name ?? id), scenario \(scenario)"
        case .sea(let id, let lng, let lat):
            place = "\(basin.seas[id]?.name ?? id) at \(lng)°E \(lat)°N"
        }
        let release: String
        switch input.release {
        case .instantaneous(let mass?): release = "\(PlanReport.number(mass)) kg at once"
        case .instantaneous(nil): release = "mass unknown"
        case .continuous(let rate, let duration):
            release = "\(PlanReport.number(rate)) kg/h for \(PlanReport.number(duration)) h"
        }
        var lines = [
            "PLAN  \(pollutant.name)\(pollutant.nameZh.map { " (\($0))" } ?? ""), \(release)",
            "Spill      \(place) — \(plan.spillUnitName) (\(plan.spillUnit)), \(time(input.at))",
        ]
        if case .sea = input.location {
            lines.append("Level      \(input.level.map { "\($0)" } ?? "not yet graded")")
            return lines.joined(separator: "\n")
        }
        lines += [
            "Standard   S = \(PlanReport.number(pollutant.limitMgL)) mg/L (\(pollutant.standard) \(pollutant.table)"
                + "\(pollutant.waterClass.map { ", class \($0)" } ?? ""))",
            "Flow       Q/Qa = \(PlanReport.number(input.flowRatio))"
                + (input.holds.isEmpty
                    ? ""
                    : "; held: "
                        + input.holds.sorted { $0.key < $1.key }.map { "\($0.key) \(RiverKm($0.value)) h" }
                        .joined(separator: ", ")),
            "Level      \(input.level.map { "\($0)" } ?? "not yet graded")",
        ]
        for dam in input.heldDams ?? [] {
            lines.append(
                "Held       \(dam.site) until released"
                    + (dam.releasedAt.map { ": released \(time($0))" } ?? ": still held (times below assume now)"))
        }
        if !input.observations.isEmpty {
            lines.append("Below      observations correct arrivals below them by the \(input.belowObservedRule) rule")
        }
        for reestimate in plan.reestimates {
            lines.append(
                "Observed   \(reestimate.observation.node) \(reestimate.observation.feature.rawValue) at "
                    + "\(time(reestimate.observation.at)) (predicted \(time(reestimate.predicted))): f = "
                    + String(format: "%.2f", reestimate.factor))
        }
        return lines.joined(separator: "\n")
    }

    func containmentSection(_ c: ParkContainment) -> String {
        var lines = ["CONTAINMENT (三级防控)  runoff \(PlanReport.number(c.runoffM3)) m³"]
        for (index, capacity) in c.capacityM3.enumerated() {
            lines.append("  level \(index + 1): \(PlanReport.number(capacity)) m³")
        }
        if let level = c.containedAtLevel {
            lines.append("  contained at level \(level)")
        } else {
            lines.append(
                "  ESCAPES: \(PlanReport.number(c.escapedM3)) m³ with \(PlanReport.number(c.escapedMassKg)) kg by "
                    + "\(c.outfall)\(c.escapeAt.map { " from \(time($0))" } ?? "")")
        }
        return lines.joined(separator: "\n")
    }

    func arrivalsSection() -> String {
        var table = TextTable(
            [
                "node", "kind", "river", "km", "dist km", "owner", "earliest arrival", "likely peak", "latest arrival",
                "band h", "peak mg/L", "×S", "with measures", "×S", "actions",
            ], rightAligned: [3, 4, 9, 10, 11, 12, 13])
        for a in plan.arrivals {
            let latest: String = a.latestArrival.map { time($0) } ?? "—"
            let width: String = a.band.map { String(format: "%.1f", $0.widthH) } ?? "—"
            table.add([
                a.name + (a.nameZh.map { " \($0)" } ?? ""), kindLabel(a), a.river ?? "sea",
                a.km.map { RiverKm($0).description } ?? "",
                String(format: "%.0f", a.distanceKm), a.ownerName, time(a.earliestArrival), time(a.likelyArrival),
                latest, width,
                a.withoutMeasures.map { PlanReport.number($0.peakMgL) } ?? "—",
                PlanReport.ratio(a.withoutMeasures?.ratioToStandard),
                a.withMeasures.map { PlanReport.number($0.peakMgL) } ?? "—",
                PlanReport.ratio(a.withMeasures?.ratioToStandard),
                a.actions.map(\.rawValue).joined(separator: ",")
                    + (a.holdCapacityH.map { String(format: " (holds ≤ %.1f h)", $0) } ?? ""),
            ])
        }
        var notes: [String] = []
        let calibrated = plan.arrivals.compactMap(\.band).filter { $0.basis == .calibrated }
        if calibrated.isEmpty {
            notes.append(
                "Bands: earliest = leading edge at Jobson's maximum-probable speed; latest = peak at the speed as far "
                    + "below the most-probable one (no observation yet).")
        } else {
            notes.append(
                "Bands: calibrated on observations (speed factor f, weight w falling with distance below the observed "
                    + "node); w = 1 at or above it.")
        }
        if plan.arrivals.contains(where: { ($0.band?.poolH ?? 0) > 0 }) {
            notes.append("Dams' pools are crossed in their residence time V/Q where that is longer than Jobson's.")
        }
        if let dam = plan.arrivals.compactMap(\.heldBehind).first {
            notes.append("Below \(dam): still held; times assume it is released when the plan is made.")
        }
        return "ARRIVALS (by earliest arrival; ×S = C/S, most probable)\n" + table.render() + "\n"
            + notes.joined(separator: "\n")
    }

    func kindLabel(_ a: Arrival) -> String {
        switch a.kind {
        case .intake: "intake" + (a.supplyLevel.map { " (\($0.rawValue))" } ?? "")
        case .boundary, .maritimeBoundary: "boundary → " + (a.beyond.map { basin.displayName($0) } ?? "?")
        case .emergencySite: "site"
        case .monitoringSection: "section"
        case .reservoir: "reservoir"
        case .marineReceptor: "marine"
        }
    }

    func tasksSection() -> String {
        guard !plan.tasks.isEmpty else {
            return plan.arrivals.isEmpty
                ? "TASKS\n(none: the plume reaches no mapped node)"
                : "TASKS\n(none: the plume stays below a tenth of the standard at every node)"
        }
        var table = TextTable(["#", "latest start", "owner", "duty position", "task", "status"], rightAligned: [0])
        for t in plan.tasks {
            table.add([
                "T\(t.number)", time(t.latestStart), t.ownerName, t.dutyPosition.rawValue, t.title,
                t.feasible ? "in time" : "TOO LATE",
            ])
        }
        return "TASKS (by latest start = earliest arrival − lead time)\n" + table.render()
    }

    func obligationsSection() -> String {
        var lines = ["REPORT OBLIGATIONS (MEP Order No. 17)"]
        for o in plan.obligations {
            let due: String =
                if let dueBy = o.dueBy {
                    "by \(time(dueBy)) (\(RiverKm(o.withinH)) h from \(o.anchor.rawValue))"
                } else {
                    "\(RiverKm(o.withinH)) h after receipt (at the latest \(time(o.latestDueBy)))"
                }
            lines.append("- \(o.report.rawValue) report from \(o.fromName) (\(o.dutyPosition)) \(due)")
            lines.append("  to: " + o.recipients.map(\.name).joined(separator: "; "))
            lines.append("  \(o.rule); \(o.reason)")
        }
        if !plan.triggers.isEmpty {
            lines.append(
                "Art. 4 triggers: " + plan.triggers.map { "\($0.rawValue) (\($0.citation))" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }

    func notificationsSection() -> String {
        guard !plan.peerNotifications.isEmpty else {
            return "PEER NOTIFICATIONS\n(none: the plume is not predicted to cross into another province)"
        }
        var table = TextTable(
            ["province", "requirement", "boundary", "crossing (earliest)", "peak mg/L", "×S", "notify by"],
            rightAligned: [4, 5])
        for n in plan.peerNotifications {
            table.add([
                "\(n.name) \(n.province)", n.requirement.rawValue.uppercased(), n.boundaryName, time(n.crossingAt),
                n.peakMgL.map { PlanReport.number($0) } ?? "—", PlanReport.ratio(n.ratioToStandard), time(n.deadline),
            ])
        }
        return "PEER NOTIFICATIONS (peak = upper envelope without measures)\n" + table.render()
    }

    func gradingSection() -> String {
        let hint = plan.gradingHint
        guard let level = hint.level else { return "GRADING HINT\n(no facts yet)" }
        let review = LevelReview(level: plan.input.level, hint: hint).map { "\n" + $0.text } ?? ""
        return "GRADING HINT (2014 national plan): level \(level)\n"
            + hint.reasons.map { "- " + $0 }.joined(separator: "\n") + review
    }
}

/// A chainage or hour figure printed without needless decimals: `105`, `12.5`.
struct RiverKm: CustomStringConvertible {
    let value: Double
    init(_ value: Double) { self.value = value }
    var description: String {
        value.rounded() == value ? String(format: "%.0f", value) : String(format: "%.1f", value)
    }
}
