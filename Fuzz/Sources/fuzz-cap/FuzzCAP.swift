import Foundation
import WatershedCAP

/// The fuzz callback (`runFuzzer` hands it to libFuzzer): parses the input as a CAP 1.2 alert, as `CAPIngest` does
/// with a peer's `POST /v1/feeds/cap` body. A thrown `CAPParseError` is the expected answer to bad input; a trap, a
/// stack overflow or a hang is a finding.
///
/// Bytes that are not UTF-8 are skipped, as `CAPIngest` refuses them before parsing: Foundation's `XMLParser` traps
/// (SIGILL in `_NSXMLParserStartElementNs`) on an element name that is not UTF-8, so `CAPAlert(xml:)` called on such
/// bytes without that check crashes — found by this target in its first seconds; see docs/fuzzing.md.
func fuzzCAP(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    guard String(validating: data, as: UTF8.self) != nil else { return 0 }
    if let alert = try? CAPAlert(xml: data) {
        // What parses must also write back out, as an export of an ingested message would.
        _ = alert.xmlDocument()
    }
    return 0
}

/// The symbol libFuzzer's runtime links against (its own `main` refers to it even though ours runs the driver).
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt { fuzzCAP(start, count) }
