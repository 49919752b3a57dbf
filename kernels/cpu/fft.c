/* fft.c: the CPU's batched FFTs over fc_fft.h, compiled once per ISA variant (see
 * spectral_mix.c for how the variant files include it).
 *
 * Each transform runs FC_VEC independent lines at once, one per vector lane: a group of lines
 * is transposed into structure-of-arrays scratch (element j of every line in one vector), the
 * Stockham stages run on whole vectors, and the result is transposed back. Stockham's
 * autosort form ping-pongs between two buffers and needs no bit reversal, so every stage is
 * the same simple loop. Three shapes of work use it:
 *   - real lines along the last axis, two per lane (one as the real part, one as the
 *     imaginary part, separated afterwards by fc_rfft_split), so a real transform costs half
 *     a complex one;
 *   - the inverse, the two half spectra joined by fc_irfft_join;
 *   - complex columns along an outer axis of a [outer, n, inner] tensor, FC_VEC adjacent
 *     columns per group, in place.
 * Work items are line groups or (outer index, column group) pairs; each call allocates its
 * own scratch, so items run on any number of threads. */
#include <stdlib.h>

#ifndef FC_CPU_NAME
#error "FC_CPU_NAME must be defined by the variant file that includes this loop"
#endif
#ifndef FC_VEC
#error "FC_VEC (floats per vector register) must be defined by the variant file"
#endif

typedef float FC_CPU_NAME(fftv) __attribute__((vector_size(4 * FC_VEC), aligned(4 * FC_VEC)));
#define FV FC_CPU_NAME(fftv)
#define FC_FFT_REAL FV
#include "../include/fc_fft.h"

/* lane l of vector j, for the transposing loads and stores */
#define FC_LANE(v, j, l) (((float *)(v))[(int64_t)(j) * FC_VEC + (l)])

/* One Stockham stage of a fixed small radix: y[(j − k)·p + k + r·span] = DFT_p over r of
 * x[j + r·m]·w^{r·k}, with k = j mod span and m = n/p. always_inline with a constant p lets
 * the compiler keep v in registers and drop the switch. */
static inline __attribute__((always_inline)) void FC_CPU_NAME(fft_stage_fixed)(
    const fc_fft_plan *pl, int s, int32_t span, const FV *FC_RESTRICT xr, const FV *FC_RESTRICT xi,
    FV *FC_RESTRICT yr, FV *FC_RESTRICT yi, const int p)
{
    int32_t m = pl->n / p;
    const float *tw = pl->twiddles + 2 * pl->twiddleAt[s];
    for (int32_t j = 0; j < m; j++) {
        int32_t k = j % span, out = (j - k) * p + k;
        FV vr[5], vi[5];
        for (int r = 0; r < p; r++) {
            vr[r] = xr[j + r * m];
            vi[r] = xi[j + r * m];
        }
        if (span > 1) {
            const float *w = tw + 2 * (int64_t)k * (p - 1);
            for (int r = 1; r < p; r++) fc_fft_twiddle(&vr[r], &vi[r], w[2 * (r - 1)], w[2 * (r - 1) + 1]);
        }
        switch (p) {
        case 2: fc_dft2(vr, vi); break;
        case 3: fc_dft3(vr, vi); break;
        case 4: fc_dft4(vr, vi); break;
        case 5: fc_dft5(vr, vi); break;
        }
        for (int r = 0; r < p; r++) {
            yr[out + r * span] = vr[r];
            yi[out + r * span] = vi[r];
        }
    }
}

/* The same stage for a prime radix above 5; scratch holds 4p vectors. */
static void FC_CPU_NAME(fft_stage_odd)(const fc_fft_plan *pl, int s, int32_t span, const FV *FC_RESTRICT xr,
                                       const FV *FC_RESTRICT xi, FV *FC_RESTRICT yr, FV *FC_RESTRICT yi,
                                       FV *FC_RESTRICT scratch)
{
    int32_t p = pl->radix[s], m = pl->n / p, h = (p - 1) / 2;
    const float *tw = pl->twiddles + 2 * pl->twiddleAt[s];
    const float *roots = pl->roots + 2 * pl->rootsAt[s];
    FV *vr = scratch, *vi = scratch + p, *ar = scratch + 2 * p, *ai = ar + h, *br = ai + h, *bi = br + h;
    for (int32_t j = 0; j < m; j++) {
        int32_t k = j % span, out = (j - k) * p + k;
        const float *w = tw + 2 * (int64_t)k * (p - 1);
        vr[0] = xr[j];
        vi[0] = xi[j];
        for (int r = 1; r < p; r++) {
            vr[r] = xr[j + r * m];
            vi[r] = xi[j + r * m];
            fc_fft_twiddle(&vr[r], &vi[r], w[2 * (r - 1)], w[2 * (r - 1) + 1]);
        }
        fc_dft_odd(vr, vi, p, roots, ar, ai, br, bi);
        for (int r = 0; r < p; r++) {
            yr[out + r * span] = vr[r];
            yi[out + r * span] = vi[r];
        }
    }
}

