import Foundation
import Testing
import WatershedCAP
import WatershedTestSupport

/// The four examples of the CAP 1.2 specification (Appendix A) parse into the values they show, write back to
/// documents that validate against the OASIS schema, and round-trip; a `<Signature>` is kept verbatim.
struct CAPParsingTests {
    static let examples = [
        "01-oasis-A1-homeland-security-alert.xml", "02-oasis-A2-severe-thunderstorm-warning.xml",
        "03-oasis-A3-earthquake-update-with-references.xml", "04-oasis-A4-amber-alert-multilingual.xml",
    ]

    static func example(_ name: String) throws -> Data {
        try Data(contentsOf: Fixtures.capFixtures.appendingPathComponent(name))
    }

    /// parse → write → parse gives an equal value, and what we write validates with xmllint.
    @Test(arguments: examples) func roundTrip(_ name: String) throws {
        let parsed = try CAPAlert(xml: try Self.example(name))
        let written = parsed.xmlDocument()
        #expect(try CAPAlert(xml: Data(written.utf8)) == parsed)
        #expect(try Fixtures.capSchemaProblems(written) == nil)
        // Writing is stable: the second write is the first.
        #expect(try CAPAlert(xml: Data(written.utf8)).xmlDocument() == written)
    }

    /// The validator is not vacuous: a `sent` with `Z` (CAP 1.2 §3.3.2 forbids it) and a category outside the
    /// list fail the schema.
    @Test func schemaCatchesMistakes() throws {
        let original = String(decoding: try Self.example(Self.examples[0]), as: UTF8.self)
        #expect(try Fixtures.capSchemaProblems(original) == nil)
        let zulu = original.replacingOccurrences(of: "2003-04-02T14:39:01-05:00", with: "2003-04-02T19:39:01Z")
        #expect(try Fixtures.capSchemaProblems(zulu) != nil)
        let category = original.replacingOccurrences(
            of: "<category>Security</category>", with: "<category>Pollution</category>")
        #expect(try Fixtures.capSchemaProblems(category) != nil)
    }

    /// Values as the spec's Appendix A shows them (read off the fixture files).
    @Test func examplesReadAsWritten() throws {
        let a1 = try CAPAlert(xml: try Self.example(Self.examples[0]))
        #expect(a1.identifier == "43b080713727")
        #expect(a1.sender == "hsas@dhs.gov")
        #expect(a1.sent.text == "2003-04-02T14:39:01-05:00")
        // 14:39:01 at −05:00 is 19:39:01 UTC: `date -u -d 2003-04-02T19:39:01Z +%s` = 1049312341.
        #expect(a1.sent.date == Date(timeIntervalSince1970: 1_049_312_341))
        #expect(a1.status == .actual && a1.msgType == .alert && a1.scope == .public)
        #expect(a1.info.count == 1)
        #expect(a1.info[0].categories == [.security])
        #expect(a1.info[0].parameters == [CAPValue("HSAS", "ORANGE")])
        #expect(a1.info[0].resources[0].mimeType == "image/gif")
        #expect(a1.info[0].areas[0].areaDesc == "U.S. nationwide and interests worldwide")

        let a2 = try CAPAlert(xml: try Self.example(Self.examples[1]))
        #expect(a2.info[0].responseTypes == [.shelter])
        #expect(a2.info[0].eventCodes == [CAPValue("SAME", "SVR")])
        #expect(a2.info[0].expires?.text == "2003-06-17T16:00:00-07:00")
        let area = a2.info[0].areas[0]
        #expect(area.polygons.count == 1)
        #expect(area.polygons[0].count == 5)
        #expect(area.polygons[0].first == CAPPoint(lat: 38.47, lon: -120.14))
        #expect(area.polygons[0].first == area.polygons[0].last)
        #expect(area.geocodes.map(\.value) == ["006109", "006009", "006003"])

        let a3 = try CAPAlert(xml: try Self.example(Self.examples[2]))
        #expect(a3.msgType == .update)
        #expect(
            a3.references == [
                CAPReference(
                    sender: "trinet@caltech.edu", identifier: "TRI13970876.1",
                    sent: CAPTime(text: "2003-06-11T20:30:00-07:00")!)
            ])
        #expect(a3.info[0].urgency == .past && a3.info[0].severity == .minor)
        #expect(a3.info[0].parameters.count == 5)
        #expect(a3.info[0].parameter("Magnitude") == "3.4 Ml")
        #expect(a3.info[0].areas[0].circles == [CAPCircle(center: CAPPoint(lat: 32.9525, lon: -115.5527), radiusKm: 0)])

