/* gemm.c: the CPU loop over fc_gemm.h, compiled once per ISA variant (see spectral_mix.c for
 * how the variant files include it).
 *
 * The shape is the classic packed GEMM: a work item is one block of FC_GEMM_MC rows ×
 * FC_GEMM_NC columns of one batch entry. The item packs its rows of A into panels of
 * FC_GEMM_MR rows (k-major), so the micro-kernel's broadcasts read contiguous memory, and a
 * register-blocked micro-kernel keeps an MR × NR tile of C in vector registers for the whole
 * reduction. B needs no packing when a slice is NR columns wide (its rows are contiguous
 * already); only the ragged last slice is copied into a zero-padded panel, so the micro-kernel
 * never branches. Bias and addend are added as a tile is stored; the activation then runs over
 * the item's whole rows, which amortizes GELU's set-up over NC elements still in cache. The
 * vector type is a GCC vector extension, so the same code is 4, 8 or 16 lanes wide
 * depending on the variant. */
#include <stdlib.h>
#include <string.h>
#include "../include/fc_gemm.h"

#ifndef FC_CPU_NAME
#error "FC_CPU_NAME must be defined by the variant file that includes this loop"
#endif
#ifndef FC_VEC
#error "FC_VEC (floats per vector register) must be defined by the variant file"
#endif
#ifndef FC_GEMM_MR
#error "FC_GEMM_MR (rows per micro-tile) must be defined by the variant file"
#endif

#define FC_GEMM_NV 2 /* vectors per micro-tile row */
#define FC_GEMM_NR (FC_GEMM_NV * FC_VEC)
/* MC is a multiple of every variant's MR and NC of every NR, so items are variant-independent. */
#define FC_GEMM_MC 96
#define FC_GEMM_NC 256

typedef float FC_CPU_NAME(vf) __attribute__((vector_size(4 * FC_VEC), aligned(4), may_alias));
#define VF FC_CPU_NAME(vf)

/* acc = Ap·B over k for one MR × NR tile; Ap is k-major MR-wide, B has NR columns per row
 * with row stride ldb (a packed panel or the caller's matrix itself). */
static inline void FC_CPU_NAME(gemm_micro)(int32_t k, const float *FC_RESTRICT ap, const float *FC_RESTRICT b,
                                           int64_t ldb, VF acc[FC_GEMM_MR][FC_GEMM_NV])
{
    for (int r = 0; r < FC_GEMM_MR; r++)
        for (int v = 0; v < FC_GEMM_NV; v++) acc[r][v] = (VF){0};
    for (int32_t p = 0; p < k; p++) {
        VF bv[FC_GEMM_NV];
        for (int v = 0; v < FC_GEMM_NV; v++) bv[v] = *(const VF *)(b + ldb * p + FC_VEC * v);
        for (int r = 0; r < FC_GEMM_MR; r++) {
            float a = ap[FC_GEMM_MR * p + r];
            for (int v = 0; v < FC_GEMM_NV; v++) acc[r][v] += a * bv[v];
        }
    }
}

/* Adds bias and addend to a finished tile and stores its valid rows and columns: the
 * epilogue of fc_gemm_finish (the GPU's), in the same order so both round alike, on whole
 * vectors. The addend is read before C is written, so it may be C itself. The activation comes later, over whole
 * rows (see fc_cpu_gemm). */
static inline void FC_CPU_NAME(gemm_store)(const fc_gemm_args *g, int64_t batch, int32_t row0, int32_t col0,
                                           int32_t rows, int32_t cols, VF acc[FC_GEMM_MR][FC_GEMM_NV])
{
    float *c = g->c + batch * g->strideC;
    for (int32_t r = 0; r < rows; r++) {
        int32_t row = row0 + r;
        float *dst = c + (int64_t)row * g->ldc + col0;
        const float *d = g->addend ? g->addend + batch * g->strideD + (int64_t)row * g->ldd + col0 : NULL;
        VF bias = (VF){0} + (g->bias ? g->bias[row] : 0.0f);
        if (cols == FC_GEMM_NR) {
            for (int v = 0; v < FC_GEMM_NV; v++) {
                VF x = acc[r][v] + bias;
                if (d) x += *(const VF *)(d + FC_VEC * v);
                *(VF *)(dst + FC_VEC * v) = x;
            }
        } else {
            float tile[FC_GEMM_NR];
            memcpy(tile, acc[r], sizeof tile);
            for (int32_t j = 0; j < cols; j++) dst[j] = tile[j] + bias[0] + (d ? d[j] : 0.0f);
        }
    }
}

/* x[r][c] = act(x[r][c]) for rows [row0, row1) of a view with row stride ld. */
void FC_CPU_NAME(fc_cpu_activate)(float *x, int64_t ld, int32_t cols, int32_t act, int64_t row0, int64_t row1)
{
    for (int64_t r = row0; r < row1; r++) {
        float *FC_RESTRICT row = x + r * ld;
        for (int32_t c = 0; c < cols; c++) row[c] = fc_activate(act, row[c]);
    }
}

int64_t FC_CPU_NAME(fc_cpu_gemm_items)(const fc_gemm_args *g)
{
    int64_t rowBlocks = (g->m + FC_GEMM_MC - 1) / FC_GEMM_MC;
    int64_t colBlocks = (g->n + FC_GEMM_NC - 1) / FC_GEMM_NC;
    return (int64_t)g->batch * rowBlocks * colBlocks;
}

