/* kalman.c: the CPU loop over fc_kalman.h, compiled once per ISA variant (see spectral_mix.c
 * for how the variant files include it): filters [b0, b1) of one predict or update step.
 *
 * The filters are batch-innermost, so the loop over them reads every operand with unit
 * stride. For the common small sizes the loop is instantiated with nx, nz and the storage
 * type as constants (and H and R shared): the formula's loops then unroll completely, its
 * local matrices become registers, and the compiler vectorizes across filters, one filter
 * per lane (4 or 8 float64 lanes on AVX2 and AVX-512, twice that for float32 filters, whose
 * arithmetic is float32). Other shapes run the same formula with run-time sizes, one filter
 * at a time. */
#include "../include/fc_kalman.h"

#ifndef FC_CPU_NAME
#error "FC_CPU_NAME must be defined by the variant file that includes this loop"
#endif

__attribute__((always_inline)) static inline void FC_CPU_NAME(kalman_update_sized)(const fc_kalman_args *args,
                                                                                  int64_t b0, int64_t b1,
                                                                                  const int32_t nx, const int32_t nz,
                                                                                  const int32_t dtype)
{
    fc_kalman_args a = *args;
    a.dtype = dtype;
    a.perFilterH = 0;
    a.perFilterR = 0;
    int32_t *status = a.status;
    /* The filters are independent; without the promise, the compiler cannot prove that the
     * stores of one filter's P elements, a batch stride apart, miss the others' loads. */
#pragma GCC ivdep
    for (int64_t b = b0; b < b1; b++)
        status[b] = dtype == FC_F64 ? fc_kalman_update_f64(&a, b, nx, nz) : fc_kalman_update_f32(&a, b, nx, nz);
}

/* The instantiated sizes: returns 1 if it ran the range. */
static int FC_CPU_NAME(kalman_update_fixed)(const fc_kalman_args *a, int64_t b0, int64_t b1)
{
    if (a->perFilterH || a->perFilterR) return 0;
#define FC_KALMAN_SIZE(NX, NZ)                                                                     \
    if (a->nx == NX && a->nz == NZ) {                                                              \
        if (a->dtype == FC_F64) {                                                                  \
            FC_CPU_NAME(kalman_update_sized)(a, b0, b1, NX, NZ, FC_F64);                           \
        } else {                                                                                   \
            FC_CPU_NAME(kalman_update_sized)(a, b0, b1, NX, NZ, FC_F32);                           \
        }                                                                                          \
        return 1;                                                                                  \
    }
    FC_KALMAN_SIZE(2, 1)
    FC_KALMAN_SIZE(3, 1)
    FC_KALMAN_SIZE(4, 2)
    FC_KALMAN_SIZE(6, 3)
#undef FC_KALMAN_SIZE
    return 0;
}

void FC_CPU_NAME(fc_cpu_kalman)(const fc_kalman_args *args, int32_t update, int64_t b0, int64_t b1)
{
    fc_kalman_args a = *args;
    if (update) {
        if (FC_CPU_NAME(kalman_update_fixed)(&a, b0, b1)) return;
        for (int64_t b = b0; b < b1; b++) a.status[b] = fc_kalman_update(&a, b, a.nx, a.nz);
    } else {
        for (int64_t b = b0; b < b1; b++) fc_kalman_predict(&a, b, a.nx);
    }
}
