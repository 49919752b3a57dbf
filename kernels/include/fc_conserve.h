/* fc_conserve.h: ProbConserv's update (Hansen et al., ICML 2023) of one slice, a Gaussian
 * N(μ, Σ) over n points, by m linear constraints G·u = b observed with noise variance σ²:
 *
 *   A = σ²I + GΣGᵀ,   μ̃ = μ − ΣGᵀA⁻¹(Gμ − b),   Σ̃ = Σ − ΣGᵀA⁻¹GΣ
 *
 * Σ comes in three forms: diagonal (n variances), full (n×n, symmetrized on reading), or an
 * ensemble (U, the n×M deviations of M members from their mean, Σ = UUᵀ/(M−1), plus an
 * optional diagonal D). Everything is computed in double, whatever the storage type, and A is
 * solved by Cholesky. With C = ΣGᵀ (n×m) and A = LLᵀ:
 *
 *   μ̃ = μ − C·y with L·Lᵀ·y = Gμ − b,   Σ̃ = Σ − WᵀW with W = L⁻¹Cᵀ
 *
 * so the marginal variances cost O(n·m²) after C, and C costs O(n·m) (diagonal), O(n²·m)
 * (full) or O(n·m·M) (ensemble). Negative variances from rounding are clamped to 0, and a
 * full Σ̃ is written from one computation per pair (i ≤ k), so it is exactly symmetric.
 *
 * The updated ensemble is the deterministic square-root transform Ũ = U·T with the symmetric
 * T = (I − V'ᵀ(R' + V'V'ᵀ)⁻¹V')^{1/2}, V = GU/√(M−1), taking R = σ²I + GDGᵀ as the noise the
 * ensemble part sees: whitened by R's Cholesky factor when R ≠ 0 (V' = L_R⁻¹V, R' = I), and
 * then, after Andrews (1968), T = I − V'ᵀ(A' + A'^{1/2})⁻¹V' with A' = I + V'V'ᵀ; when R = 0,
 * T is the projector I − VᵀA⁻¹V, its own square root. Without D, ŨŨᵀ/(M−1) = Σ̃ exactly; T
 * keeps the members' mean at zero, since V·1 = 0 makes 1 an eigenvector of T. */
#ifndef FC_CONSERVE_H
#define FC_CONSERVE_H

#include "fc_cholesky.h"

#ifndef __CUDACC__
#include <math.h>
#endif

/* Storage types. The covariance forms (FC_COV_*) and per-slice status codes
 * (FC_CONSERVE_*) come from engine/backend through fc_layout_gen.h. */
enum { FC_F32 = 0, FC_F64 = 1 };

typedef struct {
    const void *mean; /* [slices, n] */
    const void *var;  /* [slices, n]: Σ's diagonal, or the ensemble's D; NULL for none */
    const void *cov;  /* [slices, n, n] */
    const void *ens;  /* [slices, n, members] */
    const void *g;    /* [m, n] per slice, gStride apart (0: shared) */
    const void *rhs;  /* [m] per slice, rhsStride apart (0: shared) */
    void *outMean;    /* [slices, n] */
    void *outVar;     /* [slices, n] or NULL */
    void *outCov;     /* [slices, n, n] or NULL */
    void *outEns;     /* [slices, n, members] or NULL (ensemble form only) */
    double *work;     /* workStride doubles per slice (fc_conserve_work) */
    int32_t *status;  /* [slices]: FC_CONSERVE_* */
    int64_t slices, gStride, rhsStride, workStride;
    int32_t n, m, members, form, dtype;
    double noiseVar;
} fc_conserve_args;

/* The scratch one slice needs, in doubles. */
FC_HD static inline int64_t fc_conserve_work(int32_t n, int32_t m, int32_t members, int32_t form, int32_t wantEns)
{
    int64_t w = (int64_t)m * n + 2 * (int64_t)m * m + m; /* Cᵀ then W, A, its factor, r then y */
    if (form == FC_COV_ENSEMBLE) w += (int64_t)m * members; /* V */
    if (wantEns) w += m + 5 * (int64_t)m * m; /* a member row times Zᵀ, R, A', its root, Jacobi */
    return w;
}

FC_HD FC_INLINE static inline double fc_ld(const void *p, int32_t dtype, int64_t i)
{
    return dtype == FC_F64 ? ((const double *)p)[i] : (double)((const float *)p)[i];
}

