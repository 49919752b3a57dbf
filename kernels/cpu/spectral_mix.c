/* spectral_mix.c: the CPU loop over fc_spectral.h, compiled once per ISA variant.
 *
 * It is not compiled on its own: engine/cpu/variant_*.c include it after choosing a target
 * ISA and defining FC_CPU_NAME and FC_MIX_MODE_TILE, so the same loop becomes
 * fc_cpu_spectral_mix_generic, _avx2 and _avx512.
 *
 * A work item is one output channel o for a tile of FC_MIX_BATCH_TILE batch rows. Within it,
 * modes go in tiles of FC_MIX_MODE_TILE, sized so that the tile's accumulators (rows × two
 * halves × modes, see fc_cmac_halves) fill about half the vector registers and stay there for the whole reduction
 * over i; each weight element loaded is used for every row of the tile. Like
 * fc_spectral_mix_point, the reduction runs over i in ascending order. */
#include "../include/fc_spectral.h"

#ifndef FC_CPU_NAME
#error "FC_CPU_NAME must be defined by the variant file that includes this loop"
#endif
#ifndef FC_MIX_MODE_TILE
#error "FC_MIX_MODE_TILE (complex values per vector register) must be defined by the variant file"
#endif

#define FC_MIX_BATCH_TILE 4

/* The full tile, FC_MIX_BATCH_TILE rows by FC_MIX_MODE_TILE modes, with literal extents: GCC 12
 * keeps the accumulators in registers and vectorizes over the modes. Reached through
 * mix_tile's parameters instead, even as constants after inlining, the same loops ran 35 to
 * 45 % slower at batch 20 on avx2 and avx512 (BenchmarkSpectralMix, interleaved runs). */
static inline void FC_CPU_NAME(mix_full_tile)(const fc_c32 *FC_RESTRICT in, const fc_c32 *FC_RESTRICT w,
                                              fc_c32 *FC_RESTRICT out, int32_t b0, int32_t o, int32_t k0,
                                              int32_t nIn, int32_t nOut, int32_t nModes)
{
    /* byRe[t] and byIm[t] each hold FC_MIX_MODE_TILE (re, im) pairs in x's layout. */
    float byRe[FC_MIX_BATCH_TILE][2 * FC_MIX_MODE_TILE] = {{0}};
    float byIm[FC_MIX_BATCH_TILE][2 * FC_MIX_MODE_TILE] = {{0}};
    for (int32_t i = 0; i < nIn; i++) {
        const fc_c32 *FC_RESTRICT wk = w + fc_mix_weight_index(i, o, k0, nOut, nModes);
        for (int t = 0; t < FC_MIX_BATCH_TILE; t++) {
            const fc_c32 *FC_RESTRICT xk = in + fc_mix_in_index(b0 + t, i, k0, nIn, nModes);
            for (int kk = 0; kk < FC_MIX_MODE_TILE; kk++) {
                fc_cmac_halves(&byRe[t][2 * kk], &byIm[t][2 * kk], xk[kk], wk[kk]);
            }
        }
    }
    for (int t = 0; t < FC_MIX_BATCH_TILE; t++) {
        fc_c32 *FC_RESTRICT yk = out + fc_mix_out_index(b0 + t, o, k0, nOut, nModes);
        for (int kk = 0; kk < FC_MIX_MODE_TILE; kk++) yk[kk] = fc_cmac_value(&byRe[t][2 * kk], &byIm[t][2 * kk]);
    }
}

/* An edge tile: nb ≤ FC_MIX_BATCH_TILE rows by nk ≤ FC_MIX_MODE_TILE modes, the same loops with
 * extents as parameters. mix_rows passes a constant nb, and a constant nk for every tile but
 * the last, so most instances still unroll and keep their sums in registers. Walking k
 * contiguously inside i, as the full tile does, is also what keeps GCC 12 inside the
 * buffers: the edge loop used to run over i for one mode at a time (fc_spectral_mix_point's
 * shape), and the vectorizer filled the unused upper lanes of each {re, im} pair with a load
 * one channel further on, past the end of w or in for the last channel. */
