/* fc_fft.h: the pieces of a mixed-radix FFT and of the mode bookkeeping around it.
 *
 * The butterflies compute the forward DFT of p points, y_q = Σ_r x_r·e^{−2πi·rq/p}, in place
 * on separate real and imaginary arrays. They are written over FC_FFT_REAL, which is float
 * unless the including file defines it first: the CPU loop (kernels/cpu/fft.c) defines it
 * as a GCC vector type, so each operation below runs on one vector of independent
 * transforms (one per lane) and vectorizes without relying on the auto-vectorizer. Scalars
 * (the constants and twiddles) are broadcast by the vector extension's mixed arithmetic.
 *
 * The inverse transform needs no butterflies of its own: swapping the real and imaginary
 * arrays turns a forward DFT into the unnormalized inverse, IDFT(x) = swap(DFT(swap(x))). */
#ifndef FC_FFT_H
#define FC_FFT_H

#include "fc_complex.h"

#ifndef FC_FFT_REAL
#define FC_FFT_REAL float
#endif

/* The most factors a length can have (2³¹ has 31); the largest prime factor a plan accepts,
 * since the generic butterfly costs p operations per point. */
#define FC_FFT_MAX_STAGES 32
#define FC_FFT_MAX_PRIME 1024

/* A plan for transforms of length n = Π radix[s]: stage s combines transforms of length
 * span_s = Π_{t<s} radix[t] into ones p = radix[s] times longer. Its twiddles
 * e^{−2πi·r·k/(span_s·p)} for k < span_s and r = 1..p−1 are (re, im) pairs starting at pair
 * twiddleAt[s]; a stage with a prime radix above 5 also has its p roots e^{−2πi·t/p} from
 * pair rootsAt[s]. The tables are built on the host (engine/cpu/fft.go) in float64 and rounded. */
typedef struct {
    int32_t n, stages;
    int32_t radix[FC_FFT_MAX_STAGES];
    int64_t twiddleAt[FC_FFT_MAX_STAGES];
    int64_t rootsAt[FC_FFT_MAX_STAGES];
    const float *twiddles;
    const float *roots;
} fc_fft_plan;

/* The twiddle multiply of a Stockham stage: x ← x·(wr + i·wi). */
FC_HD static inline void fc_fft_twiddle(FC_FFT_REAL *xr, FC_FFT_REAL *xi, float wr, float wi)
{
    FC_FFT_REAL r = *xr * wr - *xi * wi;
    *xi = *xr * wi + *xi * wr;
    *xr = r;
}

FC_HD static inline void fc_dft2(FC_FFT_REAL *xr, FC_FFT_REAL *xi)
{
    FC_FFT_REAL r = xr[0] - xr[1], i = xi[0] - xi[1];
    xr[0] = xr[0] + xr[1];
    xi[0] = xi[0] + xi[1];
    xr[1] = r;
    xi[1] = i;
}

/* y₀ = x₀ + t₁, y₁,₂ = x₀ − t₁/2 ∓ i·(√3/2)·t₂ with t₁ = x₁ + x₂ and t₂ = x₁ − x₂. */
FC_HD static inline void fc_dft3(FC_FFT_REAL *xr, FC_FFT_REAL *xi)
{
    const float s = 0.866025403784438646763723f; /* sin(2π/3) */
    FC_FFT_REAL t1r = xr[1] + xr[2], t1i = xi[1] + xi[2];
    FC_FFT_REAL t2r = xr[1] - xr[2], t2i = xi[1] - xi[2];
    FC_FFT_REAL mr = xr[0] - 0.5f * t1r, mi = xi[0] - 0.5f * t1i;
    xr[0] = xr[0] + t1r;
    xi[0] = xi[0] + t1i;
    xr[1] = mr + s * t2i;
    xi[1] = mi - s * t2r;
    xr[2] = mr - s * t2i;
    xi[2] = mi + s * t2r;
}

