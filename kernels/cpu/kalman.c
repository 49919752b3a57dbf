/* kalman.c: the CPU loop over fc_kalman.h, compiled once per ISA variant (see spectral_mix.c
 * for how the variant files include it): filters [b0, b1) of one predict or update step. */
#include "../include/fc_kalman.h"

#ifndef FC_CPU_NAME
#error "FC_CPU_NAME must be defined by the variant file that includes this loop"
#endif

void FC_CPU_NAME(fc_cpu_kalman)(const fc_kalman_args *args, int32_t update, int64_t b0, int64_t b1)
{
    /* A constant storage type lets the compiler drop fc_ld's per-element type test. */
    fc_kalman_args a = *args;
    if (update) {
        for (int64_t b = b0; b < b1; b++) a.status[b] = fc_kalman_update(&a, b);
    } else {
        for (int64_t b = b0; b < b1; b++) fc_kalman_predict(&a, b);
    }
}
