import Foundation

/// libFuzzer's entry for programs that have their own `main` (compiler-rt `FuzzerInterface.h`).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

/// The executable's entry point. SwiftPM links an executable with `main` defined as `<module>_main`, and this
/// target is compiled with `-parse-as-library` (no top-level code), so it names that symbol itself and starts
/// libFuzzer's driver with the process's arguments (`-max_total_time=`, corpus folders, a crash file to replay).
@_cdecl("fuzz_cap_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { start, count in fuzzCAP(start, count) }
}
