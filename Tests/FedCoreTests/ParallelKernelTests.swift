import Testing
@testable import FedCore

// The split kernels against plain one-thread loops, on buffers long enough to be split.

private func values(_ count: Int, seed: UInt64, scale: Float) -> [Float] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in (Float(rng.next() % 2_000_001) / 1_000_000 - 1) * scale }
}

private let long = 2 * Kernels.parallelThreshold + 1_234

@Test func partsCoverEveryIndexOnceOnAlignedBoundaries() {
    for count in [0, 5, Kernels.parallelThreshold, long, 4 * Kernels.parallelThreshold + 17] {
        let seen = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(count, 1))
        defer { seen.deallocate() }
        seen.initialize(repeating: 0)
        let starts = UnsafeMutableBufferPointer<Int>.allocate(capacity: Kernels.parallelWidth)
        defer { starts.deallocate() }
        starts.initialize(repeating: -1)
        Kernels.forEachPart(of: count) { part, range in
            starts[part] = range.lowerBound
            for i in range { seen[i] += 1 }
        }
        #expect(seen.prefix(count).allSatisfy { $0 == 1 }, "count \(count)")
        #expect(starts.prefix(Kernels.partCount(of: count)).allSatisfy { $0 >= 0 && $0 % 64 == 0 })
    }
    #expect(Kernels.partCount(of: long) == min(Kernels.parallelWidth, 2))
}

@Test(arguments: [false, true])
func splitFoldEqualsTheOneThreadLoopBitForBit(isDelta: Bool) {
    let global = values(long, seed: 1, scale: 3)
    var sum = values(long, seed: 2, scale: 100).map { Double($0) }
    var reference = sum
    for (k, weight) in [7.0, 1.0, 123.0].enumerated() {
        let upload = values(long, seed: 10 + UInt64(k), scale: 3)
        sum.withUnsafeMutableBufferPointer { s in
            upload.withUnsafeBufferPointer { v in
                global.withUnsafeBufferPointer { g in Kernels.accumulate(into: s, values: v, minus: isDelta ? nil : g, weight: weight) }
            }
        }
        for i in 0..<long {
            reference[i] += isDelta ? weight * Double(upload[i]) : weight * (Double(upload[i]) - Double(global[i]))
        }
    }
    #expect(sum == reference)
    var out = [Float](repeating: 0, count: long), expected = out
    sum.withUnsafeBufferPointer { s in
        global.withUnsafeBufferPointer { g in
            out.withUnsafeMutableBufferPointer { Kernels.finishInParts(s, scale: 1 / 131, base: g, into: $0) }
            expected.withUnsafeMutableBufferPointer { Kernels.finish(s, scale: 1 / 131, base: g, into: $0) }
        }
    }
    #expect(out == expected)
}

@Test func splitFinitenessCheckFindsABadValueInAnyPart() {
    var x = values(long, seed: 3, scale: 1)
    #expect(x.withUnsafeBufferPointer(Kernels.allFiniteInParts))
    for position in [0, Kernels.parallelThreshold + 77, long - 1] {
        let kept = x[position]
        x[position] = position == 0 ? .nan : .infinity
        #expect(!x.withUnsafeBufferPointer(Kernels.allFiniteInParts), "a bad value at \(position)")
        x[position] = kept
    }
}
