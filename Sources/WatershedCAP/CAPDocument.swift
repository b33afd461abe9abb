import Foundation
import WatershedCore

/// Watershed incidents as CAP 1.2 messages, for neighbouring authorities that do not run Watershed.
///
/// **One message per incident state.** Walking an incident's events in seq order, a message starts at
/// `IncidentReported` (the initial report, 初报: `msgType` **Alert**), at each `ReportFiled` (a follow-up
/// report, 续报, or the final report, 处理结果报告: **Update**), and at a `LevelSet`, `PlanComputed` or
/// `IncidentClosed` that was not appended together with the report before it (a level change or re-plan of its
/// own: **Update**).
/// A message describes the incident as it stands after every event of its own append. Each Update's `references`
/// lists every earlier message of the incident, oldest first (CAP 1.2 §3.2.1), and `incidents` carries the
/// incident's reference (`GX-2026-0007`).
///
/// **Closing is an Update with `responseType` AllClear, not a Cancel.** CAP's Cancel means "cancel the earlier
/// message(s) identified in references" — they should not have been sent. An incident closed by its final report
/// was real and has ended: the last message says so (urgency Past, certainty Observed, response AllClear) and
/// keeps the history valid.
///
/// **Identity.** `sender` is ``sender(province:)`` (`watershed.450000.gov.cn` for Guangxi): a stable name for this
/// province's Watershed server, with no spaces or commas as CAP requires. `identifier` is
/// `urn:watershed:<province>:<incident reference>:<seq>`, the seq of the event that starts the message, so it is
/// stable for ever (the log is append-only). `sent` is that event's time in China Standard Time,
/// `YYYY-MM-DDThh:mm:ss+08:00` (CAP 1.2 §3.3.2; fractions dropped).
///
/// **Status and scope.** `status` is Exercise for a drill incident, Actual otherwise. `scope` is Restricted to the
/// environmental emergency authorities of the neighbouring provinces (MEP Order No. 17 Art. 8): the messages name
/// the officers and phones of the reporting unit.
///
/// **Urgency, severity, certainty** (CAP 1.2 §3.2.2; levels per the 2014 national plan, DOMAIN.md §2):
///
/// | CAP | from | value |
/// | --- | --- | --- |
/// | severity | level I 特别重大 | Extreme ("extraordinary threat to life or property") |
/// | | level II 重大 | Severe ("significant threat") |
/// | | level III 较大 | Moderate ("possible threat") |
/// | | level IV 一般 | Minor ("minimal to no known threat") |
/// | | not yet graded, an Art. 4 trigger holds (reported on the II/I path) | Severe |
/// | | not yet graded, no trigger, the plan's grading hint | the hint's level as above |
/// | | not yet graded, nothing known | Unknown |
/// | urgency | incident closed | Past |
/// | | the plan's earliest task latest-start at or before `sent` | Immediate |
/// | | … within one hour after `sent` | Expected (CAP: "within the next hour") |
/// | | … later | Future |
/// | | no plan or no task | Unknown |
/// | certainty | closed, or a monitoring result above the standard (C/S > 1) | Observed |
/// | | otherwise (reported, predicted by the plan) | Likely |
/// | responseType | closed | AllClear |
/// | | the plan reaches a drinking-water intake | Avoid, Monitor |
/// | | otherwise | Monitor |
///
/// **Parameters** (`valueName` → value): `incidentReference`, `severityLevel` (I–IV or `ungraded`), `pollutant`
/// (Watershed id), `pollutantName`, `CAS` (when the pollutant has one), `standardMgL` and `standard`, `massKg`
/// (when known), `concentrationMgL` with `concentrationSampledAt` and `concentrationNode` (the latest monitoring
/// result of the pollutant, if any), `ratioToStandard`, `river`, `riverName` and `chainageKm` (river spills),
/// `park` and `scenario` (park spills), `sea`, `longitude`, `latitude` (sea spills).
///
/// **Area.** One `area` for the spill point: a circle of ``spillRadiusKm`` around it (the river line at the
/// chainage, the park, the sea point) with the county's GB/T 2260 code as `geocode` (`valueName` `GB/T 2260`).
/// When the plan predicts arrivals downstream, a second `area` for the plume's path: per river, the playbook's
/// reach lines from the spill (or the confluence) to the last node reached, buffered by ``corridorKm`` on each
/// side into a closed polygon (`lat,lon` pairs, first = last); at sea, circles around the marine receptors
/// reached (their playbook radius); geocodes of every unit owning a node reached.
public enum CAPDocument {
    /// Radius of the circle around the spill point, km.
    public static let spillRadiusKm = 1.0
    /// Half-width of the river corridor polygon, km.
    public static let corridorKm = 1.0
    /// How many arrivals and tasks the description and instruction list.
    static let listed = 5