/* Two radix-2 steps; the twiddle between them is −i, a swap and a sign. */
FC_HD static inline void fc_dft4(FC_FFT_REAL *xr, FC_FFT_REAL *xi)
{
    FC_FFT_REAL t0r = xr[0] + xr[2], t0i = xi[0] + xi[2];
    FC_FFT_REAL t1r = xr[0] - xr[2], t1i = xi[0] - xi[2];
    FC_FFT_REAL t2r = xr[1] + xr[3], t2i = xi[1] + xi[3];
    FC_FFT_REAL t3r = xr[1] - xr[3], t3i = xi[1] - xi[3];
    xr[0] = t0r + t2r;
    xi[0] = t0i + t2i;
    xr[2] = t0r - t2r;
    xi[2] = t0i - t2i;
    xr[1] = t1r + t3i;
    xi[1] = t1i - t3r;
    xr[3] = t1r - t3i;
    xi[3] = t1i + t3r;
}

/* The symmetric form of an odd-length DFT: with aₖ = x_k + x_{p−k} and bₖ = x_k − x_{p−k},
 * y_q = x₀ + Σₖ cos(2πkq/p)·aₖ ∓ i·Σₖ sin(2πkq/p)·bₖ for q and p − q. fc_dft5 spells it out
 * for p = 5; fc_dft_odd evaluates it for any odd p from a table of e^{−2πi·t/p}. */
FC_HD static inline void fc_dft5(FC_FFT_REAL *xr, FC_FFT_REAL *xi)
{
    const float c1 = 0.309016994374947424102293f;  /* cos(2π/5) */
    const float c2 = -0.809016994374947424102293f; /* cos(4π/5) */
    const float s1 = 0.951056516295153572116439f;  /* sin(2π/5) */
    const float s2 = 0.587785252292473129168706f;  /* sin(4π/5) */
    FC_FFT_REAL a1r = xr[1] + xr[4], a1i = xi[1] + xi[4], b1r = xr[1] - xr[4], b1i = xi[1] - xi[4];
    FC_FFT_REAL a2r = xr[2] + xr[3], a2i = xi[2] + xi[3], b2r = xr[2] - xr[3], b2i = xi[2] - xi[3];
    FC_FFT_REAL m1r = xr[0] + c1 * a1r + c2 * a2r, m1i = xi[0] + c1 * a1i + c2 * a2i;
    FC_FFT_REAL m2r = xr[0] + c2 * a1r + c1 * a2r, m2i = xi[0] + c2 * a1i + c1 * a2i;
    FC_FFT_REAL n1r = s1 * b1r + s2 * b2r, n1i = s1 * b1i + s2 * b2i;
    FC_FFT_REAL n2r = s2 * b1r - s1 * b2r, n2i = s2 * b1i - s1 * b2i;
    xr[0] = xr[0] + a1r + a2r;
    xi[0] = xi[0] + a1i + a2i;
    xr[1] = m1r + n1i;
    xi[1] = m1i - n1r;
    xr[4] = m1r - n1i;
    xi[4] = m1i + n1r;
    xr[2] = m2r + n2i;
    xi[2] = m2i - n2r;
    xr[3] = m2r - n2i;
    xi[3] = m2i + n2r;
}

/* roots holds e^{−2πi·t/p} for t = 0..p−1 as (cos, −sin) pairs; a and b are scratch of
 * (p − 1)/2 (re, im) values each. */
