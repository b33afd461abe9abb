/// Who caused an event: a person through their token, a neighbouring province, or a component of the server.
///
/// JSON shape (an object with a `kind` discriminator, the form written into the canonical bytes):
/// - person: `{"kind":"person","unit":"450100","position":"city-duty-chief","token":"T-0042"}`
/// - peer: `{"kind":"peer","province":"440000"}`
/// - system: `{"kind":"system","component":"scheduler"}`
///
/// Decoding throws `DecodingError.dataCorrupted` for an unknown `kind` and `DecodingError.keyNotFound` for a
/// missing field.
public enum EventActor: Codable, Sendable, Hashable {
    /// A person acting through a token: the token's administrative unit code (GB/T 2260, e.g. `450100`), its duty
    /// position (e.g. `city-duty-chief`) and the token's id (never the secret).
    case person(unit: String, position: String, token: String)
    /// A neighbouring province's server, by province code (e.g. `440000`); a peer is its client certificate.
    case peer(province: String)
    /// A component of this server acting on its own (e.g. `scheduler`, `planner`, `drill-runner`).
    case system(component: String)

    private enum CodingKeys: String, CodingKey {
        case kind, unit, position, token, province, component
    }

    /// Decodes the `kind`-tagged object described on the type.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try container.decode(String.self, forKey: .kind)
        switch kind {
        case "person":
            self = .person(
                unit: try container.decode(String.self, forKey: .unit),
                position: try container.decode(String.self, forKey: .position),
                token: try container.decode(String.self, forKey: .token))
        case "peer":
            self = .peer(province: try container.decode(String.self, forKey: .province))
        case "system":
            self = .system(component: try container.decode(String.self, forKey: .component))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: container,
                debugDescription: "unknown actor kind \"\(kind)\"; expected person, peer or system")
        }
    }

    /// Encodes the `kind`-tagged object described on the type.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .person(let unit, let position, let token):
            try container.encode("person", forKey: .kind)
            try container.encode(unit, forKey: .unit)
            try container.encode(position, forKey: .position)
            try container.encode(token, forKey: .token)
        case .peer(let province):
            try container.encode("peer", forKey: .kind)
            try container.encode(province, forKey: .province)
        case .system(let component):
            try container.encode("system", forKey: .kind)
            try container.encode(component, forKey: .component)
        }
    }
}
