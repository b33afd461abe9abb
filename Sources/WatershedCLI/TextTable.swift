import Foundation

/// A plain-text table with columns aligned for a terminal (CJK characters count two columns).
struct TextTable {
    var headers: [String]
    var rows: [[String]] = []
    /// Columns aligned to the right (numbers).
    var rightAligned: Set<Int> = []

    init(_ headers: [String], rightAligned: Set<Int> = []) {
        self.headers = headers
        self.rightAligned = rightAligned
    }

    mutating func add(_ row: [String]) { rows.append(row) }

    /// Display width of a string in a terminal.
    static func width(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { sum, scalar in
            let v = scalar.value
            let wide =
                (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
                || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
                || (0xFFE0...0xFFE6).contains(v)
            return sum + (wide ? 2 : 1)
        }
    }

    func render() -> String {
        let all = [headers] + rows
        let count = headers.count
        var widths = Array(repeating: 0, count: count)
        for row in all {
            for (i, cell) in row.prefix(count).enumerated() { widths[i] = max(widths[i], Self.width(cell)) }
        }
        func line(_ row: [String]) -> String {
            var out = ""
            for i in 0..<count {
                let cell = i < row.count ? row[i] : ""
                let pad = String(repeating: " ", count: widths[i] - Self.width(cell))
                let isLast = i == count - 1
                out += rightAligned.contains(i) ? pad + cell : cell + (isLast ? "" : pad)
                if !isLast { out += "  " }
            }
            return out.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([line(headers), rule] + rows.map(line)).joined(separator: "\n")
    }
}

/// Formats times for duty officers: local time with its UTC offset.
struct LocalTime {
    let formatter: DateFormatter

    init(timeZone: TimeZone) {
        formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "yyyy-MM-dd HH:mm xxx"
    }

    func callAsFunction(_ date: Date) -> String { formatter.string(from: date) }
}
