import FedCore
import FedRuntime
import Testing

/// `--delay SECONDS[:JITTER]`: parsing and seeded jitter.
struct TaskDelayTests {
    @Test func parsesSecondsAndJitterAndRefusesNonsense() throws {
        #expect(try TaskDelay(parsing: "0.2") == TaskDelay(seconds: 0.2))
        #expect(try TaskDelay(parsing: "1.0:0.3") == TaskDelay(seconds: 1.0, jitter: 0.3))
        #expect(try TaskDelay(parsing: "0").isZero)
        for bad in ["", "-1", "fast", "1:", "1:-0.5", "1:2:3", "inf"] {
            #expect(throws: FedError.self, "'\(bad)' must be refused") { try TaskDelay(parsing: bad) }
        }
    }

    @Test func jitterIsSeededBoundedAndVariesPerTask() throws {
        let delay = try TaskDelay(parsing: "1.0:0.3")
        let waits = (1...50).map { delay.wait(node: "slow", task: UInt64($0), seed: 7) }
        #expect(waits == (1...50).map { delay.wait(node: "slow", task: UInt64($0), seed: 7) })
        #expect(waits.allSatisfy { $0 >= 0.7 && $0 <= 1.3 })
        #expect(Set(waits).count > 40)
        #expect(waits != (1...50).map { delay.wait(node: "other", task: UInt64($0), seed: 7) })
        #expect(TaskDelay(seconds: 0.2).wait(node: "x", task: 9, seed: 1) == 0.2)
    }
}
