import Foundation

/// A drill scenario (`seeds/<province>/drills/*.yaml`; the format is in `docs/drills.md`): who takes part, how fast
/// the drill clock runs, the injects played at drill-time offsets and the expectations scored at the end — the
/// master scenario events list (MSEL) and evaluation criteria of exercise practice (HSEEP 2020, ch. 3–5, "MSEL" and
/// "Exercise Evaluation Guides"), cut to what the event log can show.
///
/// On the wire (`POST /v1/drills`) the reports of injects are inline (`report`); in a file they may instead be named
/// by `reportFile`, a JSON file beside the scenario, which `watershed drill start` reads in.
public struct DrillScenario: Codable, Sendable, Hashable {
    /// `1`.
    public var schemaVersion: Int
    /// `drill`.
    public var kind: String
    /// A stable identifier, e.g. `he-river-2013-joint`.
    public var id: String
    /// Title, e.g. "He River cadmium and thallium, 2013 (joint with Guangdong)".
    public var title: String
    /// Chinese title.
    public var titleZh: String?
    /// The drill-clock time at the start, RFC 3339 with offset (e.g. `2013-07-05T12:00:00+08:00`): the scenario's
    /// own date, so its reports keep their real times.
    public var startsAt: String
    /// Drill seconds per wall second, 1…3600 (`×60`: a drill hour in a wall minute).
    public var clockFactor: Double
    /// Drill-minutes after the start at which the drill ends by itself; `nil`: when a commander ends it.
    public var endsAtMin: Double?
    /// Who takes part on this server: a unit and duty position each (a drill token is made for each at start).
    public var participants: [DrillParticipant]
    /// Neighbouring provinces taking part (GB/T 2260): only they receive the drill's notifications, as exercise.
    public var peers: [UnitCode]
    /// The injects, in offset order.
    public var injects: [DrillInject]
    /// What the participants are expected to do, scored from the event log after the end.
    public var expectations: [DrillExpectation]
    /// Where the scenario's facts come from (DOMAIN.md §4 and its sources).
    public var sources: [String]
    /// What is simplified or estimated.
    public var note: String?

    /// Creates a scenario.
    public init(
        id: String, title: String, titleZh: String? = nil, startsAt: String, clockFactor: Double,
        endsAtMin: Double? = nil, participants: [DrillParticipant], peers: [UnitCode] = [], injects: [DrillInject],
        expectations: [DrillExpectation], sources: [String] = [], note: String? = nil
    ) {
        self.schemaVersion = 1
        self.kind = "drill"
        self.id = id
        self.title = title
        self.titleZh = titleZh
        self.startsAt = startsAt
        self.clockFactor = clockFactor
        self.endsAtMin = endsAtMin
        self.participants = participants
        self.peers = peers
        self.injects = injects
        self.expectations = expectations
        self.sources = sources
        self.note = note
    }

    /// The clock factors a scenario may ask for: from real time to an hour per second.
    public static let clockFactorRange: ClosedRange<Double> = 1...3_600

    /// The longest a drill may last, in drill-minutes: a year (525,600). Offsets beyond it are refused — at ×1 a
    /// larger one would ask the runner to sleep past what a clock can hold.
    public static let maximumMinutes: Double = 525_600

    /// `startsAt` as a date, or `nil` when it is not RFC 3339 with a time-zone offset.
    public var startDate: Date? { Self.parseTime(startsAt) }

    /// Parses RFC 3339 with an offset or `Z`, with or without fractional seconds.
    public static func parseTime(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }

    /// The inject that opens the drill's incident: the first `initialReport`.
    public var openingInject: Int? { injects.firstIndex { $0.kind == .initialReport } }

