import FuzzDriver

/// The executable's entry point (see `runFuzzer`): libFuzzer's driver calling `fuzzCAP` with each input.
@_cdecl("fuzz_cap_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { start, count in fuzzCAP(start, count) }
}