FC_HD static inline void fc_dft_odd(FC_FFT_REAL *xr, FC_FFT_REAL *xi, int p, const float *roots, FC_FFT_REAL *ar,
                                    FC_FFT_REAL *ai, FC_FFT_REAL *br, FC_FFT_REAL *bi)
{
    int h = (p - 1) / 2;
    FC_FFT_REAL sumr = xr[0], sumi = xi[0];
    for (int k = 1; k <= h; k++) {
        ar[k - 1] = xr[k] + xr[p - k];
        ai[k - 1] = xi[k] + xi[p - k];
        br[k - 1] = xr[k] - xr[p - k];
        bi[k - 1] = xi[k] - xi[p - k];
        sumr += ar[k - 1];
        sumi += ai[k - 1];
    }
    for (int q = 1; q <= h; q++) {
        FC_FFT_REAL mr = xr[0], mi = xi[0], nr = {0}, ni = {0};
        int t = 0;
        for (int k = 1; k <= h; k++) {
            t += q;
            if (t >= p) t -= p;
            float c = roots[2 * t], s = -roots[2 * t + 1]; /* cos and sin of 2π·kq/p */
            mr += c * ar[k - 1];
            mi += c * ai[k - 1];
            nr += s * br[k - 1];
            ni += s * bi[k - 1];
        }
        /* y_q = m − i·n and y_{p−q} = m + i·n; x₀ is still needed, so write those last. */
        xr[q] = mr + ni;
        xi[q] = mi - nr;
        xr[p - q] = mr - ni;
        xi[p - q] = mi + nr;
    }
    xr[0] = sumr;
    xi[0] = sumi;
}

/* Two real sequences a and b transformed together as z = a + i·b: their spectra are
 * A_k = (Z_k + conj Z_{n−k})/2 and B_k = (Z_k − conj Z_{n−k})/(2i). */
FC_HD static inline void fc_rfft_split(FC_FFT_REAL zr, FC_FFT_REAL zi, FC_FFT_REAL wr, FC_FFT_REAL wi,
                                       FC_FFT_REAL *a_r, FC_FFT_REAL *a_i, FC_FFT_REAL *b_r, FC_FFT_REAL *b_i)
{
    *a_r = 0.5f * (zr + wr);
    *a_i = 0.5f * (zi - wi);
    *b_r = 0.5f * (zi + wi);
    *b_i = 0.5f * (wr - zr);
}

/* The inverse pairing: Z_k = A_k + i·B_k of two half spectra extended to all k. */
FC_HD static inline void fc_irfft_join(FC_FFT_REAL a_r, FC_FFT_REAL a_i, FC_FFT_REAL b_r, FC_FFT_REAL b_i,
                                       FC_FFT_REAL *zr, FC_FFT_REAL *zi)
{
    *zr = a_r - b_i;
    *zi = a_i + b_r;
}

/* The Hermitian part of a pair of bins k and −k of one column of a multi-dimensional
 * spectrum: (X_k + conj X_{−k})/2 and its conjugate. Applied to the DC and Nyquist columns of
 * the last axis it yields what NumPy's irfftn computes from a non-Hermitian spectrum (the
 * real part after the outer inverse transforms), so that a C2R transform which assumes
 * Hermitian input, like cuFFT's multi-dimensional one, agrees with it. For k = −k it sets the
 * imaginary part to zero. */
FC_HD static inline void fc_hermitian_pair(fc_c32 *xk, fc_c32 *xneg)
{
    float re = 0.5f * (xk->re + xneg->re), im = 0.5f * (xk->im - xneg->im);
    xk->re = re;
    xk->im = im;
    xneg->re = re;
    xneg->im = -im;
}

/* The mode gather between a full spectrum and the kept modes, either way: destination entry
 * j of a row is source entry index[j] scaled, or zero where index[j] < 0. */
FC_HD static inline fc_c32 fc_gather_mode(const fc_c32 *src, int32_t index, float scale)
{
    fc_c32 v;
    v.re = 0.0f;
    v.im = 0.0f;
    if (index >= 0) {
        v.re = scale * src[index].re;
        v.im = scale * src[index].im;
    }
    return v;
}

/* One mode gather: dst[r, j] = fc_gather_mode(src row r, index[j], scale), dst rows of dstLen
 * entries, src rows of srcLen. */
typedef struct {
    const fc_c32 *src;
    fc_c32 *dst;
    const int32_t *index;
    int64_t srcLen, dstLen;
    float scale;
} fc_gather_modes_args;

#endif