        let a4 = try CAPAlert(xml: try Self.example(Self.examples[3]))
        #expect(a4.source == "SW")
        #expect(a4.info.map(\.language) == ["en-US", "es-US"])
        #expect(a4.info[1].event == "Abducción de Niño")
        #expect(a4.info[1].areas[0].areaDesc == "condado de Los Ángeles")
    }

    /// An enveloped XML signature (xmldsig, allowed by the schema after the info blocks) is kept exactly as
    /// written, whether it declares its namespace itself or uses a prefix declared on `<alert>`.
    @Test func signatureKeptVerbatim() throws {
        let original = String(decoding: try Self.example(Self.examples[0]), as: UTF8.self)
        let signature = """
            <Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>
                <CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>
                <SignatureMethod Algorithm='http://www.w3.org/2000/09/xmldsig#rsa-sha1'/>
                <Reference URI=""><Transforms><Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></Transforms>
                <DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/><DigestValue>Oe1k8a3c&#43;Aw=</DigestValue></Reference>
              </SignedInfo><SignatureValue>
                kFm0mV3gG8z7 q2c=
              </SignatureValue></Signature>
            """
        let signed = original.replacingOccurrences(of: "</alert>", with: signature + "\n</alert>")
        #expect(try Fixtures.capSchemaProblems(signed) == nil)
        let parsed = try CAPAlert(xml: Data(signed.utf8))
        #expect(parsed.extensions == [signature])
        let written = parsed.xmlDocument()
        #expect(written.contains(signature))
        #expect(try CAPAlert(xml: Data(written.utf8)) == parsed)
        #expect(try Fixtures.capSchemaProblems(written) == nil)

        // The same with a `ds:` prefix declared on the root element.
        let prefixed = original.replacingOccurrences(
            of: "<alert xmlns = \"urn:oasis:names:tc:emergency:cap:1.2\">",
            with:
                "<alert xmlns = \"urn:oasis:names:tc:emergency:cap:1.2\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">"
        ).replacingOccurrences(
            of: "</alert>",
            with: "<ds:Signature><ds:SignedInfo/><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature></alert>")
        let withPrefix = try CAPAlert(xml: Data(prefixed.utf8))
        #expect(
            withPrefix.extensions == [
                "<ds:Signature><ds:SignedInfo/><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>"
            ])
        #expect(withPrefix.extensionNamespaces == ["ds": "http://www.w3.org/2000/09/xmldsig#"])
        let rewritten = withPrefix.xmlDocument()
        #expect(try CAPAlert(xml: Data(rewritten.utf8)) == withPrefix)
        #expect(try Fixtures.capSchemaProblems(rewritten) == nil)
    }

    /// Documents that are not CAP 1.2 are refused naming the element at fault.
    @Test(arguments: [
        ("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.1\"/>", "xml"),
        ("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>x", "xml"),
        ("<!DOCTYPE alert [<!ENTITY a \"b\">]><alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"/>", "xml"),
        ("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><sender>a</sender></alert>", "alert.identifier"),
    ])
    func refused(_ document: String, _ path: String) {
        #expect(throws: CAPParseError.self) { try CAPAlert(xml: Data(document.utf8)) }
        do {
            _ = try CAPAlert(xml: Data(document.utf8))
        } catch let error as CAPParseError {
            #expect(error.path == path, "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    /// A processing instruction other than the XML declaration is refused before Foundation's parser sees it: the
    /// 65-byte document the CAP fuzz target found (`<?pi?>` inside `alert`) crashed the server, and a stylesheet PI
    /// or a declaration that is not at the start is no more CAP.
    @Test(arguments: [
        #"<?xml version="1.0"?><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><?pi?></alert>"#,
        #"<?xml-stylesheet href="a.xsl"?><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>"#,
        #" <?xml version="1.0"?><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>"#,
        // Inside tags, as the live fuzzer sent them: each crashed the server.
        #"<?xml version="1.0"?><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><note>x</note</<?pi?>>"#,
        #"<?xml version="1.0"?><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><note>x</note<?pi?></alert>"#,
        #"<?xml version="1.0"?><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><!-- <?pi?> --></alert>"#,
    ])
    func processingInstructionsAreRefused(_ document: String) {
        refused(document, "xml")
    }

    /// Geometry is checked in code: an open ring, too few points, a latitude out of range.
    @Test(arguments: [
        "38.47,-120.14 38.34,-119.95 38.52,-119.74 38.62,-119.89",
        "38.47,-120.14 38.34,-119.95 38.47,-120.14",
        "98.47,-120.14 38.34,-119.95 38.52,-119.74 98.47,-120.14",
    ])
    func badPolygon(_ polygon: String) throws {
        let original = String(decoding: try Self.example(Self.examples[1]), as: UTF8.self)
        let broken = original.replacingOccurrences(
            of: "38.47,-120.14 38.34,-119.95 38.52,-119.74 38.62,-119.89 38.47,-120.14", with: polygon)
        #expect(broken != original)
        do {
            _ = try CAPAlert(xml: Data(broken.utf8))
            Issue.record("accepted \(polygon)")
        } catch let error as CAPParseError {
            #expect(error.path == "alert.info[0].area[0].polygon[0]")
        }
    }

    /// CAP times: `±hh:mm`, no `Z`, no fraction; UTC written `-00:00` (CAP 1.2 §3.3.2); China at `+08:00`.
    @Test func times() throws {
        // 2012-01-15T00:00:00Z = 1326585600 (`date -u -d 2012-01-15T00:00:00Z +%s`); at +08:00 that is 08:00.
        let discovery = Date(timeIntervalSince1970: 1_326_585_600.75)
        #expect(CAPTime(date: discovery).text == "2012-01-15T08:00:00+08:00")
        #expect(CAPTime(date: discovery, offsetSeconds: 0).text == "2012-01-15T00:00:00-00:00")
        #expect(CAPTime(date: discovery, offsetSeconds: -7 * 3_600).text == "2012-01-14T17:00:00-07:00")
        #expect(CAPTime(text: "2012-01-15T08:00:00+08:00")?.date == Date(timeIntervalSince1970: 1_326_585_600))
        for bad in ["2012-01-15T08:00:00Z", "2012-01-15T08:00:00.5+08:00", "2012-02-30T08:00:00+08:00", "2012-01-15"] {
            #expect(CAPTime(text: bad) == nil, "\(bad)")
        }
        // One instant, two offsets: the same message key.
        let utc = CAPReference(sender: "s", identifier: "i", sent: CAPTime(text: "2003-06-12T03:30:00-00:00")!)
        let pacific = CAPReference(sender: "s", identifier: "i", sent: CAPTime(text: "2003-06-11T20:30:00-07:00")!)
        #expect(utc.key == pacific.key)
    }
}
