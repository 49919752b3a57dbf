/* fc_kalman_real.h: the Kalman steps of fc_kalman.h for one real type, the type of the
 * storage too. fc_kalman.h includes it once per type, with
 *   FC_KR          the real type
 *   FC_KRN(name)   the name of the function for that type (the Cholesky helpers follow the
 *                  same suffixes, fc_cholesky.h)
 *   FC_KLD(p, i)   element i of the array p, FC_KST(p, i, v) stores it
 * No include guard: it is a template. */

/* Element (i, j) of an r×c matrix of filter b, or of the shared one. */
FC_HD FC_INLINE static inline FC_KR FC_KRN(fc_kalman_ld)(const void *m, int32_t perFilter, int64_t batch, int64_t b,
                                        int32_t i, int32_t j, int32_t cols)
{
    int64_t e = (int64_t)i * cols + j;
    return FC_KLD(m, perFilter ? e * batch + b : e);
}

/* Stores filter b's state x and the symmetric P whose upper triangle is in pv (row-major),
 * writing each pair (i, j), (j, i) from one value. */
FC_HD FC_INLINE static inline void FC_KRN(fc_kalman_store)(void *x, void *p, int64_t batch, int64_t b, const FC_KR *xv,
                                                           const FC_KR *pv, const int32_t nx)
{
    FC_UNROLL
    for (int32_t i = 0; i < nx; i++) FC_KST(x, (int64_t)i * batch + b, xv[i]);
    FC_UNROLL
    for (int32_t i = 0; i < nx; i++)
        FC_UNROLL
        for (int32_t j = 0; j < nx; j++) {
            if (j < i) continue; /* full-length loops unroll for a constant nx */
            const FC_KR v = pv[i * nx + j];
            FC_KST(p, ((int64_t)i * nx + j) * batch + b, v);
            FC_KST(p, ((int64_t)j * nx + i) * batch + b, v);
        }
}

/* The steps take nx and nz as arguments so that a CPU loop can pass constants: with them the
 * small loops unroll, the local matrices become registers, and the loop over filters
 * vectorizes (kernels/cpu/kalman.c). */
FC_HD static inline void FC_KRN(fc_kalman_predict)(const fc_kalman_args *a, int64_t b, const int32_t nx)
{
    const int64_t nb = a->batch;
    FC_KR x[FC_KALMAN_MAX_NX], fp[FC_KALMAN_MAX_NX * FC_KALMAN_MAX_NX], out[FC_KALMAN_MAX_NX * FC_KALMAN_MAX_NX];
    for (int32_t i = 0; i < nx; i++) {
        FC_KR s = (FC_KR)0;
        for (int32_t k = 0; k < nx; k++)
            s += FC_KRN(fc_kalman_ld)(a->f, a->perFilterF, nb, b, i, k, nx) * FC_KLD(a->x, (int64_t)k * nb + b);
        x[i] = s;
    }
    /* FP, then (FP)Fᵀ + Q on the upper triangle. */
    for (int32_t i = 0; i < nx; i++)
        for (int32_t j = 0; j < nx; j++) {
            FC_KR s = (FC_KR)0;
            for (int32_t k = 0; k < nx; k++)
                s += FC_KRN(fc_kalman_ld)(a->f, a->perFilterF, nb, b, i, k, nx) * FC_KLD(a->p, ((int64_t)k * nx + j) * nb + b);
            fp[i * nx + j] = s;
        }
    for (int32_t i = 0; i < nx; i++)
        for (int32_t j = i; j < nx; j++) {
            FC_KR s = (FC_KR)0.5 * (FC_KRN(fc_kalman_ld)(a->q, a->perFilterQ, nb, b, i, j, nx) +
                              FC_KRN(fc_kalman_ld)(a->q, a->perFilterQ, nb, b, j, i, nx));
            for (int32_t k = 0; k < nx; k++) s += fp[i * nx + k] * FC_KRN(fc_kalman_ld)(a->f, a->perFilterF, nb, b, j, k, nx);
            out[i * nx + j] = s;
        }
    FC_KRN(fc_kalman_store)(a->x, a->p, nb, b, x, out, nx);
}

/* Returns FC_KALMAN_*; on failure filter b keeps its x and P (P symmetrized, which changes
 * nothing for a symmetric one). Like fc_cholesky it does not branch on the data: a failed
 * filter computes to the end with K = 0. */