/* The forward DFT of the FC_VEC lines in (xr, xi), ping-ponging with (yr, yi). It returns 1
 * when the result ended in y and 0 when in x. */
static int FC_CPU_NAME(fft_lines)(const fc_fft_plan *pl, FV *xr, FV *xi, FV *yr, FV *yi, FV *scratch)
{
    int32_t span = 1;
    int in_y = 0;
    for (int s = 0; s < pl->stages; s++) {
        FV *ar = in_y ? yr : xr, *ai = in_y ? yi : xi, *br = in_y ? xr : yr, *bi = in_y ? xi : yi;
        switch (pl->radix[s]) {
        case 2: FC_CPU_NAME(fft_stage_fixed)(pl, s, span, ar, ai, br, bi, 2); break;
        case 3: FC_CPU_NAME(fft_stage_fixed)(pl, s, span, ar, ai, br, bi, 3); break;
        case 4: FC_CPU_NAME(fft_stage_fixed)(pl, s, span, ar, ai, br, bi, 4); break;
        case 5: FC_CPU_NAME(fft_stage_fixed)(pl, s, span, ar, ai, br, bi, 5); break;
        default: FC_CPU_NAME(fft_stage_odd)(pl, s, span, ar, ai, br, bi, scratch); break;
        }
        span *= pl->radix[s];
        in_y = !in_y;
    }
    return in_y;
}

/* Scratch for one group: x, y and the odd-radix butterfly (3p ≤ 3n vectors), plus two half
 * spectra for the real transforms. */
static FV *FC_CPU_NAME(fft_scratch)(int32_t n)
{
    size_t vectors = 4 * (size_t)n + 3 * (size_t)n + 4 * ((size_t)n / 2 + 1);
    return aligned_alloc(sizeof(FV), vectors * sizeof(FV));
}

int64_t FC_CPU_NAME(fc_cpu_fft_lanes)(void) { return FC_VEC; }

/* Real forward transforms of lines [2·FC_VEC·item0, 2·FC_VEC·item1) of src (lines × n floats),
 * keeping the first columns modes of each in dst (lines × columns complex). */
int FC_CPU_NAME(fc_cpu_rfft_lines)(const fc_fft_plan *pl, const float *src, fc_c32 *dst, int64_t lines,
                                   int32_t columns, int64_t item0, int64_t item1)
{
    int32_t n = pl->n;
    FV *buf = FC_CPU_NAME(fft_scratch)(n);
    if (!buf) return -1;
    FV *xr = buf, *xi = buf + n, *yr = buf + 2 * n, *yi = buf + 3 * n, *scratch = buf + 4 * n;
    for (int64_t item = item0; item < item1; item++) {
        int64_t first = item * 2 * FC_VEC;
        for (int l = 0; l < FC_VEC; l++) {
            int64_t a = first + l, b = first + FC_VEC + l;
            for (int32_t j = 0; j < n; j++) {
                FC_LANE(xr, j, l) = a < lines ? src[a * n + j] : 0.0f;
                FC_LANE(xi, j, l) = b < lines ? src[b * n + j] : 0.0f;
            }
        }
        int in_y = FC_CPU_NAME(fft_lines)(pl, xr, xi, yr, yi, scratch);
        const FV *zr = in_y ? yr : xr, *zi = in_y ? yi : xi;
        FV *ar = scratch, *ai = ar + columns, *br = ai + columns, *bi = br + columns;
        for (int32_t k = 0; k < columns; k++) {
            int32_t mirror = k == 0 ? 0 : n - k;
            fc_rfft_split(zr[k], zi[k], zr[mirror], zi[mirror], &ar[k], &ai[k], &br[k], &bi[k]);
        }
        for (int l = 0; l < FC_VEC; l++) {
            int64_t a = first + l, b = first + FC_VEC + l;
            for (int32_t k = 0; a < lines && k < columns; k++) {
                dst[a * columns + k].re = FC_LANE(ar, k, l);
                dst[a * columns + k].im = FC_LANE(ai, k, l);
            }
            for (int32_t k = 0; b < lines && k < columns; k++) {
                dst[b * columns + k].re = FC_LANE(br, k, l);
                dst[b * columns + k].im = FC_LANE(bi, k, l);
            }
        }
    }
    free(buf);
    return 0;
}

/* Real inverse transforms of the same line groups: src holds the first columns modes of
 * each line's spectrum (the rest are zero); as NumPy's irfft, the imaginary parts of the DC
 * and Nyquist modes are ignored. Unnormalized. */
