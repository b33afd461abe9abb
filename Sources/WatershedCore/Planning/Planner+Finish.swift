import Foundation

extension Planner {
    /// Orders arrivals and tasks, works out peer notifications, Art. 4 triggers, the grading
    /// hint and the report obligations.
    func finish(_ work: Work) -> PlanDocument {
        let input = work.input
        let arrivals = work.arrivals.enumerated().sorted { a, b in
            a.element.earliestArrival != b.element.earliestArrival
                ? a.element.earliestArrival < b.element.earliestArrival : a.offset < b.offset
        }.map(\.element)
        var tasks = work.tasks.enumerated().sorted { a, b in
            a.element.latestStart != b.element.latestStart
                ? a.element.latestStart < b.element.latestStart : a.offset < b.offset
        }.map(\.element)
        for index in tasks.indices { tasks[index].number = index + 1 }

        let spillProvince = work.spillUnit.provinceCode
        let notifications = peerNotifications(arrivals, work: work)

        // Art. 4 triggers the plan can see, added to those declared.
        var triggers = input.declaredTriggers
        if work.pollutant.pollutantClass.isHeavyMetalOrMetalloid { triggers.insert(.heavyMetals) }
        let threatened = { (arrival: Arrival) in
            arrival.withoutMeasures.map { $0.upperRatioToStandard >= Self.actionRatio } ?? work.massUnknown
        }
        if arrivals.contains(where: { $0.kind == .intake && threatened($0) }) {
            triggers.insert(.drinkingWaterSource)
        }
        if notifications.contains(where: { $0.requirement == .required }) { triggers.insert(.crossBoundary) }

        // Grading hint: known facts plus what the plan predicts with its measures.
        var facts = input.gradingFacts
        let likelyOver = { (arrival: Arrival) in (arrival.withMeasures?.ratioToStandard ?? 0) >= 1 }
        // What the plan predicts adds to what the reporter states; the more severe of the two is graded.
        let predictedIntake = arrivals.filter { $0.kind == .intake && likelyOver($0) }.compactMap(\.supplyLevel)
        facts.intakeCutOff = (predictedIntake + [facts.intakeCutOff].compactMap { $0 }).min {
            Self.rank($0) < Self.rank($1)
        }
        if !work.massUnknown {
            var reach = facts.reach
            for arrival in arrivals where arrival.kind == .boundary && likelyOver(arrival) {
                guard let beyond = arrival.beyond, let unit = basin.unit(beyond) else { continue }
                let candidate: SpatialReach =
                    unit.kind == .country
                    ? .transnational : beyond.provinceCode != arrival.owner.provinceCode ? .crossProvincial : .crossCity
                reach = [reach, candidate].compactMap { $0 }.min { Self.rank($0) < Self.rank($1) }
            }
            facts.reach = reach
        }
        let hint = Grading.grade(facts)

        let obligations = ReportingRules.initialObligations(
            level: input.level, triggers: triggers, hint: hint, anchorAt: input.at, anchor: .discovery,
            spillUnit: work.spillUnit, units: basin.units)

        var notes = work.notes
        if work.massUnknown {
            notes.append(
                "Mass unknown: no concentrations; every intake, section and boundary on the path is treated as threatened."
            )
        }
        let late = tasks.filter { !$0.feasible }.count
        if late > 0 {
            notes.append(
                "\(late) task(s) cannot start in time (latest start before the plan time); a measure that is too "
                    + "late is not counted in the with-measures column."
            )
        }
        return PlanDocument(
            schemaVersion: 1, input: input, pollutant: work.pollutant, spillUnit: work.spillUnit,
            spillUnitName: basin.displayName(work.spillUnit), spillProvince: spillProvince,
            containment: work.containment, arrivals: arrivals, tasks: tasks, obligations: obligations,
            peerNotifications: notifications, triggers: triggers.sorted(), gradingHint: hint,
            reestimates: work.reestimates, notes: notes)
    }

    /// One notification per neighbour whose boundary the plume crosses, at the first crossing:
    /// the deadline is the earlier of the agreed time and the crossing minus the margin (DOMAIN.md
    /// "Peer notification timing"), never before discovery.
    func peerNotifications(_ arrivals: [Arrival], work: Work) -> [PeerNotification] {
        var byProvince: [UnitCode: PeerNotification] = [:]
        for arrival in arrivals where arrival.kind == .boundary || arrival.kind == .maritimeBoundary {
            guard let beyond = arrival.beyond else { continue }
            let target = beyond.provinceCode
            guard target != work.input.ownProvince, target != arrival.owner.provinceCode else { continue }
            guard byProvince[target] == nil else { continue }
            let agreement = basin.agreement(with: target)
            let prediction = arrival.withoutMeasures
            let required = prediction.map { $0.upperRatioToStandard > 1 } ?? true
            let agreed = work.input.at.addingTimeInterval(agreement.notifyWithinH * 3_600)
            let beforeCrossing = arrival.earliestArrival.addingTimeInterval(-agreement.marginH * 3_600)
            let deadline = max(work.input.at, min(agreed, beforeCrossing))
            byProvince[target] = PeerNotification(
                province: target, name: basin.unit(target)?.name ?? agreement.name,
                requirement: required ? .required : .advisory, boundary: arrival.node, boundaryName: arrival.name,
                crossingAt: arrival.earliestArrival, peakMgL: prediction?.upperPeakMgL,
                ratioToStandard: prediction?.upperRatioToStandard, deadline: deadline, agreement: agreement.agreement)
        }
        return byProvince.values.sorted { a, b in
            a.requirement != b.requirement ? a.requirement == .required : a.crossingAt < b.crossingAt
        }
    }

    static func rank(_ level: SupplyLevel) -> Int { SupplyLevel.allCases.firstIndex(of: level)! }
    static func rank(_ reach: SpatialReach) -> Int { SpatialReach.allCases.firstIndex(of: reach)! }
}
