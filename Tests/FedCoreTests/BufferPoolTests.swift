import Testing
@testable import FedCore

private struct FillFailed: Error {}

@Test func releasedBlockIsReusedForTheSameSizeOnly() {
    let pool = BufferPool(maxIdleBytes: 1 << 20)
    var first: SharedBuffer? = pool.buffer(count: 4096) { $0.initializeMemory(as: UInt8.self, repeating: 7) }
    let address = first?.unsafeBaseAddress
    #expect(Int(bitPattern: address) % 64 == 0)
    #expect(pool.idleBytes == 0)
    first = nil
    #expect(pool.idleBytes == 4096)
    let other = pool.buffer(count: 1024) { $0.initializeMemory(as: UInt8.self, repeating: 1) }
    #expect(other.unsafeBaseAddress != address)
    #expect(pool.idleBytes == 4096)
    let again = pool.buffer(count: 4096) { $0.initializeMemory(as: UInt8.self, repeating: 9) }
    #expect(again.unsafeBaseAddress == address)
    #expect(pool.idleBytes == 0)
    #expect(again.withUnsafeBytes { $0.allSatisfy { $0 == 9 } })
}

@Test func poolFreesBlocksPastItsIdleLimit() {
    let pool = BufferPool(maxIdleBytes: 6000)
    var a: SharedBuffer? = pool.buffer(count: 4000) { $0.initializeMemory(as: UInt8.self, repeating: 0) }
    var b: SharedBuffer? = pool.buffer(count: 4000) { $0.initializeMemory(as: UInt8.self, repeating: 0) }
    #expect(a != nil && b != nil)
    a = nil
    b = nil
    #expect(pool.idleBytes == 4000)
}

@Test func failedFillReturnsTheBlockToThePool() {
    let pool = BufferPool(maxIdleBytes: 1 << 20)
    #expect(throws: FillFailed.self) {
        _ = try pool.buffer(count: 512) { (_) throws(FillFailed) in throw FillFailed() }
    }
    #expect(pool.idleBytes == 512)
}

@Test func addingAScalarWritesEveryValueAndFlagsNonFiniteResults() {
    // 37 values: two 16-lane blocks and a tail; the source starts 2 bytes off float alignment.
    let values = (0..<37).map { Float($0) * 0.25 - 3 }
    var bytes = [UInt8](repeating: 0, count: 2 + values.count * 4)
    values.withUnsafeBytes { src in bytes.withUnsafeMutableBytes { $0.baseAddress!.advanced(by: 2).copyMemory(from: src.baseAddress!, byteCount: src.count) } }
    var out = [Float](repeating: 0, count: values.count)
    let finite = bytes.withUnsafeBytes { raw in
        out.withUnsafeMutableBufferPointer { Kernels.add(1, to: UnsafeRawBufferPointer(rebasing: raw[2...]), into: $0) }
    }
    #expect(finite)
    #expect(out == values.map { $0 + 1 })
    for (position, bad) in [(3, Float.nan), (35, Float.infinity), (20, -Float.infinity)] {
        var poisoned = values
        poisoned[position] = bad
        let ok = poisoned.withUnsafeBytes { raw in out.withUnsafeMutableBufferPointer { Kernels.add(1, to: raw, into: $0) } }
        #expect(!ok, "a \(bad) at \(position) must be reported")
    }
}
