import Foundation
import WatershedCore

/// The server's body decoder (`Routes.decodeBody`): a JSONDecoder whose dates are RFC 3339 with an offset, parsed by
/// `CanonicalJSON.date(fromTimestamp:)`. Replicated here because the server's is internal to WatershedServer.
let decoder: JSONDecoder = {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .custom { decoder in
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = CanonicalJSON.date(fromTimestamp: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected an RFC 3339 time")
        }
        return date
    }
    return decoder
}()

/// What the server does with a decoded body: the unknown-field check encodes the decoded value again as a
/// `JSONValue`; a stored event is canonical JSON.
func afterDecoding(_ value: some Encodable) {
    _ = try? JSONValue(encoding: value)
    _ = try? CanonicalJSON.encode(value)
}

/// The fuzz callback (`runFuzzer` hands it to libFuzzer): the input through the steps of `Routes.decodeBody` after
/// its transcoding to UTF-8 (`utf8JSON`, internal to the server, not replicated): `JSONValue.parse` (depth-bounded),
/// then, only if that parses, `JSONDecoder` into an initial report (`POST /v1/incidents`) and a follow-up report
/// (`POST /v1/incidents/{id}/reports`). A thrown error is the expected answer to bad input; a trap, a stack overflow
/// or a hang is a finding.
func fuzzReport(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    guard (try? JSONValue.parse(data)) != nil else { return 0 }
    if let report = try? decoder.decode(InitialReport.self, from: data) { afterDecoding(report) }
    if let report = try? decoder.decode(FollowUpReport.self, from: data) { afterDecoding(report) }
    return 0
}

/// The symbol libFuzzer's runtime links against (its own `main` refers to it even though ours runs the driver).
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt { fuzzReport(start, count) }
