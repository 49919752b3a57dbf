#include "dispatch.h"

#define FC_DECLARE_VARIANTS(ret, name, params)                                                         \
    ret name##_generic params;                                                                         \
    ret name##_avx2 params;                                                                            \
    ret name##_avx512 params;

FC_DECLARE_VARIANTS(void, fc_cpu_spectral_mix,
                    (const fc_c32 *in, const fc_c32 *w, fc_c32 *out, int32_t nBatch, int32_t nIn, int32_t nOut,
                     int32_t nModes, int64_t item0, int64_t item1))

FC_DECLARE_VARIANTS(int64_t, fc_cpu_gemm_items, (const fc_gemm_args *g))
FC_DECLARE_VARIANTS(int, fc_cpu_gemm, (const fc_gemm_args *g, int64_t item0, int64_t item1))
FC_DECLARE_VARIANTS(int64_t, fc_cpu_mlp_items, (const fc_mlp_args *g))
FC_DECLARE_VARIANTS(int, fc_cpu_conserve, (const fc_conserve_args *a, int64_t s0, int64_t s1))
FC_DECLARE_VARIANTS(void, fc_cpu_kalman, (const fc_kalman_args *a, int32_t update, int64_t b0, int64_t b1))
FC_DECLARE_VARIANTS(void, fc_cpu_collision_prob, (const float *in, float *out, int64_t n, int32_t fast, int64_t i0, int64_t i1))
FC_DECLARE_VARIANTS(int64_t, fc_cpu_traj_lanes, (void))
FC_DECLARE_VARIANTS(void, fc_cpu_traj_prepare, (const float *raw, float *prepared, int64_t count))
FC_DECLARE_VARIANTS(void, fc_cpu_traj_score,
                    (const float *prm, const float *controls, const float *obstacles, const float *path,
                     const float *map, float *total, float *terms, int32_t *feasible, float *states, int64_t n,
                     int64_t first, int64_t b0, int64_t b1))
FC_DECLARE_VARIANTS(void, fc_cpu_traj_sample,
                    (const float *groups, const float *points, int64_t rows, int32_t segments, int64_t extremes,
                     int64_t warm, float *controls, int64_t n, int64_t first, int64_t i0, int64_t i1))
FC_DECLARE_VARIANTS(int64_t, fc_cpu_traj_best,
                    (const float *total, const int32_t *feasible, int64_t i0, int64_t i1, int64_t k, uint64_t *out))
FC_DECLARE_VARIANTS(void, fc_cpu_traj_best_keys, (const uint64_t *keys, int64_t count, int64_t k, uint64_t *heap, int32_t *index))
FC_DECLARE_VARIANTS(int, fc_cpu_mlp, (const fc_mlp_args *g, int64_t item0, int64_t item1))
FC_DECLARE_VARIANTS(void, fc_cpu_activate, (float *x, int64_t ld, int32_t cols, int32_t act, int64_t row0, int64_t row1))
FC_DECLARE_VARIANTS(void, fc_cpu_complex_combine,
                    (const float *p, float *z, int32_t nRows, int64_t pairs, int64_t outer0, int64_t outer1))
FC_DECLARE_VARIANTS(int64_t, fc_cpu_fft_lanes, (void))
FC_DECLARE_VARIANTS(int, fc_cpu_rfft_lines,
                    (const fc_fft_plan *pl, const float *src, fc_c32 *dst, int64_t lines, int32_t columns,
                     int64_t item0, int64_t item1))
FC_DECLARE_VARIANTS(int, fc_cpu_irfft_lines,
                    (const fc_fft_plan *pl, const fc_c32 *src, float *dst, int64_t lines, int32_t columns,
                     int64_t item0, int64_t item1))
FC_DECLARE_VARIANTS(int, fc_cpu_fft_axis,
                    (const fc_fft_plan *pl, fc_c32 *data, int64_t inner, int inverse, int64_t item0, int64_t item1))
