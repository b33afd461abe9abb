import Foundation
import Testing
import WatershedCore

/// The bounds on an initial report's discovery time (issue 15, item 10): no later than receipt plus the 300 s skew
/// follow-ups allow, no earlier than 2000-01-01T00:00:00+08:00. Times worked out by hand from `now`.
@Suite struct DiscoveryBoundsTests {
    /// 2026-11-29T02:00:00Z (`date -u -d @1795917600`).
    static let now = Date(timeIntervalSince1970: 1_795_917_600)

    static func report(discoveredAt text: String) throws -> InitialReport {
        InitialReport(
            discoveredAt: try #require(CanonicalJSON.date(fromTimestamp: text)), place: .river(id: "trib", km: 3),
            informationSource: "12369 hotline", cause: "tailings pond overflow", pollutant: "cadmium",
            release: .instantaneous(massKg: 100),
            signature: ReportSignature(
                reportingUnit: "451203", signingOfficer: "Director Wei", contactName: "Li Ming",
                contactPhone: "0778-1234567"))
    }

    @Test(arguments: [
        ("2026-11-29T02:05:00Z", true),  // now + 300 s: the skew
        ("2026-11-29T02:05:00.001Z", false),  // a millisecond more
        ("2027-11-29T02:00:00Z", false),  // a year from now
        ("9999-12-31T23:59:59Z", false),
        ("2000-01-01T00:00:00+08:00", true),  // the earliest accepted
        ("1999-12-31T15:59:59.999Z", false),  // a millisecond before it
        ("0001-01-01T00:00:00Z", false), ("0000-01-01T00:00:00Z", false),
        ("2012-01-15T08:00:00+08:00", true),  // the Longjiang incident, replayed
    ])
    func discoveryIsBounded(_ text: String, accepted: Bool) throws {
        let problem = try Self.report(discoveredAt: text).discoveryProblem(now: Self.now)
        #expect((problem == nil) == accepted, "\(text): \(problem?.message ?? "accepted")")
        if let problem { #expect(problem.field == "discoveredAt") }
    }

    /// The bound is 2000-01-01T00:00:00+08:00, i.e. 1999-12-31T16:00:00Z.
    @Test func theEarliestDiscoveryIsTheDocumentedOne() {
        #expect(CanonicalJSON.timestamp(InitialReport.earliestDiscovery) == "1999-12-31T16:00:00.000Z")
    }
}
