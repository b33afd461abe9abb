import Foundation

/// A CAP 1.2 alert message (OASIS Common Alerting Protocol Version 1.2, 1 July 2010, §3.2.1 "alert" element):
/// the message's identity, status and type, its `references` chain, zero or more ``CAPInfo`` blocks, and any
/// elements the schema allows after them (an XML `<Signature>` of the xmldsig namespace) kept verbatim.
///
/// A message is identified by ``sender`` + ``identifier`` + ``sent`` (§3.2.1 `references`; the identifier alone
/// is not unique): see ``key``. Values are kept as the message wrote them, so that parse → write → parse gives an
/// equal value.
public struct CAPAlert: Sendable, Hashable, Codable {
    /// The namespace of every CAP 1.2 element.
    public static let namespace = "urn:oasis:names:tc:emergency:cap:1.2"

    /// `status`: the appropriate handling of the message (§3.2.1).
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        /// Actionable by all targeted recipients.
        case actual = "Actual"
        /// Actionable only by designated exercise participants (our drills).
        case exercise = "Exercise"
        /// For messages that support alert network internal functions.
        case system = "System"
        /// Technical testing only; all recipients disregard.
        case test = "Test"
        /// A preliminary template or draft, not actionable in its current form.
        case draft = "Draft"
    }

    /// `msgType`: the nature of the message (§3.2.1).
    public enum MessageType: String, Sendable, Hashable, Codable, CaseIterable {
        /// Initial information requiring attention by targeted recipients.
        case alert = "Alert"
        /// Updates and supersedes the earlier message(s) identified in `references`.
        case update = "Update"
        /// Cancels the earlier message(s) identified in `references`.
        case cancel = "Cancel"
        /// Acknowledges receipt and acceptance of the message(s) identified in `references`.
        case ack = "Ack"
        /// Indicates rejection of the message(s) identified in `references`; explanation in `note`.
        case error = "Error"
    }

    /// `scope`: the intended distribution (§3.2.1).
    public enum Scope: String, Sendable, Hashable, Codable, CaseIterable {
        /// For general dissemination to unrestricted audiences.
        case `public` = "Public"
        /// For dissemination only to users with a known operational requirement (`restriction` says who).
        case restricted = "Restricted"
        /// For dissemination only to specified addresses (`addresses`).
        case `private` = "Private"
    }

    /// `identifier`: unique for this sender; no spaces, commas or `<` `&`.
    public var identifier: String
    /// `sender`: the originator, globally unique (e.g. a domain or an address); no spaces, commas or `<` `&`.
    public var sender: String
    /// `sent`: when the message originated, `YYYY-MM-DDThh:mm:ss±hh:mm`.
    public var sent: CAPTime
    /// `status`.
    public var status: Status
    /// `msgType`.
    public var msgType: MessageType
    /// `source`: the particular source of the message, optional.
    public var source: String?
    /// `scope`.
    public var scope: Scope
    /// `restriction`: who may receive a `Restricted` message.
    public var restriction: String?
    /// `addresses`: the recipients of a `Private` message (space-delimited; names with spaces in double quotes).
    public var addresses: String?
    /// `code` elements: special handling codes.
    public var codes: [String]
    /// `note`: the purpose or significance of the message; the explanation of an `Error`.
    public var note: String?
    /// `references`: the earlier messages this one refers to, in order.
    public var references: [CAPReference]
    /// `incidents`: the group listing of incident names or identifiers, as written.
    public var incidents: String?
    /// The `info` blocks (one per language, or per event).
    public var info: [CAPInfo]
    /// Elements after the `info` blocks that CAP does not define (in the schema, `any` element of the xmldsig
    /// namespace: an enveloped `<Signature>`), each as the exact XML text it had in the message.
    public var extensions: [String]
    /// Namespace declarations (`prefix` → URI) of the message's root element that ``extensions`` may rely on
    /// (e.g. `ds` for `<ds:Signature>` declared on `<alert>`); written back on the root with them.
    public var extensionNamespaces: [String: String]

    /// Creates an alert; optional parts default to absent.
    public init(
        identifier: String, sender: String, sent: CAPTime, status: Status, msgType: MessageType,
        source: String? = nil, scope: Scope, restriction: String? = nil, addresses: String? = nil,
        codes: [String] = [], note: String? = nil, references: [CAPReference] = [], incidents: String? = nil,
        info: [CAPInfo] = [], extensions: [String] = [], extensionNamespaces: [String: String] = [:]
    ) {
        self.identifier = identifier
        self.sender = sender
        self.sent = sent
        self.status = status
        self.msgType = msgType
        self.source = source
        self.scope = scope
        self.restriction = restriction
        self.addresses = addresses
        self.codes = codes
        self.note = note
        self.references = references
        self.incidents = incidents
        self.info = info
        self.extensions = extensions
        self.extensionNamespaces = extensionNamespaces
    }

    /// This message as another message's reference to it: `sender,identifier,sent`.
    public var reference: CAPReference { CAPReference(sender: sender, identifier: identifier, sent: sent) }

    /// The message's identity, sender + identifier + sent (the instant, whatever offset it was written with).
    public var key: CAPMessageKey { reference.key }
}

