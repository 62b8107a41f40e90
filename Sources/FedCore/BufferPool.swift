import Synchronization

/// Recycles the memory of large ``SharedBuffer``s that are made again and again at the same size, such
/// as the frames a client sends every round.
///
/// A model-sized block freed to the allocator comes back as fresh pages (glibc maps blocks of tens of
/// MB, or cannot fit a same-sized 64-byte aligned block into the hole the last one left): each round
/// then pays a page fault and a page clear per 4 KiB of the model. A pooled block stays resident and
/// is handed to the next buffer of exactly its size once the last reference to the previous one (the
/// transport's included) is gone. Thread-safe; buffers may be released on any thread.
public final class BufferPool: Sendable {
    /// An idle block: owned by the pool's list or by exactly one buffer, never both.
    private struct Block: @unchecked Sendable {
        // Safe: the pointer is only dereferenced by the single owner described above.
        let pointer: UnsafeMutableRawPointer
        let count: Int
    }

    private struct Idle {
        var blocks: [Block] = []
        var bytes = 0
    }

    /// Most bytes kept idle; a block released past this is freed to the allocator.
    public let maxIdleBytes: Int
    private let idle = Mutex(Idle())

    /// A pool keeping at most `maxIdleBytes` of released blocks for reuse.
    public init(maxIdleBytes: Int) {
        self.maxIdleBytes = max(0, maxIdleBytes)
    }

    deinit {
        idle.withLock { state in
            for block in state.blocks { block.pointer.deallocate() }
            state = Idle()
        }
    }

    /// Bytes held idle right now.
    public var idleBytes: Int { idle.withLock { $0.bytes } }

    /// A buffer of `count` bytes (64-byte aligned, like ``SharedBuffer/init(count:fill:)``) that `fill`
    /// writes once; its memory is an idle block of exactly that size when there is one, and returns to
    /// the pool when the buffer's last reference goes away. If `fill` throws, the block returns at once.
    public func buffer<E: Error>(count: Int, fill: (UnsafeMutableRawBufferPointer) throws(E) -> Void) throws(E) -> SharedBuffer {
        precondition(count >= 0, "buffer size must not be negative")
        guard count > 0 else { return try SharedBuffer(count: 0, fill: fill) }
        let block = take(count) ?? Block(pointer: .allocate(byteCount: count, alignment: 64), count: count)
        do {
            try fill(UnsafeMutableRawBufferPointer(start: block.pointer, count: count))
        } catch {
            recycle(block)
            throw error
        }
        return SharedBuffer(adopting: block.pointer, count: count) { [self] pointer in
            if let pointer { recycle(Block(pointer: pointer, count: count)) }
        }
    }

    /// Removes and returns an idle block of exactly `count` bytes, if any.
    private func take(_ count: Int) -> Block? {
        idle.withLock { state in
            guard let index = state.blocks.lastIndex(where: { $0.count == count }) else { return nil }
            state.bytes -= count
            return state.blocks.remove(at: index)
        }
    }

    /// Keeps a released block for reuse, or frees it when the pool is full.
    private func recycle(_ block: Block) {
        let kept = idle.withLock { state in
            guard state.bytes + block.count <= maxIdleBytes else { return false }
            state.blocks.append(block)
            state.bytes += block.count
            return true
        }
        if !kept { block.pointer.deallocate() }
    }
}
