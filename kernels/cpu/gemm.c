/* gemm.c: the CPU loop over fc_gemm.h, compiled once per ISA variant (see spectral_mix.c for
 * how the variant files include it).
 *
 * The shape is the classic packed GEMM: a work item is one block of FC_GEMM_MC rows ×
 * FC_GEMM_NC columns of one batch entry. The item packs its rows of A into panels of
 * FC_GEMM_MR rows (k-major), so the micro-kernel's broadcasts read contiguous memory, and its
 * columns of B into panels of FC_GEMM_NR columns, so that each panel is one contiguous stream;
 * a register-blocked micro-kernel keeps an MR × NR tile of C in vector registers for the
 * whole reduction. Bias, addend and activation are applied as a tile is stored, while it is
 * still in L1. The vector type is a GCC vector extension, so the same code is 4, 8 or 16
 * lanes wide depending on the variant. */
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
/* How far ahead along its row a tile prefetches C and the addend, in bytes (see gemm_store). */
#define FC_GEMM_PREFETCH 192

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

/* x = act(x) over n contiguous floats. The switch sits outside the loop so that the compiler
 * vectorizes GELU alone, rather than evaluating it under a mask for every activation code. */
static inline void FC_CPU_NAME(activate_span)(float *FC_RESTRICT x, int32_t n, int32_t act)
{
    switch (act) {
    case FC_ACT_NONE:
        return;
    case FC_ACT_GELU:
        for (int32_t j = 0; j < n; j++) x[j] = fc_gelu(x[j]);
        return;
    default:
        for (int32_t j = 0; j < n; j++) x[j] = fc_activate(act, x[j]);
    }
}

/* The epilogue of fc_gemm_finish (the GPU's) on a finished tile, in the same order so both
 * round alike: bias (the tile's first row's, or NULL) and addend (the tile's first element,
 * row stride ldd, or NULL) added, then the activation. The sums are staged in one contiguous
 * MR × NR block so that the activation runs as a single loop of constant length, whose
 * vectors are independent and overlap their latency. Rows past rows and, in the addend,
 * columns past cols are not read. */
static inline void FC_CPU_NAME(gemm_epilogue)(const float *bias, const float *addend, int64_t ldd, int32_t rows,
                                              int32_t cols, int32_t act, VF acc[FC_GEMM_MR][FC_GEMM_NV],
                                              VF tile[FC_GEMM_MR][FC_GEMM_NV])
{
    for (int32_t r = 0; r < FC_GEMM_MR; r++) {
        VF b = (VF){0} + (bias && r < rows ? bias[r] : 0.0f);
        const float *d = addend && r < rows ? addend + (int64_t)r * ldd : NULL;
        for (int v = 0; v < FC_GEMM_NV; v++) {
            VF x = acc[r][v] + b;
            if (d && cols == FC_GEMM_NR) {
                x += *(const VF *)(d + FC_VEC * v);
            } else if (d) {
                for (int32_t j = 0; j < FC_VEC && FC_VEC * v + j < cols; j++) x[j] += d[FC_VEC * v + j];
            }
            tile[r][v] = x;
        }
    }
    FC_CPU_NAME(activate_span)((float *)tile, FC_GEMM_MR * FC_GEMM_NR, act);
}

/* Finishes a tile (gemm_epilogue) and stores its valid rows and columns. The addend is read
 * before C is written, so it may be C itself. */
