import Foundation
import Testing
import WatershedCore

/// Jobson (1996) WRI 96-4013, checked against values worked out with a calculator.
@Suite struct JobsonTests {
    /// Reach A: D_a = 1,000 km² = 1e9 m², Q = Q_a = 20 m³/s, S = 0.001 (eq. 12–13).
    /// D'_a = (1e9)^1.25 · √9.80665 / 20 = 1.778279e11 · 3.131557 / 20 = 2.784392e10
    /// D'_a^0.919 = 3.969238e9; Q'_a^−0.469 = 1; S^0.159 = 10^(−3·0.159) = 0.333426; Q/D_a = 2e-8
    /// term = 3.969238e9 · 0.333426 · 2e-8 = 26.46898
    /// V_p = 0.094 + 0.0143 · 26.46898 = 0.472506 m/s; V_mp = 0.25 + 0.02 · 26.46898 = 0.779380 m/s
    @Test func reachWithSlope() {
        let v = Jobson.peakVelocities(drainageAreaKm2: 1_000, meanDischargeM3s: 20, dischargeM3s: 20, slope: 0.001)
        #expect(abs(v.mostProbable - 0.472506) < 1e-5)
        #expect(abs(v.maximumProbable - 0.779380) < 1e-5)
    }

    /// Reach B: D_a = 5,000 km² = 5e9 m², Q = Q_a = 100 m³/s, slope unknown (eq. 14–15).
    /// D'_a = (5e9)^1.25 · 3.131557 / 100 = 4.163637e10; D'_a^0.821 = 5.231030e8; Q/D_a = 2e-8
    /// term = 5.231030e8 · 2e-8 = 10.46206
    /// V_p = 0.020 + 0.051 · 10.46206 = 0.553565 m/s; V_mp = 0.20 + 0.093 · 10.46206 = 1.172972 m/s
    @Test func reachWithoutSlope() {
        let v = Jobson.peakVelocities(drainageAreaKm2: 5_000, meanDischargeM3s: 100, dischargeM3s: 100, slope: nil)
        #expect(abs(v.mostProbable - 0.553565) < 1e-5)
        #expect(abs(v.maximumProbable - 1.172972) < 1e-5)
    }

    /// Low flow lowers the speed: Q = 10 on reach A (Q'_a = 0.5): term = 3.969238e9 · 0.5^−0.469 · 0.333426 · 1e-8
    /// = 3.969238e9 · 1.384150 · 0.333426 · 1e-8 = 18.31850; V_p = 0.094 + 0.0143 · 18.31850 = 0.355955 m/s.
    @Test func lowFlowIsSlower() {
        let v = Jobson.peakVelocities(drainageAreaKm2: 1_000, meanDischargeM3s: 20, dischargeM3s: 10, slope: 0.001)
        #expect(abs(v.mostProbable - 0.355955) < 1e-4)
    }

    /// C_up at T_p = 48.26082 h, Q'_a = 1: 857 · 48.26082^−0.76 = 857 · 0.0525373 = 45.0245.
    /// C_p for 1,000 kg at Q = 100 m³/s: 45.0245 · 1e9 mg / (1e6 · 1e5 L/s) = 0.450245 mg/L.
    /// T_d10 = 2e6 / 45.0245 s = 44,420 s = 12.339 h.
    @Test func unitPeakAndConcentration() {
        let unit = Jobson.unitPeakConcentration(peakTimeH: 48.26082, relativeDischarge: 1)
        #expect(abs(unit - 45.0245) < 1e-3)
        #expect(abs(Jobson.peakConcentrationMgL(unitPeak: unit, massKg: 1_000, dischargeM3s: 100) - 0.450245) < 1e-5)
        #expect(abs(Jobson.passageTimeH(unitPeak: unit) - 12.339) < 1e-3)
        // Upper envelope at T = 25.61875 h: 1025 · 25.61875^−0.887 = 57.7209.
        #expect(abs(Jobson.unitPeakConcentrationUpper(peakTimeH: 25.61875) - 57.7209) < 1e-3)
    }

    /// A continuous release of 360 kg/h into 100 m³/s: C = 360 / (3.6 · 100) = 1.0 mg/L.
    @Test func continuousRelease() {
        #expect(Jobson.continuousConcentrationMgL(rateKgH: 360, dischargeM3s: 100) == 1.0)
    }
}
