import Foundation

extension CAPAlert {
    /// The message as a CAP 1.2 XML document (UTF-8, with the XML declaration), elements in the schema's order.
    ///
    /// Writes exactly what the value holds; the value must satisfy CAP's own rules for the document to validate
    /// against `CAP-v1.2.xsd` (``CAPDocument`` makes such values; parsed ones have them). Kept ``extensions`` are
    /// written verbatim after the `info` blocks, and ``extensionNamespaces`` declared on the root.
    public func xmlDocument() -> String {
        var xml = XMLText()
        xml.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        write(into: &xml)
        return xml.output
    }

    /// The `<alert>` element alone, declaring the CAP namespace on itself (for embedding, e.g. in an Atom entry).
    public func xmlElement() -> String {
        var xml = XMLText()
        write(into: &xml)
        return xml.output
    }

    func write(into xml: inout XMLText) {
        var attributes = [("xmlns", Self.namespace)]
        if !extensions.isEmpty {
            for (prefix, uri) in extensionNamespaces.sorted(by: { $0.key < $1.key }) {
                attributes.append(("xmlns:\(prefix)", uri))
            }
        }
        xml.open("alert", attributes)
        xml.element("identifier", identifier)
        xml.element("sender", sender)
        xml.element("sent", sent.text)
        xml.element("status", status.rawValue)
        xml.element("msgType", msgType.rawValue)
        xml.element("source", source)
        xml.element("scope", scope.rawValue)
        xml.element("restriction", restriction)
        xml.element("addresses", addresses)
        for code in codes { xml.element("code", code) }
        xml.element("note", note)
        if !references.isEmpty { xml.element("references", references.map(\.description).joined(separator: " ")) }
        xml.element("incidents", incidents)
        for block in info { block.write(into: &xml) }
        for markup in extensions { xml.raw(markup) }
        xml.close("alert")
    }
}

extension CAPInfo {
    func write(into xml: inout XMLText) {
        xml.open("info")
        xml.element("language", language)
        for category in categories { xml.element("category", category.rawValue) }
        xml.element("event", event)
        for response in responseTypes { xml.element("responseType", response.rawValue) }
        xml.element("urgency", urgency.rawValue)
        xml.element("severity", severity.rawValue)
        xml.element("certainty", certainty.rawValue)
        xml.element("audience", audience)
        for code in eventCodes { code.write("eventCode", into: &xml) }
        xml.element("effective", effective?.text)
        xml.element("onset", onset?.text)
        xml.element("expires", expires?.text)
        xml.element("senderName", senderName)
        xml.element("headline", headline)
        xml.element("description", description)
        xml.element("instruction", instruction)
        xml.element("web", web)
        xml.element("contact", contact)
        for parameter in parameters { parameter.write("parameter", into: &xml) }
        for resource in resources {
            xml.open("resource")
            xml.element("resourceDesc", resource.resourceDesc)
            xml.element("mimeType", resource.mimeType)
            xml.element("size", resource.size.map { String($0) })
            xml.element("uri", resource.uri)
            xml.element("derefUri", resource.derefUri)
            xml.element("digest", resource.digest)
            xml.close("resource")
        }
        for area in areas {
            xml.open("area")
            xml.element("areaDesc", area.areaDesc)
            for polygon in area.polygons {
                xml.element("polygon", polygon.map(\.capText).joined(separator: " "))
            }
            for circle in area.circles {
                xml.element("circle", circle.center.capText + " " + CAPNumber.format(circle.radiusKm))
            }
            for geocode in area.geocodes { geocode.write("geocode", into: &xml) }
            xml.element("altitude", area.altitude.map(CAPNumber.format))
            xml.element("ceiling", area.ceiling.map(CAPNumber.format))
            xml.close("area")
        }
        xml.close("info")
    }
}

extension CAPValue {
    func write(_ name: String, into xml: inout XMLText) {
        xml.open(name)
        xml.element("valueName", valueName)
        xml.element("value", value)
        xml.close(name)
    }
}

extension CAPPoint {
    /// `lat,lon`, as in a CAP polygon or circle.
    var capText: String { CAPNumber.format(lat) + "," + CAPNumber.format(lon) }
}