static inline void FC_CPU_NAME(gemm_store)(const fc_gemm_args *g, int64_t batch, int32_t row0, int32_t col0,
                                           int32_t rows, int32_t cols, VF acc[FC_GEMM_MR][FC_GEMM_NV])
{
    VF tile[FC_GEMM_MR][FC_GEMM_NV];
    const float *addend = g->addend ? g->addend + batch * g->strideD + (int64_t)row0 * g->ldd + col0 : NULL;
    FC_CPU_NAME(gemm_epilogue)(g->bias ? g->bias + row0 : NULL, addend, g->ldd, rows, cols, g->act, acc, tile);
    float *c = g->c + batch * g->strideC;
    for (int32_t r = 0; r < rows; r++) {
        float *dst = c + (int64_t)(row0 + r) * g->ldc + col0;
        /* The tiles of one row block walk MR-row strips of C and the addend a whole row stride
         * apart: with the tens of rows of a layer's channels that is more concurrent streams
         * than the hardware prefetcher follows, and without these hints a wide, shallow
         * product (the pointwise convolutions, K = width) waits on memory for most of its time. */
        const float *d = g->addend ? g->addend + batch * g->strideD + (int64_t)(row0 + r) * g->ldd + col0 : NULL;
        for (int32_t line = 0; line < FC_GEMM_NR; line += 16) { /* 16 floats: one 64-byte line */
            __builtin_prefetch(dst + line + FC_GEMM_PREFETCH / 4, 1);
            if (d) __builtin_prefetch(d + line + FC_GEMM_PREFETCH / 4, 0);
        }
        if (cols == FC_GEMM_NR) {
            for (int v = 0; v < FC_GEMM_NV; v++) *(VF *)(dst + FC_VEC * v) = tile[r][v];
        } else {
            memcpy(dst, tile[r], sizeof(float) * (size_t)cols);
        }
    }
}

/* x[r][c] = act(x[r][c]) for rows [row0, row1) of a view with row stride ld. */
void FC_CPU_NAME(fc_cpu_activate)(float *x, int64_t ld, int32_t cols, int32_t act, int64_t row0, int64_t row1)
{
    for (int64_t r = row0; r < row1; r++) FC_CPU_NAME(activate_span)(x + r * ld, cols, act);
}

int64_t FC_CPU_NAME(fc_cpu_gemm_items)(const fc_gemm_args *g)
{
    int64_t rowBlocks = (g->m + FC_GEMM_MC - 1) / FC_GEMM_MC;
    int64_t colBlocks = (g->n + FC_GEMM_NC - 1) / FC_GEMM_NC;
    return (int64_t)g->batch * rowBlocks * colBlocks;
}

/* Packs rows [row0, row0+rows) of A (k columns, row stride lda) into MR-row k-major panels
 * of kk ≥ k entries each, zero rows past the edge. */
static void FC_CPU_NAME(gemm_pack_a)(const float *a, int64_t lda, int32_t k, int32_t row0, int32_t rows,
                                     float *apack, size_t kk)
{
    int32_t panels = (rows + FC_GEMM_MR - 1) / FC_GEMM_MR;
    for (int32_t pn = 0; pn < panels; pn++) {
        float *dst = apack + (size_t)pn * FC_GEMM_MR * kk;
        for (int r = 0; r < FC_GEMM_MR; r++) {
            int32_t row = row0 + pn * FC_GEMM_MR + r;
            if (row < row0 + rows) {
                const float *src = a + (int64_t)row * lda;
                for (int32_t p = 0; p < k; p++) dst[FC_GEMM_MR * p + r] = src[p];
            } else {
                for (int32_t p = 0; p < k; p++) dst[FC_GEMM_MR * p + r] = 0.0f;
            }
        }
    }
}

/* Packs B's columns [col0, col0+cols) into NR-column k-major panels, zero columns past the
 * edge. Reading B in place would walk K rows a whole row stride apart for every tile, which
 * for the power-of-two widths of a grid maps them onto a few L1 sets; packed, a panel is one
 * contiguous stream that stays in L1 while every row panel of A passes over it. */
static void FC_CPU_NAME(gemm_pack_b)(const float *b, int64_t ldb, int32_t k, int32_t col0, int32_t cols,
                                     float *bpack)
{
    int32_t full = cols / FC_GEMM_NR, rest = cols - full * FC_GEMM_NR;
    for (int32_t p = 0; p < k; p++) {
        const float *src = b + ldb * p + col0;
        for (int32_t pn = 0; pn < full; pn++) {
            float *dst = bpack + ((size_t)pn * k + p) * FC_GEMM_NR;
            for (int v = 0; v < FC_GEMM_NV; v++)
                *(VF *)(dst + FC_VEC * v) = *(const VF *)(src + FC_GEMM_NR * pn + FC_VEC * v);
        }
        if (rest) {
            float *dst = bpack + ((size_t)full * k + p) * FC_GEMM_NR;
            int32_t j = 0;
            for (; j < rest; j++) dst[j] = src[FC_GEMM_NR * full + j];
            for (; j < FC_GEMM_NR; j++) dst[j] = 0.0f;
        }
    }
}

