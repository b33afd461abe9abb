import Foundation

/// The level a bureau set is lower than what the plan grades (issue 17).
///
/// A level set stands: it is the bureau's initial determination (MEP Order No. 17 Art. 3), and the reporting path
/// follows it. But when the plan's predicted impacts (or the facts reported) grade higher under the 2014 national
/// plan (国办函〔2014〕119号 §1.5 and annex) — a predicted crossing into another province grades II — every surface
/// says so in these words, and the commander gets a task to review the level, naming the reasons.
public struct LevelReview: Codable, Sendable, Hashable {
    /// The level set.
    public var level: SeverityLevel
    /// The higher level the plan grades.
    public var hint: SeverityLevel
    /// The grading table's reasons for the hint (`"crossProvincial impact → II"`).
    public var reasons: [String]
    /// The same reasons in Chinese (``GradingHint/reasonsForChinese``).
    public var reasonsZh: [String]

    public init(level: SeverityLevel, hint: SeverityLevel, reasons: [String], reasonsZh: [String] = []) {
        self.level = level
        self.hint = hint
        self.reasons = reasons
        self.reasonsZh = reasonsZh
    }

    /// The review due when `level` is set and `hint` grades higher; `nil` otherwise (no level, no hint, or a hint
    /// at or below the level).
    public init?(level: SeverityLevel?, hint: GradingHint?) {
        guard let level, let graded = hint?.level, graded > level else { return nil }
        self.init(
            level: level, hint: graded, reasons: hint?.reasons ?? [], reasonsZh: hint?.reasonsForChinese ?? [])
    }

    /// The sentence every surface shows: "Level III stands (the bureau's determination, MEP Order No. 17 Art. 3),
    /// but the plan grades II (2014 national plan): crossProvincial impact → II. The commander is asked to review
    /// the level."
    public var text: String {
        let why = reasons.isEmpty ? "" : ": " + reasons.joined(separator: "; ")
        return "Level \(level) stands (the bureau's determination, MEP Order No. 17 Art. 3), but the plan grades "
            + "\(hint) (2014 national plan)\(why). The commander is asked to review the level."
    }

    /// The sentence in Chinese: "已定为III级（报告单位的初步认定，《突发环境事件信息报告办法》第三条），但按2014年国家预案
    /// 分级标准为II级：造成跨省级行政区域影响 → II级。请指挥长复核级别。"
    public var textZh: String {
        let why = reasonsZh.isEmpty ? "" : "：" + reasonsZh.joined(separator: "；")
        return "已定为\(level)级（报告单位的初步认定，《突发环境事件信息报告办法》第三条），但按2014年国家预案分级标准为"
            + "\(hint)级\(why)。请指挥长复核级别。"
    }

    /// The marker of its review task (the task's `obligation` field): one task per higher hint.
    public var marker: String { "level:review:\(hint)" }
}

extension IncidentRules {
    /// The task that asks our provincial duty chief to review `review`'s level on the incident `reference`,
    /// numbered `number`; `nil` when a task with its marker is among `existing` (open or not: one task per higher
    /// hint, not one per report).
    func levelReviewTask(
        _ review: LevelReview?, reference: String, number: Int, existing: [ResponseTask], now: Date
    ) -> TaskDispatched? {
        guard let review, !existing.contains(where: { $0.obligation == review.marker }) else { return nil }
        let assignee = Assignee(unit: province, position: .provincialDutyChief)
        let policy = organisation.policy(for: province)
        let why = review.reasons.isEmpty ? "" : " (" + review.reasons.joined(separator: "; ") + ")"
        let whyZh = review.reasonsZh.isEmpty ? "" : "（" + review.reasonsZh.joined(separator: "；") + "）"
        return TaskDispatched(
            task: UUID(), reference: "\(reference)/T\(number)", number: number, kind: .review,
            obligation: review.marker,
            title: "Review the level of \(reference): \(review.level) is set, the plan grades \(review.hint)\(why)",
            assignee: assignee, policy: policy, chain: EscalationChain.above(assignee, units: basin.units), at: now,
            ackBy: now.addingTimeInterval(policy.ackInterval),
            titleZh: "复核\(reference)的事件级别：已定为\(review.level)级，预案分级为\(review.hint)级\(whyZh)")
    }
}