FC_DECLARE_VARIANTS(void, fc_cpu_gather_modes,
                    (const fc_c32 *src, fc_c32 *dst, const int32_t *index, int64_t srcLen, int64_t dstLen,
                     float scale, int64_t row0, int64_t row1))
FC_DECLARE_VARIANTS(void, fc_cpu_faces, (const fc_faces_args *a, int64_t item0, int64_t item1))
FC_DECLARE_VARIANTS(void, fc_cpu_add_scaled, (float *dst, const float *src, float scale, int64_t i0, int64_t i1))

#if defined(__x86_64__) && defined(__GNUC__)
#define FC_HAVE_X86_VARIANTS 1
#else
#define FC_HAVE_X86_VARIANTS 0
#endif

int fc_cpu_variant_compiled(int variant)
{
    return variant == FC_CPU_GENERIC || (FC_HAVE_X86_VARIANTS && (variant == FC_CPU_AVX2 || variant == FC_CPU_AVX512));
}

void fc_cpu_spectral_mix(int variant, const fc_c32 *in, const fc_c32 *w, fc_c32 *out, int32_t nBatch,
                         int32_t nIn, int32_t nOut, int32_t nModes, int64_t item0, int64_t item1)
{
#if FC_HAVE_X86_VARIANTS
    switch (variant) {
    case FC_CPU_AVX2:
        fc_cpu_spectral_mix_avx2(in, w, out, nBatch, nIn, nOut, nModes, item0, item1);
        return;
    case FC_CPU_AVX512:
        fc_cpu_spectral_mix_avx512(in, w, out, nBatch, nIn, nOut, nModes, item0, item1);
        return;
    }
#endif
    fc_cpu_spectral_mix_generic(in, w, out, nBatch, nIn, nOut, nModes, item0, item1);
}

