import Foundation
import WatershedCore

/// Whether `watershed demo` met its drill's expectations (issue 21: "exits non-zero when an expectation is missed").
///
/// The server's score is strict: an expectation is met when its event's drill time is within the window. At the
/// demo's clock factor a window is very short in wall time (5 drill-minutes at ×1800 is 167 ms), so a busy machine's
/// latency alone can make an event late. The demo allows ``tolerance`` of wall time for that: a missed expectation
/// whose event came at most `tolerance × factor` drill-seconds after its due time is reported as met within the
/// machine's latency (saying by how much); one whose event came later, or never, fails the demo. The score itself is
/// not changed.
struct DemoVerdict: Sendable, Equatable {
    /// One line per expectation that was not met outright.
    var lines: [String]
    /// The expectations that failed the demo (missed beyond the tolerance, or still pending at the end), by id.
    var failed: [String]

    var passed: Bool { failed.isEmpty }

    /// Judges `score` played at `factor` drill seconds per wall second, with `tolerance` of wall time.
    static func judge(_ score: DrillScore, factor: Double, tolerance: Duration) -> DemoVerdict {
        let allowed = Double(tolerance.components.seconds) + Double(tolerance.components.attoseconds) / 1e18
        var lines: [String] = []
        var failed: [String] = []
        for result in score.results where result.outcome != .met {
            guard result.outcome == .missed, let at = result.at else {
                failed.append(result.id)
                lines.append("✗ \(result.id): \(result.outcome == .pending ? "still pending" : "never happened")")
                continue
            }
            let lateDrill = at.timeIntervalSince(result.due)
            let lateWall = lateDrill / factor
            let late = "\(Self.minutes(lateDrill)) drill-min late, \(Int((lateWall * 1_000).rounded())) ms of wall time"
            if lateWall <= allowed {
                lines.append("≈ \(result.id): \(late) — within the \(Int(allowed * 1_000)) ms allowed for latency")
            } else {
                failed.append(result.id)
                lines.append("✗ \(result.id): \(late) — beyond the \(Int(allowed * 1_000)) ms allowed for latency")
            }
        }
        return DemoVerdict(lines: lines, failed: failed)
    }

    /// `4.5` for 270 s.
    static func minutes(_ seconds: TimeInterval) -> String {
        let minutes = (seconds / 6).rounded() / 10
        return minutes == minutes.rounded() ? String(Int(minutes)) : String(minutes)
    }
}