FC_HD FC_INLINE static inline int32_t FC_KRN(fc_kalman_update)(const fc_kalman_args *a, int64_t b, const int32_t nx, const int32_t nz)
{
    /* The fields are read once into locals: to the CPU vectorizer, a base pointer re-read from
     * the struct after every store is not loop-invariant. */
    const int32_t perFilterH = a->perFilterH, perFilterR = a->perFilterR;
    const int64_t nb = a->batch;
    void *const xs = a->x, *const ps = a->p;
    const void *const hs = a->h, *const rs = a->r, *const zs = a->z;
    FC_KR xold[FC_KALMAN_MAX_NX];
    FC_KR p[FC_KALMAN_MAX_NX * FC_KALMAN_MAX_NX], hp[FC_KALMAN_MAX_NZ * FC_KALMAN_MAX_NX];
    FC_KR s[FC_KALMAN_MAX_NZ * FC_KALMAN_MAX_NZ], y[FC_KALMAN_MAX_NZ];
    FC_KR ikh[FC_KALMAN_MAX_NX * FC_KALMAN_MAX_NX], t[FC_KALMAN_MAX_NX * FC_KALMAN_MAX_NX];
#define FC_H(i, j) FC_KRN(fc_kalman_ld)(hs, perFilterH, nb, b, i, j, nx)
#define FC_R(i, j) FC_KRN(fc_kalman_ld)(rs, perFilterR, nb, b, i, j, nz)
    FC_UNROLL
    for (int32_t i = 0; i < nx; i++)
        FC_UNROLL
        for (int32_t j = 0; j < nx; j++)
            p[i * nx + j] = (FC_KR)0.5 * (FC_KLD(ps, ((int64_t)i * nx + j) * nb + b) + FC_KLD(ps, ((int64_t)j * nx + i) * nb + b));
    FC_UNROLL
    for (int32_t i = 0; i < nx; i++) xold[i] = FC_KLD(xs, (int64_t)i * nb + b);
    /* HP (nz×nx); S = (HP)Hᵀ + R; y = z − Hx. */
    FC_UNROLL
    for (int32_t i = 0; i < nz; i++) {
        FC_KR hx = (FC_KR)0;
        FC_UNROLL
        for (int32_t j = 0; j < nx; j++) {
            FC_KR v = (FC_KR)0;
            FC_UNROLL
            for (int32_t k = 0; k < nx; k++) v += FC_H(i, k) * p[k * nx + j];
            hp[i * nx + j] = v;
            hx += FC_H(i, j) * xold[j];
        }
        y[i] = FC_KLD(zs, (int64_t)i * nb + b) - hx;
    }
    FC_UNROLL
    for (int32_t i = 0; i < nz; i++)
        FC_UNROLL
        for (int32_t j = 0; j < nz; j++) {
            FC_KR v = (FC_KR)0.5 * (FC_R(i, j) + FC_R(j, i));
            FC_UNROLL
            for (int32_t k = 0; k < nx; k++) v += (FC_KR)0.5 * (hp[i * nx + k] * FC_H(j, k) + hp[j * nx + k] * FC_H(i, k));
            s[i * nz + j] = v;
        }
    const int bad = FC_KRN(fc_cholesky)(s, nz);
    /* Kᵀ = S⁻¹·HP (P symmetric), column by column of HP, in place. A failed filter gets
     * K = 0, with which the rest computes its x and (symmetrized) P unchanged: stores of
     * a select between the old and the new values would become masked stores, which cost
     * tens of cycles each on AMD. */
    FC_UNROLL
    for (int32_t j = 0; j < nx; j++) {
        FC_KRN(fc_lsolve)(s, nz, hp + j, nx);
        FC_KRN(fc_ltsolve)(s, nz, hp + j, nx);
        FC_UNROLL
        for (int32_t l = 0; l < nz; l++) hp[l * nx + j] = bad ? (FC_KR)0 : hp[l * nx + j];
    }
#define FC_K(i, l) hp[(l) * nx + (i)] /* K[i][l] = Kᵀ[l][i] */
    FC_KR x[FC_KALMAN_MAX_NX];
    FC_UNROLL
    for (int32_t i = 0; i < nx; i++) {
        FC_KR v = xold[i];
        FC_UNROLL
        for (int32_t l = 0; l < nz; l++) v += FC_K(i, l) * y[l];
        x[i] = v;
    }
    /* I − KH, then T = (I − KH)P, then the Joseph form on the upper triangle into p's place. */
    FC_UNROLL
    for (int32_t i = 0; i < nx; i++)
        FC_UNROLL
        for (int32_t j = 0; j < nx; j++) {
            FC_KR v = i == j ? (FC_KR)1 : (FC_KR)0;
            FC_UNROLL
            for (int32_t l = 0; l < nz; l++) v -= FC_K(i, l) * FC_H(l, j);
            ikh[i * nx + j] = v;
        }
    FC_UNROLL
    for (int32_t i = 0; i < nx; i++)
        FC_UNROLL
        for (int32_t j = 0; j < nx; j++) {
            FC_KR v = (FC_KR)0;
            FC_UNROLL
            for (int32_t k = 0; k < nx; k++) v += ikh[i * nx + k] * p[k * nx + j];
            t[i * nx + j] = v;
        }
    /* KR once (nx×nz, with R symmetrized as in S), so that KRKᵀ costs nz products per
     * element rather than 2·nz². */
    FC_KR kr[FC_KALMAN_MAX_NX * FC_KALMAN_MAX_NZ];
    FC_UNROLL
    for (int32_t i = 0; i < nx; i++)
        FC_UNROLL
        for (int32_t l = 0; l < nz; l++) {
            FC_KR v = (FC_KR)0;
            FC_UNROLL
            for (int32_t m = 0; m < nz; m++) v += FC_K(i, m) * (FC_KR)0.5 * (FC_R(m, l) + FC_R(l, m));
            kr[i * nz + l] = v;
        }
    FC_UNROLL
    for (int32_t i = 0; i < nx; i++)
        FC_UNROLL
        for (int32_t j = 0; j < nx; j++) {
            if (j < i) continue; /* the lower triangle mirrors the upper */
            FC_KR v = (FC_KR)0;
            FC_UNROLL
            for (int32_t k = 0; k < nx; k++) v += t[i * nx + k] * ikh[j * nx + k];
            FC_UNROLL
            for (int32_t l = 0; l < nz; l++) v += kr[i * nz + l] * FC_K(j, l);
            p[i * nx + j] = v;
        }
#undef FC_K
#undef FC_R
#undef FC_H
    FC_KRN(fc_kalman_store)(xs, ps, nb, b, x, p, nx);
    return bad ? FC_KALMAN_NOT_PD : FC_KALMAN_OK;
}

