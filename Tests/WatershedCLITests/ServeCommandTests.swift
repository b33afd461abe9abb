import Foundation
import Testing
import WatershedCLI

/// `watershed serve` refuses bad settings before it starts, with the exit code DESIGN.md gives.
@Suite struct ServeCommandTests {
    @Test func badPortFlagIsAUsageError() async {
        let result = await runWatershed(["serve", "--port", "eighty"])
        #expect(result.code == 2)
        #expect(result.err.contains("--port"))
    }

    /// A config file with an unknown key is invalid input in a file: exit 1, placed at line 2, column 1.
    @Test func badConfigFileIsInvalidInput() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("watershed-\(UUID().uuidString).yaml")
        try Data("port: 9443\nprot: 1\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = await runWatershed(["serve", "--config", file.path])
        #expect(result.code == 1)
        #expect(result.err.contains("\(file.path):2:1"), "\(result.err)")
    }

    @Test func helpNamesTheSettings() async {
        let result = await runWatershed(["serve", "--help"])
        #expect(result.code == 0)
        #expect(result.out.contains("--tls-cert"))
        #expect(result.out.contains("WATERSHED_"))
    }
}
