extension SharedBuffer {
    /// A zero-copy view of an array's elements: the buffer keeps its own reference to the array's
    /// storage and reads it in place, so a model encoded for the wire costs no second copy.
    ///
    /// Safe because Swift heap storage never moves while referenced and the reference held here makes
    /// the storage shared: any later mutation through another copy of the array goes to a fresh copy
    /// (copy-on-write), so the viewed bytes never change while the buffer lives.
    public convenience init<T: BitwiseCopyable>(viewing array: [T]) {
        let count = array.count * MemoryLayout<T>.stride
        guard count > 0 else {
            self.init(copying: UnsafeRawBufferPointer(start: nil, count: 0))
            return
        }
        // A native array (always so off Darwin, and for arrays made in Swift) exposes its own storage here.
        let base = array.withUnsafeBytes { UnsafeMutableRawPointer(mutating: $0.baseAddress!) }
        let owner = ArrayOwner(array)
        self.init(adopting: base, count: count) { _ in withExtendedLifetime(owner) {} }
    }
}

/// Holds an array alive for a ``SharedBuffer`` that views it.
private final class ArrayOwner<T: BitwiseCopyable>: @unchecked Sendable {
    // Safe: the array is never mutated and is read only through the owning SharedBuffer.
    let array: [T]
    init(_ array: [T]) { self.array = array }
}
