#if canImport(Glibc)
import CMalloc
#endif

/// Process-wide allocator settings for moving large frames (see the design notes on glibc's mmap threshold).
public enum AllocatorTuning {
    /// Keeps large blocks on glibc's heap instead of a fresh `mmap` per allocation, and stops the heap
    /// from being trimmed after each free. Without it every received multi-megabyte frame is mapped,
    /// page-faulted in and unmapped again. Call once at startup, before threads allocate; a no-op
    /// off glibc. Returns whether glibc accepted both settings.
    @discardableResult
    public static func keepLargeAllocationsOnHeap() -> Bool {
        #if canImport(Glibc)
        return mallopt(M_MMAP_MAX, 0) == 1 && mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1
        #else
        return false
        #endif
    }
}
