import Foundation

/// Travel time and peak concentration of a pollutant slug in a river, after
/// Jobson, H.E. (1996), *Prediction of traveltime and longitudinal dispersion in
/// rivers and streams*, USGS Water-Resources Investigations Report 96-4013
/// (equation numbers below are the report's). SI units throughout.
public enum Jobson {
    /// Standard gravity g, m/s².
    public static let gravity = 9.806_65
    /// Leading-edge travel time as a fraction of the peak travel time (eq. 18: T_l = 0.890 · T_p).
    public static let leadingEdgeRatio = 0.890

    /// The two peak velocities of a reach, m/s.
    public struct PeakVelocities: Sendable, Hashable, Codable {
        /// Most probable peak velocity V_p (eq. 12, or eq. 14 without slope).
        public var mostProbable: Double
        /// Maximum probable peak velocity V_mp (eq. 13, or eq. 15): gives the earliest plausible arrival.
        public var maximumProbable: Double
        /// Creates the pair.
        public init(mostProbable: Double, maximumProbable: Double) {
            self.mostProbable = mostProbable
            self.maximumProbable = maximumProbable
        }
    }

    /// Peak velocities from the reach's hydrology.
    ///
    /// - D'_a = D_a^1.25 · √g / Q_a (eq. 10), Q'_a = Q / Q_a (eq. 11)
    /// - with slope S: V_p = 0.094 + 0.0143 · D'_a^0.919 · Q'_a^−0.469 · S^0.159 · Q/D_a (eq. 12),
    ///   V_mp = 0.25 + 0.02 · D'_a^0.919 · Q'_a^−0.469 · S^0.159 · Q/D_a (eq. 13)
    /// - slope unknown: V_p = 0.020 + 0.051 · D'_a^0.821 · Q'_a^−0.465 · Q/D_a (eq. 14),
    ///   V_mp = 0.20 + 0.093 · D'_a^0.821 · Q'_a^−0.465 · Q/D_a (eq. 15)
    ///
    /// - Parameters:
    ///   - drainageAreaKm2: D_a at the reach's lower end, km² (converted to m²).
    ///   - meanDischargeM3s: Q_a, m³/s.
    ///   - dischargeM3s: Q now, m³/s.
    ///   - slope: S in m/m, or `nil` when unknown.
    public static func peakVelocities(
        drainageAreaKm2: Double, meanDischargeM3s: Double, dischargeM3s: Double, slope: Double?
    ) -> PeakVelocities {
        let area = drainageAreaKm2 * 1_000_000
        let dimensionlessArea = pow(area, 1.25) * gravity.squareRoot() / meanDischargeM3s
        let relativeDischarge = dischargeM3s / meanDischargeM3s
        let qOverArea = dischargeM3s / area
        if let slope {
            let term =
                pow(dimensionlessArea, 0.919) * pow(relativeDischarge, -0.469) * pow(slope, 0.159) * qOverArea
            return PeakVelocities(mostProbable: 0.094 + 0.0143 * term, maximumProbable: 0.25 + 0.02 * term)
        }
        let term = pow(dimensionlessArea, 0.821) * pow(relativeDischarge, -0.465) * qOverArea
        return PeakVelocities(mostProbable: 0.020 + 0.051 * term, maximumProbable: 0.20 + 0.093 * term)
    }

    /// Unit peak concentration, most probable (eq. 7): C_up = 857 · T_p^(−0.760 · Q'_a^−0.079),
    /// with T_p the cumulative peak travel time **from the spill**, hours, and Q'_a = Q/Q_a
    /// of the reach where the receptor is. Units: (mg/L)·(L/s)/mg × 10⁶, i.e. s⁻¹ × 10⁶.
    public static func unitPeakConcentration(peakTimeH: Double, relativeDischarge: Double) -> Double {
        857 * pow(peakTimeH, -0.760 * pow(relativeDischarge, -0.079))
    }

    /// Upper envelope of the unit peak concentration: C_up,max = 1025 · T_p^−0.887, with T_p the
    /// cumulative peak time at the maximum-probable velocity, hours (as USGS's travel-time tool does).
    public static func unitPeakConcentrationUpper(peakTimeH: Double) -> Double {
        1025 * pow(peakTimeH, -0.887)
    }

    /// Peak concentration (eq. 4 rearranged): C_p = C_up · M / (10⁶ · Q), M in mg and Q in L/s, giving mg/L.
    ///
    /// - Parameters:
    ///   - unitPeak: C_up from ``unitPeakConcentration(peakTimeH:relativeDischarge:)``.
    ///   - massKg: dissolved mass passing, kg.
    ///   - dischargeM3s: Q of the receptor's reach, m³/s.
    /// - Returns: mg/L.
    public static func peakConcentrationMgL(unitPeak: Double, massKg: Double, dischargeM3s: Double) -> Double {
        let massMg = massKg * 1_000_000
        let dischargeLs = dischargeM3s * 1_000
        return unitPeak * massMg / (1_000_000 * dischargeLs)
    }

    /// Passage time from the leading edge until the concentration falls to 10 % of the peak
    /// (eq. 19): T_d10 = 2·10⁶ / C_up seconds. Returned in hours.
    public static func passageTimeH(unitPeak: Double) -> Double {
        2_000_000 / unitPeak / 3_600
    }

    /// Fully mixed concentration of a continuous release while it lasts (DOMAIN.md §3):
    /// C (mg/L) = rate (kg/h) / (3.6 · Q (m³/s)).
    public static func continuousConcentrationMgL(rateKgH: Double, dischargeM3s: Double) -> Double {
        rateKgH / (3.6 * dischargeM3s)
    }
}
