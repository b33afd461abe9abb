import Foundation
import Testing
import WatershedCore
import WatershedPlaybooks
import WatershedTestSupport

/// `seeds/<province>/peers.yaml` of Guangxi, Guangdong and Hainan with the link fields (issues 5 and 6): each
/// loads with the real playbooks, names the neighbours and links written in it (expected values read off the
/// files and the playbooks' boundaries by hand), and shares only rivers and seas the map has.
@Suite struct PeerSeedsTests {
    /// What a peer entry says, in a form easy to write out by hand.
    struct Link: Equatable, CustomStringConvertible {
        var notifyWithinH: Double
        var marginH: Double
        var url: String?
        var caFile: String?
        var rivers: [String]?
        var seas: [String]?

        init(
            _ notifyWithinH: Double, _ marginH: Double, _ url: String, rivers: [String], seas: [String], ca: String
        ) {
            self.notifyWithinH = notifyWithinH
            self.marginH = marginH
            self.url = url
            self.caFile = "peers/\(ca)-ca.pem"
            self.rivers = rivers
            self.seas = seas
        }

        init(_ agreement: NotificationAgreement) {
            notifyWithinH = agreement.notifyWithinH
            marginH = agreement.marginH
            url = agreement.url
            caFile = agreement.caFile
            rivers = agreement.rivers
            seas = agreement.seas
        }

        var description: String {
            "\(notifyWithinH) h, \(marginH) h, \(url ?? "-"), \(caFile ?? "-"), \(rivers ?? []), \(seas ?? [])"
        }
    }

    static let guangxiPort = "wss://127.0.0.1:8444"
    static let gulf = ["beibu-gulf-guangxi"]

    static let expected: [String: [String: Link]] = [
        "450000": [
            "440000": Link(
                1, 4, "wss://watershed.gd.example:8444", rivers: ["xijiang", "he-river", "jiuzhou-river"],
                seas: gulf, ca: "440000"),
            "520000": Link(
                1, 2, "wss://watershed.gz.example:8444", rivers: ["hongshui", "liujiang"], seas: [], ca: "520000"),
            "530000": Link(2, 2, "wss://watershed.yn.example:8444", rivers: ["yujiang"], seas: [], ca: "530000"),
            "430000": Link(2, 2, "wss://watershed.hn.example:8444", rivers: [], seas: [], ca: "430000"),
            "460000": Link(2, 6, "wss://watershed.hi.example:8444", rivers: [], seas: gulf, ca: "460000"),
        ],
        "440000": [
            "450000": Link(
                1, 4, guangxiPort, rivers: ["xijiang", "he-river", "jiuzhou-river"], seas: gulf, ca: "450000"),
            "460000": Link(2, 6, "wss://watershed.hi.example:8444", rivers: [], seas: gulf, ca: "460000"),
        ],
        "460000": [
            "450000": Link(2, 6, guangxiPort, rivers: [], seas: gulf, ca: "450000"),
            "440000": Link(2, 6, "wss://watershed.gd.example:8444", rivers: [], seas: gulf, ca: "440000"),
        ],
    ]

    static func load(_ province: String) throws -> Basin {
        let peers = Fixtures.repositoryRoot.appendingPathComponent("seeds/\(province)/peers.yaml").path
        return try PlaybookLoader().load(directory: Fixtures.playbooksDirectory.path, peersFile: peers).basin
    }

    @Test(arguments: ["450000", "440000", "460000"])
    func peersFileLoadsWithItsLinks(province: String) throws {
        let basin = try Self.load(province)
        let links = basin.agreements.mapValues(Link.init)
        #expect(links == Self.expected[province])
    }

    /// Both sides of a pair agree on the hours and on what they share.
    @Test func pairsAgree() {
        for (province, peers) in Self.expected {
            for (peer, link) in peers {
                guard let back = Self.expected[peer]?[province] else { continue }
                #expect(back.notifyWithinH == link.notifyWithinH, "\(province) ↔ \(peer)")
                #expect(back.marginH == link.marginH, "\(province) ↔ \(peer)")
                #expect(Set(back.rivers ?? []) == Set(link.rivers ?? []), "\(province) ↔ \(peer)")
                #expect(back.seas == link.seas, "\(province) ↔ \(peer)")
            }
        }
    }

    /// A river is listed for a pair of provinces exactly when the river's playbook has something owned in, or a
    /// boundary towards, each of the two; likewise a sea (its owner, zones, receptors and boundaries). So a new
    /// boundary in a playbook without its peers entry fails here.
    @Test(arguments: ["450000", "440000", "460000"])
    func sharedRiversAndSeasFollowThePlaybooks(province: String) throws {
        let basin = try Self.load(province)
        for (peer, agreement) in basin.agreements {
            let pair: Set<UnitCode> = [province, peer]
            let rivers = basin.rivers.values.filter { river in
                var touched = river.reaches.map(\.owner) + river.sites.map(\.owner) + river.receptors.map(\.owner)
                touched += river.monitoringSections.map(\.owner) + river.receptors.compactMap(\.beyond)
                return pair.isSubset(of: Set(touched.map(\.provinceCode)))
            }
            let seas = basin.seas.values.filter { sea in
                let touched =
                    [sea.owner] + sea.zones.map(\.owner) + sea.receptors.map(\.owner)
                    + sea.boundaries.map(\.beyond)
                return pair.isSubset(of: Set(touched.map(\.provinceCode)))
            }
            #expect(Set(agreement.rivers ?? []) == Set(rivers.map(\.id)), "\(province) → \(peer)")
            #expect(Set(agreement.seas ?? []) == Set(seas.map(\.id)), "\(province) → \(peer)")
        }
    }
}