    /// What is wrong with the scenario, field by field (`injects[2].atMin`), before it can start; empty when it can.
    /// Reports are decoded (an initial report must also plan — the server checks that with its basin).
    ///
    /// - Parameters:
    ///   - province: the server's province: participants must be its units (peers' people join on their own server).
    ///   - units: the basin's units (`playbooks/units.yaml`).
    ///   - peers: the neighbours this server has agreements with.
    public func problems(province: UnitCode, units: Set<UnitCode>, peers known: Set<UnitCode>) -> [FieldError] {
        var problems: [FieldError] = []
        func add(_ field: String, _ message: String) { problems.append(FieldError(field: field, message: message)) }
        if schemaVersion != 1 { add("schemaVersion", "schema version \(schemaVersion) is not supported; expected 1") }
        if kind != "drill" { add("kind", "\"\(kind)\" is not \"drill\"") }
        if id.isEmpty { add("id", "a scenario needs an id") }
        if title.isEmpty { add("title", "a scenario needs a title") }
        if startDate == nil {
            add("startsAt", "\"\(startsAt)\" is not an RFC 3339 time with an offset, e.g. 2013-07-05T12:00:00+08:00")
        }
        if !Self.clockFactorRange.contains(clockFactor) {
            add("clockFactor", "\(clockFactor) is outside 1…3600 (drill seconds per wall second)")
        }
        if let endsAtMin, !(0...Self.maximumMinutes).contains(endsAtMin) {
            add("endsAtMin", "\(endsAtMin) is outside 0…525600 drill-minutes (a year)")
        }
        if participants.isEmpty { add("participants", "a drill needs at least one participant") }
        for (index, participant) in participants.enumerated() {
            if let mobile = participant.mobile, MobileNumber(mobile) == nil {
                add(
                    "participants[\(index)].mobile",
                    "not a mobile number (E.164, like +8613900000001; never printed back in full)")
            }
            if !units.contains(participant.unit) {
                add("participants[\(index)].unit", "unit \(participant.unit) is not in playbooks/units.yaml")
            } else if participant.unit.prefix(2) != province.prefix(2) {
                add(
                    "participants[\(index)].unit",
                    "unit \(participant.unit) belongs to another province; its people join on their own server "
                        + "(name the province in `peers`)")
            }
        }
        for (index, peer) in peers.enumerated() where !known.contains(peer) {
            add("peers[\(index)]", "province \(peer) is not a neighbour in peers.yaml")
        }
        if injects.isEmpty { add("injects", "a drill needs at least one inject") }
        var last = 0.0
        for (index, inject) in injects.enumerated() {
            let field = "injects[\(index)]"
            if !(inject.atMin >= 0) || inject.atMin < last {
                add("\(field).atMin", "\(inject.atMin) is negative or before the inject above it (\(last))")
            } else if inject.atMin > Self.maximumMinutes {
                add("\(field).atMin", "\(inject.atMin) is more than a year (525600 drill-minutes) after the start")
            } else if let endsAtMin, inject.atMin > endsAtMin {
                add("\(field).atMin", "\(inject.atMin) is after the drill ends (endsAtMin \(endsAtMin))")
            }
            last = max(last, inject.atMin)
            if inject.summary.isEmpty { add("\(field).summary", "an inject needs a summary the participants see") }
            switch inject.kind {
            case .initialReport, .followUpReport:
                guard let report = inject.report else {
                    add("\(field).report", "a \(inject.kind.rawValue) inject needs a report")
                    continue
                }
                do {
                    if inject.kind == .initialReport {
                        _ = try report.decode(InitialReport.self)
                    } else {
                        _ = try report.decode(FollowUpReport.self)
                    }
                } catch {
                    add("\(field).report", "not a valid \(inject.kind.rawValue): \(error)")
                }
                if let by = inject.by, !units.contains(by.unit) {
                    add("\(field).by.unit", "unit \(by.unit) is not in playbooks/units.yaml")
                }
                if inject.kind == .followUpReport, openingInject.map({ $0 > index }) ?? true {
                    add("\(field).kind", "a follow-up report needs an initial report inject before it")
                }
            case .message, .complication, .peerMessage:
                if inject.report != nil { add("\(field).report", "only report injects carry a report") }
            }
        }
        var ids = Set<String>()
        for (index, expectation) in expectations.enumerated() {
            let field = "expectations[\(index)]"
            if !ids.insert(expectation.id).inserted { add("\(field).id", "duplicate id \"\(expectation.id)\"") }
            if !(expectation.withinMin > 0 && expectation.withinMin <= Self.maximumMinutes) {
                add("\(field).withinMin", "must be more than 0 and at most 525600 drill-minutes (a year)")
            }
            if let after = expectation.afterInject, !injects.indices.contains(after) {
                add("\(field).afterInject", "there is no inject \(after) (0…\(injects.count - 1))")
            }
            switch expectation.kind {
            case .taskAcknowledged, .taskDone, .reportFiled:
                if expectation.unit == nil {
                    add("\(field).unit", "a \(expectation.kind.rawValue) expectation names a unit")
                }
            case .peerReceived, .peerAccepted:
                if let peer = expectation.peer {
                    if !peers.contains(peer) { add("\(field).peer", "province \(peer) is not among the drill's peers") }
                } else {
                    add("\(field).peer", "a \(expectation.kind.rawValue) expectation names a peer province")
                }
            }
        }
        return problems
    }
}

/// One participant: a unit and a duty position.
public struct DrillParticipant: Codable, Sendable, Hashable {
    /// The unit (GB/T 2260).
    public var unit: UnitCode
    /// The duty position (`county-duty-officer`, …).
    public var dutyPosition: DutyPosition
    /// Who plays it, free text (e.g. "Hechi city duty chief").
    public var name: String?
    /// The mobile number the drill's texts for this position go to (issue 19: "Drill participants' numbers come
    /// from the drill's participants list in its scenario … never from the real rota"), any form ``MobileNumber``
    /// reads. Personal data: the server takes it out of the scenario before the `DrillStarted` event, and texts the
    /// numbers of its own copy of the scenario (``phones``).
    public var mobile: String?

    /// Creates a participant.
    public init(unit: UnitCode, dutyPosition: DutyPosition, name: String? = nil, mobile: String? = nil) {
        self.unit = unit
        self.dutyPosition = dutyPosition
        self.name = name
        self.mobile = mobile
    }
}

