import Foundation
import WatershedCAP

/// The fuzz callback (`runFuzzer` hands it to libFuzzer): parses the input as a CAP 1.2 alert. A thrown `CAPParseError` is the expected answer to bad
/// input; a trap, a stack overflow or a hang is a finding.
func fuzzCAP(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    if let alert = try? CAPAlert(xml: data) {
        // What parses must also write back out, as an export of an ingested message would.
        _ = alert.xmlDocument()
    }
    return 0
}

/// The symbol libFuzzer's runtime links against (its own `main` refers to it even though ours runs the driver).
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt { fuzzCAP(start, count) }
