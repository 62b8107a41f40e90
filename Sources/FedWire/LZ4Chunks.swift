import CLZ4
import FedCore

/// Chunked LZ4 block format used by the `lz4` and `shuffle-lz4` codecs.
///
/// The input is cut into chunks of ``chunkBytes`` (the last may be shorter), so LZ4's `Int32` size limit
/// never applies. Each chunk is written as a little-endian `UInt32` word followed by its payload: bits
/// 0–30 give the payload length; bit 31 set means the payload is the chunk stored as is. This encoder
/// always writes LZ4 blocks (storing would cost a second pass over incompressible data, and the
/// frame-level encoder sends such tensors `raw` instead); decoders must accept both forms.
public enum LZ4Chunks {
    /// Raw bytes per chunk: 4 MiB.
    public static let chunkBytes = 1 << 22
    private static let storedFlag: UInt32 = 1 << 31

    /// Largest encoded size for `rawBytes` input bytes.
    public static func maxEncodedSize(rawBytes: Int) -> Int {
        let chunks = max(1, (rawBytes + chunkBytes - 1) / chunkBytes)
        let last = rawBytes - (chunks - 1) * chunkBytes
        return (chunks - 1) * (4 + Int(LZ4_compressBound(Int32(chunkBytes)))) + 4 + Int(LZ4_compressBound(Int32(last)))
    }

    /// Compresses `input` into `output` (at least ``maxEncodedSize(rawBytes:)`` bytes); returns the bytes written.
    public static func encode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        precondition(output.count >= maxEncodedSize(rawBytes: input.count), "LZ4Chunks output buffer too small")
        guard input.count > 0, let src = input.baseAddress, let dst = output.baseAddress else { return 0 }
        var read = 0
        var written = 0
        while read < input.count {
            let chunk = min(chunkBytes, input.count - read)
            let payload = dst + written + 4
            let packed = Int(LZ4_compress_default(
                (src + read).assumingMemoryBound(to: CChar.self), payload.assumingMemoryBound(to: CChar.self),
                Int32(chunk), LZ4_compressBound(Int32(chunk))))
            (payload - 4).storeBytes(of: UInt32(packed).littleEndian, as: UInt32.self)
            written += 4 + packed
            read += chunk
        }
        return written
    }

    /// Decompresses `input` into `output`, which must be exactly the raw size.
    ///
    /// - Throws: `.corruptPayload` when a chunk is truncated, inconsistent or not valid LZ4.
    public static func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(FedError) {
        var read = 0
        var written = 0
        while written < output.count {
            let chunk = min(chunkBytes, output.count - written)
            guard read + 4 <= input.count, let src = input.baseAddress, let dst = output.baseAddress else {
                throw FedError(.corruptPayload, "lz4 frame ends before chunk \(written / chunkBytes)")
            }
            let word = UInt32(littleEndian: input.loadUnaligned(fromByteOffset: read, as: UInt32.self))
            let length = Int(word & ~storedFlag)
            read += 4
            guard read + length <= input.count else {
                throw FedError(.corruptPayload, "lz4 chunk \(written / chunkBytes) claims \(length) bytes, only \(input.count - read) left")
            }
            if word & storedFlag != 0 {
                guard length == chunk else {
                    throw FedError(.corruptPayload, "stored chunk holds \(length) bytes, expected \(chunk)")
                }
                (dst + written).copyMemory(from: src + read, byteCount: chunk)
            } else {
                let n = LZ4_decompress_safe(
                    (src + read).assumingMemoryBound(to: CChar.self), (dst + written).assumingMemoryBound(to: CChar.self),
                    Int32(length), Int32(chunk))
                guard n == Int32(chunk) else {
                    throw FedError(.corruptPayload, "lz4 chunk \(written / chunkBytes) is not valid LZ4 (decoder returned \(n), expected \(chunk))")
                }
            }
            read += length
            written += chunk
        }
        guard read == input.count else {
            throw FedError(.corruptPayload, "lz4 frame has \(input.count - read) trailing bytes")
        }
    }
}
