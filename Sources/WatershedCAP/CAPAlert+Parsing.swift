import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Why a document is not a CAP 1.2 message: where (`alert.info[0].urgency`, or `xml` with the line for a
/// document that is not well-formed XML) and what is wrong, in a sentence a peer's operator can act on.
public struct CAPParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The element at fault, dotted, with `[i]` for repeated elements; `xml` for the document itself.
    public var path: String
    /// What is wrong.
    public var message: String

    /// Creates an error.
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// `path: message`.
    public var description: String { "\(path): \(message)" }
}

extension CAPParseError {
    /// Elements nested deeper than ``CAPAlert/maximumDepth``: `xml`, naming the limit.
    static var tooDeep: CAPParseError {
        CAPParseError(
            path: "xml", message: "elements nest deeper than \(CAPAlert.maximumDepth) levels (the limit)")
    }
}

extension CAPAlert {
    /// Parses a CAP 1.2 message.
    ///
    /// The root must be `alert` in the CAP 1.2 namespace. Elements CAP defines are read into the value (tokens —
    /// identifier, sender, times, enumerated values, numbers — with surrounding whitespace removed; free texts
    /// exactly as written); any other child of `alert` (an xmldsig `<Signature>`, or something newer) is kept as
    /// its exact text in ``extensions``, with the root's prefixed namespace declarations in
    /// ``extensionNamespaces``. Inside `info` only CAP's own elements are accepted. Geometry is checked in code,
    /// not by the schema's patterns: a polygon is at least 4 `lat,lon` pairs with the first equal to the last,
    /// latitudes in −90…90 and longitudes in −180…180; a circle is `lat,lon radius` with a radius ≥ 0 km.
    /// A document with a DOCTYPE is refused (no entity expansion from a peer's input), and so is one whose elements
    /// nest deeper than ``maximumDepth`` levels (checked by a flat pass before any tree is built, so hostile nesting
    /// cannot exhaust the stack: issue 15, item 1).
    ///
    /// - Throws: ``CAPParseError`` naming the element at fault (`xml` for the depth bound, with the limit).
    public init(xml data: Data) throws {
        let bytes = [UInt8](data)
        try Self.refuseProcessingInstructions(bytes)
        let outline = try RawOutline(bytes)
        let root = try DOMBuilder.parse(data)
        guard root.name == "alert", root.namespace == Self.namespace else {
            let found = root.namespace.map { "{\($0)}\(root.name)" } ?? root.name
            throw CAPParseError(
                path: "xml",
                message: "the root element is \(found); a CAP 1.2 message is <alert xmlns=\"\(Self.namespace)\">")
        }
        guard outline.children.count == root.children.count else {
            throw CAPParseError(path: "xml", message: "the document's structure could not be read consistently")
        }
        let reader = ElementReader(root, path: "alert")
        var extensions: [String] = []
        for (index, child) in root.children.enumerated()
        where child.namespace != Self.namespace || !Self.alertElements.contains(child.name) {
            extensions.append(String(decoding: bytes[outline.children[index]], as: UTF8.self))
        }
        self.init(
            identifier: try reader.token("identifier"), sender: try reader.token("sender"),
            sent: try reader.time("sent"), status: try reader.enumerated("status"),
            msgType: try reader.enumerated("msgType"), source: try reader.optionalText("source"),
            scope: try reader.enumerated("scope"), restriction: try reader.optionalText("restriction"),
            addresses: try reader.optionalText("addresses"), codes: reader.texts("code"),
            note: try reader.optionalText("note"),
            references: try reader.optionalText("references").map(CAPReference.parseList) ?? [],
            incidents: try reader.optionalText("incidents"),
            info: try reader.children("info").enumerated().map { index, element in
                try CAPInfo(element, path: "alert.info[\(index)]")
            },
            extensions: extensions, extensionNamespaces: extensions.isEmpty ? [:] : outline.rootNamespaces)
        for token in [("identifier", identifier), ("sender", sender)]
        where token.1.isEmpty || token.1.contains(where: { $0 == " " || $0 == "," || $0 == "<" || $0 == "&" }) {
            throw CAPParseError(
                path: "alert.\(token.0)", message: "must be non-empty with no spaces, commas, < or & (CAP 1.2 §3.2.1)")
        }
    }

