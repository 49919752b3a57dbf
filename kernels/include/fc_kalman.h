/* fc_kalman.h: one step of one of many small Kalman filters, state dimension nx ≤ 16 and
 * measurement dimension nz ≤ 8, in float64 whatever the storage type:
 *
 *   predict:  x = F·x,  P = F·P·Fᵀ + Q
 *   update:   S = H·P·Hᵀ + R,  K = P·Hᵀ·S⁻¹ (Cholesky solves, no inverse),  x = x + K·(z − H·x),
 *             P = (I − KH)·P·(I − KH)ᵀ + K·R·Kᵀ (Joseph form)
 *
 * Every array is batch-innermost: element (i, j) of filter b's r×c matrix is at
 * (i·c + j)·B + b, so consecutive filters are consecutive in memory. One GPU thread per
 * filter then reads coalesced, and a CPU loop over filters reads unit-stride. A shared
 * matrix (the same F, Q, H or R for every filter) is plain row-major, (i·c + j). The output P
 * is written from one value per pair (i ≤ j), so it is exactly symmetric; a filter whose S is
 * not positive definite is left as it was and reported. */
#ifndef FC_KALMAN_H
#define FC_KALMAN_H

#include "fc_conserve.h" /* fc_ld, fc_st, fc_cholesky, fc_lsolve, fc_ltsolve */

#define FC_KALMAN_MAX_NX 16
#define FC_KALMAN_MAX_NZ 8

enum { FC_KALMAN_OK = 0, FC_KALMAN_NOT_PD = 1 };

typedef struct {
    void *x;            /* [nx, B], in place */
    void *p;            /* [nx, nx, B], in place */
    const void *f, *q;  /* predict: [nx, nx] each, shared or per filter */
    const void *h, *r;  /* update: [nz, nx] and [nz, nz], shared or per filter */
    const void *z;      /* update: [nz, B] */
    int32_t *status;    /* update: [B], FC_KALMAN_* */
    int64_t batch;
    int32_t nx, nz, dtype;
    int32_t perFilterF, perFilterQ, perFilterH, perFilterR; /* 0: shared */
} fc_kalman_args;

/* Element (i, j) of an r×c matrix of filter b, or of the shared one. */
FC_HD FC_INLINE static inline double fc_kalman_ld(const void *m, int32_t perFilter, int32_t dtype, int64_t batch, int64_t b,
                                        int32_t i, int32_t j, int32_t cols)
{
    int64_t e = (int64_t)i * cols + j;
    return fc_ld(m, dtype, perFilter ? e * batch + b : e);
}

/* Stores filter b's state x and the symmetric P whose upper triangle is in pv (row-major,
 * doubles), writing each pair (i, j), (j, i) from one value; when keep is set it stores the
 * filter's old values instead, as a store of a select rather than a branch. */
FC_HD FC_INLINE static inline void fc_kalman_store(void *x, void *p, int32_t dtype, int64_t batch, int64_t b, const double *xv,
                                         const double *pv, const int32_t nx, int keep)
{
    FC_UNROLL
    for (int32_t i = 0; i < nx; i++) {
        const int64_t e = (int64_t)i * batch + b;
        fc_st(x, dtype, e, keep ? fc_ld(x, dtype, e) : xv[i]);
    }
    FC_UNROLL
    for (int32_t i = 0; i < nx; i++)
        FC_UNROLL
        for (int32_t j = 0; j < nx; j++) {
            if (j < i) continue; /* full-length loops unroll for a constant nx */
            const int64_t eij = ((int64_t)i * nx + j) * batch + b, eji = ((int64_t)j * nx + i) * batch + b;
            double v = pv[i * nx + j], oij = fc_ld(p, dtype, eij), oji = fc_ld(p, dtype, eji);
            fc_st(p, dtype, eij, keep ? oij : v);
            fc_st(p, dtype, eji, keep ? oji : v);
        }
}

/* The steps take nx and nz as arguments so that a CPU loop can pass constants: with them the
 * small loops unroll, the local matrices become registers, and the loop over filters
 * vectorizes (kernels/cpu/kalman.c). */