/// One entry of a `references` list: `sender,identifier,sent` (CAP 1.2 §3.2.1: "the extended message identifier(s)
/// (in the form sender,identifier,sent) of an earlier CAP message or messages referenced by this one").
public struct CAPReference: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The earlier message's sender.
    public var sender: String
    /// The earlier message's identifier.
    public var identifier: String
    /// The earlier message's `sent` time.
    public var sent: CAPTime

    /// Creates a reference.
    public init(sender: String, identifier: String, sent: CAPTime) {
        self.sender = sender
        self.identifier = identifier
        self.sent = sent
    }

    /// `sender,identifier,sent`, as written in `references`.
    public var description: String { "\(sender),\(identifier),\(sent.text)" }

    /// The referenced message's identity.
    public var key: CAPMessageKey { CAPMessageKey(sender: sender, identifier: identifier, sent: sent.date) }

    /// Parses a `references` value: space-separated `sender,identifier,sent` triples.
    ///
    /// - Throws: ``CAPParseError`` naming the triple that is not `sender,identifier,sent` with a CAP time.
    public static func parseList(_ text: String) throws -> [CAPReference] {
        try text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).map { triple in
            let parts = triple.split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw CAPParseError(
                    path: "alert.references", message: "\"\(triple)\" is not sender,identifier,sent")
            }
            guard let sent = CAPTime(text: String(parts[2])) else {
                throw CAPParseError(
                    path: "alert.references",
                    message: "\"\(parts[2])\" in \"\(triple)\" is not a CAP time (YYYY-MM-DDThh:mm:ss±hh:mm)")
            }
            return CAPReference(sender: String(parts[0]), identifier: String(parts[1]), sent: sent)
        }
    }
}

/// The identity of a CAP message: sender + identifier + sent, with `sent` compared as an instant, so that
/// `2003-06-11T20:30:00-07:00` and `2003-06-12T03:30:00+00:00` name the same message.
public struct CAPMessageKey: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The sender.
    public var sender: String
    /// The identifier.
    public var identifier: String
    /// The `sent` instant.
    public var sent: Date

    /// Creates a key.
    public init(sender: String, identifier: String, sent: Date) {
        self.sender = sender
        self.identifier = identifier
        self.sent = sent
    }

    /// `sent` in UTC as a CAP time (`YYYY-MM-DDThh:mm:ss-00:00`): the form the store keys messages by.
    public var sentUTC: String { CAPTime(date: sent, offsetSeconds: 0).text }

    /// `sender,identifier,sent` with `sent` in UTC.
    public var description: String { "\(sender),\(identifier),\(sentUTC)" }
}

/// One `info` block (CAP 1.2 §3.2.2): the event, its urgency, severity and certainty, texts, parameters,
/// resources and areas.
public struct CAPInfo: Sendable, Hashable, Codable {
    /// `category` values (§3.2.2).
    public enum Category: String, Sendable, Hashable, Codable, CaseIterable {
        case geo = "Geo"
        case met = "Met"
        case safety = "Safety"
        case security = "Security"
        case rescue = "Rescue"
        case fire = "Fire"
        case health = "Health"
        /// Pollution and other environmental.
        case env = "Env"
        case transport = "Transport"
        case infra = "Infra"
        case cbrne = "CBRNE"
        case other = "Other"
    }

