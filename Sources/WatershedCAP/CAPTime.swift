import Foundation

/// A CAP 1.2 date-time: `YYYY-MM-DDThh:mm:ss±hh:mm`, whole seconds and an explicit offset, never `Z` and no
/// fraction (CAP 1.2 §3.3.2: "Alphabetic timezone designators such as 'Z' MUST NOT be used. The timezone for UTC
/// MUST be represented as '-00:00'"; the schema's pattern `\d\d\d\d-\d\d-\d\dT\d\d:\d\d:\d\d[-,+]\d\d:\d\d`).
///
/// Keeps the text as written (so a parsed message writes back the same), and the instant it names.
public struct CAPTime: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The text, e.g. `2012-01-15T08:00:00+08:00`.
    public let text: String
    /// The instant.
    public let date: Date

    /// China Standard Time, UTC+08:00 all year (no daylight saving since 1991): the offset Watershed writes.
    public static let chinaOffsetSeconds = 8 * 3_600

    /// The time of `date` at the given offset from UTC, with the fraction of a second dropped (truncated, so a
    /// time never moves into the next second). An offset of 0 is written `-00:00`, as §3.3.2 requires for UTC.
    public init(date: Date, offsetSeconds: Int = CAPTime.chinaOffsetSeconds) {
        let whole = (date.timeIntervalSince1970).rounded(.down)
        let local = Int64(whole) + Int64(offsetSeconds)
        let days = Int64((Double(local) / 86_400).rounded(.down))
        let secondsOfDay = Int(local - days * 86_400)
        let (year, month, day) = Self.civil(fromDays: days)
        let sign = offsetSeconds <= 0 ? "-" : "+"
        let offset = abs(offsetSeconds)
        self.text =
            String(
                format: "%04d-%02d-%02dT%02d:%02d:%02d", year, month, day, secondsOfDay / 3_600,
                (secondsOfDay / 60) % 60, secondsOfDay % 60)
            + sign + String(format: "%02d:%02d", offset / 3_600, (offset / 60) % 60)
        self.date = Date(timeIntervalSince1970: whole)
    }

    /// Parses `YYYY-MM-DDThh:mm:ss±hh:mm` (surrounding whitespace ignored); `nil` for anything else — a `Z`, a
    /// fraction, a missing offset or an impossible date.
    public init?(text raw: String) {
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        let bytes = Array(text.utf8)
        guard bytes.count == 25 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = bytes[index]
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        func at(_ index: Int, _ character: Character) -> Bool { bytes[index] == character.asciiValue }
        guard at(4, "-"), at(7, "-"), at(10, "T"), at(13, ":"), at(16, ":"), at(22, ":"),
            at(19, "+") || at(19, "-"),
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            let offsetHours = number(20..<22), let offsetMinutes = number(23..<25),
            (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year), hour <= 23,
            minute <= 59, second <= 59, offsetHours <= 14, offsetMinutes <= 59
        else { return nil }
        let offset = (offsetHours * 3_600 + offsetMinutes * 60) * (at(19, "-") ? -1 : 1)
        let days = Self.days(fromCivil: year, month, day)
        let seconds = days * 86_400 + Int64(hour * 3_600 + minute * 60 + second) - Int64(offset)
        self.text = text
        self.date = Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// The text.
    public var description: String { text }

    /// Encodes as the text.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }

    /// Decodes from the text.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let time = CAPTime(text: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "\"\(text)\" is not a CAP time (YYYY-MM-DDThh:mm:ss±hh:mm)")
        }
        self = time
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    private static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
    private static func civil(fromDays days: Int64) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (Int(yoe + era * 400 + (month <= 2 ? 1 : 0)), Int(month), Int(day))
    }
}