    /// This province's CAP `sender`: `watershed.<province code>.gov.cn`, e.g. `watershed.450000.gov.cn`.
    public static func sender(province: UnitCode) -> String { "watershed.\(province).gov.cn" }

    /// The identifier of the message an event starts: `urn:watershed:<province>:<reference>:<seq>`.
    public static func identifier(province: UnitCode, reference: String, seq: Int64) -> String {
        "urn:watershed:\(province):\(reference):\(seq)"
    }

    /// Every CAP message of one incident, oldest first: see the type's description.
    ///
    /// - Parameters:
    ///   - events: the incident's events in seq order (all of them, or at least the first through the last
    ///     message's append); other incidents' events are ignored.
    ///   - basin: the playbooks, for names and geometry.
    ///   - province: this server's province (GB/T 2260), which sends the messages.
    /// - Returns: the messages; empty when the events do not open an incident.
    public static func alerts(for events: [StoredEvent], basin: Basin, province: UnitCode) -> [CAPAlert] {
        guard let first = events.first(where: { $0.type == .incidentReported }), let id = first.incident,
            let opening = try? RecordedEvent(first), var incident = Incident(opening: opening),
            let report = incident.initialReport
        else { return [] }
        var alerts: [CAPAlert] = []
        // The message being gathered starts at its first event: the report opens the first.
        var start: StoredEvent = first
        // For a neighbour's incident mirrored here: the event that starts the origin's current message (its server
        // makes its messages from the same events by the same rule), and its closing message once it closed.
        var originStart: StoredEvent?
        var originClose: CAPReference?
        func flush() {
            alerts.append(
                alert(
                    state: IncidentState(incident: incident, report: report), start: start,
                    earlier: alerts.map(\.reference), basin: basin, province: province, originClose: originClose))
        }
        for event in events where event.incident == id && event.seq > first.seq {
            let starts: Bool
            switch event.type {
            case .reportFiled: starts = true
            case .levelSet, .planComputed, .incidentClosed:
                starts = start.at != event.at || start.actor != event.actor
            case .peerEventReceived:
                guard case .peerEventReceived(let received)? = (try? RecordedEvent(event))?.event,
                    let origin = incident.origin
                else {
                    starts = false
                    break
                }
                let theirs = received.event
                switch theirs.type {
                case .incidentReported, .reportFiled: originStart = theirs
                case .levelSet, .planComputed, .incidentClosed:
                    if originStart.map({ $0.at != theirs.at || $0.actor != theirs.actor }) ?? true {
                        originStart = theirs
                    }
                default: break
                }
                // The origin closed: our next message (an Update) references its closing message.
                starts = theirs.type == .incidentClosed
                if starts, let opened = originStart {
                    originClose = CAPReference(
                        sender: sender(province: origin.province),
                        identifier: identifier(province: origin.province, reference: origin.reference, seq: opened.seq),
                        sent: CAPTime(date: opened.at))
                }
            default: starts = false
            }
            if starts {
                flush()
                start = event
            }
            if let recorded = try? RecordedEvent(event) { incident.apply(recorded) }
        }
        flush()
        return alerts
    }

    /// The incident as the messages describe it: a read-out of the incident model (Core's ``Incident``), which is the
    /// one fold of its events.
    struct IncidentState {
        let incident: Incident
        /// The initial report (an incident a report opened; CAP threads are exported as received).
        let report: InitialReport

        var reference: String { incident.reference }
        var exercise: Bool { incident.exercise }
        var level: SeverityLevel? { incident.level }
        var plan: PlanDocument? { incident.plan }
        var followUps: [FollowUpReport] { incident.reports.map(\.report) }
        var closed: Bool { !incident.isOpen }

        /// Every monitoring result so far, initial report first.
        var monitoring: [MonitoringResult] { report.monitoring + followUps.flatMap(\.monitoring) }

        /// The signature of the latest report.
        var signature: ReportSignature { followUps.last?.signature ?? report.signature }
    }

    // MARK: Mapping

