import FuzzDriver

/// The executable's entry point (see `runFuzzer`): libFuzzer's driver calling `fuzzPlaybook` with each input.
@_cdecl("fuzz_playbook_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { start, count in fuzzPlaybook(start, count) }
}