FC_HD FC_INLINE static inline void fc_st(void *p, int32_t dtype, int64_t i, double v)
{
    if (dtype == FC_F64) {
        ((double *)p)[i] = v;
    } else {
        ((float *)p)[i] = (float)v;
    }
}

/* The symmetric square root of the m×m SPD matrix a, into s, by cyclic Jacobi rotations:
 * a = QΛQᵀ, s = QΛ^{1/2}Qᵀ. a is destroyed; q is m×m scratch. m is the number of
 * constraints, a handful, so the O(m³) sweeps cost nothing next to the O(n) work. */
FC_HD static inline void fc_sym_sqrt(double *a, double *q, double *s, int32_t m)
{
    for (int32_t i = 0; i < m; i++)
        for (int32_t j = 0; j < m; j++) q[i * m + j] = i == j ? 1.0 : 0.0;
    for (int sweep = 0; sweep < 64; sweep++) {
        double off = 0.0, diag = 0.0;
        for (int32_t i = 0; i < m; i++) {
            diag += a[i * m + i] * a[i * m + i];
            for (int32_t j = i + 1; j < m; j++) off += a[i * m + j] * a[i * m + j];
        }
        if (off <= 1e-30 * diag) break;
        for (int32_t p = 0; p < m; p++) {
            for (int32_t r = p + 1; r < m; r++) {
                double apr = a[p * m + r];
                if (apr == 0.0) continue;
                /* The rotation that zeroes a[p][r] (Golub & Van Loan, Algorithm 8.5.1). */
                double tau = (a[r * m + r] - a[p * m + p]) / (2.0 * apr);
                double t = (tau >= 0.0 ? 1.0 : -1.0) / ((tau >= 0.0 ? tau : -tau) + sqrt(1.0 + tau * tau));
                double c = 1.0 / sqrt(1.0 + t * t), sn = t * c;
                for (int32_t k = 0; k < m; k++) {
                    double akp = a[k * m + p], akr = a[k * m + r];
                    a[k * m + p] = c * akp - sn * akr;
                    a[k * m + r] = sn * akp + c * akr;
                }
                for (int32_t k = 0; k < m; k++) {
                    double apk = a[p * m + k], ark = a[r * m + k];
                    a[p * m + k] = c * apk - sn * ark;
                    a[r * m + k] = sn * apk + c * ark;
                }
                for (int32_t k = 0; k < m; k++) {
                    double qkp = q[k * m + p], qkr = q[k * m + r];
                    q[k * m + p] = c * qkp - sn * qkr;
                    q[k * m + r] = sn * qkp + c * qkr;
                }
            }
        }
    }
    for (int32_t i = 0; i < m; i++) {
        for (int32_t j = 0; j < m; j++) {
            double t = 0.0;
            for (int32_t k = 0; k < m; k++) {
                double lam = a[k * m + k];
                t += q[i * m + k] * sqrt(lam > 0.0 ? lam : 0.0) * q[j * m + k];
            }
            s[i * m + j] = t;
        }
    }
}

/* G_ji of slice s. */
FC_HD static inline double fc_conserve_g(const fc_conserve_args *a, int64_t s, int32_t j, int32_t i)
{
    return fc_ld(a->g, a->dtype, s * a->gStride + (int64_t)j * a->n + i);
}

/* Σ_ik of slice s (the input covariance), for the full-output path. */
FC_HD static inline double fc_conserve_sigma(const fc_conserve_args *a, int64_t s, int32_t i, int32_t k)
{
    int64_t n = a->n;
    double v = 0.0;
    if (a->form == FC_COV_FULL) {
        const int64_t base = s * n * n;
        return 0.5 * (fc_ld(a->cov, a->dtype, base + i * n + k) + fc_ld(a->cov, a->dtype, base + k * n + i));
    }
    if (a->form == FC_COV_ENSEMBLE) {
        int64_t mm = a->members;
        for (int32_t l = 0; l < a->members; l++)
            v += fc_ld(a->ens, a->dtype, (s * n + i) * mm + l) * fc_ld(a->ens, a->dtype, (s * n + k) * mm + l);
        v /= (double)(a->members - 1);
    }
    if (i == k && a->var) v += fc_ld(a->var, a->dtype, s * n + i);
    return v;
}

/* The ensemble transform of the header comment, for slice s whose V (m×M, GU) and A's factor
 * l are computed. Writes Ũ = U·T. Returns FC_CONSERVE_* . */
