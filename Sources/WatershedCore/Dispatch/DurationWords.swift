import Foundation

/// A length of time as a duty officer reads it, in any language's unit words: days and hours, hours and minutes,
/// minutes (whole, rounded down), or under a minute the seconds with up to three decimals.
public enum DurationWords {
    /// `seconds` in words: with `spaced`, `1 h 12 min`, `1 d 3 h`, `0.5 s`; without, `1小时12分钟`, `1天3小时`, `0.5秒`.
    public static func words(
        _ seconds: Double, second: String, minute: String, hour: String, day: String, spaced: Bool
    ) -> String {
        let gap = spaced ? " " : ""
        if seconds < 60 {
            let text = String(format: "%.3f", seconds).replacingOccurrences(
                of: "\\.?0+$", with: "", options: .regularExpression)
            return text + gap + second
        }
        let minutes = Int(seconds / 60)
        let (days, hours, rest) = (minutes / 1_440, minutes % 1_440 / 60, minutes % 60)
        func part(_ value: Int, _ unit: String) -> String { "\(value)\(gap)\(unit)" }
        if days > 0 { return hours > 0 ? part(days, day) + gap + part(hours, hour) : part(days, day) }
        if hours > 0 { return rest > 0 ? part(hours, hour) + gap + part(rest, minute) : part(hours, hour) }
        return part(rest, minute)
    }
}
