import Foundation
import Testing
import WatershedCore
import WatershedPlaybooks
import WatershedTestSupport

/// `rivers` and `seas` of `peers.yaml`: a plan on water shared with a neighbour notifies it even when no crossing is
/// predicted (``Basin/sharedWaterNotifications(for:ownProvince:)``; MEE–MWR 2020 guidance), with the real playbooks
/// and each province's own peers file.
@Suite struct SharedWaterTests {
    static func date(_ text: String) throws -> Date { try #require(ISO8601DateFormatter().date(from: text)) }

    /// Guangdong's own report of the 2013 thallium at km 260 of the He River (Guangdong waters, 32 km below the
    /// Fulong boundary at km 228): the plume runs down to the Xijiang, away from Guangxi, so the plan crosses no
    /// boundary — but the He River (and the Xijiang) are shared with Guangxi (seeds/440000/peers.yaml), whose waters
    /// may hold the cause. One advisory notification to Guangxi, named after the Fulong boundary section, due 1 h
    /// (Guangdong's `notifyWithinH` for Guangxi) after the 06:00+08:00 discovery; none to Hainan (it shares only
    /// the Beibu Gulf).
    @Test func aSpillBelowTheBoundaryIsNotifiedUpstream() throws {
        let basin = try PeerSeedsTests.load("440000")
        let at = try Self.date("2013-07-05T22:00:00Z")
        let plan = try Planner(basin: basin).plan(
            SpillInput(
                location: .river(id: "he-river", km: 260), at: at, pollutant: "thallium",
                release: .instantaneous(massKg: 500), ownProvince: "440000"))
        #expect(plan.peerNotifications.isEmpty, "nothing flows upstream")
        #expect(plan.incidentWater == "he-river")
        let shared = basin.sharedWaterNotifications(for: plan, ownProvince: "440000")
        #expect(shared.count == 1)
        let notification = try #require(shared.first)
        #expect(notification.province == "450000")
        #expect(notification.kind == .sharedWater)
        #expect(notification.requirement == .advisory)
        #expect(notification.boundary == "he-river-fulong-boundary")
        #expect(notification.crossingAt == at)
        #expect(notification.deadline == (try Self.date("2013-07-05T23:00:00Z")))
        #expect(notification.peakMgL == nil)
    }

    /// Guangxi's He River spill at km 140 crosses at Fulong: Guangdong is notified of the crossing by the plan, so
    /// the shared-water rule adds nothing (one notification per neighbour), and no other neighbour shares the He
    /// River or the Xijiang.
    @Test func aCrossingIsNotNotifiedTwice() throws {
        let basin = try PeerSeedsTests.load("450000")
        let plan = try Planner(basin: basin).plan(
            SpillInput(
                location: .river(id: "he-river", km: 140), at: try Self.date("2013-07-05T04:00:00Z"),
                pollutant: "thallium", release: .instantaneous(massKg: 500)))
        #expect(plan.peerNotifications.map(\.province) == ["440000"])
        #expect(basin.sharedWaterNotifications(for: plan, ownProvince: "450000").isEmpty)
    }

    /// Only the water the incident is on counts: the 2012 Longjiang cadmium reaches the Liujiang (shared with Guizhou
    /// for the Duliu upstream, seeds/450000/peers.yaml) but the Longjiang is shared with nobody, so Guizhou is not
    /// notified; Guangdong is, for the crossing on the Xijiang.
    @Test func aRiverReachedDownstreamIsNotTheIncidentsWater() throws {
        let basin = try PeerSeedsTests.load("450000")
        let plan = try Planner(basin: basin).plan(
            SpillInput(
                location: .river(id: "longjiang", km: 0), at: try Self.date("2012-01-15T00:00:00Z"),
                pollutant: "cadmium", release: .instantaneous(massKg: 21_000)))
        #expect(plan.arrivals.contains { $0.river == "liujiang" }, "the plume reaches the Liujiang")
        #expect(plan.incidentWater == "longjiang")
        #expect(basin.sharedWaterNotifications(for: plan, ownProvince: "450000").isEmpty)
    }

    /// A 50 t crude slick off Tieshangang with a 10 m/s south-west wind drifts north-east into Guangdong's waters:
    /// Guangdong is notified of the crossing; Hainan, which shares the Beibu Gulf (seeds/450000/peers.yaml `seas`)
    /// but whose boundary the slick does not reach, is notified of it as shared water — at the Guangxi–Hainan sea
    /// boundary, due 2 h (Hainan's `notifyWithinH`) after discovery.
    @Test func aSlickDriftingAwayIsStillNotifiedToTheGulfsOtherNeighbour() throws {
        let basin = try PeerSeedsTests.load("450000")
        let at = try Self.date("2024-05-01T02:00:00Z")
        let plan = try Planner(basin: basin).plan(
            SpillInput(
                location: .sea(id: "beibu-gulf-guangxi", lng: 109.45, lat: 21.45), at: at, pollutant: "crude-oil",
                release: .instantaneous(massKg: 50_000),
                sea: SeaConditions(windMs: 10, windFromDeg: 225, currentMs: 0, currentToDeg: 0)))
        #expect(plan.peerNotifications.map(\.province) == ["440000"])
        let shared = basin.sharedWaterNotifications(for: plan, ownProvince: "450000")
        #expect(shared.map(\.province) == ["460000"])
        #expect(shared.first?.boundary == "guangxi-hainan-sea-boundary")
        #expect(shared.first?.deadline == (try Self.date("2024-05-01T04:00:00Z")))
        #expect(shared.first?.kind == .sharedWater)
    }
}
