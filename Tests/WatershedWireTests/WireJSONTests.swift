import Foundation
import Testing
import WatershedCore
import WatershedWire

/// The one JSON configuration (issue 16): times with exactly three fractional digits, as the log and the stream
/// write them, read back with any offset.
@Suite struct WireJSONTests {
    struct Stamp: Codable, Equatable {
        var at: Date
    }

    @Test func timesAreWrittenWithMilliseconds() throws {
        // 2026-01-15T08:00:30.517Z is 1768464030.517 s after the epoch (2026-01-15T00:00Z = 1768435200, + 8 h 30.517 s).
        let at = Date(timeIntervalSince1970: 1_768_464_030.517)
        let text = String(decoding: try WireJSON.encoder.encode(Stamp(at: at)), as: UTF8.self)
        #expect(text == #"{"at":"2026-01-15T08:00:30.517Z"}"#)
        // A whole second still carries its three digits.
        let whole = String(
            decoding: try WireJSON.encoder.encode(Stamp(at: Date(timeIntervalSince1970: 1_768_464_030))), as: UTF8.self)
        #expect(whole == #"{"at":"2026-01-15T08:00:30.000Z"}"#)
    }

    @Test(arguments: [
        "2026-01-15T08:00:30.517Z", "2026-01-15T16:00:30.517+08:00", "2026-01-15T08:00:30.517000Z",
    ])
    func timesAreReadWithAnyOffset(_ text: String) throws {
        let stamp = try WireJSON.decoder.decode(Stamp.self, from: Data(#"{"at":"\#(text)"}"#.utf8))
        #expect(stamp.at == Date(timeIntervalSince1970: 1_768_464_030.517))
    }

    @Test func aTimeWithoutOffsetIsRefusedNamingIt() {
        #expect(throws: DecodingError.self) {
            try WireJSON.decoder.decode(Stamp.self, from: Data(#"{"at":"2026-01-15T08:00:30"}"#.utf8))
        }
    }
}