FC_HD static inline int32_t fc_conserve_ensemble(const fc_conserve_args *a, int64_t s, double *v, const double *l,
                                                 double *w)
{
    const int32_t n = a->n, m = a->m, mm = a->members;
    double *uz = w, *r = uz + m, *e = r + (int64_t)m * m, *q = e + (int64_t)m * m;
    double *ap = q + (int64_t)m * m, *sq = ap + (int64_t)m * m;
    const double scale = 1.0 / sqrt((double)(mm - 1));
    for (int64_t i = 0; i < (int64_t)m * mm; i++) v[i] *= scale;
    /* R = σ²I + GDGᵀ. */
    int zeroNoise = a->noiseVar == 0.0 && !a->var;
    for (int32_t j = 0; j < m; j++) {
        for (int32_t k = 0; k <= j; k++) {
            double x = j == k ? a->noiseVar : 0.0;
            if (a->var) {
                for (int32_t i = 0; i < n; i++)
                    x += fc_conserve_g(a, s, j, i) * fc_ld(a->var, a->dtype, s * n + i) * fc_conserve_g(a, s, k, i);
            }
            r[j * m + k] = x;
            r[k * m + j] = x;
        }
    }
    if (zeroNoise) {
        /* T = I − VᵀA⁻¹V with A = VVᵀ: whiten V by A's own factor. */
        for (int32_t k = 0; k < mm; k++) fc_lsolve_f64(l, m, v + k, mm);
    } else {
        if (fc_cholesky_f64(r, m)) return FC_CONSERVE_NOISE_NOT_PD;
        for (int32_t k = 0; k < mm; k++) fc_lsolve_f64(r, m, v + k, mm);
        /* A' = I + V'V'ᵀ, and (A' + A'^{1/2})⁻¹V' by the Cholesky factor of that sum. */
        for (int32_t j = 0; j < m; j++) {
            for (int32_t k = 0; k < m; k++) {
                double x = j == k ? 1.0 : 0.0;
                for (int32_t c = 0; c < mm; c++) x += v[j * mm + c] * v[k * mm + c];
                ap[j * m + k] = x;
                e[j * m + k] = x;
            }
        }
        fc_sym_sqrt(e, q, sq, m);
        for (int64_t i = 0; i < (int64_t)m * m; i++) ap[i] += sq[i];
        if (fc_cholesky_f64(ap, m)) return FC_CONSERVE_NOT_PD;
        /* T's second factor: the columns of V' through L⁻¹, so that V'ᵀ(LLᵀ)⁻¹V' = ZᵀZ. */
        for (int32_t k = 0; k < mm; k++) fc_lsolve_f64(ap, m, v + k, mm);
    }
    /* T = I − ZᵀZ with Z the m×M rows now in v, applied without forming it: each member row
     * u of U becomes u − (u·Zᵀ)·Z, O(M·m) per point where U·T would cost O(M²). */
    for (int32_t i = 0; i < n; i++) {
        const int64_t row = ((int64_t)s * n + i) * mm;
        for (int32_t j = 0; j < m; j++) {
            double x = 0.0;
            for (int32_t c = 0; c < mm; c++) x += fc_ld(a->ens, a->dtype, row + c) * v[j * mm + c];
            uz[j] = x;
        }
        for (int32_t k = 0; k < mm; k++) {
            double x = fc_ld(a->ens, a->dtype, row + k);
            for (int32_t j = 0; j < m; j++) x -= uz[j] * v[j * mm + k];
            fc_st(a->outEns, a->dtype, row + k, x);
        }
    }
    return FC_CONSERVE_OK;
}

/* fc_conserve_diag1's updating pass in the storage type T. The sums that give y and 1/A are
 * float64; for float32 data the per-point update runs in float32, which doubles the vector
 * lanes and saves the conversions, at the output's own rounding. The full Σ̃ is written row
 * by row, contiguously: its off-diagonal −cᵢc_k/A is computed as −(cᵢ·c_k)·(1/A) in both
 * triangles, and a product does not depend on its operands' order, so Σ̃ is exactly
 * symmetric without mirrored (strided) stores. */
