/* fc_math.h: elementwise functions written so that they vectorize on the CPU (no calls, no
 * branches, only arithmetic and selects) and compile unchanged for the GPU. Both backends
 * therefore evaluate the same formula and agree to the last bit up to FMA contraction,
 * which libm's erff or CUDA's erff would not guarantee. */
#ifndef FC_MATH_H
#define FC_MATH_H

#include "fc_common.h"

/* The standard normal CDF, Φ(x) ≈ 1/2 + x·P(x²)/Q(x²) on |x| ≤ 5.5 with x clamped to ±5.5
 * beyond: a degree-5/5 minimax rational fitted by tools/fit_gelu.py. Past 5.5, Φ is within
 * 1.9e-8 of 0 or 1, under half a float32 ulp of 1, so the clamp is exact to rounding. The
 * fit's own error is 7e-9, 2e-7 after float32 rounding. A rational rather than erfc·exp
 * because it is ten FMAs and one division with no exponent bit tricks: GELU runs on every
 * hidden activation, and this form runs in 40 % of the time of the exp-based one on AVX2. */
FC_HD static inline float fc_phi(float x)
{
    float xc = x < -5.5f ? -5.5f : x;
    xc = xc > 5.5f ? 5.5f : xc;
    float t = xc * xc;
    float p = ((((2.274932775e-08f * t + 6.352132459e-06f) * t + 1.688271295e-04f) * t + 4.677269608e-03f) * t +
               3.385278583e-02f) * t + 3.989422321e-01f;
    float q = ((((1.197503934e-06f * t + 7.364799239e-05f) * t + 1.884452999e-03f) * t + 2.864595130e-02f) * t +
               2.515222728e-01f) * t + 1.0f;
    return 0.5f + xc * (p / q);
}

/* The exact (erf) GELU that PyTorch's F.gelu computes by default, gelu(x) = x·Φ(x). Its
 * float32 error is 2e-7·max(1, |x|), about what PyTorch's vectorized erf has. */
FC_HD static inline float fc_gelu(float x)
{
    return x * fc_phi(x);
}

/* 1/√x for x > 0, in double and in float, to within an ulp or two. The GPU has √ in
 * hardware. On the CPU a libm sqrt call keeps C's errno semantics, which stop GCC from
 * vectorizing a loop that contains it, and cgo refuses -fno-math-errno; so the CPU starts
 * from the bit-level estimate (the exponent halved, error below 3.5 %) and refines it by
 * Newton steps, each of which squares the error: four reach double's precision (below
 * 1e-17), three reach float's (below 1e-9). */
FC_HD static inline double fc_rsqrt_pos(double x)
{
#ifdef __CUDA_ARCH__
    return 1.0 / sqrt(x);
#else
    int64_t i;
    __builtin_memcpy(&i, &x, sizeof i);
    i = 0x5FE6EB50C7B537A9LL - (i >> 1);
    double y;
    __builtin_memcpy(&y, &i, sizeof y);
    const double h = 0.5 * x;
    y = y * (1.5 - h * y * y);
    y = y * (1.5 - h * y * y);
    y = y * (1.5 - h * y * y);
    return y * (1.5 - h * y * y);
#endif
}

/* 1/√x for x > 0 within 5e-6 relative: fc_rsqrtf_pos with two Newton steps, for where a
 * division or a third step would dominate a cheap approximation. */
FC_HD static inline float fc_rsqrtf_approx(float x)
{
#ifdef __CUDA_ARCH__
    return rsqrtf(x);
#else
    int32_t i;
    __builtin_memcpy(&i, &x, sizeof i);
    i = 0x5F375A86 - (i >> 1);
    float y;
    __builtin_memcpy(&y, &i, sizeof y);
    const float h = 0.5f * x;
    y = y * (1.5f - h * y * y);
    return y * (1.5f - h * y * y);
#endif
}

/* 1/√x for x > 0 within float's precision: three Newton steps, as fc_rsqrt_pos explains. */
FC_HD static inline float fc_rsqrtf_pos(float x)
{
#ifdef __CUDA_ARCH__
    return 1.0f / sqrtf(x);
#else
    const float y = fc_rsqrtf_approx(x); /* a third Newton step from its two */
    return y * (1.5f - 0.5f * x * y * y);
#endif
}

/* Rounding that the CPU compiler turns into vector instructions (libm's calls would stop the
 * loop vectorizing) and that nvcc has as device functions. */
