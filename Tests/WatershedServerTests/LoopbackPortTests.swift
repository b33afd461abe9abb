import Foundation
import Testing

@testable import WatershedServer

/// Ports for servers the tests start: below the kernel's ephemeral range, so that no port-0 listener or outgoing
/// connection elsewhere on the machine takes one between its choice and its use (a CAP test lost its peer port so).
@Suite struct LoopbackPortTests {
    @Test func portsAreFreeDistinctAndBelowTheEphemeralRange() throws {
        let start = LoopbackPort.ephemeralStart()
        let ports = try (0..<20).map { _ in try LoopbackPort.free() }
        #expect(Set(ports).count == 20, "never the same port twice: \(ports)")
        #expect(ports.allSatisfy { $0 >= 1_024 && $0 < start }, "\(ports) below \(start)")
        // Each is free now: binding it again works.
        for port in ports { #expect(try LoopbackPort.bindable(port) == port) }
    }
}
