import Testing
import WatershedCore

/// Core validation of the basin network (the loader adds file positions).
@Suite struct BasinValidationTests {
    @Test func handBasinIsValid() {
        #expect(HandBasin.basin().problems() == [])
    }

    /// main joins trib and trib joins main: a cycle, reported once per river in it.
    @Test func cycleIsReported() {
        var main = HandBasin.main
        main.joins = Confluence(river: "trib", km: 5)
        main.mouth = nil
        let problems = Basin(units: HandBasin.units, pollutants: [HandBasin.cadmium], rivers: [HandBasin.trib, main])
            .problems()
        #expect(problems.filter { $0.message.contains("cycle") }.map(\.document).sorted() == ["main", "trib"])
    }

    @Test func confluenceToMissingRiverAndChainageBeyondLength() {
        var trib = HandBasin.trib
        trib.joins = Confluence(river: "nowhere", km: 1)
        trib.sites[0].km = 40
        let problems = Basin(units: HandBasin.units, pollutants: [HandBasin.cadmium], rivers: [trib, HandBasin.main])
            .problems()
        #expect(
            problems.contains(
                PlaybookProblem(document: "trib", path: "joins.river", message: "joins unknown river \"nowhere\"")))
        #expect(
            problems.contains { $0.document == "trib" && $0.path == "sites[0].km" && $0.message.contains("outside") })
    }

    @Test func reachGapAndMissingSourceAndSiteWithoutAction() {
        var main = HandBasin.main
        main.reaches[1].fromKm = 25
        main.receptors[0].source = " "
        var trib = HandBasin.trib
        trib.sites[0].actions = []
        trib.measures = []
        let problems = Basin(units: HandBasin.units, pollutants: [HandBasin.cadmium], rivers: [trib, main]).problems()
        let paths = Set(problems.map { "\($0.document):\($0.path)" })
        #expect(paths.contains("main:reaches[1].fromKm"))
        #expect(paths.contains("main:receptors[0].source"))
        #expect(paths.contains("trib:sites[0].actions"))
    }

    @Test func boundaryMustNameTheUnitBeyond() {
        var main = HandBasin.main
        main.receptors[1].beyond = nil
        let problems = Basin(units: HandBasin.units, pollutants: [HandBasin.cadmium], rivers: [HandBasin.trib, main])
            .problems()
        #expect(problems.map(\.path) == ["receptors[1].beyond"])
    }
}