    /// `responseType` values (§3.2.2).
    public enum ResponseType: String, Sendable, Hashable, Codable, CaseIterable {
        case shelter = "Shelter"
        case evacuate = "Evacuate"
        case prepare = "Prepare"
        case execute = "Execute"
        /// Avoid the subject event as per the instruction.
        case avoid = "Avoid"
        /// Attend to information sources as described in the instruction.
        case monitor = "Monitor"
        case assess = "Assess"
        /// The subject event no longer poses a threat or concern.
        case allClear = "AllClear"
        case none = "None"
    }

    /// `urgency` values (§3.2.2): when responsive action should be taken.
    public enum Urgency: String, Sendable, Hashable, Codable, CaseIterable {
        /// Responsive action should be taken immediately.
        case immediate = "Immediate"
        /// Responsive action should be taken soon (within the next hour).
        case expected = "Expected"
        /// Responsive action should be taken in the near future.
        case future = "Future"
        /// Responsive action is no longer required.
        case past = "Past"
        case unknown = "Unknown"
    }

    /// `severity` values (§3.2.2).
    public enum Severity: String, Sendable, Hashable, Codable, CaseIterable {
        /// Extraordinary threat to life or property.
        case extreme = "Extreme"
        /// Significant threat to life or property.
        case severe = "Severe"
        /// Possible threat to life or property.
        case moderate = "Moderate"
        /// Minimal to no known threat to life or property.
        case minor = "Minor"
        case unknown = "Unknown"
    }

    /// `certainty` values (§3.2.2).
    public enum Certainty: String, Sendable, Hashable, Codable, CaseIterable {
        /// Determined to have occurred or to be ongoing.
        case observed = "Observed"
        /// Likely (p > ~50 %).
        case likely = "Likely"
        /// Possible but not likely (p <= ~50 %).
        case possible = "Possible"
        /// Not expected to occur (p ~ 0).
        case unlikely = "Unlikely"
        case unknown = "Unknown"
    }

    /// `language` (RFC 3066); absent means `en-US`.
    public var language: String?
    /// `category`, at least one.
    public var categories: [Category]
    /// `event`: the subject event, as text.
    public var event: String
    /// `responseType` values.
    public var responseTypes: [ResponseType]
    /// `urgency`.
    public var urgency: Urgency
    /// `severity`.
    public var severity: Severity
    /// `certainty`.
    public var certainty: Certainty
    /// `audience`.
    public var audience: String?
    /// `eventCode` pairs.
    public var eventCodes: [CAPValue]
    /// `effective`.
    public var effective: CAPTime?
    /// `onset`: expected time of the beginning of the subject event.
    public var onset: CAPTime?
    /// `expires`.
    public var expires: CAPTime?
    /// `senderName`: the human-readable name of the issuing agency.
    public var senderName: String?
    /// `headline`: brief (at most about 160 characters).
    public var headline: String?
    /// `description`.
    public var description: String?
    /// `instruction`: the recommended action.
    public var instruction: String?
    /// `web`: a full, absolute URI for more information.
    public var web: String?
    /// `contact`.
    public var contact: String?
    /// `parameter` pairs: system-specific data.
    public var parameters: [CAPValue]
    /// `resource` blocks.
    public var resources: [CAPResource]
    /// `area` blocks.
    public var areas: [CAPArea]

