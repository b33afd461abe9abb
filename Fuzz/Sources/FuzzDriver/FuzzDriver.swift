/// libFuzzer's entry for programs that have their own `main` (compiler-rt `FuzzerInterface.h`).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

/// Starts libFuzzer's driver with the process's arguments (`-max_total_time=`, corpus folders, a crash file to
/// replay), calling `target` with each input. Each fuzz executable's `main` calls it: SwiftPM links an executable with
/// `main` defined as `<module>_main`, and the targets are compiled with `-parse-as-library` (no top-level code), so
/// each names that symbol itself (`@_cdecl("fuzz_cap_main")`).
public func runFuzzer(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
    _ target: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, target)
}