FC_HD static inline void fc_kalman_predict(const fc_kalman_args *a, int64_t b, const int32_t nx)
{
    const int32_t dt = a->dtype;
    const int64_t nb = a->batch;
    double x[FC_KALMAN_MAX_NX], fp[FC_KALMAN_MAX_NX * FC_KALMAN_MAX_NX], out[FC_KALMAN_MAX_NX * FC_KALMAN_MAX_NX];
    for (int32_t i = 0; i < nx; i++) {
        double s = 0.0;
        for (int32_t k = 0; k < nx; k++)
            s += fc_kalman_ld(a->f, a->perFilterF, dt, nb, b, i, k, nx) * fc_ld(a->x, dt, (int64_t)k * nb + b);
        x[i] = s;
    }
    /* FP, then (FP)Fᵀ + Q on the upper triangle. */
    for (int32_t i = 0; i < nx; i++)
        for (int32_t j = 0; j < nx; j++) {
            double s = 0.0;
            for (int32_t k = 0; k < nx; k++)
                s += fc_kalman_ld(a->f, a->perFilterF, dt, nb, b, i, k, nx) * fc_ld(a->p, dt, ((int64_t)k * nx + j) * nb + b);
            fp[i * nx + j] = s;
        }
    for (int32_t i = 0; i < nx; i++)
        for (int32_t j = i; j < nx; j++) {
            double s = 0.5 * (fc_kalman_ld(a->q, a->perFilterQ, dt, nb, b, i, j, nx) +
                              fc_kalman_ld(a->q, a->perFilterQ, dt, nb, b, j, i, nx));
            for (int32_t k = 0; k < nx; k++) s += fp[i * nx + k] * fc_kalman_ld(a->f, a->perFilterF, dt, nb, b, j, k, nx);
            out[i * nx + j] = s;
        }
    fc_kalman_store(a->x, a->p, dt, nb, b, x, out, nx, 0);
}

/* Returns FC_KALMAN_*; on failure filter b is left as it was. Like fc_cholesky it does not
 * branch on the data: a failed filter computes to the end and stores its old values. */
