import Foundation
import WatershedCLI

@main
struct Entrypoint {
    static func main() async {
        let code = await Watershed.run(Array(CommandLine.arguments.dropFirst()))
        exit(code)
    }
}
