import Foundation

/// What a text message sent back to Watershed asks (issue 19, "Acknowledgement by reply"), read leniently: a phone's
/// Chinese keyboard sends full-width characters (`１　Ｔ３`, `？`), so the text is first folded by Unicode
/// compatibility (NFKC), upper-cased and its spaces taken out.
///
/// - `1 T3`, `1T3`: acknowledge the task numbered 3 (`/T3`);
/// - `K7QM`, `1 K7QM`: acknowledge the task whose code is `K7QM` (``TaskTextMessage/code(for:)``);
/// - `?`: list my open tasks;
/// - anything else is not understood.
///
/// A code may read as a number too (`T346` is a code, and task 346): then both are kept, the number tried first.
public enum TextReply: Sendable, Hashable {
    case acknowledge(number: Int?, code: String?)
    case list
    case notUnderstood

    /// Reads a reply's text.
    public init(_ text: String) {
        let folded = text.precomposedStringWithCompatibilityMapping.uppercased().filter { !$0.isWhitespace }
        if folded == "?" {
            self = .list
            return
        }
        let body = folded.hasPrefix("1") ? String(folded.dropFirst()) : folded
        let digits = body.dropFirst()
        let number =
            body.hasPrefix("T") && !digits.isEmpty && digits.allSatisfy({ $0.isASCII && $0.isNumber })
            ? Int(digits).flatMap { $0 > 0 ? $0 : nil } : nil
        let code = body.count == 4 && body.allSatisfy({ TaskTextMessage.alphabet.contains($0) }) ? body : nil
        self = number == nil && code == nil ? .notUnderstood : .acknowledge(number: number, code: code)
    }
}

/// What a reply does (issue 19, "Acknowledgement by reply"), decided from the rota and the tasks as folded — a pure
/// rule; the server carries it out (the acknowledgement through the same rule as the console's button,
/// ``IncidentRules/work(_:on:action:reason:by:now:)``) and texts ``answer`` back.
///
/// A reply counts only from the number the rota gives, at the moment it arrives, for a position that may
/// acknowledge the task (its assignee or a position it was escalated to): a number not on the rota is ignored (no
/// answer goes back, so a stranger learns nothing), and a person on the rota may act only on their positions'
/// tasks.
public struct TextReplyDecision: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        /// Acknowledge `task` as `position`, for the rota's `person`.
        case acknowledge(task: UUID, reference: String, as: Assignee, person: String)
        /// Answer with the person's open tasks.
        case list
        /// A person on the rota whose reply names no task of theirs, or is not understood: answered with help.
        case notFound
        /// A number not holding any position now: ignored (and logged by its masked number).
        case stranger
    }

    public var outcome: Outcome
    /// The text to send back, or `nil` (a stranger).
    public var answer: String?

    /// Decides `text` from `from` at `now`, among `tasks` (every task of every open incident that texts may name).
    public static func decide(
        _ text: String, from: MobileNumber, rota: DutyRota, tasks: [ResponseTask], now: Date
    ) -> TextReplyDecision {
        let held = rota.positions(of: from, at: now)
        guard !held.isEmpty, let person = rota.holder(of: held[0], at: now) else {
            return TextReplyDecision(outcome: .stranger, answer: nil)
        }
        // The tasks this person may work now: open, at a position they hold.
        let theirs = tasks.filter { task in
            task.state.isOpen && ([task.assignee] + task.escalatedTo).contains { held.contains($0) }
        }
        let awaiting = theirs.filter { $0.state == .dispatched }
        let help = "回复 1 T编号 或 四位代码确认任务，回复 ? 查看待办任务。"
        let matches: [ResponseTask]
        let asked: String
        switch TextReply(text) {
        case .list:
            return TextReplyDecision(outcome: .list, answer: listing(theirs, now: now))
        case .notUnderstood:
            return TextReplyDecision(outcome: .notFound, answer: "未能识别回复。" + help)
        case .acknowledge(let number, let code):
            let byNumber = number.map { number in awaiting.filter { $0.number == number } } ?? []
            let byCode = code.map { code in awaiting.filter { TaskTextMessage.code(for: $0.id) == code } } ?? []
            matches = byNumber.isEmpty ? byCode : byNumber
            asked = byNumber.isEmpty ? (code ?? number.map { "T\($0)" } ?? "") : "T\(number ?? 0)"
        }
        guard let task = matches.first else {
            return TextReplyDecision(outcome: .notFound, answer: "没有待您确认的任务 \(asked)。" + help)
        }
        guard matches.count == 1 else {
            let codes = matches.map { "\($0.reference) \(TaskTextMessage.code(for: $0.id))" }
            return TextReplyDecision(
                outcome: .notFound, answer: "\(asked) 不止一项：\(codes.joined(separator: "；"))。请回复四位代码。")
        }
        // As the position the task is at now, when this person holds it; else another of theirs it may be worked as.
        let current = task.position(atStep: task.escalationStep)
        let position =
            held.contains(current) ? current : ([task.assignee] + task.escalatedTo).first { held.contains($0) }!
        return TextReplyDecision(
            outcome: .acknowledge(task: task.id, reference: task.reference, as: position, person: person.id),
            answer: "已确认 \(task.reference)。")
    }

    /// A task's state in the words of a reply: 待确认, 已确认, 处置中, 已完成, 已取消.
    public static func stateZh(_ state: TaskState) -> String {
        switch state {
        case .dispatched: "待确认"
        case .acknowledged: "已确认"
        case .inProgress: "处置中"
        case .done: "已完成"
        case .cancelled: "已取消"
        }
    }

    /// `待办：GX-2026-0007/T3 待确认 K7QM 12:45前；GX-2026-0007/T5 处置中` — at most five, then how many more; or
    /// `您没有待办任务。`.
    static func listing(_ tasks: [ResponseTask], now: Date) -> String {
        guard !tasks.isEmpty else { return "您没有待办任务。" }
        let lines = tasks.prefix(5).map { task -> String in
            switch task.state {
            case .dispatched:
                let by = task.ackBy.map { TaskTextMessage.localTime($0, reference: now) + "前" } ?? ""
                return "\(task.reference) 待确认 \(TaskTextMessage.code(for: task.id)) \(by)"
            default: return "\(task.reference) \(stateZh(task.state))"
            }
        }
        let more = tasks.count > 5 ? "；等\(tasks.count)项" : ""
        return "待办：" + lines.joined(separator: "；") + more
    }
}