FC_HD FC_INLINE static inline int32_t fc_kalman_update(const fc_kalman_args *a, int64_t b, const int32_t nx, const int32_t nz)
{
    /* The fields are read once into locals: to the CPU vectorizer, a base pointer re-read from
     * the struct after every store is not loop-invariant. */
    const int32_t dt = a->dtype, perFilterH = a->perFilterH, perFilterR = a->perFilterR;
    const int64_t nb = a->batch;
    void *const xs = a->x, *const ps = a->p;
    const void *const hs = a->h, *const rs = a->r, *const zs = a->z;
    double p[FC_KALMAN_MAX_NX * FC_KALMAN_MAX_NX], hp[FC_KALMAN_MAX_NZ * FC_KALMAN_MAX_NX];
    double s[FC_KALMAN_MAX_NZ * FC_KALMAN_MAX_NZ], y[FC_KALMAN_MAX_NZ];
    double ikh[FC_KALMAN_MAX_NX * FC_KALMAN_MAX_NX], t[FC_KALMAN_MAX_NX * FC_KALMAN_MAX_NX];
#define FC_H(i, j) fc_kalman_ld(hs, perFilterH, dt, nb, b, i, j, nx)
#define FC_R(i, j) fc_kalman_ld(rs, perFilterR, dt, nb, b, i, j, nz)
    FC_UNROLL
    for (int32_t i = 0; i < nx; i++)
        FC_UNROLL
        for (int32_t j = 0; j < nx; j++)
            p[i * nx + j] = 0.5 * (fc_ld(ps, dt, ((int64_t)i * nx + j) * nb + b) + fc_ld(ps, dt, ((int64_t)j * nx + i) * nb + b));
    /* HP (nz×nx); S = (HP)Hᵀ + R; y = z − Hx. */
    FC_UNROLL
    for (int32_t i = 0; i < nz; i++) {
        double hx = 0.0;
        FC_UNROLL
        for (int32_t j = 0; j < nx; j++) {
            double v = 0.0;
            FC_UNROLL
            for (int32_t k = 0; k < nx; k++) v += FC_H(i, k) * p[k * nx + j];
            hp[i * nx + j] = v;
            hx += FC_H(i, j) * fc_ld(xs, dt, (int64_t)j * nb + b);
        }
        y[i] = fc_ld(zs, dt, (int64_t)i * nb + b) - hx;
    }
    FC_UNROLL
    for (int32_t i = 0; i < nz; i++)
        FC_UNROLL
        for (int32_t j = 0; j < nz; j++) {
            double v = 0.5 * (FC_R(i, j) + FC_R(j, i));
            FC_UNROLL
            for (int32_t k = 0; k < nx; k++) v += 0.5 * (hp[i * nx + k] * FC_H(j, k) + hp[j * nx + k] * FC_H(i, k));
            s[i * nz + j] = v;
        }
    const int bad = fc_cholesky(s, nz);
    /* Kᵀ = S⁻¹·HP (P symmetric), column by column of HP, in place. */
    FC_UNROLL
    for (int32_t j = 0; j < nx; j++) {
        fc_lsolve(s, nz, hp + j, nx);
        fc_ltsolve(s, nz, hp + j, nx);
    }
#define FC_K(i, l) hp[(l) * nx + (i)] /* K[i][l] = Kᵀ[l][i] */
    double x[FC_KALMAN_MAX_NX];
    FC_UNROLL
    for (int32_t i = 0; i < nx; i++) {
        double v = fc_ld(xs, dt, (int64_t)i * nb + b);
        FC_UNROLL
        for (int32_t l = 0; l < nz; l++) v += FC_K(i, l) * y[l];
        x[i] = v;
    }
    /* I − KH, then T = (I − KH)P, then the Joseph form on the upper triangle into p's place. */
    FC_UNROLL
    for (int32_t i = 0; i < nx; i++)
        FC_UNROLL
        for (int32_t j = 0; j < nx; j++) {
            double v = i == j ? 1.0 : 0.0;
            FC_UNROLL
            for (int32_t l = 0; l < nz; l++) v -= FC_K(i, l) * FC_H(l, j);
            ikh[i * nx + j] = v;
        }
    FC_UNROLL
    for (int32_t i = 0; i < nx; i++)
        FC_UNROLL
        for (int32_t j = 0; j < nx; j++) {
            double v = 0.0;
            FC_UNROLL
            for (int32_t k = 0; k < nx; k++) v += ikh[i * nx + k] * p[k * nx + j];
            t[i * nx + j] = v;
        }
    /* KR once (nx×nz, with R symmetrized as in S), so that KRKᵀ costs nz products per
     * element rather than 2·nz². */
    double kr[FC_KALMAN_MAX_NX * FC_KALMAN_MAX_NZ];
    FC_UNROLL
    for (int32_t i = 0; i < nx; i++)
        FC_UNROLL
        for (int32_t l = 0; l < nz; l++) {
            double v = 0.0;
            FC_UNROLL
            for (int32_t m = 0; m < nz; m++) v += FC_K(i, m) * 0.5 * (FC_R(m, l) + FC_R(l, m));
            kr[i * nz + l] = v;
        }
    FC_UNROLL
    for (int32_t i = 0; i < nx; i++)
        FC_UNROLL
        for (int32_t j = 0; j < nx; j++) {
            if (j < i) continue; /* the lower triangle mirrors the upper */
            double v = 0.0;
            FC_UNROLL
            for (int32_t k = 0; k < nx; k++) v += t[i * nx + k] * ikh[j * nx + k];
            FC_UNROLL
            for (int32_t l = 0; l < nz; l++) v += kr[i * nz + l] * FC_K(j, l);
            p[i * nx + j] = v;
        }
#undef FC_K
#undef FC_R
#undef FC_H
    fc_kalman_store(xs, ps, dt, nb, b, x, p, nx, bad);
    return bad ? FC_KALMAN_NOT_PD : FC_KALMAN_OK;
}

#endif
