import Foundation
import WatershedPlaybooks

/// The fuzz callback (`runFuzzer` hands it to libFuzzer): decodes the input as one playbook file, as `watershed playbooks check` and `serve` do for
/// each file (YAML syntax, `schemaVersion`, `kind`, then the strict decoder for its kind). Problems come back as
/// diagnostics; a trap, a stack overflow or a hang is a finding. Bytes that are not UTF-8 are what
/// `decodeFile(at:)` reports before decoding, so they are passed on decoded leniently.
func fuzzPlaybook(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
    let decoded = PlaybookLoader().decodeFile(PlaybookSource(file: "fuzz.yaml", text: text))
    for diagnostic in decoded.diagnostics { _ = diagnostic.description }
    return 0
}

/// The symbol libFuzzer's runtime links against (its own `main` refers to it even though ours runs the driver).
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt { fuzzPlaybook(start, count) }
