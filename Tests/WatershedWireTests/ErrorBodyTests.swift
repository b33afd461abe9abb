import Foundation
import Testing
import WatershedCore
import WatershedWire

@Suite struct ErrorBodyTests {
    /// The shape DESIGN.md fixes: {"error": {"code", "message", "field"}}.
    @Test func errorBodyShape() throws {
        let body = ErrorBody(PlanError.chainageOutsideRiver(river: "longjiang", km: 120, lengthKm: 105))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(body), as: UTF8.self)
        #expect(
            json
                == #"{"error":{"code":"chainage_outside_river","field":"km","message":"km 120.0 is outside longjiang's 0…105.0 km"}}"#
        )
    }

    @Test func fieldIsOptional() throws {
        let decoded = try JSONDecoder().decode(
            ErrorBody.self, from: Data(#"{"error":{"code":"forbidden","message":"token refused"}}"#.utf8))
        #expect(decoded == ErrorBody(code: "forbidden", message: "token refused"))
    }
}
