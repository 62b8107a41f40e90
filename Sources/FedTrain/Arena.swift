/// The activation, gradient and scratch memory of one ``Sequential`` model, in one allocation sized for
/// the largest batch seen so far. In-place layers share their input's activation and gradient slots.
struct Arena {
    private let plans: [LayerPlan]
    private let sampleSizes: [Int]
    /// Slot of activation `i` (the output of layer `i − 1`); index 0 (the caller's input) is unused.
    private let activationSlot: [Int]
    /// Slot of the gradient with respect to activation `i`; index 0 is unused.
    private let gradientSlot: [Int]
    /// Values per sample of each slot.
    private let slotSizes: [Int]
    private var slotOffsets: [Int] = []
    private var scratchOffsets: [Int] = []
    private(set) var capacity = 0
    private var base: UnsafeMutablePointer<Float>?

    init(plans: [LayerPlan], sampleSizes: [Int]) {
        self.plans = plans
        self.sampleSizes = sampleSizes
        var sizes: [Int] = []
        var activation = [-1]
        for i in plans.indices {
            if plans[i].inPlace && i > 0 {
                activation.append(activation[i])
            } else {
                activation.append(sizes.count)
                sizes.append(sampleSizes[i + 1])
            }
        }
        var gradient = [Int](repeating: -1, count: plans.count + 1)
        gradient[plans.count] = sizes.count
        sizes.append(sampleSizes[plans.count])
        for j in stride(from: plans.count - 1, through: 1, by: -1) {
            if plans[j].inPlace {
                gradient[j] = gradient[j + 1]
            } else {
                gradient[j] = sizes.count
                sizes.append(sampleSizes[j])
            }
        }
        self.activationSlot = activation
        self.gradientSlot = gradient
        self.slotSizes = sizes
    }

    /// Makes room for `batch` samples; reallocates only when the batch exceeds the capacity.
    mutating func reserve(batch: Int) {
        guard batch > capacity else { return }
        var offsets: [Int] = []
        var total = 0
        func take(_ count: Int) -> Int {
            let start = total
            total += (count + 15) & ~15  // keep every buffer 64-byte aligned
            return start
        }
        for size in slotSizes { offsets.append(take(size * batch)) }
        scratchOffsets = plans.map { take($0.scratchPerSample * batch + $0.scratchFixed) }
        slotOffsets = offsets
        base?.deallocate()
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(total, 1) * 4, alignment: 64)
        base = memory.initializeMemory(as: Float.self, repeating: 0, count: max(total, 1))
        capacity = batch
    }

    /// Output buffer of layer `i − 1` (activation `i`, for `i ≥ 1`).
    @inline(__always)
    func activation(_ i: Int) -> UnsafeMutablePointer<Float> { base! + slotOffsets[activationSlot[i]] }

    /// Gradient buffer for activation `i` (for `i ≥ 1`).
    @inline(__always)
    func gradient(_ i: Int) -> UnsafeMutablePointer<Float> { base! + slotOffsets[gradientSlot[i]] }

    /// Scratch of layer `i`.
    @inline(__always)
    func scratch(_ i: Int) -> UnsafeMutableRawPointer { UnsafeMutableRawPointer(base! + scratchOffsets[i]) }

    /// Frees the memory; the arena must not be used afterwards.
    func deallocate() { base?.deallocate() }
}
