@testable import FedRuntime
import Testing

/// Ports for loopback servers: distinct within a process, outside the kernel's ephemeral range, bindable.
struct LoopbackPortTests {
    @Test func picksDistinctBindablePortsBelowTheEphemeralRange() {
        let ports = (0..<50).map { _ in LoopbackPort.pick() }
        #expect(Set(ports).count == ports.count, "a port was handed out twice: \(ports)")
        let ephemeral = LoopbackPort.ephemeralRangeStart()
        #expect(ports.allSatisfy { $0 >= 20_000 && $0 < ephemeral }, "\(ports) (ephemeral range starts at \(ephemeral))")
        #expect(ports.allSatisfy(LoopbackPort.bindable), "every picked port can still be bound")
    }
}