    /// CAP severity from the level (see the table on the type).
    public static func severity(
        level: SeverityLevel?, triggers: [Art4Trigger] = [], hint: SeverityLevel? = nil
    ) -> CAPInfo.Severity {
        if let level { return severity(of: level) }
        if !triggers.isEmpty { return .severe }
        if let hint { return severity(of: hint) }
        return .unknown
    }

    private static func severity(of level: SeverityLevel) -> CAPInfo.Severity {
        switch level {
        case .I: .extreme
        case .II: .severe
        case .III: .moderate
        case .IV: .minor
        }
    }

    /// CAP urgency from the plan's tasks (see the table on the type).
    public static func urgency(closed: Bool, plan: PlanDocument?, sent: Date) -> CAPInfo.Urgency {
        if closed { return .past }
        guard let earliest = plan?.tasks.map(\.latestStart).min() else { return .unknown }
        if earliest <= sent { return .immediate }
        if earliest <= sent.addingTimeInterval(3_600) { return .expected }
        return .future
    }

    /// CAP certainty from the monitoring results (see the table on the type).
    public static func certainty(closed: Bool, monitoring: [MonitoringResult], limits: [String: Double])
        -> CAPInfo.Certainty
    {
        if closed { return .observed }
        let exceeded = monitoring.contains { result in
            guard let limit = limits[result.pollutant], limit > 0 else { return false }
            return result.concentrationMgL > limit
        }
        return exceeded ? .observed : .likely
    }

    static func alert(
        state: IncidentState, start: StoredEvent, earlier: [CAPReference], basin: Basin, province: UnitCode,
        originClose: CAPReference? = nil
    ) -> CAPAlert {
        let sent = CAPTime(date: start.at)
        let report = state.report
        let pollutant = state.plan?.pollutant ?? basin.pollutants[report.pollutant]
        let pollutantName = pollutant.map { $0.name + ($0.nameZh.map { " (\($0))" } ?? "") } ?? report.pollutant
        let place = placeDescription(report.place, basin: basin)
        let levelText = state.level.map { "Level \($0)" } ?? "Ungraded"
        var headline = "\(levelText) \(pollutantName) incident, \(place) (\(state.reference))"
        if state.closed { headline = "Closed: " + headline }
        if state.exercise { headline = "EXERCISE: " + headline }

        var responses: [CAPInfo.ResponseType] = [.monitor]
        if state.closed {
            responses = [.allClear]
        } else if state.plan?.arrivals.contains(where: { $0.kind == .intake }) == true {
            responses = [.avoid, .monitor]
        }
        let limits = Dictionary(basin.pollutants.map { ($0.key, $0.value.limitMgL) }, uniquingKeysWith: { a, _ in a })

        let info = CAPInfo(
            language: "en", categories: [.env], event: "Sudden environmental incident: \(pollutantName)",
            responseTypes: responses, urgency: urgency(closed: state.closed, plan: state.plan, sent: start.at),
            severity: severity(
                level: state.level, triggers: state.plan?.triggers ?? [], hint: state.plan?.gradingHint.level),
            certainty: certainty(closed: state.closed, monitoring: state.monitoring, limits: limits),
            eventCodes: [CAPValue("Watershed", "sudden-environmental-incident")],
            onset: CAPTime(date: report.discoveredAt),
            senderName: "\(basin.displayName(province)) ecology and environment department (Watershed)",
            headline: String(headline.prefix(160)),
            description: description(state: state, place: place, pollutantName: pollutantName),
            instruction: instruction(state: state),
            contact: "\(state.signature.contactName), \(state.signature.contactPhone) "
                + "(\(basin.displayName(state.signature.reportingUnit)))",
            parameters: parameters(state: state, pollutant: pollutant, basin: basin),
            areas: areas(state: state, basin: basin))
        var notes: [String] = []
        if state.exercise {
            notes.append(
                "Exercise (drill) incident \(state.reference): not a real event; no real action is to be taken.")
        }
        // A level set below what the plan grades stands, and says so (issue 17).
        if let review = LevelReview(level: state.level, hint: state.plan?.gradingHint) { notes.append(review.text) }
        // A neighbour's incident mirrored here, closed there: said, and its closing message referenced (issue 16).
        var references = earlier
        var incidents = state.reference
        if let origin = state.incident.origin {
            incidents += " " + origin.reference
            if let originClose {
                references.append(originClose)
                notes.append(
                    "\(basin.displayName(origin.province)) closed \(origin.reference) (referenced); "
                        + (state.closed
                            ? "\(state.reference) is closed here too."
                            : "\(state.reference) stays open here while places of \(basin.displayName(province)) are at risk.")
                )
            }
        }
        let note = notes.isEmpty ? nil : notes.joined(separator: " ")
        return CAPAlert(
            identifier: identifier(province: province, reference: state.reference, seq: start.seq),
            sender: sender(province: province), sent: sent, status: state.exercise ? .exercise : .actual,
            msgType: earlier.isEmpty ? .alert : .update, scope: .restricted,
            restriction: "Environmental emergency authorities of neighbouring provinces "
                + "(MEP Order No. 17 Art. 8); not for public release.",
            note: note, references: references, incidents: incidents, info: [info])
    }