#ifdef __CUDA_ARCH__
#define FC_ROUNDF(x) roundf(x)
#define FC_FLOORF(x) floorf(x)
#else
#define FC_ROUNDF(x) __builtin_roundf(x)
#define FC_FLOORF(x) __builtin_floorf(x)
#endif

/* √x in float, 0 for x ≤ 0, within 2 ulp: x·(1/√x) on the CPU, for the vectorization reason
 * of fc_rsqrtf_pos. */
FC_HD static inline float fc_sqrtf(float x)
{
#ifdef __CUDA_ARCH__
    return x > 0.0f ? sqrtf(x) : 0.0f;
#else
    return x > 0.0f ? x * fc_rsqrtf_pos(x) : 0.0f;
#endif
}

#ifndef __CUDA_ARCH__
/* 2^t for t within the normal exponents: the nearest integer n goes into the exponent bits,
 * and 2^(t − n) = e^r, r ∈ [−ln2/2, ln2/2], is its degree-6 Taylor polynomial (truncation
 * 1.2e-7). */
static inline float fc_exp2_cpu(float t)
{
    const float n = __builtin_roundf(t), r = (t - n) * 0.69314718056f;
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (1.6666667e-1f + r * (4.1666668e-2f + r * (8.3333338e-3f + r * 1.3888889e-3f)))));
    int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    __builtin_memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}
#endif

/* e^x for x ≤ 0 in float, ≤ 2 ulp: x·log₂e is split into a nearest integer n and a rest
 * r ∈ [−½, ½], 2^r is its degree-6 Taylor polynomial (truncation 1.2e-7), and 2^n goes
 * straight into the exponent bits. Below −87 (where e^x leaves the normal range) it returns
 * 0. Like fc_rsqrtf_pos, it exists because a libm call stops the CPU loops vectorizing. */
FC_HD static inline float fc_exp_neg(float x)
{
#ifdef __CUDA_ARCH__
    return x < -87.0f ? 0.0f : expf(x);
#else
    const float xc = x < -87.0f ? -87.0f : x;
    return x < -87.0f ? 0.0f : fc_exp2_cpu(xc * 1.44269504089f);
#endif
}

/* log₂x for x > 0 in float, within 4e-7 absolute for normal x: x = 2ᵉ·m with m ∈ [√½, √2),
 * found by integer arithmetic alone (subtracting √½'s bits leaves e in the exponent field),
 * and log₂m by a degree-7 polynomial in m − 1 (a least-squares fit on Chebyshev nodes by
 * tools/fit_log2.py, error 3.3e-7), without a division or a select. Subnormal and
 * non-positive x are the caller's to avoid. Vectorizable, as fc_exp_neg. */
FC_HD static inline float fc_log2f_pos(float x)
{
#ifdef __CUDA_ARCH__
    return log2f(x);
#else
    int32_t bits;
    __builtin_memcpy(&bits, &x, sizeof bits);
    const int32_t e = (bits - 0x3F3504F3) >> 23; /* 0x3F3504F3 is √½ */
    const int32_t mb = (int32_t)((uint32_t)bits - ((uint32_t)e << 23)); /* e may be negative */
    float m;
    __builtin_memcpy(&m, &mb, sizeof m);
    const float f = m - 1.0f;
    const float p = 9.279560873e-08f +
                    f * (1.442700942f + f * (-0.7213762736f + f * (0.4804116471f + f * (-0.3590345459f +
                    f * (0.2979934879f + f * (-0.2719831995f + f * 0.1672021387f))))));
    return (float)e + p;
#endif
}

/* 2^x in float within 2 ulp for x in [−126, 126], which the caller guarantees: the clamp of
 * fc_exp2f costs a tenth of the moments collision form. */
FC_HD static inline float fc_exp2f_in_range(float x)
{
#ifdef __CUDA_ARCH__
    return exp2f(x);
#else
    return fc_exp2_cpu(x);
#endif
}

/* 2^x in float within 2 ulp, x clamped to [−126, 126]: 2^n by the exponent bits times 2^r,
 * r = x − n ∈ [−½, ½], by fc_exp_neg's polynomial. */
FC_HD static inline float fc_exp2f(float x)
{
    return fc_exp2f_in_range(x < -126.0f ? -126.0f : (x > 126.0f ? 126.0f : x));
}

/* The activation codes FC_ACT_* are engine/backend.Activation's, from fc_layout_gen.h. */

FC_HD static inline float fc_activate(int32_t act, float x)
{
    return act == FC_ACT_GELU ? fc_gelu(x) : x;
}

#endif