    /// Refuses `<?` anywhere but the XML declaration at the very start (after a UTF-8 byte order mark), whatever
    /// surrounds it — text, a tag, a comment: CAP has no use for processing instructions, and Foundation's XMLParser
    /// crashes on some (`<?pi?>` in a closing tag or between elements, found by the fuzzers).
    ///
    /// - Throws: ``CAPParseError`` at `xml`.
    static func refuseProcessingInstructions(_ bytes: [UInt8]) throws {
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var index = 0
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "<"), bytes[index + 1] == UInt8(ascii: "?") {
                let declaration =
                    index == start && bytes[index...].starts(with: Array("<?xml".utf8)) && index + 5 < bytes.count
                    && [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index + 5])
                guard declaration else {
                    throw CAPParseError(
                        path: "xml",
                        message: "a processing instruction (<?…?>) is not accepted in CAP; only the XML declaration, "
                            + "at the start")
                }
            }
            index += 1
        }
    }

    /// The deepest element nesting accepted, counting `alert` as level 1.
    ///
    /// CAP 1.2's own deepest path is 4 levels (`alert/info/area/geocode`, then `valueName`: 5); an xmldsig
    /// `<Signature>` (W3C XML Signature, the element CAP 1.2 §3.3.2.1 allows) reaches about 8
    /// (`Signature/KeyInfo/X509Data/X509IssuerSerial/X509IssuerName`). 64 leaves room for any extension while keeping
    /// the tree and its recursive release far from the stack's size.
    public static let maximumDepth = 64

    /// The children of `alert` that CAP 1.2 defines.
    static let alertElements: Set<String> = [
        "identifier", "sender", "sent", "status", "msgType", "source", "scope", "restriction", "addresses", "code",
        "note", "references", "incidents", "info",
    ]
}

extension CAPInfo {
    static let elements: Set<String> = [
        "language", "category", "event", "responseType", "urgency", "severity", "certainty", "audience", "eventCode",
        "effective", "onset", "expires", "senderName", "headline", "description", "instruction", "web", "contact",
        "parameter", "resource", "area",
    ]

    init(_ element: DOMElement, path: String) throws {
        let reader = ElementReader(element, path: path)
        try reader.onlyCAP(Self.elements)
        let categories: [Category] = try reader.enumeratedList("category")
        guard !categories.isEmpty else {
            throw CAPParseError(path: path + ".category", message: "an info block needs at least one category")
        }
        self.init(
            language: try reader.optionalToken("language"), categories: categories, event: try reader.text("event"),
            responseTypes: try reader.enumeratedList("responseType"), urgency: try reader.enumerated("urgency"),
            severity: try reader.enumerated("severity"), certainty: try reader.enumerated("certainty"),
            audience: try reader.optionalText("audience"), eventCodes: try reader.values("eventCode"),
            effective: try reader.optionalTime("effective"), onset: try reader.optionalTime("onset"),
            expires: try reader.optionalTime("expires"), senderName: try reader.optionalText("senderName"),
            headline: try reader.optionalText("headline"), description: try reader.optionalText("description"),
            instruction: try reader.optionalText("instruction"), web: try reader.optionalToken("web"),
            contact: try reader.optionalText("contact"), parameters: try reader.values("parameter"),
            resources: try reader.children("resource").enumerated().map { index, element in
                let resource = ElementReader(element, path: "\(path).resource[\(index)]")
                try resource.onlyCAP(["resourceDesc", "mimeType", "size", "uri", "derefUri", "digest"])
                return CAPResource(
                    resourceDesc: try resource.text("resourceDesc"), mimeType: try resource.token("mimeType"),
                    size: try resource.optionalToken("size").map { text in
                        guard let size = Int(text), size >= 0 else {
                            throw CAPParseError(
                                path: "\(path).resource[\(index)].size", message: "\"\(text)\" is not a byte count")
                        }
                        return size
                    }, uri: try resource.optionalToken("uri"), derefUri: try resource.optionalText("derefUri"),
                    digest: try resource.optionalToken("digest"))
            },
            areas: try reader.children("area").enumerated().map { index, element in
                try CAPArea(element, path: "\(path).area[\(index)]")
            })
    }
}

