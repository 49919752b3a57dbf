/* fc_spectral.h: the Fourier-space channel mixing of a spectral convolution (FNO layer).
 *
 *   out[b,o,k] = sum_i in[b,i,k] * W[i,o,k]        (complex, float32)
 *
 * k runs over the kept Fourier modes, flattened; every tensor is dense and row-major with k
 * innermost, which is the order the mode gather writes and what makes k the coalesced (GPU)
 * and vectorized (CPU) axis. Every backend sums over i in ascending order with fc_cmac_halves, so
 * CPU and GPU results differ only by FMA contraction. */
#ifndef FC_SPECTRAL_H
#define FC_SPECTRAL_H

#include "fc_complex.h"

FC_HD static inline size_t fc_mix_in_index(int32_t b, int32_t i, int32_t k, int32_t nIn, int32_t nModes)
{
    return ((size_t)b * (size_t)nIn + (size_t)i) * (size_t)nModes + (size_t)k;
}

FC_HD static inline size_t fc_mix_weight_index(int32_t i, int32_t o, int32_t k, int32_t nOut, int32_t nModes)
{
    return ((size_t)i * (size_t)nOut + (size_t)o) * (size_t)nModes + (size_t)k;
}

FC_HD static inline size_t fc_mix_out_index(int32_t b, int32_t o, int32_t k, int32_t nOut, int32_t nModes)
{
    return ((size_t)b * (size_t)nOut + (size_t)o) * (size_t)nModes + (size_t)k;
}

/* One output element: the reduction over input channels. The GPU runs this per thread. */
FC_HD static inline fc_c32 fc_spectral_mix_point(const fc_c32 *FC_RESTRICT in, const fc_c32 *FC_RESTRICT w,
                                                 int32_t b, int32_t o, int32_t k,
                                                 int32_t nIn, int32_t nOut, int32_t nModes)
{
    float byRe[2] = {0.0f, 0.0f}, byIm[2] = {0.0f, 0.0f};
    for (int32_t i = 0; i < nIn; i++) {
        fc_cmac_halves(byRe, byIm, in[fc_mix_in_index(b, i, k, nIn, nModes)], w[fc_mix_weight_index(i, o, k, nOut, nModes)]);
    }
    return fc_cmac_value(byRe, byIm);
}

/* One spectral mixing call, as the CPU loop takes it: out[b,o,k] = Σ_i in[b,i,k]·w[i,o,k]
 * with in [nBatch, nIn, nModes], w [nIn, nOut, nModes] and out [nBatch, nOut, nModes]. */
typedef struct {
    const fc_c32 *in, *w;
    fc_c32 *out;
    int32_t nBatch, nIn, nOut, nModes;
} fc_spectral_mix_args;

#endif
