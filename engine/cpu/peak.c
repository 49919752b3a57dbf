// peak.c: the machine's floating-point limit, measured rather than looked up, so that
// benchmarks can say how far they are from it. Each function runs independent FMA chains,
// more of them than FMA latency × throughput, so the FMA ports are never idle.
#include <stdint.h>
#include "peak.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define FC_PEAK_CHAINS 12

__attribute__((target("avx2,fma"))) double fc_cpu_peak_avx2(int64_t iters)
{
    __m256 acc[FC_PEAK_CHAINS];
    const __m256 m = _mm256_set1_ps(0.9999999f), c = _mm256_set1_ps(1e-7f);
    for (int j = 0; j < FC_PEAK_CHAINS; j++) acc[j] = _mm256_set1_ps((float)j);
    for (int64_t i = 0; i < iters; i++) {
        for (int j = 0; j < FC_PEAK_CHAINS; j++) acc[j] = _mm256_fmadd_ps(acc[j], m, c);
    }
    __m256 s = acc[0];
    for (int j = 1; j < FC_PEAK_CHAINS; j++) s = _mm256_add_ps(s, acc[j]);
    float out[8];
    _mm256_storeu_ps(out, s);
    return out[0];
}

__attribute__((target("avx512f"))) double fc_cpu_peak_avx512(int64_t iters)
{
    __m512 acc[FC_PEAK_CHAINS];
    const __m512 m = _mm512_set1_ps(0.9999999f), c = _mm512_set1_ps(1e-7f);
    for (int j = 0; j < FC_PEAK_CHAINS; j++) acc[j] = _mm512_set1_ps((float)j);
    for (int64_t i = 0; i < iters; i++) {
        for (int j = 0; j < FC_PEAK_CHAINS; j++) acc[j] = _mm512_fmadd_ps(acc[j], m, c);
    }
    __m512 s = acc[0];
    for (int j = 1; j < FC_PEAK_CHAINS; j++) s = _mm512_add_ps(s, acc[j]);
    return _mm512_reduce_add_ps(s);
}

// Baseline x86-64 has no FMA: a multiply and an add per lane, 4 lanes (SSE).
double fc_cpu_peak_generic(int64_t iters)
{
    __m128 acc[FC_PEAK_CHAINS];
    const __m128 m = _mm_set1_ps(0.9999999f), c = _mm_set1_ps(1e-7f);
    for (int j = 0; j < FC_PEAK_CHAINS; j++) acc[j] = _mm_set1_ps((float)j);
    for (int64_t i = 0; i < iters; i++) {
        for (int j = 0; j < FC_PEAK_CHAINS; j++) acc[j] = _mm_add_ps(_mm_mul_ps(acc[j], m), c);
    }
    __m128 s = acc[0];
    for (int j = 1; j < FC_PEAK_CHAINS; j++) s = _mm_add_ps(s, acc[j]);
    float out[4];
    _mm_storeu_ps(out, s);
    return out[0];
}

int64_t fc_cpu_peak_flops_per_iter(int variant)
{
    static const int64_t lanes[] = {4, 8, 16};
    return FC_PEAK_CHAINS * lanes[variant] * 2;
}
#endif
