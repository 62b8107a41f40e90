#if canImport(Glibc)
import CMalloc
#endif

/// Process-wide allocator settings for moving large frames (see the design notes on glibc's mmap threshold).
public enum AllocatorTuning {
    /// Models at least this large (bytes, 256 MiB) are "huge": their frames are freed to the system.
    public static let hugeModelBytes = 256 << 20

    /// Keeps large blocks on glibc's heap instead of a fresh `mmap` per allocation, and stops the heap
    /// from being trimmed after each free. Without it every received multi-megabyte frame is mapped,
    /// page-faulted in and unmapped again. Call once at startup, before threads allocate; a no-op
    /// off glibc. Returns whether glibc accepted both settings.
    ///
    /// Right for models of tens of MB; wrong for huge ones (see ``returnLargeAllocationsToSystem()``).
    @discardableResult
    public static func keepLargeAllocationsOnHeap() -> Bool {
        #if canImport(Glibc)
        return mallopt(M_MMAP_MAX, 0) == 1 && mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1
        #else
        return false
        #endif
    }

    /// Makes every thread allocate from glibc's main arena (`M_ARENA_MAX` 1). A thread arena grows in
    /// heaps of at most 64 MiB, so each model-sized block allocated on a socket or worker thread (a
    /// received frame, an echo, a sum) gets a heap of its own, which glibc unmaps when the block is
    /// freed, and a block above 64 MiB (a float64 sum) is mapped whatever `M_MMAP_MAX` says: every
    /// round then pays fresh page faults for the whole model. At 10M parameters and 8 clients that was
    /// about a quarter of a sync round's CPU time. Small allocations still come from each thread's cache.
    ///
    /// Call first thing in `main`, before any other thread allocates: glibc fixes a thread's arena at
    /// its first allocation and stops reading the setting once it has made 8 arenas. A no-op off glibc.
    @discardableResult
    public static func shareMainArena() -> Bool {
        #if canImport(Glibc)
        return mallopt(M_ARENA_MAX, 1) == 1
        #else
        return false
        #endif
    }

    /// For huge models: blocks of 32 MiB and more (glibc's largest mmap threshold) get their own
    /// mapping again, so a freed frame, decoded copy or old global model goes back to the system at
    /// once instead of staying in the heap as GBs of resident, fragmented free space; the heap is
    /// trimmed above 64 MiB. Callable at any time (it undoes ``keepLargeAllocationsOnHeap()``).
    @discardableResult
    public static func returnLargeAllocationsToSystem() -> Bool {
        #if canImport(Glibc)
        return mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1 && mallopt(M_MMAP_MAX, 1 << 16) == 1 && mallopt(M_TRIM_THRESHOLD, 64 << 20) == 1
        #else
        return false
        #endif
    }

    /// The setting for a model of `modelBytes` (nil: unknown, assumed small): heap reuse up to
    /// ``hugeModelBytes``, memory returned to the system above.
    @discardableResult
    public static func tune(modelBytes: Int?) -> Bool {
        if let modelBytes, modelBytes >= hugeModelBytes { return returnLargeAllocationsToSystem() }
        return keepLargeAllocationsOnHeap()
    }
}
