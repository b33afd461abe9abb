import Foundation
import Testing
import WatershedCore

/// `JSONValue.parse` against RFC 8259's grammar, with values written out by hand.
@Suite struct JSONValueParseTests {
    func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(Data(text.utf8)) }

    @Test func readsEveryKindOfValue() throws {
        let value = try parse(#" {"a": [1, -2.5e2, 0.125, true, false, null], "b": {"c": "d"}, "e": ""} "#)
        #expect(
            value == ["a": [1, -250, 0.125, true, false, nil], "b": ["c": "d"], "e": ""])
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        // U+1F30A WATER WAVE is the pair D83C DF0A; 镉 (cadmium) is U+9549.
        #expect(try parse(#""a\"b\\c\/d\n\t\u9549\ud83c\udf0a""#) == .string("a\"b\\c/d\n\t镉🌊"))
        #expect(try parse(#""柳江""#) == .string("柳江"))
    }

    @Test func agreesWithJSONDecoderOnAnEventPayload() throws {
        let text = #"{"km":12.5,"names":["Longjiang","龙江"],"nested":{"deep":[{"x":null}]},"n":-0,"big":1e21}"#
        let viaDecoder = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(try parse(text) == viaDecoder)
    }

    @Test(arguments: [
        ("", 0), ("{", 1), (#"{"a" 1}"#, 5), ("[1,]", 3), ("01", 1), ("1.", 2), ("-", 1), ("tru", 0),
        (#""\x""#, 3), (#""\ud83c""#, 7), (#""\udf0a""#, 7), ("\"a\u{01}\"", 2), ("1 2", 2), ("1e999", 0),
        (#"{"a":1,}"#, 7),
    ])
    func refusesBadInputAtTheRightByte(text: String, offset: Int) {
        #expect(throws: JSONParseError.self) { try parse(text) }
        do {
            _ = try parse(text)
        } catch let error as JSONParseError {
            #expect(error.offset == offset, "\(text): \(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func refusesInvalidUTF8AndDeepNesting() {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Data([0x22, 0xC3, 0x28, 0x22])) }
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONParseError.self) { try parse(deep) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect((try? parse(fine)) != nil)
    }
}
