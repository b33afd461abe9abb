import Foundation

/// The text message that tells a duty position's holder about a task (issue 19, "SMS out"): in Chinese, with the
/// task's reference, what to do and where, the acknowledgement deadline in China Standard Time and a short code to
/// reply with.
///
/// ```text
/// GX-2026-0007/T3 在拉浪水电站投药处置。请12:45前确认：回复 1 T3 或 K7QM
/// 【演习】【升级】GX-2026-0007/T3 …      (a drill's task, escalated to the next position)
/// ```
public struct TaskTextMessage: Sendable, Hashable {
    /// Why the text is sent.
    public enum Occasion: String, Sendable, Hashable, Codable {
        /// The task was dispatched to the position.
        case dispatched
        /// Half the acknowledgement time has passed without an acknowledgement: the same holder again.
        case reminder
        /// The task was escalated to the position.
        case escalated
    }

    /// The text.
    public let text: String
    /// The reply code (``code(for:)``).
    public let code: String

    /// The text for `task` on `occasion`, with its deadline `ackBy` (the one in force when the text is made), made
    /// at `now` (a deadline on another day than `now`'s, in China Standard Time, shows its date).
    ///
    /// - Parameter drill: a drill's task: marked 【演习】 first, so nobody mistakes it for a real incident.
    public init(task: ResponseTask, occasion: Occasion, ackBy: Date?, now: Date, drill: Bool) {
        code = Self.code(for: task.id)
        var text = drill ? "【演习】" : ""
        switch occasion {
        case .dispatched: break
        case .reminder: text += "【催办】"
        case .escalated: text += "【升级】"
        }
        text += "\(task.reference) \(task.titleZh ?? task.title)。"
        if let ackBy {
            text += "请\(Self.localTime(ackBy, reference: now))前确认："
        } else {
            text += "确认："
        }
        text += "回复 1 T\(task.number) 或 \(code)"
        self.text = text
    }

    /// The letters a code is made of: capitals and digits that are not easily misread (no 0/O, 1/I/L, 2/Z, 5/S,
    /// 8/B) — 24 symbols, so 4 make 331,776 codes.
    static let alphabet = Array("ACDEFGHJKMNPQRTUVWXY3467")

    /// A task's reply code: 4 symbols of ``alphabet`` from the last four bytes of its UUID (random in a version 4
    /// UUID, RFC 9562 §5.4), read as a big-endian number, lowest symbol first. The same task always has the same
    /// code; a reply is checked against the sender's open tasks, so two tasks sharing a code (1 in 331,776) are told
    /// apart by asking which.
    public static func code(for task: UUID) -> String {
        let bytes = task.uuid
        var value = UInt32(bytes.12) << 24 | UInt32(bytes.13) << 16 | UInt32(bytes.14) << 8 | UInt32(bytes.15)
        var symbols: [Character] = []
        for _ in 0..<4 {
            symbols.append(alphabet[Int(value % UInt32(alphabet.count))])
            value /= UInt32(alphabet.count)
        }
        return String(symbols)
    }

    /// `12:45` on the day the text is read, else `12月8日12:45`: China Standard Time (UTC+08:00, no daylight
    /// saving since 1991), the time every duty office in the country keeps. Whether it is "today" is decided by
    /// the deadline's own day against `reference` (default: the deadline's day, so only the time is shown).
    public static func localTime(_ date: Date, reference: Date? = nil) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        let parts = calendar.dateComponents([.month, .day, .hour, .minute], from: date)
        let time = String(format: "%02d:%02d", parts.hour ?? 0, parts.minute ?? 0)
        guard let reference, !calendar.isDate(date, inSameDayAs: reference) else { return time }
        return "\(parts.month ?? 0)月\(parts.day ?? 0)日\(time)"
    }

    /// How many SMS segments `text` takes in UCS-2 (3GPP TS 23.038 §6.2.3; TS 23.040 §9.2.3.24.1): one message
    /// holds 140 octets, 70 UTF-16 code units; a concatenated one gives 6 octets to its header, leaving 67 per
    /// part. Chinese text is always UCS-2.
    public static func segments(_ text: String) -> Int {
        let units = text.utf16.count
        return units <= 70 ? 1 : (units + 66) / 67
    }

    /// ``segments(_:)`` of this text.
    public var segments: Int { Self.segments(text) }
}
