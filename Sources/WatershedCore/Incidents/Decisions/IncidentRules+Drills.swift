import Foundation

extension IncidentRules {
    /// The duty positions a task can be assigned to: the standard three and those of the organisation seed.
    public var knownPositions: Set<DutyPosition> {
        Set([.countyDutyOfficer, .cityDutyChief, .provincialDutyChief]).union(
            organisation.units.values.flatMap(\.dutyPositions))
    }

    /// Checks a drill scenario before it starts (issue 6) and returns it with `clockFactor` applied: the scenario's
    /// own problems (``DrillScenario/problems(province:units:peers:)``, against this province, the basin's units and
    /// its neighbours), every participant's duty position known to the organisation seed, every initial report
    /// inject one that can be planned on this basin and discovered no later than the inject plays on the drill clock.
    ///
    /// - Parameter clockFactor: drill seconds per wall second, overriding the scenario's (1…3600).
    /// - Throws: ``DomainError`` `invalid` `invalid_field` naming the first field at fault, as the request has it
    ///   (`clockFactor`, `scenario.participants[0].dutyPosition`, `scenario.injects[0].report.place`, …).
    public func drillStart(_ scenario: DrillScenario, clockFactor: Double?) throws(DomainError) -> DrillScenario {
        func invalid(_ field: String, _ message: String) -> DomainError {
            DomainError(.invalid, code: "invalid_field", message: message, field: field)
        }
        var scenario = scenario
        if let factor = clockFactor {
            guard DrillScenario.clockFactorRange.contains(factor) else {
                throw invalid("clockFactor", "\(factor) is outside 1…3600 (drill seconds per wall second)")
            }
            scenario.clockFactor = factor
        }
        if let problem = scenario.problems(
            province: province, units: Set(basin.units.keys), peers: Set(basin.agreements.keys)
        ).first {
            throw invalid("scenario." + problem.field, problem.message)
        }
        for (index, participant) in scenario.participants.enumerated()
        where !knownPositions.contains(participant.dutyPosition) {
            throw invalid(
                "scenario.participants[\(index)].dutyPosition",
                "\"\(participant.dutyPosition)\" is not a duty position of this province's organisation seed")
        }
        guard let start = scenario.startDate else { throw invalid("scenario.startsAt", "no start time") }
        for (index, inject) in scenario.injects.enumerated() where inject.kind == .initialReport {
            let field = "scenario.injects[\(index)].report"
            guard let report = try? (inject.report ?? .null).decode(InitialReport.self) else {
                throw invalid(field, "the inject's report is not an initial report")
            }
            let checked = report.checked(in: basin, ownProvince: province)
            if checked.plan == nil {
                let problem =
                    checked.problems.first ?? FieldError(field: "place", message: "the report cannot be planned")
                throw invalid("\(field).\(problem.field)", problem.message)
            }
            let playsAt = start.addingTimeInterval(inject.atMin * 60)
            if report.discoveredAt > playsAt {
                throw invalid(
                    "\(field).discoveredAt",
                    "discovered at \(CanonicalJSON.timestamp(report.discoveredAt)), after the inject plays "
                        + "(\(CanonicalJSON.timestamp(playsAt)) on the drill clock)")
            }
        }
        return scenario
    }

    /// Ending a drill (issue 6), run here or a neighbour's joint drill ended by the province that runs it: every
    /// open task of its incidents cancelled (reason `drillEnded`), every open incident closed (`IncidentClosed`,
    /// reason `drillEnded`, which also tells a joint drill's neighbour), then `DrillEnded` outside any incident.
    /// The events are in that order, each with the incident it belongs to (`nil` for `DrillEnded`).
    ///
    /// - Parameters:
    ///   - incidents: the drill's incidents as folded (those not given are left alone).
    ///   - reason: why it ends: `endsAtMin`, `ended by <code>`, or the commander's words.
    ///   - now: the time on the drill's clock.
    /// - Throws: ``DomainError`` `conflict` `drill_ended` (409, field `id`) when the drill has already ended.
    public func drillEnd(_ drill: DrillBook.Drill, incidents: [Incident], reason: String, now: Date)
        throws(DomainError) -> [(incident: UUID?, event: IncidentEvent)]
    {
        guard drill.isRunning else {
            throw DomainError(
                .conflict, code: "drill_ended", message: "drill \(drill.id) has already ended", field: "id")
        }
        var events: [(incident: UUID?, event: IncidentEvent)] = []
        for incident in incidents {
            for task in incident.tasks where task.state.isOpen {
                for change in (try? task.cancel(reason: "drillEnded", at: now)) ?? [] {
                    events.append((incident.id, .task(change)))
                }
            }
            if incident.isOpen { events.append((incident.id, .closed(IncidentClosedPayload(reason: "drillEnded")))) }
        }
        events.append((nil, .drillEnded(DrillEndedPayload(drill: drill.id, reason: reason))))
        return events
    }
}