extension CAPArea {
    init(_ element: DOMElement, path: String) throws {
        let reader = ElementReader(element, path: path)
        try reader.onlyCAP(["areaDesc", "polygon", "circle", "geocode", "altitude", "ceiling"])
        func point(_ text: Substring, _ field: String) throws -> CAPPoint {
            let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count == 2, let lat = Double(parts[0]), let lon = Double(parts[1]), (-90...90).contains(lat),
                (-180...180).contains(lon)
            else {
                throw CAPParseError(
                    path: field, message: "\"\(text)\" is not lat,lon in degrees (−90…90, −180…180)")
            }
            return CAPPoint(lat: lat, lon: lon)
        }
        let polygons = try reader.texts("polygon").enumerated().map { index, text in
            let field = "\(path).polygon[\(index)]"
            let points = try text.split(whereSeparator: \.isWhitespace).map { try point($0, field) }
            guard points.count >= 4, points.first == points.last else {
                throw CAPParseError(
                    path: field,
                    message: "a polygon is at least 4 lat,lon pairs with the first equal to the last (CAP 1.2 §3.2.4)")
            }
            return points
        }
        let circles = try reader.texts("circle").enumerated().map { index, text in
            let field = "\(path).circle[\(index)]"
            let parts = text.split(whereSeparator: \.isWhitespace)
            guard parts.count == 2, let radius = Double(parts[1]), radius >= 0, radius.isFinite else {
                throw CAPParseError(path: field, message: "a circle is \"lat,lon radius\" with the radius in km")
            }
            return CAPCircle(center: try point(parts[0], field), radiusKm: radius)
        }
        func decimal(_ name: String) throws -> Double? {
            try reader.optionalToken(name).map { text in
                guard let value = Double(text), value.isFinite else {
                    throw CAPParseError(path: "\(path).\(name)", message: "\"\(text)\" is not a number of feet")
                }
                return value
            }
        }
        self.init(
            areaDesc: try reader.text("areaDesc"), polygons: polygons, circles: circles,
            geocodes: try reader.values("geocode"), altitude: try decimal("altitude"), ceiling: try decimal("ceiling"))
    }
}

// MARK: - Reading elements

/// An element of the parsed document: local name, namespace URI, text and element children.
struct DOMElement {
    var name: String
    var namespace: String?
    var text: String
    var children: [DOMElement]
}

/// Reads one element's CAP children by name, checking how often each occurs.
struct ElementReader {
    let element: DOMElement
    let path: String

    init(_ element: DOMElement, path: String) {
        self.element = element
        self.path = path
    }

    func children(_ name: String) -> [DOMElement] {
        element.children.filter { $0.name == name && $0.namespace == CAPAlert.namespace }
    }

    /// Refuses a child that is not one of `names` in the CAP namespace.
    func onlyCAP(_ names: Set<String>) throws {
        for child in element.children where child.namespace != CAPAlert.namespace || !names.contains(child.name) {
            let name = child.namespace == CAPAlert.namespace ? child.name : "{\(child.namespace ?? "")}\(child.name)"
            throw CAPParseError(path: "\(path).\(name)", message: "is not a CAP 1.2 element here")
        }
    }

    func texts(_ name: String) -> [String] { children(name).map(\.text) }

    func optionalText(_ name: String) throws -> String? {
        let found = children(name)
        guard found.count <= 1 else {
            throw CAPParseError(path: "\(path).\(name)", message: "occurs \(found.count) times; at most once")
        }
        return found.first?.text
    }

    func text(_ name: String) throws -> String {
        guard let text = try optionalText(name) else {
            throw CAPParseError(path: "\(path).\(name)", message: "is required")
        }
        return text
    }