#define FC_CONSERVE_DIAG1_UPDATE(T)                                                              \
    do {                                                                                         \
        const T *mu = (const T *)a->mean + row, *vr = (const T *)a->var + row;                   \
        const T *gg = (const T *)a->g + gOff;                                                    \
        T *om = (T *)a->outMean + row, *ov = (T *)a->outVar + row;                               \
        const T yt = (T)y, invt = (T)inv;                                                        \
        if (a->outVar) {                                                                         \
            FC_SIMD                                                                              \
            for (int32_t i = 0; i < n; i++) {                                                    \
                T v = vr[i], c = v * gg[i], x = v - c * c * invt;                                \
                om[i] = mu[i] - c * yt;                                                          \
                ov[i] = x > (T)0 ? x : (T)0;                                                     \
            }                                                                                    \
        } else {                                                                                 \
            FC_SIMD                                                                              \
            for (int32_t i = 0; i < n; i++) om[i] = mu[i] - vr[i] * gg[i] * yt;                  \
        }                                                                                        \
        for (int32_t i = 0; a->outCov && i < n; i++) {                                           \
            T *oc = (T *)a->outCov + (row + i) * n, ci = vr[i] * gg[i];                          \
            FC_SIMD                                                                              \
            for (int32_t k = 0; k < n; k++) oc[k] = -(ci * (vr[k] * gg[k])) * invt;              \
            T x = vr[i] - ci * ci * invt;                                                        \
            oc[i] = x > (T)0 ? x : (T)0;                                                         \
        }                                                                                        \
    } while (0)

/* ProbConserv's everyday case, one constraint row on a diagonal Σ, in closed form: with
 * cᵢ = vᵢgᵢ, A = σ² + Σᵢ gᵢcᵢ is a scalar and
 *
 *   μ̃ᵢ = μᵢ − cᵢ·(Gμ − b)/A,   Σ̃ᵢᵢ = max(vᵢ − cᵢ²/A, 0),   Σ̃ᵢₖ = −cᵢc_k/A (i ≠ k),
 *
 * the general path's formulas for m = 1 (its Cholesky check becomes A > 0 and finite),
 * done in one summing pass (float64) and one updating pass over the points, both
 * vectorized, with no scratch. dt is the storage type, a constant where the CPU loop
 * inlines this. */
FC_HD FC_INLINE static inline int32_t fc_conserve_diag1(const fc_conserve_args *a, int64_t s, int32_t dt)
{
    const int32_t n = a->n;
    const int64_t row = s * n, gOff = s * a->gStride;
    double gcg = 0.0, gmu = 0.0;
    FC_SIMD_SUM(gcg, gmu)
    for (int32_t i = 0; i < n; i++) {
        double g = fc_ld(a->g, dt, gOff + i);
        gcg += g * g * fc_ld(a->var, dt, row + i);
        gmu += g * fc_ld(a->mean, dt, row + i);
    }
    const double am = a->noiseVar + gcg;
    if (!(am > 0.0) || !(am < 1e300)) return FC_CONSERVE_NOT_PD;
    const double inv = 1.0 / am, y = (gmu - fc_ld(a->rhs, dt, s * a->rhsStride)) * inv;
    if (dt == FC_F32) {
        FC_CONSERVE_DIAG1_UPDATE(float);
    } else {
        FC_CONSERVE_DIAG1_UPDATE(double);
    }
#undef FC_CONSERVE_DIAG1_UPDATE
    return FC_CONSERVE_OK;
}

/* Whether slice updates of a take fc_conserve_diag1. */
FC_HD static inline int fc_conserve_is_diag1(const fc_conserve_args *a)
{
    return a->form == FC_COV_DIAGONAL && a->m == 1;
}

/* Updates slice s and returns its FC_CONSERVE_* status; on failure the slice's outputs are
 * left as they were. */
