import Foundation
import Testing
import WatershedCore
import WatershedPlaybooks
import WatershedTestSupport

@Suite("The repository's playbooks")
struct RealPlaybooksTests {
    @Test func loadWithoutProblems() throws {
        let loaded = try #require(loadRealBasin())
        let yamlFiles = try PlaybookLoader.playbookFiles(in: Fixtures.playbooksDirectory.path)
        // Every playbook in playbooks/ is loaded, plus the peers file.
        #expect(loaded.files.count == yamlFiles.count + (realPeersFile == nil ? 0 : 1))
        #expect(loaded.files.map(\.file).prefix(yamlFiles.count) == yamlFiles[...])
    }

    @Test func mapTheWholeBasin() throws {
        let basin = try #require(loadRealBasin()).basin
        #expect(basin.rivers.count >= 11, "rivers: \(basin.rivers.keys.sorted())")
        #expect(basin.parks.count >= 2, "parks: \(basin.parks.keys.sorted())")
        #expect(basin.seas.count >= 1, "seas: \(basin.seas.keys.sorted())")
        #expect(basin.units["450000"] != nil)
        #expect(basin.pollutants["cadmium"] != nil)
    }

    @Test func peersFileNamesGuangxisNeighbours() throws {
        let path = try #require(realPeersFile, "seeds/450000/peers.yaml is missing")
        let file = PlaybookLoader().decodeFile(at: path)
        #expect(file.diagnostics.isEmpty, "\(file.diagnostics.map(\.description))")
        guard case .peers(let registry)? = file.document else {
            Issue.record("seeds/450000/peers.yaml is not a peers file")
            return
        }
        #expect(!registry.peers.isEmpty)
        #expect(!registry.peers.contains { $0.province == "450000" }, "Guangxi is not its own peer")
    }

    @Test func everyRiverIsInTheNetwork() throws {
        let basin = try #require(loadRealBasin()).basin
        for river in basin.rivers.values.sorted(by: { $0.id < $1.id }) {
            if river.mouth == nil {
                let joins = river.joins
                #expect(joins != nil, "\(river.id) neither joins a river nor has a mouth")
                if let joins { #expect(basin.rivers[joins.river] != nil, "\(river.id) joins unknown \(joins.river)") }
            }
            // Following the confluences downstream ends at a river with a mouth.
            let course = basin.downstreamCourse(from: river.id, km: 0)
            #expect(
                course.last?.river.mouth != nil,
                "\(river.id) drains through \(course.map(\.river.id)) to no mouth")
        }
    }

    @Test func everyFigureBearingObjectHasASource() throws {
        let loaded = try #require(loadRealBasin())
        var missing: [String] = []
        func check(_ source: String, _ file: String, _ what: String) {
            if source.allSatisfy(\.isWhitespace) { missing.append("\(file): \(what)") }
        }
        var checked = 0
        for summary in loaded.files {
            let file = (summary.file as NSString).lastPathComponent
            switch summary.document {
            case .river(let river):
                check(river.source, file, "source")
                for (i, reach) in river.reaches.enumerated() { check(reach.source, file, "reaches[\(i)]") }
                for (i, site) in river.sites.enumerated() { check(site.source, file, "sites[\(i)]") }
                for (i, receptor) in river.receptors.enumerated() { check(receptor.source, file, "receptors[\(i)]") }
                for (i, section) in river.monitoringSections.enumerated() {
                    check(section.source, file, "monitoringSections[\(i)]")
                }
                for (i, measure) in river.measures.enumerated() { check(measure.source, file, "measures[\(i)]") }
                checked +=
                    1 + river.reaches.count + river.sites.count + river.receptors.count
                    + river.monitoringSections.count + river.measures.count
            case .park(let park):
                check(park.source, file, "source")
                for (i, site) in park.sites.enumerated() { check(site.source, file, "sites[\(i)]") }
                for (i, outfall) in park.outfalls.enumerated() { check(outfall.source, file, "outfalls[\(i)]") }
                for (i, scenario) in park.scenarios.enumerated() { check(scenario.source, file, "scenarios[\(i)]") }
                checked += 1 + park.sites.count + park.outfalls.count + park.scenarios.count
            case .sea(let sea):
                check(sea.source, file, "source")
                for (i, zone) in sea.zones.enumerated() { check(zone.source, file, "zones[\(i)]") }
                for (i, receptor) in sea.receptors.enumerated() { check(receptor.source, file, "receptors[\(i)]") }
                for (i, boundary) in sea.boundaries.enumerated() { check(boundary.source, file, "boundaries[\(i)]") }
                checked += 1 + sea.zones.count + sea.receptors.count + sea.boundaries.count
            case .pollutants(let table):
                for (i, pollutant) in table.pollutants.enumerated() {
                    check(pollutant.source, file, "pollutants[\(i)]")
                }
                checked += table.pollutants.count
            case .units(let registry):
                check(registry.source, file, "source")
                checked += 1
            case .peers(let registry):
                for (i, agreement) in registry.peers.enumerated() {
                    check(agreement.agreement, file, "peers[\(i)].agreement")
                }
                checked += registry.peers.count
            }
        }
        #expect(missing.isEmpty, "objects without a source: \(missing)")
        #expect(checked > 100)
    }
}