/* Packs A's rows [row0, row0+rows) into MR-row k-major panels, zero rows past the edge. */
static void FC_CPU_NAME(gemm_pack_a)(const fc_gemm_args *g, const float *a, int32_t row0, int32_t rows,
                                     float *apack, size_t kk)
{
    int32_t panels = (rows + FC_GEMM_MR - 1) / FC_GEMM_MR;
    for (int32_t pn = 0; pn < panels; pn++) {
        float *dst = apack + (size_t)pn * FC_GEMM_MR * kk;
        for (int r = 0; r < FC_GEMM_MR; r++) {
            int32_t row = row0 + pn * FC_GEMM_MR + r;
            if (row < row0 + rows) {
                const float *src = a + (int64_t)row * g->lda;
                for (int32_t p = 0; p < g->k; p++) dst[FC_GEMM_MR * p + r] = src[p];
            } else {
                for (int32_t p = 0; p < g->k; p++) dst[FC_GEMM_MR * p + r] = 0.0f;
            }
        }
    }
}

/* Computes items [item0, item1) in the order batch, row block, column block. Returns 0, or −1
 * if the packing buffers could not be allocated.
 *
 * Only A is always packed, and only when it changes: a weight matrix shared across the batch
 * (stride 0) is packed once per row block, not once per item. Full-width column slices of B
 * are read in place, since a row of NR floats is already contiguous; only the ragged last
 * slice is copied into a zero-padded panel, again only once if B is shared. */
int FC_CPU_NAME(fc_cpu_gemm)(const fc_gemm_args *g, int64_t item0, int64_t item1)
{
    int64_t rowBlocks = (g->m + FC_GEMM_MC - 1) / FC_GEMM_MC;
    int64_t colBlocks = (g->n + FC_GEMM_NC - 1) / FC_GEMM_NC;
    size_t kk = g->k > 0 ? (size_t)g->k : 1;
    float *apack = malloc(sizeof(float) * FC_GEMM_MC * kk);
    float *bpack = malloc(sizeof(float) * FC_GEMM_NR * kk);
    if (!apack || !bpack) {
        free(apack);
        free(bpack);
        return -1;
    }
    const float *packedA = NULL, *packedB = NULL;
    int32_t packedRow0 = -1;
    for (int64_t item = item0; item < item1; item++) {
        int64_t batch = item / (rowBlocks * colBlocks);
        int32_t row0 = (int32_t)((item / colBlocks) % rowBlocks) * FC_GEMM_MC;
        int32_t colStart = (int32_t)(item % colBlocks) * FC_GEMM_NC;
        int32_t colEnd = g->n - colStart < FC_GEMM_NC ? g->n : colStart + FC_GEMM_NC;
        int32_t rows = g->m - row0 < FC_GEMM_MC ? g->m - row0 : FC_GEMM_MC;
        const float *a = g->a + batch * g->strideA;
        const float *b = g->b + batch * g->strideB;
        if (a != packedA || row0 != packedRow0) {
            FC_CPU_NAME(gemm_pack_a)(g, a, row0, rows, apack, kk);
            packedA = a;
            packedRow0 = row0;
        }
        int32_t panels = (rows + FC_GEMM_MR - 1) / FC_GEMM_MR;
        for (int32_t col0 = colStart; col0 < colEnd; col0 += FC_GEMM_NR) {
            int32_t cols = colEnd - col0 < FC_GEMM_NR ? colEnd - col0 : FC_GEMM_NR;
            const float *bp = b + col0;
            int64_t ldbp = g->ldb;
            if (cols < FC_GEMM_NR && b + col0 != packedB) {
                packedB = b + col0;
                for (int32_t p = 0; p < g->k; p++) {
                    const float *src = b + (int64_t)p * g->ldb + col0;
                    float *dst = bpack + (size_t)FC_GEMM_NR * p;
                    int32_t j = 0;
                    for (; j < cols; j++) dst[j] = src[j];
                    for (; j < FC_GEMM_NR; j++) dst[j] = 0.0f;
                }
            }
            if (cols < FC_GEMM_NR) {
                bp = bpack;
                ldbp = FC_GEMM_NR;
            }
            for (int32_t pn = 0; pn < panels; pn++) {
                VF acc[FC_GEMM_MR][FC_GEMM_NV];
                FC_CPU_NAME(gemm_micro)(g->k, apack + (size_t)pn * FC_GEMM_MR * kk, bp, ldbp, acc);
                int32_t prow = row0 + pn * FC_GEMM_MR;
                int32_t nrows = row0 + rows - prow < FC_GEMM_MR ? row0 + rows - prow : FC_GEMM_MR;
                FC_CPU_NAME(gemm_store)(g, batch, prow, col0, nrows, cols, acc);
            }
        }
        /* The activation runs over the item's whole rows rather than per tile: GELU's constants
         * and loop set-up then amortize over up to NC elements, which are still in cache. */
        if (g->act != FC_ACT_NONE)
            FC_CPU_NAME(fc_cpu_activate)(g->c + batch * g->strideC + colStart, g->ldc, colEnd - colStart, g->act, row0,
                                         row0 + rows);
    }
    free(apack);
    free(bpack);
    return 0;
}

/* Z[o][k][·] from P[o][2K][·] for outer indices [outer0, outer1); see fc_complex_combine_pair. */
void FC_CPU_NAME(fc_cpu_complex_combine)(const float *p, float *z, int32_t nRows, int64_t pairs,
                                         int64_t outer0, int64_t outer1)
{
    int64_t rowFloats = 2 * pairs;
    for (int64_t o = outer0; o < outer1; o++) {
        const float *po = p + o * 2 * nRows * rowFloats;
        float *zo = z + o * nRows * rowFloats;
        for (int32_t k = 0; k < nRows; k++)
            for (int64_t j = 0; j < pairs; j++)
                fc_complex_combine_pair(po + 2 * j, zo + (int64_t)k * rowFloats + 2 * j, k, nRows, rowFloats);
    }
}

#undef VF
