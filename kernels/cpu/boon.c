/* boon.c: the CPU loops over fc_boon.h, compiled once per ISA variant (see spectral_mix.c).
 *
 * fc_cpu_faces runs face points [item0, item1) of the o-major enumeration o·inner + f;
 * fc_cpu_add_scaled runs elements [i0, i1). */
#include "../include/fc_boon.h"

#ifndef FC_CPU_NAME
#error "FC_CPU_NAME must be defined by the variant file that includes this loop"
#endif

void FC_CPU_NAME(fc_cpu_faces)(const fc_faces_args *a, int64_t item0, int64_t item1)
{
    for (int64_t item = item0; item < item1; item++) fc_faces_point(a, item / a->inner, item % a->inner);
}

void FC_CPU_NAME(fc_cpu_add_scaled)(float *FC_RESTRICT dst, const float *FC_RESTRICT src, float scale, int64_t i0,
                                    int64_t i1)
{
    for (int64_t i = i0; i < i1; i++) dst[i] = fc_scaled_sum(dst[i], src[i], scale);
}
