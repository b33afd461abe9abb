import Foundation

/// A past river spill to replay against the playbooks (`hindcasts/*.yaml`, format in `docs/hindcasts.md`): the
/// spill, the measures taken with their times, and the times the plume was seen at stations, in the order they
/// became known — every figure with its source.
public struct HindcastCase: Codable, Sendable, Hashable {
    /// The spill as the replay plans it.
    public struct Spill: Codable, Sendable, Hashable {
        /// River playbook id and chainage, km.
        public var river: String
        public var km: Double
        /// When the slug set off from there.
        public var at: Date
        public var pollutant: String
        /// Mass released at once, kg; `nil` when not known (times need no mass).
        public var massKg: Double?
        /// The flow condition Q/Q_a at the time (DOMAIN.md §3: low 0.3, mean 1, flood 3).
        public var flowRatio: Double
        /// Per-reach discharge at the time, m³/s, where a gauge gives it.
        public var discharge: [String: Double]?
        public var source: String
        public var note: String?
    }

    /// A measure that changed the travel: a dam held for hours, or held until a release.
    public struct Measure: Codable, Sendable, Hashable {
        /// The emergency site (a dam, sluice, gate or reservoir).
        public var site: String
        /// Held this many hours once the slug reached it.
        public var holdH: Double?
        /// Held until released at this time; with neither `holdH` nor `releasedAt`, still held at the end of the
        /// replay (arrivals below assume a release when each step is planned).
        public var releasedAt: Date?
        public var source: String
        public var note: String?
    }

    /// A time the plume was seen at a station.
    public struct Seen: Codable, Sendable, Hashable {
        /// The node (monitoring section, receptor or site) on the path.
        public var node: String
        /// What was seen.
        public var feature: Observation.Feature
        /// When.
        public var at: Date
        /// How exactly the record gives the time, ± hours (e.g. 12 for "on the 12th"); 0 when given to the hour.
        public var withinH: Double?
        /// Whether responders used it to re-estimate (`false`: only compared against).
        public var used: Bool?
        public var source: String
        public var note: String?
    }

    public var schemaVersion: Int
    /// Always `hindcast`.
    public var kind: String
    public var id: String
    public var name: String
    public var nameZh: String?
    /// What the reach figures the replay uses were calibrated on (sources that do not use the arrival times here).
    public var calibratedOn: String
    /// The playbooks folder the case runs on, relative to the case file; `nil`: the shipped `playbooks/`.
    public var playbooks: String?
    /// The IANA time zone the record's times are read in (`watershed hindcast` prints in it); `nil`: Asia/Shanghai.
    public var timeZone: String?
    public var spill: Spill
    public var measures: [Measure]?
    /// In the order they became known.
    public var seen: [Seen]
    /// The figures of the last recorded run (`Benchmarks/results/hindcasts.md`): a run may not be worse.
    public var recorded: [Recorded]?
    public var source: String
    public var note: String?

    /// A recorded figure: at a station, after `step` observations, whether the observed time was in the band and
    /// the absolute error in % of the observed travel time.
    public struct Recorded: Codable, Sendable, Hashable {
        public var node: String
        /// What was seen there (a station can have its leading edge and its peak on record).
        public var feature: Observation.Feature
        public var step: Int
        public var inBand: Bool
        public var errorPercent: Double?

        /// Creates a figure.
        public init(node: String, feature: Observation.Feature, step: Int, inBand: Bool, errorPercent: Double?) {
            self.node = node
            self.feature = feature
            self.step = step
            self.inBand = inBand
            self.errorPercent = errorPercent
        }
    }
}
