/* fc_gemm.h: the batched matrix product with a fused epilogue that every dense step of a
 * neural operator reduces to (pointwise convolutions, truncated DFTs, lifting and projection),
 * and the two-layer MLP that fuses a pair of them:
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

/* A two-layer channel MLP over a batch of In×N matrices, one point per column:
 *
 *   Y[b] = W2·act(W1·X[b] + bias1 ⊗ 1) + bias2 ⊗ 1
 *
 * W1 (hidden×in) and W2 (out×hidden) are dense and shared across the batch; the biases may
 * be NULL. Fusing the two products keeps the hidden×N activations out of memory. */
typedef struct {
    const float *x; /* in×n, row stride ldx */
    float *y;       /* out×n, row stride ldy */
    const float *w1, *bias1;
    const float *w2, *bias2;
    int64_t ldx, ldy, strideX, strideY;
    int32_t in, hidden, out, n, batch;
    int32_t act; /* FC_ACT_*, applied to the hidden layer */
} fc_mlp_args;

/* Hidden unit h of the point whose input column starts at x: the first layer's dot product
 * with fc_gemm_finish's epilogue (sum, bias, activation). Both backends accumulate over the
 * inputs, then over the hidden units, in ascending order. */
FC_HD static inline float fc_mlp_hidden(const fc_mlp_args *g, const float *x, int32_t h)
{
    float acc = 0.0f;
    for (int32_t i = 0; i < g->in; i++) acc += g->w1[(int64_t)h * g->in + i] * x[i * g->ldx];
    if (g->bias1) acc += g->bias1[h];
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