FC_HD static inline int32_t fc_conserve_slice(const fc_conserve_args *a, int64_t s)
{
    const int32_t n = a->n, m = a->m, mm = a->members, dt = a->dtype;
    const int64_t bOff = s * a->rhsStride, row = s * (int64_t)n;
    double *ct = a->work + s * a->workStride; /* Cᵀ, m×n, later W */
    double *am = ct + (int64_t)m * n;         /* A, kept for the residual */
    double *l = am + (int64_t)m * m;          /* A's factor */
    double *y = l + (int64_t)m * m;           /* r = Gμ − b, then y */
    double *v = y + m;                        /* V = GU, m×M (ensemble form) */
    double *rest = v + (a->form == FC_COV_ENSEMBLE ? (int64_t)m * mm : 0);
    if (fc_conserve_is_diag1(a)) return fc_conserve_diag1(a, s, dt);
#define FC_G(j, i) fc_conserve_g(a, s, j, i)

    /* Cᵀ = GΣ, row j = (ΣGᵀ)_{·j}. */
    if (a->form == FC_COV_ENSEMBLE) {
        for (int32_t j = 0; j < m; j++)
            for (int32_t c = 0; c < mm; c++) {
                double x = 0.0;
                for (int32_t i = 0; i < n; i++) x += FC_G(j, i) * fc_ld(a->ens, dt, (row + i) * mm + c);
                v[j * mm + c] = x;
            }
    }
    for (int32_t j = 0; a->form == FC_COV_DIAGONAL && j < m; j++) {
        FC_SIMD
        for (int32_t i = 0; i < n; i++) ct[(int64_t)j * n + i] = fc_ld(a->var, dt, row + i) * FC_G(j, i);
    }
    for (int32_t j = 0; a->form != FC_COV_DIAGONAL && j < m; j++) {
        for (int32_t i = 0; i < n; i++) {
            double x = 0.0;
            if (a->form == FC_COV_FULL) {
                for (int32_t k = 0; k < n; k++) x += fc_conserve_sigma(a, s, i, k) * FC_G(j, k);
            } else if (a->form == FC_COV_ENSEMBLE) {
                for (int32_t c = 0; c < mm; c++) x += fc_ld(a->ens, dt, (row + i) * mm + c) * v[j * mm + c];
                x /= (double)(mm - 1);
            }
            if (a->form == FC_COV_ENSEMBLE && a->var) x += fc_ld(a->var, dt, row + i) * FC_G(j, i);
            ct[(int64_t)j * n + i] = x;
        }
    }
    /* A = σ²I + GC, symmetrized; r = Gμ − b. */
    for (int32_t j = 0; j < m; j++) {
        for (int32_t k = 0; k <= j; k++) {
            double x = 0.0;
            FC_SIMD_SUM(x)
            for (int32_t i = 0; i < n; i++) x += 0.5 * (FC_G(j, i) * ct[(int64_t)k * n + i] + FC_G(k, i) * ct[(int64_t)j * n + i]);
            if (j == k) x += a->noiseVar;
            am[j * m + k] = x;
            am[k * m + j] = x;
        }
        double r = 0.0;
        FC_SIMD_SUM(r)
        for (int32_t i = 0; i < n; i++) r += FC_G(j, i) * fc_ld(a->mean, dt, row + i);
        y[j] = r - fc_ld(a->rhs, dt, bOff + j);
    }
    for (int64_t i = 0; i < (int64_t)m * m; i++) l[i] = am[i];
    if (fc_cholesky_f64(l, m)) return FC_CONSERVE_NOT_PD;
    fc_lsolve_f64(l, m, y, 1);
    fc_ltsolve_f64(l, m, y, 1);

    /* With the ensemble output, the transform reads U before anything is written. */
    if (a->outEns) {
        int32_t st = fc_conserve_ensemble(a, s, v, l, rest);
        if (st != FC_CONSERVE_OK) return st;
    }
    FC_SIMD
    for (int32_t i = 0; i < n; i++) {
        double x = fc_ld(a->mean, dt, row + i);
        for (int32_t j = 0; j < m; j++) x -= ct[(int64_t)j * n + i] * y[j];
        fc_st(a->outMean, dt, row + i, x);
    }
    /* W = L⁻¹Cᵀ, column by column, in place. */
    FC_SIMD
    for (int32_t i = 0; i < n; i++) fc_lsolve_f64(l, m, ct + i, n);
    if (a->outVar) {
        FC_SIMD
        for (int32_t i = 0; i < n; i++) {
            double x = fc_conserve_sigma(a, s, i, i);
            for (int32_t j = 0; j < m; j++) x -= ct[(int64_t)j * n + i] * ct[(int64_t)j * n + i];
            fc_st(a->outVar, dt, row + i, x > 0.0 ? x : 0.0);
        }
    }
    if (a->outCov) {
        const int64_t base = s * (int64_t)n * n;
        for (int32_t i = 0; i < n; i++) {
            for (int32_t k = i; k < n; k++) {
                double x = fc_conserve_sigma(a, s, i, k);
                for (int32_t j = 0; j < m; j++) x -= ct[(int64_t)j * n + i] * ct[(int64_t)j * n + k];
                if (i == k && x < 0.0) x = 0.0;
                fc_st(a->outCov, dt, base + (int64_t)i * n + k, x);
                fc_st(a->outCov, dt, base + (int64_t)k * n + i, x);
            }
        }
    }
#undef FC_G
    return FC_CONSERVE_OK;
}

#endif