    /// Creates an info block; optional parts default to absent.
    public init(
        language: String? = nil, categories: [Category], event: String, responseTypes: [ResponseType] = [],
        urgency: Urgency, severity: Severity, certainty: Certainty, audience: String? = nil,
        eventCodes: [CAPValue] = [], effective: CAPTime? = nil, onset: CAPTime? = nil, expires: CAPTime? = nil,
        senderName: String? = nil, headline: String? = nil, description: String? = nil, instruction: String? = nil,
        web: String? = nil, contact: String? = nil, parameters: [CAPValue] = [], resources: [CAPResource] = [],
        areas: [CAPArea] = []
    ) {
        self.language = language
        self.categories = categories
        self.event = event
        self.responseTypes = responseTypes
        self.urgency = urgency
        self.severity = severity
        self.certainty = certainty
        self.audience = audience
        self.eventCodes = eventCodes
        self.effective = effective
        self.onset = onset
        self.expires = expires
        self.senderName = senderName
        self.headline = headline
        self.description = description
        self.instruction = instruction
        self.web = web
        self.contact = contact
        self.parameters = parameters
        self.resources = resources
        self.areas = areas
    }

    /// The first parameter named `name`, if any.
    public func parameter(_ name: String) -> String? { parameters.first { $0.valueName == name }?.value }
}

/// A `valueName` / `value` pair: an `eventCode`, `parameter` or `geocode`.
public struct CAPValue: Sendable, Hashable, Codable {
    /// The name (user-assigned, e.g. `SAME`, `GB/T 2260`).
    public var valueName: String
    /// The value.
    public var value: String

    /// Creates a pair.
    public init(_ valueName: String, _ value: String) {
        self.valueName = valueName
        self.value = value
    }
}

/// A `resource` block (§3.2.3): a file with supplemental information.
public struct CAPResource: Sendable, Hashable, Codable {
    /// `resourceDesc`.
    public var resourceDesc: String
    /// `mimeType`.
    public var mimeType: String
    /// `size`, bytes.
    public var size: Int?
    /// `uri`.
    public var uri: String?
    /// `derefUri`: the content, Base64.
    public var derefUri: String?
    /// `digest`: SHA-1 of the content, hex.
    public var digest: String?

    /// Creates a resource.
    public init(
        resourceDesc: String, mimeType: String, size: Int? = nil, uri: String? = nil, derefUri: String? = nil,
        digest: String? = nil
    ) {
        self.resourceDesc = resourceDesc
        self.mimeType = mimeType
        self.size = size
        self.uri = uri
        self.derefUri = derefUri
        self.digest = digest
    }
}

/// A point in CAP's order: WGS 84 latitude, then longitude, in degrees (§3.2.4 "polygon", "circle").
public struct CAPPoint: Sendable, Hashable, Codable {
    /// Latitude, degrees north.
    public var lat: Double
    /// Longitude, degrees east.
    public var lon: Double

    /// Creates a point.
    public init(lat: Double, lon: Double) {
        self.lat = lat
        self.lon = lon
    }
}

/// A CAP circle: a centre and a radius in kilometres (`lat,lon radius`).
public struct CAPCircle: Sendable, Hashable, Codable {
    /// The centre.
    public var center: CAPPoint
    /// The radius, km.
    public var radiusKm: Double

    /// Creates a circle.
    public init(center: CAPPoint, radiusKm: Double) {
        self.center = center
        self.radiusKm = radiusKm
    }
}

/// An `area` block (§3.2.4): a description, polygons (closed rings of at least 4 points, first equal to last),
/// circles, geocodes, altitude and ceiling (feet above mean sea level).
public struct CAPArea: Sendable, Hashable, Codable {
    /// `areaDesc`.
    public var areaDesc: String
    /// `polygon` rings.
    public var polygons: [[CAPPoint]]
    /// `circle`s.
    public var circles: [CAPCircle]
    /// `geocode` pairs.
    public var geocodes: [CAPValue]
    /// `altitude`, feet.
    public var altitude: Double?
    /// `ceiling`, feet.
    public var ceiling: Double?

    /// Creates an area.
    public init(
        areaDesc: String, polygons: [[CAPPoint]] = [], circles: [CAPCircle] = [], geocodes: [CAPValue] = [],
        altitude: Double? = nil, ceiling: Double? = nil
    ) {
        self.areaDesc = areaDesc
        self.polygons = polygons
        self.circles = circles
        self.geocodes = geocodes
        self.altitude = altitude
        self.ceiling = ceiling
    }
}