int FC_CPU_NAME(fc_cpu_irfft_lines)(const fc_fft_plan *pl, const fc_c32 *src, float *dst, int64_t lines,
                                    int32_t columns, int64_t item0, int64_t item1)
{
    int32_t n = pl->n, half = n / 2 + 1;
    FV *buf = FC_CPU_NAME(fft_scratch)(n);
    if (!buf) return -1;
    FV *xr = buf, *xi = buf + n, *yr = buf + 2 * n, *yi = buf + 3 * n, *scratch = buf + 4 * n;
    FV *ar = buf + 7 * n, *ai = ar + half, *br = ai + half, *bi = br + half;
    for (int64_t item = item0; item < item1; item++) {
        int64_t first = item * 2 * FC_VEC;
        for (int l = 0; l < FC_VEC; l++) {
            int64_t a = first + l, b = first + FC_VEC + l;
            for (int32_t k = 0; k < half; k++) {
                int used = k < columns;
                FC_LANE(ar, k, l) = used && a < lines ? src[a * columns + k].re : 0.0f;
                FC_LANE(ai, k, l) = used && a < lines ? src[a * columns + k].im : 0.0f;
                FC_LANE(br, k, l) = used && b < lines ? src[b * columns + k].re : 0.0f;
                FC_LANE(bi, k, l) = used && b < lines ? src[b * columns + k].im : 0.0f;
            }
        }
        ai[0] = (FV){0};
        bi[0] = (FV){0};
        if (n % 2 == 0) {
            ai[n / 2] = (FV){0};
            bi[n / 2] = (FV){0};
        }
        /* The swapped arrays make the forward stages compute the inverse: x holds (im, re). */
        for (int32_t k = 0; k < half; k++) fc_irfft_join(ar[k], ai[k], br[k], bi[k], &xi[k], &xr[k]);
        for (int32_t k = half; k < n; k++) fc_irfft_join(ar[n - k], -ai[n - k], br[n - k], -bi[n - k], &xi[k], &xr[k]);
        int in_y = FC_CPU_NAME(fft_lines)(pl, xr, xi, yr, yi, scratch);
        const FV *re = in_y ? yi : xi, *im = in_y ? yr : xr;
        for (int l = 0; l < FC_VEC; l++) {
            int64_t a = first + l, b = first + FC_VEC + l;
            for (int32_t j = 0; a < lines && j < n; j++) dst[a * n + j] = FC_LANE(re, j, l);
            for (int32_t j = 0; b < lines && j < n; j++) dst[b * n + j] = FC_LANE(im, j, l);
        }
    }
    free(buf);
    return 0;
}

/* Complex transforms in place along the middle axis of data viewed as [outer, n, inner]:
 * item i is outer index i / groups and columns [g·FC_VEC, g·FC_VEC + FC_VEC) with
 * g = i mod groups. inverse selects the unnormalized inverse. */
int FC_CPU_NAME(fc_cpu_fft_axis)(const fc_fft_plan *pl, fc_c32 *data, int64_t inner, int inverse, int64_t item0,
                                 int64_t item1)
{
    int32_t n = pl->n;
    int64_t groups = (inner + FC_VEC - 1) / FC_VEC;
    FV *buf = FC_CPU_NAME(fft_scratch)(n);
    if (!buf) return -1;
    /* For the inverse the real and imaginary parts trade places on the way in and out. */
    FV *xr = buf, *xi = buf + n, *yr = buf + 2 * n, *yi = buf + 3 * n, *scratch = buf + 4 * n;
    FV *re = inverse ? xi : xr, *im = inverse ? xr : xi;
    for (int64_t item = item0; item < item1; item++) {
        fc_c32 *block = data + (item / groups) * n * inner;
        int64_t c0 = (item % groups) * FC_VEC;
        int lanes = inner - c0 < FC_VEC ? (int)(inner - c0) : FC_VEC;
        for (int32_t j = 0; j < n; j++) {
            const fc_c32 *row = block + j * inner + c0;
            for (int l = 0; l < FC_VEC; l++) {
                FC_LANE(re, j, l) = l < lanes ? row[l].re : 0.0f;
                FC_LANE(im, j, l) = l < lanes ? row[l].im : 0.0f;
            }
        }
        int in_y = FC_CPU_NAME(fft_lines)(pl, xr, xi, yr, yi, scratch);
        const FV *outRe = in_y ? (inverse ? yi : yr) : re, *outIm = in_y ? (inverse ? yr : yi) : im;
        for (int32_t j = 0; j < n; j++) {
            fc_c32 *row = block + j * inner + c0;
            for (int l = 0; l < lanes; l++) {
                row[l].re = FC_LANE(outRe, j, l);
                row[l].im = FC_LANE(outIm, j, l);
            }
        }
    }
    free(buf);
    return 0;
}

/* Rows [row0, row1) of the mode gather (fc_gather_mode): dst row r has dstLen entries,
 * src row r srcLen. */
void FC_CPU_NAME(fc_cpu_gather_modes)(const fc_gather_modes_args *a, int64_t row0, int64_t row1)
{
    const int64_t srcLen = a->srcLen, dstLen = a->dstLen;
    for (int64_t r = row0; r < row1; r++)
        for (int64_t j = 0; j < dstLen; j++)
            a->dst[r * dstLen + j] = fc_gather_mode(a->src + r * srcLen, a->index[j], a->scale);
}

#undef FV
#undef FC_LANE
