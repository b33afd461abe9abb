import Foundation

/// A drill's own clock (DESIGN.md "Clocks"): it reads `drillStart` at the wall time `wallStart` and runs `factor`
/// times as fast as the wall clock from then on, so that a ×60 drill plays an hour of the scenario in a minute.
///
/// `drill = drillStart + (wall − wallStart) × factor` and its inverse `wall = wallStart + (drill − drillStart) / factor`.
/// Every deadline of a drill incident (acknowledgements, reports, arrivals) is in drill time; the scheduler sleeps
/// until the wall time this clock maps it to.
public struct DrillClock: Codable, Sendable, Hashable {
    /// The wall-clock time at which the drill started.
    public var wallStart: Date
    /// The drill-clock time at that instant (the scenario's `startsAt`, e.g. 2013-07-05 12:00 +08:00).
    public var drillStart: Date
    /// Drill seconds per wall second (≥ 1).
    public var factor: Double

    /// A clock reading `drillStart` at `wallStart`, running `factor` times as fast.
    public init(wallStart: Date, drillStart: Date, factor: Double) {
        self.wallStart = wallStart
        self.drillStart = drillStart
        self.factor = factor
    }

    /// The drill time at the wall time `wall`.
    ///
    /// Rounded to the millisecond, as the log stores `drillAt`: a decision compares deadlines with the time it records
    /// (an acknowledgement at exactly its deadline is in time), never with a finer one.
    public func drillTime(atWall wall: Date) -> Date {
        CanonicalJSON.roundedToMilliseconds(drillStart.addingTimeInterval(wall.timeIntervalSince(wallStart) * factor))
    }

    /// The wall time at which the drill clock reads `drill`.
    public func wallTime(atDrill drill: Date) -> Date {
        wallStart.addingTimeInterval(drill.timeIntervalSince(drillStart) / factor)
    }

    /// The drill time `minutes` drill-minutes after the start.
    public func drillTime(offsetMin minutes: Double) -> Date { drillStart.addingTimeInterval(minutes * 60) }
}
