import Foundation

/// A change of an incident's severity level during handling: a `LevelSet` event.
///
/// MEP Order No. 17 and DOMAIN.md §2: "A level change during handling re-runs the rule at the new level; count
/// the new deadline from the time of the change."
public struct LevelChange: Codable, Sendable, Hashable {
    /// The level the sender believes is current (`nil`: not yet graded, or not stated). When sent and not the
    /// current level, the report is refused (someone else changed it first).
    public var from: SeverityLevel?
    /// The new level.
    public var to: SeverityLevel
    /// When the level was changed (the new report deadlines count from here).
    public var at: Date

    /// Creates a change.
    public init(from: SeverityLevel? = nil, to: SeverityLevel, at: Date) {
        self.from = from
        self.to = to
        self.at = at
    }
}

/// What the server knows of an incident when it checks a follow-up or final report against it.
public struct FollowUpContext: Sendable, Hashable {
    /// When the incident was discovered: nothing reported can be earlier.
    public var discoveredAt: Date
    /// The current level, `nil` while not yet graded.
    public var level: SeverityLevel?
    /// The nodes on the plume's path in the current plan (``Arrival/node``): observations of the slug must be at
    /// one of them.
    public var pathNodes: Set<String>
    /// The time the report is received: nothing reported can be later than this plus ``FollowUpReport/clockSkew``.
    public var now: Date

    /// Creates a context.
    public init(discoveredAt: Date, level: SeverityLevel?, pathNodes: Set<String>, now: Date) {
        self.discoveredAt = discoveredAt
        self.level = level
        self.pathNodes = pathNodes
        self.now = now
    }
}

/// An emergency release planned from a held dam (or sluice, gate, reservoir) on the plume's river, recorded by a
/// follow-up report so that the downstream neighbour is warned before it (MEE–MWR 2020 guidance, 环应急〔2020〕5号,
/// task 3: upstream warns downstream in advance of emergency water releases; DOMAIN.md §3).
///
/// JSON: `{"site": "he-river-hemianshi-dam", "at": "2013-07-07T08:00:00+08:00"}`.
public struct DamRelease: Codable, Sendable, Hashable {
    /// The emergency site's id (a `dam`, `sluice`, `gate` or `reservoir` of a river playbook).
    public var site: String
    /// When the release starts (RFC 3339); usually ahead of the report — the warning must come before it.
    public var at: Date

    public init(site: String, at: Date) {
        self.site = site
        self.at = at
    }

    /// The site kinds that hold water back and can release it.
    public static let releasingKinds: Set<SiteKind> = [.dam, .sluice, .gate, .reservoir]
}

/// A follow-up report (续报, filed whenever facts or developments are established) or a final report
/// (处理结果报告, after handling ends) on an open incident — MEP Order No. 17, Art. 12–13, with the Art. 14
/// signature.
///
/// JSON: `{"kind": "followUp" | "final", "summary": "…", "monitoring": [MonitoringResult…],
/// "levelChange": {"from": "IV", "to": "II", "at": "…"}, "measuresTaken": ["…"],
/// "casualties": {"deaths", "poisonedOrInjured", "evacuated"}, "impacts": {ReportedImpacts},
/// "damRelease": {"site", "at"}, "signature": {…}}`; `monitoring` and `measuresTaken` may be left out (empty),
/// `levelChange`, `casualties`, `impacts` and `damRelease` too.
public struct FollowUpReport: Codable, Sendable, Hashable {
    /// `followUp` or `final`; an `initial` report opens an incident instead (`POST /v1/incidents`).
    public var kind: ReportKind
    /// The facts or developments established (follow-up), or the course and result of the handling (final).
    public var summary: String
    /// Monitoring results. One with a ``MonitoringResult/node`` and a ``MonitoringResult/feature`` is an
    /// ``Observation`` of the slug, from which arrivals are re-estimated (DOMAIN.md §3).
    public var monitoring: [MonitoringResult]
    /// A level change (follow-up reports only).
    public var levelChange: LevelChange?
    /// Measures taken since the last report.
    public var measuresTaken: [String]
    /// People affected so far (totals, replacing those reported before), when known.
    public var casualties: Casualties?
    /// The impacts established so far (``ReportedImpacts``, graded per the 2014 national plan): each field given
    /// replaces the one reported before, a field left out keeps it. The loss, an intake cut off or a cross-boundary
    /// impact is often known only after the initial report (issue 17).
    public var impacts: ReportedImpacts?
    /// The signature (Art. 14).
    public var signature: ReportSignature
    /// The operator's choice to apply the re-estimate factor f below the observed section too (DOMAIN.md §3);
    /// absent or `false`: reaches below keep their own speeds and shift by t_obs − t_pred. Kept for the rest of
    /// the incident's re-estimates once set.
    public var applyFactorBelow: Bool?
    /// How observations correct arrivals below the observed node (``BelowObserved``: `calibrate`, `shift`, `scale`);
    /// absent: as before (the default `calibrate`). Kept for the rest of the incident's re-estimates once set.
    public var belowObserved: BelowObserved?
    /// A dam (or sluice, gate, reservoir) on the plume's path now held until released: arrivals below it wait for
    /// its release (follow-up reports only; ``HeldDam``). JSON: `{"site": "he-river-hemianshi-dam"}`.
    public var damHold: HeldDam?
    /// An emergency release from a held dam, to be warned of downstream (follow-up reports only; ``DamRelease``).
    public var damRelease: DamRelease?