    static func placeDescription(_ place: SpillLocation, basin: Basin) -> String {
        switch place {
        case .river(let id, let km):
            let name = basin.rivers[id].map { $0.name + ($0.nameZh.map { " (\($0))" } ?? "") } ?? id
            return "\(name) km \(CAPNumber.format(km))"
        case .park(let id, let scenario):
            let park = basin.parks[id]
            let scenarioName = park?.scenarios.first { $0.id == scenario }?.name ?? scenario
            return "\(park?.name ?? id), \(scenarioName)"
        case .sea(let id, let lng, let lat):
            return "\(basin.seas[id]?.name ?? id) at \(CAPNumber.format(lat))N \(CAPNumber.format(lng))E"
        }
    }

    static func description(state: IncidentState, place: String, pollutantName: String) -> String {
        let report = state.report
        var lines: [String] = []
        lines.append(
            "Discovered \(CAPTime(date: report.discoveredAt).text) at \(place). Cause: \(report.cause). "
                + "Source of the information: \(report.informationSource).")
        switch report.release {
        case .instantaneous(let mass):
            lines.append(
                "Release: \(mass.map { "\(CAPNumber.format($0)) kg" } ?? "quantity unknown") of \(pollutantName) "
                    + "at once.")
        case .continuous(let rate, let duration):
            lines.append(
                "Release: \(CAPNumber.format(rate)) kg/h of \(pollutantName) for \(CAPNumber.format(duration)) h.")
        }
        if let latest = state.followUps.last {
            lines.append(
                (latest.kind == .final ? "Final report: " : "Latest follow-up report: ") + latest.summary)
        }
        if let plan = state.plan {
            let sensitive = plan.arrivals.filter {
                [.intake, .boundary, .marineReceptor, .maritimeBoundary].contains($0.kind)
            }
            if !sensitive.isEmpty {
                let items = sensitive.prefix(listed).map { arrival in
                    var item =
                        "\(arrival.name) (\(arrival.kind.rawValue)) from \(CAPTime(date: arrival.earliestArrival).text)"
                    if let peak = arrival.withoutMeasures {
                        item += String(
                            format: ", peak %.4g mg/L, %.3g times the standard", peak.peakMgL, peak.ratioToStandard)
                    }
                    return item
                }
                lines.append("Predicted arrivals without measures: " + items.joined(separator: "; ") + ".")
            }
            if !plan.peerNotifications.isEmpty {
                lines.append(
                    "Neighbours notified: "
                        + plan.peerNotifications.map {
                            "\($0.name) at \($0.boundaryName), crossing from \(CAPTime(date: $0.crossingAt).text)"
                        }.joined(separator: "; ") + ".")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func instruction(state: IncidentState) -> String? {
        if state.closed { return "The incident is closed; no further action is required." }
        guard let plan = state.plan else { return nil }
        let intakes = plan.tasks.filter { $0.kind == .intake }
        guard !intakes.isEmpty else {
            return "Monitor the waters downstream of the spill and watch for further messages."
        }
        // One line per intake: task titles are sentences with their own semicolons.
        return
            (["Drinking-water intakes downstream:"]
            + intakes.prefix(listed).map { "- \($0.title) Start by \(CAPTime(date: $0.latestStart).text)." })
            .joined(separator: "\n")
    }

    static func parameters(state: IncidentState, pollutant: Pollutant?, basin: Basin) -> [CAPValue] {
        let report = state.report
        var values = [
            CAPValue("incidentReference", state.reference),
            CAPValue("severityLevel", state.level?.description ?? "ungraded"),
            CAPValue("pollutant", report.pollutant),
        ]
        if let pollutant {
            values.append(CAPValue("pollutantName", pollutant.name + (pollutant.nameZh.map { " (\($0))" } ?? "")))
            if let cas = pollutant.cas { values.append(CAPValue("CAS", cas)) }
            values.append(CAPValue("standardMgL", CAPNumber.format(pollutant.limitMgL)))
            values.append(
                CAPValue(
                    "standard",
                    "\(pollutant.standard) \(pollutant.table)" + (pollutant.waterClass.map { " class \($0)" } ?? "")))
        }
        if let mass = report.release.totalMassKg { values.append(CAPValue("massKg", CAPNumber.format(mass))) }
        let samples = state.monitoring.filter { $0.pollutant == report.pollutant }
        if let latest = samples.max(by: { $0.sampledAt < $1.sampledAt }) {
            values.append(CAPValue("concentrationMgL", CAPNumber.format(latest.concentrationMgL)))
            values.append(CAPValue("concentrationSampledAt", CAPTime(date: latest.sampledAt).text))
            if let node = latest.node { values.append(CAPValue("concentrationNode", node)) }
            if let pollutant, pollutant.limitMgL > 0 {
                let ratio = latest.concentrationMgL / pollutant.limitMgL
                values.append(CAPValue("ratioToStandard", String(format: "%.3g", ratio)))
            }
        }
        switch report.place {
        case .river(let id, let km):
            values.append(CAPValue("river", id))
            if let river = basin.rivers[id] {
                values.append(CAPValue("riverName", river.name + (river.nameZh.map { " (\($0))" } ?? "")))
            }
            values.append(CAPValue("chainageKm", CAPNumber.format(km)))
        case .park(let id, let scenario):
            values.append(CAPValue("park", id))
            values.append(CAPValue("scenario", scenario))
        case .sea(let id, let lng, let lat):
            values.append(CAPValue("sea", id))
            values.append(CAPValue("longitude", CAPNumber.format(lng)))
            values.append(CAPValue("latitude", CAPNumber.format(lat)))
        }
        return values
    }

    static func areas(state: IncidentState, basin: Basin) -> [CAPArea] {
        let report = state.report
        let spillUnit = state.plan?.spillUnit ?? report.signature.reportingUnit
        var areas: [CAPArea] = []
        if let point = CAPGeometry.spillPoint(report.place, basin: basin) {
            areas.append(
                CAPArea(
                    areaDesc: "Spill point: \(placeDescription(report.place, basin: basin)), "
                        + basin.displayName(spillUnit),
                    circles: [CAPCircle(center: point, radiusKm: spillRadiusKm)],
                    geocodes: [CAPValue("GB/T 2260", spillUnit)]))
        }
        guard let plan = state.plan, !plan.arrivals.isEmpty else { return areas }
        var polygons: [[CAPPoint]] = []
        var stretches: [String] = []
        for stretch in CAPGeometry.riverStretches(plan: plan, basin: basin) {
            let line = CAPGeometry.line(of: stretch.river, fromKm: stretch.fromKm, toKm: stretch.toKm)
            if let ring = CAPGeometry.buffer(line, halfWidthKm: corridorKm) { polygons.append(ring) }
            stretches.append(
                "\(stretch.river.name) km \(CAPNumber.format(stretch.fromKm))–\(CAPNumber.format(stretch.toKm))")
        }
        var circles: [CAPCircle] = []
        for arrival in plan.arrivals where arrival.kind == .marineReceptor {
            if let receptor = basin.seas.values.lazy.flatMap(\.receptors).first(where: { $0.id == arrival.node }) {
                circles.append(
                    CAPCircle(center: CAPPoint(lat: receptor.lat, lon: receptor.lng), radiusKm: receptor.radiusKm))
                stretches.append(receptor.name)
            }
        }
        guard !polygons.isEmpty || !circles.isEmpty else { return areas }
        var owners: [UnitCode] = []
        for arrival in plan.arrivals where !owners.contains(arrival.owner) { owners.append(arrival.owner) }
        areas.append(
            CAPArea(
                areaDesc: "Predicted path of the plume: " + stretches.joined(separator: ", ") + " ("
                    + owners.map(basin.displayName).joined(separator: ", ") + ")",
                polygons: polygons, circles: circles, geocodes: owners.map { CAPValue("GB/T 2260", $0) }))
        return areas
    }
}
