import FedNet
@testable import FedRuntime
import Testing

/// ZMTP heartbeat deadlines sized to the largest message, and the socket options built from them.
struct HeartbeatDeadlinesTests {
    @Test func smallModelsKeepTheThreeHeartbeatDeadline() {
        let d = HeartbeatDeadlines.sized(heartbeat: 1, largestMessageBytes: 0)
        #expect(d == HeartbeatDeadlines(interval: 1, timeout: 3, ttl: 3))
        let slow = HeartbeatDeadlines.sized(heartbeat: 2, largestMessageBytes: 100_000)
        #expect(slow == HeartbeatDeadlines(interval: 2, timeout: 6.1, ttl: 6.1))
    }

    @Test func deadlinesGrowByTheTransferTimeAtTheFloor() {
        // 20 MB at 1 MB/s: 3 s + 20 s for the timeout and the TTL asked of the peer.
        #expect(HeartbeatDeadlines.sized(heartbeat: 1, largestMessageBytes: 20_000_000) == HeartbeatDeadlines(interval: 1, timeout: 23, ttl: 23))
        // A faster floor shrinks the allowance.
        #expect(HeartbeatDeadlines.sized(heartbeat: 1, largestMessageBytes: 20_000_000, linkFloor: 10e6).timeout == 5)
    }

    @Test func ttlBeyondWhatLibzmqHonoursIsNotAskedAndTimeoutsStopAtTheCap() {
        let big = HeartbeatDeadlines.sized(heartbeat: 1, largestMessageBytes: 100_000_000)
        #expect(big.timeout == 103 && big.ttl == nil)
        let huge = HeartbeatDeadlines.sized(heartbeat: 1, largestMessageBytes: 4_000_000_000)
        #expect(huge.timeout == HeartbeatDeadlines.longestTimeout && huge.ttl == nil)
        #expect(HeartbeatDeadlines.sized(heartbeat: 1, largestMessageBytes: 62_500_000).ttl == 65.5)
    }

    @Test func unknownSizeAsksNoTTLAndWaitsTheLongestTimeout() {
        let d = HeartbeatDeadlines.sized(heartbeat: 1, largestMessageBytes: nil)
        #expect(d == HeartbeatDeadlines(interval: 1, timeout: HeartbeatDeadlines.longestTimeout, ttl: nil))
        #expect(HeartbeatDeadlines.sized(heartbeat: 300, largestMessageBytes: nil).timeout == 900)
    }

    @Test func zeroFloorRestoresFixedDeadlines() {
        for bytes in [nil, 0, 40_000_000] as [Int?] {
            #expect(HeartbeatDeadlines.sized(heartbeat: 1, largestMessageBytes: bytes, linkFloor: 0) == HeartbeatDeadlines(interval: 1, timeout: 3, ttl: 3))
        }
        #expect(HeartbeatDeadlines.sized(heartbeat: 20, largestMessageBytes: 40_000_000, linkFloor: 0).timeout == 60)
    }

    @Test func federationOptionsCarryTheDeadlines() {
        let server = SocketOptions.federation(heartbeat: 1, largestMessageBytes: 20_000_000)
        #expect(server.heartbeatInterval == .milliseconds(1000))
        #expect(server.heartbeatTimeout == .milliseconds(23_000))
        #expect(server.heartbeatTTL == .milliseconds(23_000))
        let client = SocketOptions.federation(heartbeat: 1, routingID: "c1")
        #expect(client.heartbeatTimeout == .seconds(600) && client.heartbeatTTL == nil)
        #expect(client.routingID == Array("c1".utf8))
    }

    @Test func pullWaitsForTheModelAtTheFloor() {
        #expect(ModelMemory.pullDelay(base: 2, modelBytes: 20_000_000, linkFloor: 1e6) == 22)
        #expect(ModelMemory.pullDelay(base: 2, modelBytes: 200_000_000, linkFloor: 0) == 4)
    }
}
