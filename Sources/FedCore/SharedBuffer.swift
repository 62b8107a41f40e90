#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An immutable, reference-counted block of bytes whose address never changes while it lives.
///
/// This is the unit of zero-copy I/O: a sent tensor frame keeps its buffer alive until the transport
/// has written it, and a received frame can wrap the transport's own memory. The bytes are written
/// only inside the initializer's `fill` closure (or by the owner of adopted memory before adoption),
/// and are read-only afterwards.
public final class SharedBuffer: @unchecked Sendable {
    // Safe to share: `base` and `count` are immutable and the bytes are never written after init.
    private let base: UnsafeMutableRawPointer?
    /// Size in bytes.
    public let count: Int
    private let release: @Sendable (UnsafeMutableRawPointer?) -> Void

    /// Allocates `count` bytes aligned to 64 bytes and lets `fill` write them once.
    public init<E: Error>(count: Int, fill: (UnsafeMutableRawBufferPointer) throws(E) -> Void) throws(E) {
        precondition(count >= 0, "SharedBuffer size must not be negative")
        let pointer = count == 0 ? nil : UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 64)
        do {
            try fill(UnsafeMutableRawBufferPointer(start: pointer, count: count))
        } catch {
            pointer?.deallocate()
            throw error
        }
        self.base = pointer
        self.count = count
        self.release = { $0?.deallocate() }
    }

    /// Copies `bytes` into a new buffer.
    public convenience init(copying bytes: UnsafeRawBufferPointer) {
        self.init(count: bytes.count) { dst in
            if let src = bytes.baseAddress, bytes.count > 0 { dst.baseAddress!.copyMemory(from: src, byteCount: bytes.count) }
        }
    }

    /// Copies an array's bytes into a new buffer.
    public convenience init<T: BitwiseCopyable>(copying array: [T]) {
        self.init(count: array.count * MemoryLayout<T>.stride) { dst in
            array.withUnsafeBytes { src in
                if src.count > 0 { dst.baseAddress!.copyMemory(from: src.baseAddress!, byteCount: src.count) }
            }
        }
    }

    /// Adopts memory owned elsewhere (a received ZeroMQ message, a mapped file); `release` runs once
    /// when the last reference goes away. The caller promises nobody writes the bytes afterwards.
    public init(adopting pointer: UnsafeMutableRawPointer?, count: Int,
                release: @escaping @Sendable (UnsafeMutableRawPointer?) -> Void) {
        self.base = pointer
        self.count = count
        self.release = release
    }

    deinit { release(base) }

    /// Reads the bytes inside `body`; the pointer must not escape it.
    @inlinable
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        defer { withExtendedLifetime(self) {} }
        return try body(rawBytes)
    }

    /// The bytes as a raw buffer; only valid while `self` is alive. Prefer ``withUnsafeBytes(_:)``.
    @usableFromInline
    var rawBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// The start address, for C APIs that keep the buffer alive through a retained reference.
    public var unsafeBaseAddress: UnsafeMutableRawPointer? { base }
}

/// A byte range of a ``SharedBuffer``: one frame of a multipart message, without copying.
public struct Frame: Sendable {
    /// The buffer the bytes live in.
    public let buffer: SharedBuffer
    /// First byte of the frame inside `buffer`.
    public let offset: Int
    /// Length of the frame in bytes.
    public let count: Int

    /// A frame covering `count` bytes of `buffer` from `offset`.
    public init(buffer: SharedBuffer, offset: Int = 0, count: Int? = nil) {
        let length = count ?? (buffer.count - offset)
        precondition(offset >= 0 && length >= 0 && offset + length <= buffer.count, "frame outside its buffer")
        self.buffer = buffer
        self.offset = offset
        self.count = length
    }

    /// A frame holding a copy of `bytes`.
    public init(copying bytes: [UInt8]) {
        self.init(buffer: SharedBuffer(copying: bytes))
    }

    /// Reads the frame's bytes inside `body`; the pointer must not escape it.
    @inlinable
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try buffer.withUnsafeBytes { (all) throws(E) in
            try body(UnsafeRawBufferPointer(rebasing: all[offset..<(offset + count)]))
        }
    }

    /// The frame's bytes copied into an array (for tests and small control frames).
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }
}
