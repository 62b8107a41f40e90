#ifndef FEDSWIFT_CLZ4_REFERENCE_H
#define FEDSWIFT_CLZ4_REFERENCE_H
#include <stddef.h>

/// Result of timing liblz4 called directly from C on one buffer.
typedef struct {
    double encode_seconds;  /* median of the repeats */
    double decode_seconds;  /* median of the repeats */
    size_t encoded_bytes;
    int ok;                 /* 1 when the decoded bytes equal the input */
} fedswift_lz4_reference_result;

/// Compresses `src` with LZ4_compress_default and decompresses it with LZ4_decompress_safe into
/// buffers allocated before timing, `repeats` times, and reports median seconds. The yardstick for
/// the Swift codec layer's overhead (`fedswift bench codec`).
fedswift_lz4_reference_result fedswift_lz4_reference(const void *src, size_t bytes, int repeats);

#endif