/* Computes items [item0, item1) in the order batch, row block, column block. Returns 0, or −1
 * if the packing buffers could not be allocated.
 *
 * Both operands are packed, and only when they change: a weight matrix shared across the
 * batch (stride 0) is packed once per row block, a shared B once per column block. */
int FC_CPU_NAME(fc_cpu_gemm)(const fc_gemm_args *g, int64_t item0, int64_t item1)
{
    int64_t rowBlocks = (g->m + FC_GEMM_MC - 1) / FC_GEMM_MC;
    int64_t colBlocks = (g->n + FC_GEMM_NC - 1) / FC_GEMM_NC;
    size_t kk = g->k > 0 ? (size_t)g->k : 1;
    float *apack = malloc(sizeof(float) * FC_GEMM_MC * kk);
    float *bpack = malloc(sizeof(float) * FC_GEMM_NC * kk);
    if (!apack || !bpack) {
        free(apack);
        free(bpack);
        return -1;
    }
    const float *packedA = NULL, *packedB = NULL;
    int32_t packedRow0 = -1, packedCol0 = -1;
    for (int64_t item = item0; item < item1; item++) {
        int64_t batch = item / (rowBlocks * colBlocks);
        int32_t row0 = (int32_t)((item / colBlocks) % rowBlocks) * FC_GEMM_MC;
        int32_t colStart = (int32_t)(item % colBlocks) * FC_GEMM_NC;
        int32_t colEnd = g->n - colStart < FC_GEMM_NC ? g->n : colStart + FC_GEMM_NC;
        int32_t rows = g->m - row0 < FC_GEMM_MC ? g->m - row0 : FC_GEMM_MC;
        const float *a = g->a + batch * g->strideA;
        const float *b = g->b + batch * g->strideB;
        if (a != packedA || row0 != packedRow0) {
            FC_CPU_NAME(gemm_pack_a)(a, g->lda, g->k, row0, rows, apack, kk);
            packedA = a;
            packedRow0 = row0;
        }
        if (b != packedB || colStart != packedCol0) {
            FC_CPU_NAME(gemm_pack_b)(b, g->ldb, g->k, colStart, colEnd - colStart, bpack);
            packedB = b;
            packedCol0 = colStart;
        }
        int32_t panels = (rows + FC_GEMM_MR - 1) / FC_GEMM_MR;
        for (int32_t col0 = colStart; col0 < colEnd; col0 += FC_GEMM_NR) {
            int32_t cols = colEnd - col0 < FC_GEMM_NR ? colEnd - col0 : FC_GEMM_NR;
            const float *bp = bpack + (size_t)(col0 - colStart) * kk;
            for (int32_t pn = 0; pn < panels; pn++) {
                VF acc[FC_GEMM_MR][FC_GEMM_NV];
                FC_CPU_NAME(gemm_micro)(g->k, apack + (size_t)pn * FC_GEMM_MR * kk, bp, FC_GEMM_NR, acc);
                int32_t prow = row0 + pn * FC_GEMM_MR;
                int32_t nrows = row0 + rows - prow < FC_GEMM_MR ? row0 + rows - prow : FC_GEMM_MR;
                FC_CPU_NAME(gemm_store)(g, batch, prow, col0, nrows, cols, acc);
            }
        }
    }
    free(apack);
    free(bpack);
    return 0;
}

int64_t FC_CPU_NAME(fc_cpu_mlp_items)(const fc_mlp_args *g)
{
    return (int64_t)g->batch * ((g->n + FC_GEMM_NC - 1) / FC_GEMM_NC);
}

