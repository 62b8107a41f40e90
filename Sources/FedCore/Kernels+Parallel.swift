import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Kernels {
    /// Buffers shorter than this many elements per thread are worked on by the calling thread alone
    /// (2^20: 4 MiB of float32; below it the hand-off to another thread costs more than it saves).
    public static let parallelThreshold = 1 << 20

    /// Most threads a kernel splits one buffer across: the online cores, at most 4 (the loops stream
    /// memory; past a few cores they only compete for bandwidth).
    public static let parallelWidth: Int = max(1, min(4, sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// How many parts ``forEachPart(of:_:)`` splits `count` elements into.
    public static func partCount(of count: Int) -> Int { max(1, min(parallelWidth, count / parallelThreshold)) }

    /// Calls `body(part, range)` once per part of `0..<count`: ``partCount(of:)`` contiguous ranges
    /// that start on multiples of 64 elements, run on as many threads (the caller's among them) when
    /// each gets at least ``parallelThreshold`` elements, else once with the whole range on the caller.
    /// Returns when every part is done. `body` must touch only its own range: the kernels built on it
    /// do the same arithmetic per element as a one-thread loop, so their results are bit-identical.
    public static func forEachPart(of count: Int, _ body: (_ part: Int, _ range: Range<Int>) -> Void) {
        let parts = partCount(of: count)
        guard parts > 1 else {
            body(0, 0..<count)
            return
        }
        let step = ((count + parts - 1) / parts + 63) & ~63
        withoutActuallyEscaping(body) { body in
            let shared = PartBody(call: body)
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let start = min(count, part * step)
                shared.call(part, start..<min(count, start + step))
            }
        }
    }

    /// The float64 fold of one upload: `sum[i] += weight · (values[i] − minus[i])`, or
    /// `sum[i] += weight · values[i]` when `minus` is nil (a delta upload), split across threads for
    /// long buffers (see ``forEachPart(of:_:)``); bit-identical to the one-thread loop.
    public static func accumulate(into sum: UnsafeMutableBufferPointer<Double>, values: UnsafeBufferPointer<Float>,
                                  minus: UnsafeBufferPointer<Float>?, weight: Double) {
        precondition(sum.count == values.count && (minus == nil || minus!.count == values.count), "accumulate: buffers differ in length")
        guard let s = sum.baseAddress, let v = values.baseAddress else { return }
        let g = minus?.baseAddress
        forEachPart(of: values.count) { _, range in
            if let g {
                for i in range { s[i] += weight * (Double(v[i]) - Double(g[i])) }
            } else {
                for i in range { s[i] += weight * Double(v[i]) }
            }
        }
    }

    /// ``finish(_:scale:base:into:)`` split across threads for long buffers; bit-identical to it.
    public static func finishInParts(_ sum: UnsafeBufferPointer<Double>, scale: Double, base: UnsafeBufferPointer<Float>?,
                                     into out: UnsafeMutableBufferPointer<Float>) {
        precondition(out.count == sum.count && (base == nil || base!.count == sum.count), "finish: buffers differ in length")
        guard let s = sum.baseAddress, let o = out.baseAddress else { return }
        let b = base?.baseAddress
        forEachPart(of: sum.count) { _, range in
            finish(UnsafeBufferPointer(start: s + range.lowerBound, count: range.count), scale: scale,
                   base: b.map { UnsafeBufferPointer(start: $0 + range.lowerBound, count: range.count) },
                   into: UnsafeMutableBufferPointer(start: o + range.lowerBound, count: range.count))
        }
    }

    /// ``allFinite(_:)`` split across threads for long buffers.
    public static func allFiniteInParts(_ values: UnsafeBufferPointer<Float>) -> Bool {
        guard let base = values.baseAddress else { return true }
        let parts = partCount(of: values.count)
        guard parts > 1 else { return allFinite(values) }
        // One flag per part, each written by its own part only.
        let flags = UnsafeMutableBufferPointer<Bool>.allocate(capacity: parts)
        defer { flags.deallocate() }
        flags.initialize(repeating: true)
        forEachPart(of: values.count) { part, range in
            flags[part] = allFinite(UnsafeBufferPointer(start: base + range.lowerBound, count: range.count))
        }
        return flags.allSatisfy { $0 }
    }
}

/// The body of one ``Kernels/forEachPart(of:_:)`` call, handed to its worker threads.
private struct PartBody: @unchecked Sendable {
    // Safe: concurrentPerform returns only after every part has run, so the body and what it captured
    // outlive every call, and the kernels' bodies write only the memory of their own part.
    let call: (_ part: Int, _ range: Range<Int>) -> Void
}