    /// How far after the time of receipt a reported time may be (clocks of field devices drift).
    public static let clockSkew: TimeInterval = 300

    /// Creates a report.
    public init(
        kind: ReportKind, summary: String, monitoring: [MonitoringResult] = [], levelChange: LevelChange? = nil,
        measuresTaken: [String] = [], casualties: Casualties? = nil, impacts: ReportedImpacts? = nil,
        signature: ReportSignature
    ) {
        self.impacts = impacts
        self.kind = kind
        self.summary = summary
        self.monitoring = monitoring
        self.levelChange = levelChange
        self.measuresTaken = measuresTaken
        self.casualties = casualties
        self.signature = signature
    }

    private enum CodingKeys: String, CodingKey {
        case kind, summary, monitoring, levelChange, measuresTaken, casualties, signature, applyFactorBelow
        case damRelease, belowObserved, damHold, impacts
    }

    /// Decodes the JSON described on the type; `monitoring` and `measuresTaken` default to empty.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decode(ReportKind.self, forKey: .kind)
        summary = try container.decode(String.self, forKey: .summary)
        monitoring = try container.decodeIfPresent([MonitoringResult].self, forKey: .monitoring) ?? []
        levelChange = try container.decodeIfPresent(LevelChange.self, forKey: .levelChange)
        measuresTaken = try container.decodeIfPresent([String].self, forKey: .measuresTaken) ?? []
        casualties = try container.decodeIfPresent(Casualties.self, forKey: .casualties)
        impacts = try container.decodeIfPresent(ReportedImpacts.self, forKey: .impacts)
        signature = try container.decode(ReportSignature.self, forKey: .signature)
        applyFactorBelow = try container.decodeIfPresent(Bool.self, forKey: .applyFactorBelow)
        damRelease = try container.decodeIfPresent(DamRelease.self, forKey: .damRelease)
        belowObserved = try container.decodeIfPresent(BelowObserved.self, forKey: .belowObserved)
        damHold = try container.decodeIfPresent(HeldDam.self, forKey: .damHold)
    }

    /// The observations of the slug: monitoring results with a node and a feature, in order.
    public var observations: [Observation] {
        monitoring.compactMap { result in
            guard let node = result.node, let feature = result.feature else { return nil }
            return Observation(node: node, feature: feature, at: result.sampledAt)
        }
    }

    /// Every problem with the report against the basin and the incident, all at once; empty when valid.
    ///
    /// Checks: the kind is `followUp` or `final`; the summary and signature texts are present; the reporting unit
    /// is known; a final report carries no level change; each monitoring result has a known pollutant, a finite
    /// concentration of zero or more, a time not before discovery nor after receipt, and a node that is on the
    /// plume's path (when it has a feature) or in the basin; the level change is at a time not before discovery
    /// nor after receipt, to a level other than the current one, from the current one when `from` is given;
    /// casualties are zero or more; a dam release is in a follow-up report, from a dam, sluice, gate or reservoir of a
    /// river playbook, at a time not before discovery (it may be ahead of receipt: it is announced before it
    /// starts). Fields are named as in the JSON (`monitoring[0].node`, `levelChange.at`, `damRelease.site`).
    public func problems(in basin: Basin, context: FollowUpContext) -> [FieldError] {
        var errors: [FieldError] = []
        func add(_ field: String, _ message: String) { errors.append(FieldError(field: field, message: message)) }
        let latest = context.now.addingTimeInterval(Self.clockSkew)
        func checkTime(_ time: Date, _ field: String) {
            if time < context.discoveredAt {
                add(
                    field,
                    "is before the incident was discovered (\(CanonicalJSON.timestamp(context.discoveredAt)))")
            } else if time > latest {
                add(field, "is in the future (received at \(CanonicalJSON.timestamp(context.now)))")
            }
        }
        if kind == .initial {
            add("kind", "an initial report opens an incident (POST /v1/incidents); here followUp or final")
        }
        for (value, field) in [
            (summary, "summary"), (signature.signingOfficer, "signature.signingOfficer"),
            (signature.contactName, "signature.contactName"), (signature.contactPhone, "signature.contactPhone"),
        ] where value.allSatisfy(\.isWhitespace) {
            add(field, "must not be empty")
        }
        if basin.unit(signature.reportingUnit) == nil {
            add("signature.reportingUnit", "unknown unit \"\(signature.reportingUnit)\"")
        }
        // Every node id of the basin, gathered only for a node that is not on the plume's path (rarely needed: most
        // results are at path nodes, and gathering them all for each report cost more than the rest of the checks).
        var allNodes: Set<String>?
        func known(_ node: String) -> Bool {
            if allNodes == nil { allNodes = Self.nodeIDs(in: basin) }
            return allNodes!.contains(node)
        }
        for (index, result) in monitoring.enumerated() {
            let prefix = "monitoring[\(index)]"
            if let node = result.node {
                if result.feature != nil, !context.pathNodes.contains(node) {
                    add(
                        "\(prefix).node",
                        known(node)
                            ? "\"\(node)\" is not on the plume's path, so it cannot see the slug"
                            : "unknown node \"\(node)\"")
                } else if result.feature == nil, !context.pathNodes.contains(node), !known(node) {
                    add("\(prefix).node", "unknown node \"\(node)\"")
                }
            } else if result.feature != nil {
                add("\(prefix).node", "a leading edge or peak must be seen at a node")
            }
            if basin.pollutants[result.pollutant] == nil {
                add("\(prefix).pollutant", "unknown pollutant \"\(result.pollutant)\"")
            }
            if !result.concentrationMgL.isFinite || result.concentrationMgL < 0 {
                add("\(prefix).concentrationMgL", "must be a concentration of zero or more mg/L")
            }
            checkTime(result.sampledAt, "\(prefix).sampledAt")
        }
        if let change = levelChange {
            if kind == .final {
                add("levelChange", "a final report closes the incident; change the level in a follow-up report")
            }
            if let from = change.from, from != context.level {
                add(
                    "levelChange.from",
                    "the incident is \(context.level.map { "level \($0)" } ?? "not yet graded"), not level \(from)")
            }
            if change.to == context.level {
                add("levelChange.to", "the incident is already level \(change.to)")
            }
            checkTime(change.at, "levelChange.at")
        }
        if let release = damRelease {
            if kind == .final {
                add("damRelease", "a final report closes the incident; announce a release in a follow-up report")
            }
            if let site = basin.emergencySite(release.site) {
                if !DamRelease.releasingKinds.contains(site.site.kind) {
                    add(
                        "damRelease.site",
                        "\"\(release.site)\" is a \(site.site.kind.rawValue); a release comes from a dam, sluice, gate or reservoir"
                    )
                }
            } else {
                add("damRelease.site", "unknown emergency site \"\(release.site)\" on any river")
            }
            if release.at < context.discoveredAt {
                add(
                    "damRelease.at",
                    "is before the incident was discovered (\(CanonicalJSON.timestamp(context.discoveredAt)))")
            }
        }
        if let hold = damHold {
            if kind == .final { add("damHold", "a final report closes the incident; hold a dam in a follow-up report") }
            if let site = basin.emergencySite(hold.site) {
                if !DamRelease.releasingKinds.contains(site.site.kind) {
                    add(
                        "damHold.site",
                        "\"\(hold.site)\" is a \(site.site.kind.rawValue); a dam, sluice, gate or reservoir holds water"
                    )
                } else if !context.pathNodes.contains(hold.site) {
                    add("damHold.site", "\"\(hold.site)\" is not on the plume's path")
                }
            } else {
                add("damHold.site", "unknown emergency site \"\(hold.site)\" on any river")
            }
            if let at = hold.releasedAt { checkTime(at, "damHold.releasedAt") }
        }
        if let casualties {
            for (name, value) in [
                ("casualties.deaths", casualties.deaths),
                ("casualties.poisonedOrInjured", casualties.poisonedOrInjured),
                ("casualties.evacuated", casualties.evacuated),
            ] where value < 0 {
                add(name, "must be zero or more, got \(value)")
            }
        }
        errors += impacts?.problems(in: basin) ?? []
        return errors
    }

    /// The planner's input for the re-estimate after this report, from the current plan's input: the
    /// observations so far plus this report's, planned at the latest of its sample times, with the level,
    /// casualties and impacts it reports (so the grading hint and the Art. 4 triggers follow them); a dam it holds
    /// held until released, and a held dam it releases released at the release's time; planned at `now` (receipt)
    /// when it has no observation. `nil` when the report has no observation, changes no hold and reports no
    /// casualties or impacts that grade differently (nothing to re-estimate).
    public func replanInput(from previous: SpillInput, level: SeverityLevel?, now: Date) -> SpillInput? {
        let new = observations
        var held = previous.heldDams ?? []
        if let hold = damHold, !held.contains(where: { $0.site == hold.site }) {
            held.append(HeldDam(site: hold.site, releasedAt: hold.releasedAt))
        }
        if let release = damRelease, let index = held.firstIndex(where: { $0.site == release.site }) {
            held[index].releasedAt = release.at
        }
        let holdsChanged = held != (previous.heldDams ?? [])
        var input = previous
        input.observations += new
        input.heldDams = held.isEmpty ? previous.heldDams : held
        input.plannedAt = max(previous.plannedAt ?? previous.at, new.map(\.at).max() ?? now)
        input.level = level
        if let applyFactorBelow { input.applyFactorBelow = applyFactorBelow }
        if let belowObserved { input.belowObserved = belowObserved }
        if let casualties {
            input.gradingFacts.deaths = casualties.deaths
            input.gradingFacts.poisonedOrInjured = casualties.poisonedOrInjured
            input.gradingFacts.evacuated = casualties.evacuated
        }
        if let impacts {
            input.gradingFacts = impacts.gradingFacts.merging(input.gradingFacts)
            input.declaredTriggers.formUnion(impacts.triggers)
        }
        // Facts that grade the same (a count of zero for one not given, the same totals again) re-plan nothing.
        let regraded =
            Grading.grade(input.gradingFacts) != Grading.grade(previous.gradingFacts)
            || input.declaredTriggers != previous.declaredTriggers
        guard !new.isEmpty || holdsChanged || regraded else { return nil }
        return input
    }

    /// The report obligations a level change starts: the initial-report rule re-run at the new level, counted
    /// from the time of the change (MEP Order No. 17 Art. 3; DOMAIN.md §2). Ids get the suffix
    /// `/level-change-<n>` so they stay distinct from the obligations of discovery and of earlier changes.
    ///
    /// - Parameters:
    ///   - change: the change.
    ///   - number: how many level changes the incident has had, this one included (1 for the first).
    ///   - triggers: the Art. 4 triggers of the current plan (used only if the new level were ungraded).
    ///   - spillUnit: the unit where the incident is.
    ///   - units: the basin's units.
    public static func levelChangeObligations(
        _ change: LevelChange, number: Int, triggers: Set<Art4Trigger>, spillUnit: UnitCode,
        units: [UnitCode: AdministrativeUnit]
    ) -> [ReportObligation] {
        ReportingRules.initialObligations(
            level: change.to, triggers: triggers, anchorAt: change.at, anchor: .levelChange, spillUnit: spillUnit,
            units: units
        ).map { obligation in
            var obligation = obligation
            obligation.id += "/level-change-\(number)"
            return obligation
        }
    }

    /// Ids of every node in the basin a sample can be taken at: river sites, receptors and monitoring sections,
    /// park sites and outfalls, sea receptors and maritime boundaries.
    static func nodeIDs(in basin: Basin) -> Set<String> {
        var ids = Set<String>()
        for river in basin.rivers.values {
            ids.formUnion(river.sites.map(\.id))
            ids.formUnion(river.receptors.map(\.id))
            ids.formUnion(river.monitoringSections.map(\.id))
        }
        for park in basin.parks.values {
            ids.formUnion(park.sites.map(\.id))
            ids.formUnion(park.outfalls.map(\.id))
        }
        for sea in basin.seas.values {
            ids.formUnion(sea.receptors.map(\.id))
            ids.formUnion(sea.boundaries.map(\.id))
        }
        return ids
    }
}
