/* fc_math.h: elementwise functions written so that they vectorize on the CPU (no calls, no
 * branches, only arithmetic and selects) and compile unchanged for the GPU. Both backends
 * therefore evaluate the same polynomial and agree to the last bit up to FMA contraction,
 * which libm's erff or CUDA's erff would not guarantee. */
#ifndef FC_MATH_H
#define FC_MATH_H

#include "fc_common.h"

FC_HD static inline int32_t fc_float_bits(float x)
{
#ifdef __CUDA_ARCH__
    return __float_as_int(x);
#else
    int32_t i;
    __builtin_memcpy(&i, &x, sizeof i);
    return i;
#endif
}

FC_HD static inline float fc_bits_float(int32_t i)
{
#ifdef __CUDA_ARCH__
    return __int_as_float(i);
#else
    float x;
    __builtin_memcpy(&x, &i, sizeof x);
    return x;
#endif
}

/* e^x for x in [-87, 88] (clamped outside): x = n·ln2 + r with |r| ≤ ln2/2, e^r by its
 * degree-6 Taylor polynomial (relative error below 2e-7 on that interval), and 2^n put
 * straight into the exponent bits. */
FC_HD static inline float fc_expf(float x)
{
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    /* Round to nearest by adding and removing 1.5·2^23, which leaves no fraction bits: unlike a
     * conditional on the sign, it vectorizes. It relies on the compilers not reassociating,
     * which neither does without fast-math flags. */
    float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    /* ln2 split in two so that n·ln2_hi is exact and r keeps its low bits. */
    float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
    /* Estrin's scheme: GELU sits in GEMM epilogues where latency, not arithmetic, bounds
     * the throughput, and it halves the dependent chain of Horner's rule. */
    float r2 = r * r, r4 = r2 * r2;
    float p = (1.0f + r) + r2 * (0.5f + r * (1.0f / 6.0f)) +
              r4 * ((1.0f / 24.0f + r * (1.0f / 120.0f)) + r2 * (1.0f / 720.0f));
    return p * fc_bits_float(((int32_t)n + 127) << 23);
}

/* erfc(x) with relative error below 1.2e-7 everywhere: the Chebyshev fit of Press et al.,
 * Numerical Recipes §6.2, erfc(z) ≈ t·exp(−z² + P(t)), t = 1/(1 + z/2), for z = |x|, and
 * erfc(−z) = 2 − erfc(z). Relative accuracy in the tail is what keeps GELU exact for large
 * negative inputs, where 1 + erf(x) would cancel. */
FC_HD static inline float fc_erfcf(float x)
{
    float z = x < 0.0f ? -x : x;
    float t = 1.0f / (1.0f + 0.5f * z);
    /* The degree-9 polynomial in t by Estrin's scheme (see fc_expf). */
    float t2 = t * t, t4 = t2 * t2;
    float p = ((-1.26551223f + 1.00002368f * t) + (0.37409196f + 0.09678418f * t) * t2) +
              ((-0.18628806f + 0.27886807f * t) + (-1.13520398f + 1.48851587f * t) * t2) * t4 +
              (-0.82215223f + 0.17087277f * t) * (t4 * t4);
    float tail = t * fc_expf(p - z * z);
    return x < 0.0f ? 2.0f - tail : tail;
}

/* The exact (erf) GELU that PyTorch's F.gelu computes by default:
 *   gelu(x) = x·Φ(x) = ½·x·(1 + erf(x/√2)) = ½·x·erfc(−x/√2). */
FC_HD static inline float fc_gelu(float x)
{
    return 0.5f * x * fc_erfcf(-0.70710678118654752f * x);
}

/* Activation codes shared by the Go side (engine/backend.Activation) and the kernels. */
enum { FC_ACT_NONE = 0, FC_ACT_GELU = 1 };

FC_HD static inline float fc_activate(int32_t act, float x)
{
    return act == FC_ACT_GELU ? fc_gelu(x) : x;
}

#endif
