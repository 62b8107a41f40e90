#include "CLZ4Reference.h"
#include <lz4.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

fedswift_lz4_reference_result fedswift_lz4_reference(const void *src, size_t bytes, int repeats) {
    fedswift_lz4_reference_result r = {0, 0, 0, 0};
    if (bytes > LZ4_MAX_INPUT_SIZE || repeats < 1) return r;
    int bound = LZ4_compressBound((int)bytes);
    char *dst = malloc((size_t)bound);
    char *back = malloc(bytes);
    double *enc = malloc(sizeof(double) * (size_t)repeats);
    double *dec = malloc(sizeof(double) * (size_t)repeats);
    if (!dst || !back || !enc || !dec) goto done;
    memset(dst, 0, (size_t)bound);   /* fault the pages in before timing */
    memset(back, 0, bytes);
    int n = 0;
    for (int i = 0; i < repeats; i++) {
        double t0 = now();
        n = LZ4_compress_default(src, dst, (int)bytes, bound);
        double t1 = now();
        int m = LZ4_decompress_safe(dst, back, n, (int)bytes);
        double t2 = now();
        enc[i] = t1 - t0;
        dec[i] = t2 - t1;
        if (m != (int)bytes) goto done;
    }
    qsort(enc, (size_t)repeats, sizeof(double), cmp);
    qsort(dec, (size_t)repeats, sizeof(double), cmp);
    r.encode_seconds = enc[repeats / 2];
    r.decode_seconds = dec[repeats / 2];
    r.encoded_bytes = (size_t)n;
    r.ok = memcmp(src, back, bytes) == 0;
done:
    free(dst); free(back); free(enc); free(dec);
    return r;
}
