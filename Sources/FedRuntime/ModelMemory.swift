import FedNet
import FedWire

/// Memory policy of a node that learns its model's size at run time (a client).
enum ModelMemory {
    /// Switches the allocator to returning large blocks to the system when the model is huge (the
    /// startup default keeps them on the heap, right for models of tens of MB).
    static func adapt(toModelBytes bytes: Int) {
        if bytes >= AllocatorTuning.hugeModelBytes { AllocatorTuning.returnLargeAllocationsToSystem() }
    }

    /// Bytes of the float32 parameters a model message carries.
    static func rawBytes(of message: WireMessage) -> Int { message.envelope.tensors.reduce(0) { $0 + $1.rawBytes } }

    /// Seconds to wait for a broadcast model before PULLing it: `base` plus the time the model takes
    /// at `linkFloor` bytes/s (at 100 MB/s when the floor is 0). A model still arriving over a slow link
    /// (or a 2.4 GB one over a fast link) would only have a second copy travel next to the first.
    static func pullDelay(base: Double, modelBytes: Int, linkFloor: Double) -> Double {
        base + Double(modelBytes) / (linkFloor > 0 ? linkFloor : 100e6)
    }
}
