/* fc_cholesky_real.h: the small dense Cholesky factorization and its triangular solves for
 * one real type. fc_cholesky.h includes it once per type, with
 *   FC_CR          the real type
 *   FC_CRN(name)   the name of the function for that type
 *   FC_CR_RSQRT    1/√x for x > 0 in that type
 *   FC_CR_RTOL     the pivot, relative to the largest diagonal entry, below which the
 *                  matrix is singular to working precision
 *   FC_CR_HUGE     the largest pivot taken as finite
 * No include guard: it is a template. */

/* In-place Cholesky of the m×m row-major SPD matrix a into its lower factor L (the upper
 * triangle is left alone), stored with the reciprocals 1/L_jj on the diagonal: the solves
 * then multiply where they would divide, m reciprocal square roots per factorization and no
 * division, where a division per solved element was most of a small Kalman update's
 * latency. Only the solves below read the factor. Returns 0, or 1 when a pivot is not
 * positive or not finite. "Positive" is relative to the matrix's scale, its largest diagonal
 * entry, not to the pivot's own diagonal entry: in an exactly singular matrix the last
 * pivot is rounding noise of the size of the largest entries times the unit roundoff, which
 * can exceed a small diagonal entry of its own. Measured against the scale, the decision
 * does not depend on how a compiler contracted the arithmetic into FMAs, so every CPU
 * variant and the GPU agree on it. It never branches on the data: a failed pivot is
 * replaced by 1 and the factorization runs to the end, so that a CPU loop over many small
 * systems vectorizes across them; the caller discards a failed result. The triangular loops
 * run over all m with the unused terms selected away, so that for a constant m every loop
 * has a constant trip count and unrolls completely. */
FC_HD FC_INLINE static inline int FC_CRN(fc_cholesky)(FC_CR *a, int32_t m)
{
    int bad = 0;
    FC_CR scale = (FC_CR)0;
    FC_UNROLL
    for (int32_t j = 0; j < m; j++) scale = a[j * m + j] > scale ? a[j * m + j] : scale;
    const FC_CR floor = FC_CR_RTOL * scale;
    FC_UNROLL
    for (int32_t j = 0; j < m; j++) {
        FC_CR s = a[j * m + j];
        FC_UNROLL
        for (int32_t k = 0; k < m; k++) s -= k < j ? a[j * m + k] * a[j * m + k] : (FC_CR)0;
        int fail = !(s > floor) | !(s < FC_CR_HUGE);
        bad |= fail;
        FC_CR inv = FC_CR_RSQRT(fail ? (FC_CR)1 : s);
        a[j * m + j] = inv;
        FC_UNROLL
        for (int32_t i = 0; i < m; i++) {
            FC_CR t = a[i * m + j];
            FC_UNROLL
            for (int32_t k = 0; k < m; k++) t -= k < j ? a[i * m + k] * a[j * m + k] : (FC_CR)0;
            a[i * m + j] = i > j ? t * inv : a[i * m + j];
        }
    }
    return bad;
}

/* x := L⁻¹x and x := L⁻ᵀx for the factor l of fc_cholesky, x with element stride inc
 * (full-length loops, as in fc_cholesky). */
FC_HD FC_INLINE static inline void FC_CRN(fc_lsolve)(const FC_CR *l, int32_t m, FC_CR *x, int64_t inc)
{
    FC_UNROLL
    for (int32_t i = 0; i < m; i++) {
        FC_CR t = x[i * inc];
        FC_UNROLL
        for (int32_t k = 0; k < m; k++) t -= k < i ? l[i * m + k] * x[k * inc] : (FC_CR)0;
        x[i * inc] = t * l[i * m + i];
    }
}

FC_HD FC_INLINE static inline void FC_CRN(fc_ltsolve)(const FC_CR *l, int32_t m, FC_CR *x, int64_t inc)
{
    FC_UNROLL
    for (int32_t i = m - 1; i >= 0; i--) {
        FC_CR t = x[i * inc];
        FC_UNROLL
        for (int32_t k = 0; k < m; k++) t -= k > i ? l[k * m + i] * x[k * inc] : (FC_CR)0;
        x[i * inc] = t * l[i * m + i];
    }
}
