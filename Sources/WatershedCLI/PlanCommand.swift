import ArgumentParser
import Foundation
import WatershedCore
import WatershedWire

/// `watershed plan …`: plans a spill offline from the playbooks.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Plan a spill offline: receptors, arrival times, tasks, obligations, peer notifications.",
        discussion: """
            Give the spill's place with one of --river/--km, --park/--scenario or
            --sea/--lng/--lat. Times print in local time with their UTC offset
            (--time-zone, default Asia/Shanghai). Negative numbers need '=':
            --km=-1 (they are refused anyway; the message says why).

            The 2012 Longjiang cadmium spill, then with two dams held:
              watershed plan --river longjiang --km 0 --pollutant cadmium \\
                --mass-kg 21000 --at 2012-01-15T08:00:00+08:00
              watershed plan --river longjiang --km 0 --pollutant cadmium \\
                --mass-kg 21000 --hold longjiang-lalang-dam:48 \\
                --hold longjiang-luodong-dam:72
            The leading edge seen at Luodong on 01-19 17:00, Sancha held until
            released on 01-25 08:00 (every arrival carries its band earliest–latest):
              watershed plan --river longjiang --km 0 --pollutant cadmium \\
                --mass-kg 21000 --at 2012-01-15T08:00:00+08:00 --flow-ratio 0.3 \\
                --observe longjiang-luodong-section:leadingEdge:2012-01-19T17:00:00+08:00 \\
                --held longjiang-sancha-dam@2012-01-25T08:00:00+08:00
            A park scenario (it sets its own pollutant and quantity):
              watershed plan --park qinzhou-petrochemical \\
                --scenario tank-fire --wind-ms 8 --wind-from-deg 180
            An oil slick off Tieshangang with a south-west wind:
              watershed plan --sea beibu-gulf-guangxi --lng 109.45 \\
                --lat 21.45 --pollutant crude-oil --mass-kg 50000 \\
                --wind-ms 10 --wind-from-deg 225
            """
    )

    @OptionGroup var basinOptions: BasinOptions

    @Option(help: "River playbook id of the spill (with --km).") var river: String?
    @Option(parsing: .unconditional, help: "Chainage of the spill on --river, km from the playbook's km 0.")
    var km: Double?
    @Option(help: "Park playbook id (with --scenario).") var park: String?
    @Option(help: "Scenario id in the park playbook.") var scenario: String?
    @Option(help: "Sea playbook id (with --lng and --lat).") var sea: String?
    @Option(parsing: .unconditional, help: "Longitude of a sea spill, degrees east.") var lng: Double?
    @Option(parsing: .unconditional, help: "Latitude of a sea spill, degrees north.") var lat: Double?

    @Option(help: "Pollutant id from playbooks/pollutants.yaml (e.g. cadmium). A park scenario names its own.")
    var pollutant: String?
    @Option(
        name: .customLong("mass-kg"), parsing: .unconditional, help: "Mass released at once, kg. Omit when unknown.")
    var massKg: Double?
    @Option(name: .customLong("rate-kg-h"), help: "Continuous release rate, kg/h (with --duration-h).")
    var rateKgH: Double?
    @Option(name: .customLong("duration-h"), help: "Continuous release duration, h.") var durationH: Double?
    @Option(help: "Time of the spill or its discovery, ISO 8601 with offset (default: now).") var at: String?
    @Option(name: .customLong("flow-ratio"), help: "Flow condition Q/Qa on every reach: low 0.3, mean 1, flood 3.")
    var flowRatio: Double = 1
    @Option(help: "A held dam and for how long, DAM_ID:HOURS (repeatable).") var hold: [String] = []
    @Option(help: "Velocity override for a reach, REACH_ID:M_PER_S (repeatable).") var velocity: [String] = []
    @Option(help: "Current discharge of a reach, REACH_ID:M3_PER_S (repeatable).") var discharge: [String] = []
    @Option(help: "An observation, NODE_ID:leadingEdge|peak|trailingEdge:ISO8601 (repeatable); re-estimates arrivals.")
    var observe: [String] = []
    @Flag(name: .customLong("apply-below"), help: "Apply the re-estimate factor below the observed section too.")
    var applyBelow = false
    @Option(
        name: .customLong("below-observed"),
        help: ArgumentHelp(
            "How an observation corrects arrivals below it: calibrate (default), shift or scale.",
            discussion: "calibrate: the observed speed factor f weighted by distance and kind of water; shift: the "
                + "first rule, reaches below keep their speeds; scale: f in full (the same as --apply-below)."))
    var belowObserved: String?
    @Option(
        help: "A dam held until released, DAM_ID (still held) or DAM_ID@ISO8601 (released then); repeatable.")
    var held: [String] = []

    @Option(help: "Severity level set so far: I, II, III or IV (omit while not yet graded).") var level: String?
    @Option(
        help: ArgumentHelp(
            "An MEP Order No. 17 Art. 4 trigger the bureau declares (repeatable).",
            discussion: "One of: \(Art4Trigger.allCases.map(\.rawValue).joined(separator: ", "))."))
    var trigger: [String] = []
    @Option(help: "Deaths so far (grading hint).") var deaths: Int?
    @Option(help: "People poisoned or seriously injured (grading hint).") var poisoned: Int?
    @Option(help: "People evacuated (grading hint).") var evacuated: Int?

    @Option(name: .customLong("wind-ms"), help: "Wind speed for a sea spill, m/s.") var windMs: Double?
    @Option(name: .customLong("wind-from-deg"), help: "Direction the wind blows from, degrees (225 = south-west).")
    var windFromDeg: Double?
    @Option(name: .customLong("current-ms"), help: "Surface current speed, m/s (default 0).") var currentMs: Double?
    @Option(name: .customLong("current-to-deg"), help: "Direction the current flows towards, degrees.")
    var currentToDeg: Double?

    @Option(help: "The province this plan is for (GB/T 2260); its neighbours are the peers.")
    var province: String = "450000"
    @Option(name: .customLong("time-zone"), help: "Time zone for printed times.") var timeZone = "Asia/Shanghai"
    @Flag(help: "Print the plan document as JSON.") var json = false

    func validate() throws {
        let places = [river != nil, park != nil, sea != nil].filter { $0 }.count
        guard places == 1 else {
            throw ValidationError(
                "Give exactly one place: --river with --km, --park with --scenario, or --sea with --lng and --lat.")
        }
        if river != nil && km == nil { throw ValidationError("--km: a river spill needs its chainage (km).") }
        if park != nil && scenario == nil { throw ValidationError("--scenario: a park spill needs a scenario id.") }
        if sea != nil && (lng == nil || lat == nil) { throw ValidationError("--lng/--lat: a sea spill needs a point.") }
        if park == nil && pollutant == nil { throw ValidationError("--pollutant: name the pollutant (e.g. cadmium).") }
        if park != nil && (pollutant != nil || massKg != nil || rateKgH != nil || durationH != nil) {
            throw ValidationError(
                "--pollutant/--mass-kg/--rate-kg-h: a park scenario sets its own pollutant and quantity; leave them out."
            )
        }
        for (flag, value) in [("--deaths", deaths), ("--poisoned", poisoned), ("--evacuated", evacuated)] {
            if let value, value < 0 { throw ValidationError("\(flag): must be zero or more, got \(value).") }
        }
        if massKg != nil && rateKgH != nil {
            throw ValidationError("--mass-kg and --rate-kg-h: give one, an instantaneous or a continuous release.")
        }
        if (rateKgH == nil) != (durationH == nil) {
            throw ValidationError("--rate-kg-h and --duration-h: a continuous release needs both.")
        }
        if let level, SeverityLevel(text: level) == nil {
            throw ValidationError("--level: \"\(level)\" is not a level; use I, II, III or IV.")
        }
        if TimeZone(identifier: timeZone) == nil {
            throw ValidationError("--time-zone: unknown time zone \"\(timeZone)\".")
        }
        if sea != nil && windMs == nil && currentMs == nil {
            throw ValidationError("--wind-ms/--current-ms: a sea spill needs wind or current (with directions).")
        }
        if windMs != nil && windFromDeg == nil { throw ValidationError("--wind-from-deg: give the wind's direction.") }
        if currentMs != nil && currentToDeg == nil {
            throw ValidationError("--current-to-deg: give the current's direction.")
        }
    }

    func run() async throws {
        let basin = try basinOptions.loadBasin()
        let input = try spillInput(basin: basin)
        let plan: PlanDocument
        do {
            plan = try Planner(basin: basin).plan(input)
        } catch {
            throw CommandExit.usage(PlanCommand.message(for: error, basin: basin))
        }
        let out = CommandOutput.current
        if json {
            out.write(try PlanCommand.encodeJSON(plan))
        } else {
            let zone = TimeZone(identifier: timeZone) ?? .current
            out.write(PlanReport(plan: plan, basin: basin, time: LocalTime(timeZone: zone)).render())
        }
    }

    /// The plan document as pretty, key-sorted JSON with RFC 3339 times.
    static func encodeJSON(_ plan: PlanDocument) throws -> String {
        String(decoding: try WireJSON.makeEncoder(pretty: true).encode(plan), as: UTF8.self)
    }

    static func message(for error: PlanError, basin: Basin) -> String {
        let flag = "--" + error.field
        switch error {
        case .unknownRiver:
            return "\(flag): \(error); known rivers: \(basin.rivers.keys.sorted().joined(separator: ", "))"
        case .unknownPollutant:
            return "\(flag): \(error); known pollutants: \(basin.pollutants.keys.sorted().joined(separator: ", "))"
        case .unknownPark:
            return "\(flag): \(error); known parks: \(basin.parks.keys.sorted().joined(separator: ", "))"
        case .unknownSea:
            return "\(flag): \(error); known sea areas: \(basin.seas.keys.sorted().joined(separator: ", "))"
        default:
            return "\(flag): \(error)"
        }
    }

    func spillInput(basin: Basin) throws -> SpillInput {
        let spillTime = try at.map { try Self.parseTime($0, flag: "--at") } ?? Date()
        let location: SpillLocation
        var pollutantID = pollutant ?? ""
        var release: Release = .instantaneous(massKg: massKg)
        if let rateKgH, let durationH { release = .continuous(rateKgH: rateKgH, durationH: durationH) }
        if let river, let km {
            location = .river(id: river, km: km)
        } else if let park, let scenario {
            location = .park(id: park, scenario: scenario)
            if let found = basin.parks[park]?.scenarios.first(where: { $0.id == scenario }) {
                pollutantID = pollutant ?? found.pollutant
                release = .instantaneous(massKg: found.massKg)
            }
        } else if let sea, let lng, let lat {
            location = .sea(id: sea, lng: lng, lat: lat)
        } else {
            throw CommandExit.usage("Give --river with --km, --park with --scenario, or --sea with --lng and --lat.")
        }
        var conditions: SeaConditions?
        if windMs != nil || currentMs != nil {
            conditions = SeaConditions(
                windMs: windMs ?? 0, windFromDeg: windFromDeg ?? 0, currentMs: currentMs ?? 0,
                currentToDeg: currentToDeg ?? 0)
        }
        var triggers: Set<Art4Trigger> = []
        for name in trigger {
            guard let value = Art4Trigger(rawValue: name) else {
                throw CommandExit.usage(
                    "--trigger: unknown trigger \"\(name)\"; one of: \(Art4Trigger.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            triggers.insert(value)
        }
        var observations: [Observation] = []
        for text in observe {
            let parts = text.split(separator: ":", maxSplits: 2).map(String.init)
            guard parts.count == 3, let feature = Observation.Feature(rawValue: parts[1]) else {
                throw CommandExit.usage(
                    "--observe: expected NODE_ID:leadingEdge|peak|trailingEdge:ISO8601, got \"\(text)\"")
            }
            observations.append(
                Observation(node: parts[0], feature: feature, at: try Self.parseTime(parts[2], flag: "--observe")))
        }
        var rule: BelowObserved?
        if let belowObserved {
            guard let value = BelowObserved(rawValue: belowObserved) else {
                throw CommandExit.usage(
                    "--below-observed: expected calibrate, shift or scale, got \"\(belowObserved)\"")
            }
            rule = value
        }
        var heldDams: [HeldDam] = []
        for text in held {
            let parts = text.split(separator: "@", maxSplits: 1).map(String.init)
            guard let site = parts.first, !site.isEmpty else {
                throw CommandExit.usage("--held: expected DAM_ID or DAM_ID@ISO8601, got \"\(text)\"")
            }
            heldDams.append(
                HeldDam(
                    site: site, releasedAt: try parts.dropFirst().first.map { try Self.parseTime($0, flag: "--held") }))
        }
        var input = SpillInput(
            location: location, at: spillTime, pollutant: pollutantID, release: release, flowRatio: flowRatio,
            holds: try Self.pairs(hold, flag: "--hold", what: "DAM_ID:HOURS"),
            dischargeOverrides: try Self.pairs(discharge, flag: "--discharge", what: "REACH_ID:M3_PER_S"),
            velocityOverrides: try Self.pairs(velocity, flag: "--velocity", what: "REACH_ID:M_PER_S"),
            level: level.flatMap(SeverityLevel.init(text:)), declaredTriggers: triggers,
            gradingFacts: GradingFacts(deaths: deaths, poisonedOrInjured: poisoned, evacuated: evacuated),
            sea: conditions,
            observations: observations, applyFactorBelow: applyBelow, ownProvince: province)
        input.belowObserved = rule
        input.heldDams = heldDams.isEmpty ? nil : heldDams
        return input
    }

    static func parseTime(_ text: String, flag: String) throws -> Date {
        let formatter = ISO8601DateFormatter()
        var parsed = formatter.date(from: text)
        if parsed == nil {
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            parsed = formatter.date(from: text)
        }
        if let date = parsed {
            // 1900-01-01 … 2200-01-01: anything else is a typo, and old dates print with historical offsets.
            guard (-2_208_988_800.0...7_258_118_400.0).contains(date.timeIntervalSince1970) else {
                throw CommandExit.usage("\(flag): \"\(text)\" is outside the years 1900–2199")
            }
            return date
        }
        throw CommandExit.usage(
            "\(flag): \"\(text)\" is not an ISO 8601 time with offset, e.g. 2012-01-15T08:00:00+08:00")
    }

    static func pairs(_ values: [String], flag: String, what: String) throws -> [String: Double] {
        var result: [String: Double] = [:]
        for text in values {
            guard let colon = text.lastIndex(of: ":"), let number = Double(text[text.index(after: colon)...]),
                number.isFinite, number >= 0
            else {
                throw CommandExit.usage("\(flag): expected \(what) with a number of zero or more, got \"\(text)\"")
            }
            let key = String(text[..<colon])
            guard result[key] == nil else { throw CommandExit.usage("\(flag): \(key) is given twice") }
            result[key] = number
        }
        return result
    }
}
