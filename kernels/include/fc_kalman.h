/* fc_kalman.h: one step of one of many small Kalman filters, state dimension nx ≤ 16 and
 * measurement dimension nz ≤ 8, in the storage type's precision:
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
 * not positive definite is left as it was and reported.
 *
 * The arithmetic is in the storage type, from one source (fc_kalman_real.h, instantiated as
 * fc_kalman_update_f64 and _f32 below): float32 filters computed in float32 fill twice the
 * vector lanes, and the Joseph form keeps their P symmetric and positive semi-definite to
 * float32 rounding, which is what float32 storage keeps anyway. */
#ifndef FC_KALMAN_H
#define FC_KALMAN_H

#include "fc_cholesky.h"
#include "fc_conserve.h" /* the storage-type codes FC_F32, FC_F64 */

/* FC_KALMAN_MAX_NX, FC_KALMAN_MAX_NZ and the status codes FC_KALMAN_* come from
 * engine/backend through fc_layout_gen.h. */

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

/* Element i of a filter array, in the instantiation's type. */
#define FC_KLD(p, i) (((const FC_KR *)(p))[i])
#define FC_KST(p, i, v) (((FC_KR *)(p))[i] = (v))

#define FC_KR double
#define FC_KRN(name) name##_f64
#include "fc_kalman_real.h"
#undef FC_KR
#undef FC_KRN

#define FC_KR float
#define FC_KRN(name) name##_f32
#include "fc_kalman_real.h"
#undef FC_KR
#undef FC_KRN
#undef FC_KLD
#undef FC_KST

/* The steps for a's storage type, for callers whose type is known only at run time (the
 * CUDA kernel, the CPU loop's general sizes). */
FC_HD static inline void fc_kalman_predict(const fc_kalman_args *a, int64_t b, int32_t nx)
{
    if (a->dtype == FC_F64) {
        fc_kalman_predict_f64(a, b, nx);
    } else {
        fc_kalman_predict_f32(a, b, nx);
    }
}

FC_HD static inline int32_t fc_kalman_update(const fc_kalman_args *a, int64_t b, int32_t nx, int32_t nz)
{
    return a->dtype == FC_F64 ? fc_kalman_update_f64(a, b, nx, nz) : fc_kalman_update_f32(a, b, nx, nz);
}

#endif
