import Foundation

/// Microsecond latencies in log-linear buckets: exact below 1,024 µs, then 512 buckets per power of two (at
/// most 0.2 % too high), the layout HdrHistogram uses. Recording is an array increment, so a subscriber's event
/// loop can record millions of deliveries without allocating.
struct Histogram: Sendable {
    private(set) var counts = [UInt64](repeating: 0, count: 1_024 + 512 * 44)
    private(set) var total: UInt64 = 0
    private(set) var maximum: UInt64 = 0

    static func index(_ micros: UInt64) -> Int {
        if micros < 1_024 { return Int(micros) }
        let shift = (64 - micros.leadingZeroBitCount) - 10
        return shift * 512 + Int(micros >> UInt64(shift))
    }

    /// The highest value a bucket holds.
    static func value(_ index: Int) -> UInt64 {
        if index < 1_024 { return UInt64(index) }
        let shift = index / 512 - 1
        let mantissa = UInt64(index - shift * 512)
        return ((mantissa + 1) << UInt64(shift)) - 1
    }

    mutating func record(micros: UInt64) {
        counts[min(Self.index(micros), counts.count - 1)] += 1
        total += 1
        maximum = max(maximum, micros)
    }

    mutating func merge(_ other: Histogram) {
        for index in counts.indices where other.counts[index] != 0 { counts[index] += other.counts[index] }
        total += other.total
        maximum = max(maximum, other.maximum)
    }

    /// The value at or below which `fraction` of the samples lie, in milliseconds (`nan` when empty).
    func percentileMs(_ fraction: Double) -> Double {
        guard total > 0 else { return .nan }
        if fraction >= 1 { return Double(maximum) / 1_000 }
        let rank = UInt64((fraction * Double(total)).rounded(.up))
        var seen: UInt64 = 0
        for (index, count) in counts.enumerated() where count != 0 {
            seen += count
            if seen >= max(rank, 1) { return Double(min(Self.value(index), maximum)) / 1_000 }
        }
        return Double(maximum) / 1_000
    }
}
