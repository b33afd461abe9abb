import FuzzDriver

/// The executable's entry point (see `runFuzzer`): libFuzzer's driver calling `fuzzReport` with each input.
@_cdecl("fuzz_report_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { start, count in fuzzReport(start, count) }
}
