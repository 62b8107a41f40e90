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
    /// at 100 MB/s. A 2.4 GB model is still arriving after the 2 s default, and pulling it then only
    /// makes a second (and third) copy travel and land in memory next to the first.
    static func pullDelay(base: Double, modelBytes: Int) -> Double { base + Double(modelBytes) / 100e6 }
}
