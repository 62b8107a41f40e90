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
}