/* FC_DISPATCH calls name_<variant>(args...) for the variant the Go side chose. */
#if FC_HAVE_X86_VARIANTS
#define FC_DISPATCH(variant, name, ...)                                                                \
    ((variant) == FC_CPU_AVX512 ? name##_avx512(__VA_ARGS__)                                            \
     : (variant) == FC_CPU_AVX2 ? name##_avx2(__VA_ARGS__)                                              \
                                : name##_generic(__VA_ARGS__))
#else
#define FC_DISPATCH(variant, name, ...) name##_generic(__VA_ARGS__)
#endif

int64_t fc_cpu_gemm_items(int variant, const fc_gemm_args *g)
{
    return FC_DISPATCH(variant, fc_cpu_gemm_items, g);
}

int fc_cpu_gemm(int variant, const fc_gemm_args *g, int64_t item0, int64_t item1)
{
    return FC_DISPATCH(variant, fc_cpu_gemm, g, item0, item1);
}

int64_t fc_cpu_mlp_items(int variant, const fc_mlp_args *g)
{
    return FC_DISPATCH(variant, fc_cpu_mlp_items, g);
}

int fc_cpu_mlp(int variant, const fc_mlp_args *g, int64_t item0, int64_t item1)
{
    return FC_DISPATCH(variant, fc_cpu_mlp, g, item0, item1);
}

void fc_cpu_complex_combine(int variant, const float *p, float *z, int32_t nRows, int64_t pairs, int64_t outer0,
                            int64_t outer1)
{
    FC_DISPATCH(variant, fc_cpu_complex_combine, p, z, nRows, pairs, outer0, outer1);
}

void fc_cpu_activate(int variant, float *x, int64_t ld, int32_t cols, int32_t act, int64_t row0, int64_t row1)
{
    FC_DISPATCH(variant, fc_cpu_activate, x, ld, cols, act, row0, row1);
}

int64_t fc_cpu_fft_lanes(int variant)
{
    return FC_DISPATCH(variant, fc_cpu_fft_lanes);
}

int fc_cpu_rfft_lines(int variant, const fc_fft_plan *pl, const float *src, fc_c32 *dst, int64_t lines,
                      int32_t columns, int64_t item0, int64_t item1)
{
    return FC_DISPATCH(variant, fc_cpu_rfft_lines, pl, src, dst, lines, columns, item0, item1);
}

int fc_cpu_irfft_lines(int variant, const fc_fft_plan *pl, const fc_c32 *src, float *dst, int64_t lines,
                       int32_t columns, int64_t item0, int64_t item1)
{
    return FC_DISPATCH(variant, fc_cpu_irfft_lines, pl, src, dst, lines, columns, item0, item1);
}

int fc_cpu_fft_axis(int variant, const fc_fft_plan *pl, fc_c32 *data, int64_t inner, int inverse, int64_t item0,
                    int64_t item1)
{
    return FC_DISPATCH(variant, fc_cpu_fft_axis, pl, data, inner, inverse, item0, item1);
}

void fc_cpu_gather_modes(int variant, const fc_c32 *src, fc_c32 *dst, const int32_t *index, int64_t srcLen,
                         int64_t dstLen, float scale, int64_t row0, int64_t row1)
{
    FC_DISPATCH(variant, fc_cpu_gather_modes, src, dst, index, srcLen, dstLen, scale, row0, row1);
}

void fc_cpu_faces(int variant, const fc_faces_args *a, int64_t item0, int64_t item1)
{
    FC_DISPATCH(variant, fc_cpu_faces, a, item0, item1);
}

void fc_cpu_add_scaled(int variant, float *dst, const float *src, float scale, int64_t i0, int64_t i1)
{
    FC_DISPATCH(variant, fc_cpu_add_scaled, dst, src, scale, i0, i1);
}

int fc_cpu_conserve(int variant, const fc_conserve_args *a, int64_t s0, int64_t s1)
{
    return FC_DISPATCH(variant, fc_cpu_conserve, a, s0, s1);
}

void fc_cpu_kalman(int variant, const fc_kalman_args *a, int32_t update, int64_t b0, int64_t b1)
{
    FC_DISPATCH(variant, fc_cpu_kalman, a, update, b0, b1);
}

void fc_cpu_collision_prob(int variant, const float *in, float *out, int64_t n, int32_t fast, int64_t i0, int64_t i1)
{
    FC_DISPATCH(variant, fc_cpu_collision_prob, in, out, n, fast, i0, i1);
}

int64_t fc_cpu_traj_lanes(int variant)
{
    return FC_DISPATCH(variant, fc_cpu_traj_lanes);
}

void fc_cpu_traj_score(int variant, const float *prm, const float *controls, const float *obstacles, const float *path,
                       const float *map, float *total, float *terms, int32_t *feasible, float *states, int64_t n,
                       int64_t first, int64_t b0, int64_t b1)
{
    FC_DISPATCH(variant, fc_cpu_traj_score, prm, controls, obstacles, path, map, total, terms, feasible, states, n, first,
                b0, b1);
}

void fc_cpu_traj_sample(int variant, const float *groups, const float *points, int64_t rows, int32_t segments,
                        int64_t extremes, int64_t warm, float *controls, int64_t n, int64_t first, int64_t i0, int64_t i1)
{
    FC_DISPATCH(variant, fc_cpu_traj_sample, groups, points, rows, segments, extremes, warm, controls, n, first, i0, i1);
}

int64_t fc_cpu_traj_best(int variant, const float *total, const int32_t *feasible, int64_t i0, int64_t i1, int64_t k,
                         uint64_t *out)
{
    return FC_DISPATCH(variant, fc_cpu_traj_best, total, feasible, i0, i1, k, out);
}

void fc_cpu_traj_best_keys(int variant, const uint64_t *keys, int64_t count, int64_t k, uint64_t *heap, int32_t *index)
{
    FC_DISPATCH(variant, fc_cpu_traj_best_keys, keys, count, k, heap, index);
}

void fc_cpu_traj_prepare(int variant, const float *raw, float *prepared, int64_t count)
{
    FC_DISPATCH(variant, fc_cpu_traj_prepare, raw, prepared, count);
}
