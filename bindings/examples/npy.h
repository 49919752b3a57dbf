/* npy.h: reads a little-endian float32 .npy file in C order, just enough for the examples.
 * Header-only; include it from one C or C++ file. */
#ifndef FLUXCORE_EXAMPLES_NPY_H
#define FLUXCORE_EXAMPLES_NPY_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct npy_f32 {
    int32_t ndim;
    int64_t shape[8];
    int64_t count;
    float *data;
} npy_f32;

/* Returns 0 on success; prints the reason and returns -1 otherwise. */
static inline int npy_read_f32(const char *path, npy_f32 *out)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) { perror(path); return -1; }
    unsigned char pre[10];
    char header[4096];
    int ok = fread(pre, 1, 10, f) == 10 && memcmp(pre, "\x93NUMPY", 6) == 0 && pre[6] == 1;
    size_t hlen = ok ? (size_t)(pre[8] | pre[9] << 8) : 0;
    ok = ok && hlen < sizeof header && fread(header, 1, hlen, f) == hlen;
    if (ok) header[hlen] = 0;
    ok = ok && strstr(header, "'descr': '<f4'") && strstr(header, "'fortran_order': False");
    const char *p = ok ? strstr(header, "'shape': (") : NULL;
    if (p == NULL) { fprintf(stderr, "%s: not a float32 C-order .npy v1\n", path); fclose(f); return -1; }
    p += strlen("'shape': (");
    out->ndim = 0;
    out->count = 1;
    while (*p != ')' && out->ndim < 8) {
        char *end;
        long long n = strtoll(p, &end, 10);
        if (end == p) break;
        out->shape[out->ndim++] = n;
        out->count *= n;
        p = end;
        while (*p == ',' || *p == ' ') p++;
    }
    out->data = (float *)malloc((size_t)out->count * sizeof(float));
    ok = out->data != NULL && fread(out->data, sizeof(float), (size_t)out->count, f) == (size_t)out->count;
    fclose(f);
    if (!ok) { fprintf(stderr, "%s: short data\n", path); free(out->data); return -1; }
    return 0;
}

/* The relative L2 distance ||got - want|| / ||want||, in double. */
static inline double rel_l2(const float *got, const float *want, int64_t n)
{
    double num = 0, den = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = (double)got[i] - (double)want[i];
        num += d * d;
        den += (double)want[i] * want[i];
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

#endif
