import Dispatch
import Foundation
import Synchronization
import Testing
@testable import FedRuntime

/// Producers of uneven speed (the holder of the next index is often the slowest) against a small
/// window: every item arrives once, in order, and nobody sleeps forever. The semaphore-based version
/// of `OrderedDelivery` lost wake-ups exactly here and hung `fedswift simulate` on a loaded machine.
@Test func orderedDeliveryNeverLosesAWakeUp() {
    for producers in [2, 3, 4] {
        let count = 3000
        let received = Mutex<[Int]>([])
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let order = OrderedDelivery<Int>(capacity: producers) { item in received.withLock { $0.append(item) } }
            let next = Atomic<Int>(0)
            DispatchQueue.concurrentPerform(iterations: producers) { w in
                var state = UInt64(w + 1) &* 0x9E37_79B9_7F4A_7C15
                while true {
                    let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    guard i < count else { break }
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    let r = Int(state >> 58)  // 0..<64
                    if r < 4 { usleep(UInt32(200 + 50 * r)) } else if r < 32 { sched_yield() }
                    order.put(i, i)
                }
            }
            done.signal()
        }
        let finished = done.wait(timeout: .now() + 60) == .success
        #expect(finished, "producers=\(producers): deadlocked")
        guard finished else { return }
        #expect(received.withLock { $0 } == Array(0..<count), "producers=\(producers): out of order or lost")
    }
}