extension DrillScenario {
    /// Who the drill's texts go to: a rota of the participants that give a `mobile`, each always on duty at their
    /// position (person id `drill-<n>`, n from 1 in the participants' order, as their drill tokens are numbered);
    /// `nil` when none gives one.
    public var phones: DutyRota? {
        var people: [String: DutyRota.Person] = [:]
        var rotations: [Assignee: DutyRota.Rotation] = [:]
        for (index, participant) in participants.enumerated() {
            guard let mobile = participant.mobile.flatMap(MobileNumber.init) else { continue }
            let id = "drill-\(index + 1)"
            let assignee = Assignee(unit: participant.unit, position: participant.dutyPosition)
            people[id] = DutyRota.Person(id: id, name: participant.name ?? assignee.description, mobile: mobile)
            rotations[assignee] = DutyRota.Rotation(
                assignee: assignee, startsAt: Date(timeIntervalSince1970: 0), shiftHours: 168, people: [id])
        }
        return people.isEmpty ? nil : DutyRota(people: people, rotations: rotations)
    }

    /// The scenario without its participants' numbers: what the `DrillStarted` event keeps.
    public var withoutNumbers: DrillScenario {
        var copy = self
        for index in copy.participants.indices { copy.participants[index].mobile = nil }
        return copy
    }
}

/// What an inject does.
public enum DrillInjectKind: String, Codable, Sendable, CaseIterable {
    /// Files an initial report (opens the drill's incident), as `by`.
    case initialReport
    /// Files a follow-up report on the drill's incident (monitoring results at a section), as `by`.
    case followUpReport
    /// Tells the participants something (a phone call, a press enquiry).
    case message
    /// A complication: a dam cannot be closed, an intake operator does not answer.
    case complication
    /// A message as if from a neighbouring province (for drills whose peer does not run Watershed).
    case peerMessage
}

/// One inject of the MSEL: at a drill-time offset, something happens or is said.
public struct DrillInject: Codable, Sendable, Hashable {
    /// Drill-minutes after the start.
    public var atMin: Double
    /// What it does.
    public var kind: DrillInjectKind
    /// What the participants see (English).
    public var summary: String
    /// The same in Chinese.
    public var summaryZh: String?
    /// Who files a report inject (default: the first participant).
    public var by: DrillParticipant?
    /// A report inject's report (an ``InitialReport`` or ``FollowUpReport`` as JSON).
    public var report: JSONValue?
    /// In a scenario file: the JSON file holding `report`, relative to the scenario file.
    public var reportFile: String?

    /// Creates an inject.
    public init(
        atMin: Double, kind: DrillInjectKind, summary: String, summaryZh: String? = nil, by: DrillParticipant? = nil,
        report: JSONValue? = nil
    ) {
        self.atMin = atMin
        self.kind = kind
        self.summary = summary
        self.summaryZh = summaryZh
        self.by = by
        self.report = report
    }
}

/// What an expectation looks for in the event log.
public enum DrillExpectationKind: String, Codable, Sendable, CaseIterable {
    /// A task assigned to `unit` (of `taskKind`, if given) acknowledged (`TaskAcknowledged`).
    case taskAcknowledged
    /// A task assigned to `unit` completed (`TaskDone`).
    case taskDone
    /// A report of `report` kind filed by `unit` (`IncidentReported` for initial, else `ReportFiled`).
    case reportFiled
    /// The neighbour `peer` stored the notification (`PeerReceived`).
    case peerReceived
    /// The neighbour's duty officer acknowledged it (`PeerAccepted`).
    case peerAccepted
}

/// An expectation ("intake task at Liuzhou acknowledged within 30 drill-minutes"): met when the first matching event
/// comes no later than `withinMin` drill-minutes after its anchor.
public struct DrillExpectation: Codable, Sendable, Hashable {
    /// A short id, unique in the scenario.
    public var id: String
    /// The expectation as the MSEL states it.
    public var text: String
    /// What to look for.
    public var kind: DrillExpectationKind
    /// The unit: the task's assignee (its own position or one it was escalated to) or the filing unit.
    public var unit: UnitCode?
    /// For task expectations: only tasks of this kind (`site`, `report`, `notification`, `peerCall`).
    public var taskKind: ResponseTaskKind?
    /// For `reportFiled`: which report (default `followUp`).
    public var report: ReportKind?
    /// For peer expectations: the neighbour.
    public var peer: UnitCode?
    /// Drill-minutes allowed after the anchor.
    public var withinMin: Double
    /// The inject whose time is the anchor; default the opening inject (the initial report).
    public var afterInject: Int?

    /// Creates an expectation.
    public init(
        id: String, text: String, kind: DrillExpectationKind, unit: UnitCode? = nil,
        taskKind: ResponseTaskKind? = nil, report: ReportKind? = nil, peer: UnitCode? = nil, withinMin: Double,
        afterInject: Int? = nil
    ) {
        self.id = id
        self.text = text
        self.kind = kind
        self.unit = unit
        self.taskKind = taskKind
        self.report = report
        self.peer = peer
        self.withinMin = withinMin
        self.afterInject = afterInject
    }
}
