import Foundation

/// The canonical JSON form in which events are stored and hashed (DESIGN.md "Hash chain").
///
/// Rules, fixed once events are stored (changing any of them changes every hash):
/// - object keys sorted by their UTF-8 bytes (that is, by Unicode code point: `"B" < "_" < "a10" < "a9" < "é"`);
/// - no insignificant whitespace;
/// - strings as UTF-8, escaping only `"` → `\"`, `\` → `\\`, and the control characters below U+0020
///   (`\b`, `\t`, `\n`, `\f`, `\r`, the others as `\u00XX` with lowercase hex); `/` and non-ASCII are not escaped;
/// - numbers as Foundation's `JSONEncoder` writes a `Double` (`5`, `0.1`, `-0`, `1e+16`, `1e-07`); NaN and
///   infinities are refused;
/// - times as RFC 3339 UTC with exactly three fractional digits (`2026-01-15T08:00:00.000Z`), rounded to the
///   nearest millisecond.
///
/// These rules agree with `JSONEncoder` using `[.sortedKeys, .withoutEscapingSlashes]` on Linux today, but the
/// writer here is our own so that the stored form does not depend on a Foundation version.
public enum CanonicalJSON {
    /// The canonical bytes of a JSON value.
    ///
    /// - Throws: ``CanonicalJSONError/nonFiniteNumber(path:)`` for a NaN or infinite number.
    public static func data(_ value: JSONValue) throws -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        try write(value, into: &out, path: "$")
        return Data(out)
    }

    /// The canonical bytes of any `Encodable` value: encoded with ``makeEncoder()``, read back as a ``JSONValue``
    /// and written canonically.
    ///
    /// - Throws: `EncodingError` when the value cannot be encoded; ``CanonicalJSONError`` as ``data(_:)``.
    public static func encode(_ value: some Encodable) throws -> Data {
        try data(JSONValue(encoding: value))
    }

    /// Decodes a value from JSON with ``makeDecoder()`` (times as RFC 3339 strings).
    ///
    /// - Throws: `DecodingError` when the bytes are not JSON of the shape of `T`.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try makeDecoder().decode(T.self, from: data)
    }

    /// A `JSONEncoder` whose dates are ``timestamp(_:)`` strings, with sorted keys and unescaped slashes.
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(timestamp(date))
        }
        return encoder
    }

    /// A `JSONDecoder` that reads dates with ``date(fromTimestamp:)``.
    ///
    /// A date that is not an RFC 3339 time with a `Z` or `±HH:MM` offset fails with `DecodingError.dataCorrupted`.
    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let string = try container.decode(String.self)
            guard let date = date(fromTimestamp: string) else {
                throw DecodingError.dataCorruptedError(
                    in: container,
                    debugDescription: "\"\(string)\" is not an RFC 3339 time such as 2026-01-15T08:00:00.000Z")
            }
            return date
        }
        return decoder
    }

    // MARK: Times

    /// The date rounded to the nearest whole millisecond: the precision events are stored with.
    public static func roundedToMilliseconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds(date)) / 1000)
    }

    /// `date` as RFC 3339 UTC with exactly three fractional digits, e.g. `2026-01-15T08:00:00.000Z`
    /// (rounded to the nearest millisecond; years 0000–9999).
    public static func timestamp(_ date: Date) -> String {
        let total = milliseconds(date)
        let days = floorDivide(total, 86_400_000)
        var rest = total - days * 86_400_000
        let (year, month, day) = civil(fromDays: days)
        let millisecond = rest % 1000
        rest /= 1000
        let second = rest % 60
        rest /= 60
        let minute = rest % 60
        let hour = rest / 60
        var text = ""
        text.reserveCapacity(24)
        text += padded(year, 4) + "-" + padded(month, 2) + "-" + padded(day, 2)
        text += "T" + padded(hour, 2) + ":" + padded(minute, 2) + ":" + padded(second, 2)
        text += "." + padded(millisecond, 3) + "Z"
        return text
    }

    /// Parses an RFC 3339 time: `YYYY-MM-DDTHH:MM:SS`, optional fraction of any length, then `Z` or `±HH:MM`.
    ///
    /// Returns `nil` for anything else, including a time without an offset or an impossible date (`02-30`).
    /// Fractions finer than a microsecond are truncated.
    public static func date(fromTimestamp string: String) -> Date? {
        let bytes = Array(string.utf8)
        var index = 0
        func number(_ count: Int) -> Int64? {
            guard index + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[index..<index + count] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            index += count
            return value
        }
        func expect(_ characters: String) -> Bool {
            guard index < bytes.count, characters.utf8.contains(bytes[index]) else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
            expect("Tt "), let hour = number(2), expect(":"), let minute = number(2), expect(":"),
            let second = number(2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month), hour < 24,
            minute < 60, second < 61
        else { return nil }
        var microseconds: Int64 = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                if digits < 6 { microseconds = microseconds * 10 + Int64(bytes[index] - 48) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 6) { microseconds *= 10 }
        }
        var offsetMinutes: Int64 = 0
        if expect("Zz") {
        } else if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign: Int64 = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            index += 1
            guard let offsetHour = number(2), expect(":"), let offsetMinute = number(2), offsetHour < 24,
                offsetMinute < 60
            else { return nil }
            offsetMinutes = sign * (offsetHour * 60 + offsetMinute)
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60
        // One division of the exact microsecond count, so that a time written by `timestamp(_:)` reads back as the
        // same `Date` that `roundedToMilliseconds(_:)` gives.
        return Date(timeIntervalSince1970: Double(seconds * 1_000_000 + microseconds) / 1_000_000)
    }

    // MARK: Writing

    private static func write(_ value: JSONValue, into out: inout [UInt8], path: @autoclosure () -> String) throws {
        switch value {
        case .null:
            out.append(contentsOf: "null".utf8)
        case .bool(let bool):
            out.append(contentsOf: (bool ? "true" : "false").utf8)
        case .number(let number):
            try writeNumber(number, into: &out, path: path())
        case .string(let string):
            writeString(string, into: &out)
        case .array(let array):
            out.append(UInt8(ascii: "["))
            for (offset, element) in array.enumerated() {
                if offset > 0 { out.append(UInt8(ascii: ",")) }
                try write(element, into: &out, path: path() + "[\(offset)]")
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            let keys = object.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (offset, key) in keys.enumerated() {
                if offset > 0 { out.append(UInt8(ascii: ",")) }
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                try write(object[key]!, into: &out, path: path() + "." + key)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func writeNumber(_ number: Double, into out: inout [UInt8], path: @autoclosure () -> String)
        throws
    {
        guard number.isFinite else { throw CanonicalJSONError.nonFiniteNumber(path: path()) }
        // Whole numbers below 2^53 are written as integers, as JSONEncoder writes them; -0 and the rest go
        // through JSONEncoder itself so that its exact spelling (`-0`, `1e+16`, `0.1`) is kept.
        if number.rounded(.towardZero) == number, abs(number) < 9_007_199_254_740_992,
            !(number == 0 && number.sign == .minus)
        {
            out.append(contentsOf: String(Int64(number)).utf8)
            return
        }
        do {
            out.append(contentsOf: try JSONEncoder().encode(number))
        } catch {
            throw CanonicalJSONError.nonFiniteNumber(path: path())
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func writeString(_ string: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x00..<0x20:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    // MARK: Calendar arithmetic (proleptic Gregorian, UTC; H. Hinnant, "chrono-Compatible Low-Level Date Algorithms")

    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }

    private static func padded(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    private static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// Why a value has no canonical JSON form.
public enum CanonicalJSONError: Error, Equatable, Sendable {
    /// A NaN or infinite number at `path` (e.g. `$.payload.massKg`); JSON has no spelling for it.
    case nonFiniteNumber(path: String)
}