/* Computes items [item0, item1) of an MLP, one item per batch entry and block of NC columns.
 * Returns 0, or −1 if the buffers could not be allocated.
 *
 * It is the GEMM's loop with W1 as A, packed once, and X as B, and a different use of each
 * finished tile: after the epilogue the MR hidden units of NR points are folded into the Y
 * accumulators at once (W2's MR columns times the tile), so the hidden layer exists only one
 * tile at a time, in registers and L1. */
int FC_CPU_NAME(fc_cpu_mlp)(const fc_mlp_args *g, int64_t item0, int64_t item1)
{
    int64_t colBlocks = (g->n + FC_GEMM_NC - 1) / FC_GEMM_NC;
    int32_t panels = (g->hidden + FC_GEMM_MR - 1) / FC_GEMM_MR;
    size_t kk = g->in > 0 ? (size_t)g->in : 1;
    float *w1pack = malloc(sizeof(float) * FC_GEMM_MR * kk * (size_t)panels);
    float *xpack = malloc(sizeof(float) * FC_GEMM_NC * kk);
    VF *yacc = malloc(sizeof(VF) * FC_GEMM_NV * (size_t)g->out);
    if (!w1pack || !xpack || !yacc) {
        free(w1pack);
        free(xpack);
        free(yacc);
        return -1;
    }
    FC_CPU_NAME(gemm_pack_a)(g->w1, g->in, g->in, 0, g->hidden, w1pack, kk);
    for (int64_t item = item0; item < item1; item++) {
        int64_t batch = item / colBlocks;
        int32_t colStart = (int32_t)(item % colBlocks) * FC_GEMM_NC;
        int32_t colEnd = g->n - colStart < FC_GEMM_NC ? g->n : colStart + FC_GEMM_NC;
        FC_CPU_NAME(gemm_pack_b)(g->x + batch * g->strideX, g->ldx, g->in, colStart, colEnd - colStart, xpack);
        float *y = g->y + batch * g->strideY;
        for (int32_t col0 = colStart; col0 < colEnd; col0 += FC_GEMM_NR) {
            int32_t cols = colEnd - col0 < FC_GEMM_NR ? colEnd - col0 : FC_GEMM_NR;
            const float *xp = xpack + (size_t)(col0 - colStart) * kk;
            for (int32_t o = 0; o < g->out * FC_GEMM_NV; o++) yacc[o] = (VF){0};
            for (int32_t pn = 0; pn < panels; pn++) {
                int32_t h0 = pn * FC_GEMM_MR;
                int32_t rows = g->hidden - h0 < FC_GEMM_MR ? g->hidden - h0 : FC_GEMM_MR;
                VF acc[FC_GEMM_MR][FC_GEMM_NV], tile[FC_GEMM_MR][FC_GEMM_NV];
                FC_CPU_NAME(gemm_micro)(g->in, w1pack + (size_t)pn * FC_GEMM_MR * kk, xp, FC_GEMM_NR, acc);
                FC_CPU_NAME(gemm_epilogue)(g->bias1 ? g->bias1 + h0 : NULL, NULL, 0, rows, cols, g->act, acc, tile);
                for (int32_t o = 0; o < g->out; o++) {
                    const float *w2 = g->w2 + (int64_t)o * g->hidden + h0;
                    for (int32_t r = 0; r < rows; r++)
                        for (int v = 0; v < FC_GEMM_NV; v++) yacc[o * FC_GEMM_NV + v] += w2[r] * tile[r][v];
                }
            }
            for (int32_t o = 0; o < g->out; o++) {
                float bias = g->bias2 ? g->bias2[o] : 0.0f;
                float *dst = y + (int64_t)o * g->ldy + col0;
                const float *sum = (const float *)(yacc + o * FC_GEMM_NV);
                for (int32_t j = 0; j < cols; j++) dst[j] = sum[j] + bias;
            }
        }
    }
    free(w1pack);
    free(xpack);
    free(yacc);
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