    func optionalToken(_ name: String) throws -> String? {
        try optionalText(name).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    func token(_ name: String) throws -> String {
        try text(name).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func optionalTime(_ name: String) throws -> CAPTime? {
        try optionalText(name).map { text in
            guard let time = CAPTime(text: text) else {
                throw CAPParseError(
                    path: "\(path).\(name)",
                    message: "\"\(text)\" is not a CAP time: YYYY-MM-DDThh:mm:ss±hh:mm, no Z, no fraction")
            }
            return time
        }
    }

    func time(_ name: String) throws -> CAPTime {
        guard let time = try optionalTime(name) else {
            throw CAPParseError(path: "\(path).\(name)", message: "is required")
        }
        return time
    }

    func enumerated<T: RawRepresentable & CaseIterable>(_ name: String) throws -> T where T.RawValue == String {
        try value(try token(name), name)
    }

    func enumeratedList<T: RawRepresentable & CaseIterable>(_ name: String) throws -> [T]
    where T.RawValue == String {
        try texts(name).map { try value($0.trimmingCharacters(in: .whitespacesAndNewlines), name) }
    }

    private func value<T: RawRepresentable & CaseIterable>(_ text: String, _ name: String) throws -> T
    where T.RawValue == String {
        guard let value = T(rawValue: text) else {
            throw CAPParseError(
                path: "\(path).\(name)",
                message: "\"\(text)\" is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    func values(_ name: String) throws -> [CAPValue] {
        try children(name).enumerated().map { index, child in
            let reader = ElementReader(child, path: "\(path).\(name)[\(index)]")
            try reader.onlyCAP(["valueName", "value"])
            return CAPValue(try reader.text("valueName"), try reader.text("value"))
        }
    }
}

// MARK: - XML

/// Builds the element tree with Foundation's `XMLParser` (libxml2), namespaces resolved; stops (and fails) at an
/// element deeper than ``CAPAlert/maximumDepth``, a second guard behind ``RawOutline``'s.
final class DOMBuilder: NSObject, XMLParserDelegate {
    private var stack: [DOMElement] = []
    private var root: DOMElement?
    private var tooDeep = false

    static func parse(_ data: Data) throws -> DOMElement {
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        let builder = DOMBuilder()
        parser.delegate = builder
        let parsed = parser.parse()
        if builder.tooDeep { throw CAPParseError.tooDeep }
        guard parsed, let root = builder.root else {
            let reason = parser.parserError.map { "\($0.localizedDescription)" } ?? "not well-formed"
            throw CAPParseError(path: "xml", message: "not well-formed XML (line \(parser.lineNumber)): \(reason)")
        }
        return root
    }

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        guard stack.count < CAPAlert.maximumDepth else {
            tooDeep = true
            parser.abortParsing()
            return
        }
        let namespace = namespaceURI.flatMap { $0.isEmpty ? nil : $0 }
        stack.append(DOMElement(name: elementName, namespace: namespace, text: "", children: []))
    }

    func parser(
        _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?
    ) {
        guard !tooDeep, let element = stack.popLast() else { return }
        if stack.isEmpty {
            root = element
        } else {
            stack[stack.count - 1].children.append(element)
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += string
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += String(decoding: CDATABlock, as: UTF8.self)
    }
}

/// The byte ranges of the root element's children and the root's prefixed namespace declarations, found by a
/// lexical pass over the document (comments, CDATA, the XML declaration and quoted attribute values skipped; any other
/// processing instruction refused), so that elements CAP does not define are kept exactly as the sender wrote them.
struct RawOutline {
    var children: [Range<Int>] = []
    var rootNamespaces: [String: String] = [:]

    init(_ bytes: [UInt8]) throws {
        var index = 0
        var depth = 0
        var childStart = 0
        func starts(_ text: String, at position: Int) -> Bool {
            let pattern = Array(text.utf8)
            return position + pattern.count <= bytes.count
                && Array(bytes[position..<position + pattern.count]) == pattern
        }
        func skip(past terminator: String, from position: Int) throws -> Int {
            let pattern = Array(terminator.utf8)
            var cursor = position
            while cursor + pattern.count <= bytes.count {
                if bytes[cursor] == pattern[0], Array(bytes[cursor..<cursor + pattern.count]) == pattern {
                    return cursor + pattern.count
                }
                cursor += 1
            }
            throw CAPParseError(path: "xml", message: "unterminated markup (expected \"\(terminator)\")")
        }
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "<") else {
                index += 1
                continue
            }
            if starts("<!--", at: index) {
                index = try skip(past: "-->", from: index + 4)
            } else if starts("<![CDATA[", at: index) {
                index = try skip(past: "]]>", from: index + 9)
            } else if starts("<?", at: index) {
                // Only the XML declaration, at the very start (XML 1.0 §2.8; after a UTF-8 byte order mark). CAP has
                // no use for processing instructions, and Foundation's XMLParser crashes on an empty one (`<?pi?>`,
                // found by the CAP fuzz target).
                let start = starts("\u{FEFF}", at: 0) ? 3 : 0
                guard index == start, starts("<?xml", at: index), index + 5 < bytes.count,
                    [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index + 5])
                else {
                    throw CAPParseError(
                        path: "xml",
                        message: "a processing instruction (<?…?>) is not accepted in CAP; only the XML declaration, "
                            + "at the start")
                }
                index = try skip(past: "?>", from: index + 2)
            } else if starts("<!", at: index) {
                throw CAPParseError(path: "xml", message: "a DOCTYPE or entity declaration is not accepted in CAP")
            } else {
                // A tag: find its end outside quoted attribute values.
                var cursor = index + 1
                var quote: UInt8?
                while cursor < bytes.count {
                    let byte = bytes[cursor]
                    if let open = quote {
                        if byte == open { quote = nil }
                    } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                        quote = byte
                    } else if byte == UInt8(ascii: ">") {
                        break
                    } else if byte == UInt8(ascii: "<") {
                        // `</param<?pi?>`: not XML, and a processing instruction inside it crashes Foundation's
                        // XMLParser (found by the live fuzzer).
                        throw CAPParseError(path: "xml", message: "a '<' inside a tag")
                    }
                    cursor += 1
                }
                guard cursor < bytes.count else { throw CAPParseError(path: "xml", message: "unterminated tag") }
                let end = cursor + 1
                let isEnd = bytes[index + 1] == UInt8(ascii: "/")
                let isEmpty = bytes[cursor - 1] == UInt8(ascii: "/")
                if isEnd {
                    depth -= 1
                    if depth == 1 { children.append(childStart..<end) }
                } else {
                    if depth == 0 { rootNamespaces = Self.prefixedNamespaces(bytes[index..<end]) }
                    if depth == 1 { childStart = index }
                    if isEmpty {
                        if depth == 1 { children.append(index..<end) }
                    } else {
                        depth += 1
                        if depth > CAPAlert.maximumDepth { throw CAPParseError.tooDeep }
                    }
                }
                index = end
            }
        }
    }

    /// `xmlns:p="uri"` attributes of a start tag.
    static func prefixedNamespaces(_ tag: ArraySlice<UInt8>) -> [String: String] {
        let text = String(decoding: tag, as: UTF8.self)
        var found: [String: String] = [:]
        var rest = Substring(text)
        while let range = rest.range(of: "xmlns:") {
            rest = rest[range.upperBound...]
            guard let equals = rest.firstIndex(of: "=") else { break }
            let prefix = rest[..<equals].trimmingCharacters(in: .whitespaces)
            var after = rest[rest.index(after: equals)...].drop(while: { $0 == " " })
            guard let quote = after.first, quote == "\"" || quote == "'" else { break }
            after = after.dropFirst()
            guard let close = after.firstIndex(of: quote) else { break }
            found[prefix] = String(after[..<close])
            rest = after[after.index(after: close)...]
        }
        return found
    }
}