static inline FC_INLINE void FC_CPU_NAME(mix_tile)(const fc_c32 *FC_RESTRICT in, const fc_c32 *FC_RESTRICT w,
                                                   fc_c32 *FC_RESTRICT out, int32_t b0, int32_t nb, int32_t o,
                                                   int32_t k0, int32_t nk, int32_t nIn, int32_t nOut, int32_t nModes)
{
    float byRe[FC_MIX_BATCH_TILE][2 * FC_MIX_MODE_TILE] = {{0}};
    float byIm[FC_MIX_BATCH_TILE][2 * FC_MIX_MODE_TILE] = {{0}};
    for (int32_t i = 0; i < nIn; i++) {
        const fc_c32 *FC_RESTRICT wk = w + fc_mix_weight_index(i, o, k0, nOut, nModes);
        for (int32_t t = 0; t < nb; t++) {
            const fc_c32 *FC_RESTRICT xk = in + fc_mix_in_index(b0 + t, i, k0, nIn, nModes);
            for (int32_t kk = 0; kk < nk; kk++) fc_cmac_halves(&byRe[t][2 * kk], &byIm[t][2 * kk], xk[kk], wk[kk]);
        }
    }
    for (int32_t t = 0; t < nb; t++) {
        fc_c32 *FC_RESTRICT yk = out + fc_mix_out_index(b0 + t, o, k0, nOut, nModes);
        for (int32_t kk = 0; kk < nk; kk++) yk[kk] = fc_cmac_value(&byRe[t][2 * kk], &byIm[t][2 * kk]);
    }
}

/* Every mode tile of nb rows from b0 for output channel o; nb is a constant at each call. */
static inline FC_INLINE void FC_CPU_NAME(mix_rows)(const fc_c32 *FC_RESTRICT in, const fc_c32 *FC_RESTRICT w,
                                                   fc_c32 *FC_RESTRICT out, int32_t b0, int32_t nb, int32_t o,
                                                   int32_t nIn, int32_t nOut, int32_t nModes)
{
    int32_t k0 = 0;
    for (; k0 + FC_MIX_MODE_TILE <= nModes; k0 += FC_MIX_MODE_TILE) {
        if (nb == FC_MIX_BATCH_TILE) {
            FC_CPU_NAME(mix_full_tile)(in, w, out, b0, o, k0, nIn, nOut, nModes);
        } else {
            FC_CPU_NAME(mix_tile)(in, w, out, b0, nb, o, k0, FC_MIX_MODE_TILE, nIn, nOut, nModes);
        }
    }
    if (k0 < nModes) {
        FC_CPU_NAME(mix_tile)(in, w, out, b0, nb, o, k0, nModes - k0, nIn, nOut, nModes);
    }
}

/* Computes work items [item0, item1), where item = tile*nOut + o and tile covers batch rows
 * [tile*FC_MIX_BATCH_TILE, min(nBatch, (tile+1)*FC_MIX_BATCH_TILE)). */
void FC_CPU_NAME(fc_cpu_spectral_mix)(const fc_spectral_mix_args *a, int64_t item0, int64_t item1)
{
    const fc_c32 *in = a->in, *w = a->w;
    fc_c32 *out = a->out;
    const int32_t nBatch = a->nBatch, nIn = a->nIn, nOut = a->nOut, nModes = a->nModes;
    for (int64_t item = item0; item < item1; item++) {
        int32_t b0 = (int32_t)(item / nOut) * FC_MIX_BATCH_TILE;
        int32_t o = (int32_t)(item % nOut);
        switch (nBatch - b0) {
        case 1: FC_CPU_NAME(mix_rows)(in, w, out, b0, 1, o, nIn, nOut, nModes); break;
        case 2: FC_CPU_NAME(mix_rows)(in, w, out, b0, 2, o, nIn, nOut, nModes); break;
        case 3: FC_CPU_NAME(mix_rows)(in, w, out, b0, 3, o, nIn, nOut, nModes); break;
        default: FC_CPU_NAME(mix_rows)(in, w, out, b0, FC_MIX_BATCH_TILE, o, nIn, nOut, nModes);
        }
    }
}
