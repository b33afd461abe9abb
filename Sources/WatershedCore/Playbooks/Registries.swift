/// `playbooks/units.yaml`: the administrative units that own reaches, sites and receptors.
public struct UnitRegistry: Codable, Sendable, Hashable {
    /// Format version of the file; 1.
    public var schemaVersion: Int
    /// `"units"`.
    public var kind: String
    /// The units.
    public var units: [AdministrativeUnit]
    /// Where the codes come from (GB/T 2260).
    public var source: String
    /// Caveats.
    public var note: String?

    /// Creates a value with every field.
    public init(
        schemaVersion: Int, kind: String, units: [AdministrativeUnit], source: String, note: String? = nil
    ) {
        self.schemaVersion = schemaVersion
        self.kind = kind
        self.units = units
        self.source = source
        self.note = note
    }
}

/// `playbooks/pollutants.yaml`: pollutants with their limits.
public struct PollutantTable: Codable, Sendable, Hashable {
    /// Format version of the file; 1.
    public var schemaVersion: Int
    /// `"pollutants"`.
    public var kind: String
    /// The pollutants.
    public var pollutants: [Pollutant]

    /// Creates a value with every field.
    public init(
        schemaVersion: Int, kind: String, pollutants: [Pollutant]
    ) {
        self.schemaVersion = schemaVersion
        self.kind = kind
        self.pollutants = pollutants
    }
}

/// One neighbour's notification agreement: how soon it must hear of an incident
/// that may reach it (MEP Order No. 17 Art. 8 sets no hour limit; each bilateral agreement does).
public struct NotificationAgreement: Codable, Sendable, Hashable {
    /// The neighbour (GB/T 2260 province code, or a country code).
    public var province: UnitCode
    /// Its name.
    public var name: String
    /// Hours from discovery within which it must be notified.
    public var notifyWithinH: Double
    /// Safety margin before the predicted crossing, hours.
    public var marginH: Double
    /// The agreement this comes from.
    public var agreement: String
    /// Caveats.
    public var note: String?
    /// The peer's server-to-server port, `wss://host:port` (DESIGN.md "Peers", port 8444); `nil`: no link (the peer
    /// gets CAP 1.2 from `GET /v1/feeds/cap` instead). A data directory's `peers/links.yaml` may override it.
    public var url: String?
    /// The PEM file of the CA that signs the peer's server and peer-client certificates, relative to the data
    /// directory (e.g. `peers/440000-ca.pem`; DESIGN.md "Certificates per province").
    public var caFile: String?
    /// Instead of (or besides) a CA: the SHA-256 fingerprint of the DER bytes of the peer's client certificate, 64 hex
    /// digits, colons between pairs allowed (``fingerprintBytes(_:)``). The peer port accepts that one certificate
    /// whoever signed it (a self-signed one too) while it is within its validity period, and maps it to this peer. Our
    /// link *to* the peer still needs `caFile` to verify its server certificate; a peer known only by fingerprint
    /// connects to us (its link, or `POST /v1/feeds/cap`) and reads our CAP feed (DESIGN.md "Certificates per
    /// province"; deploy/README.md).
    public var certSHA256: String?
    /// River playbook ids shared with the peer: an incident on one of them is shared even when the plan predicts no
    /// crossing.
    public var rivers: [String]?
    /// Sea-area playbook ids shared with the peer.
    public var seas: [String]?
    /// Minutes of silence on the link (no heartbeat) after which a task asks our duty officer to phone the peer;
    /// default 10.
    public var silentAfterMin: Double?
    /// Whether an incident this peer reported to us closes here by itself when the peer closes it, even while our
    /// receptors are still at risk; default `false`: then our commander is asked to close it or continue (issue 16).
    public var followOriginClose: Bool?

    /// Creates an agreement.
    public init(
        province: UnitCode, name: String, notifyWithinH: Double, marginH: Double, agreement: String,
        note: String? = nil, url: String? = nil, caFile: String? = nil, certSHA256: String? = nil,
        rivers: [String]? = nil, seas: [String]? = nil, silentAfterMin: Double? = nil, followOriginClose: Bool? = nil
    ) {
        self.followOriginClose = followOriginClose
        self.province = province
        self.name = name
        self.notifyWithinH = notifyWithinH
        self.marginH = marginH
        self.agreement = agreement
        self.note = note
        self.url = url
        self.caFile = caFile
        self.certSHA256 = certSHA256
        self.rivers = rivers
        self.seas = seas
        self.silentAfterMin = silentAfterMin
    }

    /// The bytes of a SHA-256 fingerprint as `certSHA256` writes it: 64 hexadecimal digits, either run together
    /// (`3f9a…`) or as 32 colon-separated pairs (`3F:9A:…`, as `openssl x509 -fingerprint -sha256` prints it); case is
    /// ignored. `nil` for anything else (the peers check reports it at `peers[i].certSHA256`).
    ///
    /// - Returns: 32 bytes, or `nil`.
    public static func fingerprintBytes(_ text: String) -> [UInt8]? {
        let pairs: [Substring]
        if text.contains(":") {
            pairs = text.split(separator: ":", omittingEmptySubsequences: false)
            guard pairs.count == 32, pairs.allSatisfy({ $0.count == 2 }) else { return nil }
        } else {
            guard text.count == 64 else { return nil }
            var index = text.startIndex
            var split: [Substring] = []
            while index < text.endIndex {
                let next = text.index(index, offsetBy: 2)
                split.append(text[index..<next])
                index = next
            }
            pairs = split
        }
        var bytes: [UInt8] = []
        for pair in pairs {
            guard pair.allSatisfy(\.isHexDigit), let byte = UInt8(pair, radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }

    /// The agreement assumed for a neighbour with none on file: notify within 1 h, 2 h margin.
    public static func fallback(for province: UnitCode) -> NotificationAgreement {
        NotificationAgreement(
            province: province, name: province, notifyWithinH: 1, marginH: 2,
            agreement: "none on file: 1 h from discovery, 2 h before crossing assumed")
    }
}
