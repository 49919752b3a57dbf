/* fc_gemm.h: the batched matrix product with a fused epilogue that every dense step of a
 * neural operator reduces to (pointwise convolutions, truncated DFTs, lifting and projection):
 *
 *   C[b] = act(A[b]·B[b] + bias ⊗ 1 + D[b])       bias per row of C, D optional
 *
 * All matrices are row-major float32 with explicit row strides (ld*) and batch strides
 * (stride*); a batch stride of 0 shares one matrix across the batch (the weights). */
#ifndef FC_GEMM_H
#define FC_GEMM_H

#include "fc_math.h"

typedef struct {
    const float *a; /* M×K */
    const float *b; /* K×N */
    float *c;       /* M×N */
    const float *bias;   /* M values, or NULL */
    const float *addend; /* D, M×N with row stride ldd, or NULL */
    int64_t lda, ldb, ldc, ldd;
    int64_t strideA, strideB, strideC, strideD;
    int32_t m, n, k, batch;
    int32_t act; /* FC_ACT_* */
} fc_gemm_args;

/* The epilogue for one element whose dot product is acc. */
FC_HD static inline float fc_gemm_finish(const fc_gemm_args *g, int64_t batch, int32_t row, int32_t col, float acc)
{
    if (g->bias) acc += g->bias[row];
    if (g->addend) acc += g->addend[batch * g->strideD + (int64_t)row * g->ldd + col];
    return fc_activate(g->act, acc);
}

/* The complex half of a truncated DFT along a middle axis. A real product P = [Ere; Eim]·T
 * of a complex matrix E (K rows, split into its real and imaginary parts) with a complex
 * tensor T stored as interleaved (re, im) columns yields Ere·T in rows [0, K) and Eim·T in
 * rows [K, 2K); the complex product E·T is then
 *   Z[k][2j]   = P[k][2j]   − P[K+k][2j+1]     (Ere·Tre − Eim·Tim)
 *   Z[k][2j+1] = P[k][2j+1]   + P[K+k][2j]       (Ere·Tim + Eim·Tre)
 * for one pair j; p points at P[0][2j] of one outer index, rowFloats is P's row length. */
FC_HD static inline void fc_complex_combine_pair(const float *p, float *z, int32_t k, int32_t nRows, int64_t rowFloats)
{
    const float *re = p + (int64_t)k * rowFloats;
    const float *im = p + (int64_t)(nRows + k) * rowFloats;
    z[0] = re[0] - im[1];
    z[1] = re[1] + im[0];
}

#endif
