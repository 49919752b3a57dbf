/* fc_complex.h: single-precision complex arithmetic with the memory layout of Go's complex64,
 * C99's float _Complex and cuFFT's cufftComplex (real part first, 8 bytes, 8-byte aligned). */
#ifndef FC_COMPLEX_H
#define FC_COMPLEX_H

#include "fc_common.h"

typedef struct {
    float re;
    float im;
} fc_c32;

/* A running sum of complex products Σ a·w, kept as its two halves Σ a·Re(w) and Σ a·Im(w),
 * each a (re, im) pair in a's order. Each step is then four independent real FMAs with a
 * unshuffled, so the CPU loads a straight into a vector and broadcasts only w; the halves
 * are combined into the product once, by fc_cmac_value. The halves are passed as pointers
 * so that a CPU loop can keep each half of many sums in one contiguous float array. */
FC_HD static inline void fc_cmac_halves(float *FC_RESTRICT byRe, float *FC_RESTRICT byIm, fc_c32 a, fc_c32 w)
{
    byRe[0] += a.re * w.re;
    byRe[1] += a.im * w.re;
    byIm[0] += a.re * w.im;
    byIm[1] += a.im * w.im;
}

/* (a.re + i·a.im)(w.re + i·w.im) = (a.re·w.re − a.im·w.im) + i·(a.im·w.re + a.re·w.im) */
FC_HD static inline fc_c32 fc_cmac_value(const float *byRe, const float *byIm)
{
    fc_c32 r;
    r.re = byRe[0] - byIm[1];
    r.im = byRe[1] + byIm[0];
    return r;
}

#endif
