/* conserve.c: the CPU loop over fc_conserve.h, compiled once per ISA variant (see
 * spectral_mix.c for how the variant files include it). A call updates slices [s0, s1) with
 * one slice's scratch, reused, and records each slice's status. */
#include <stdlib.h>
#include "../include/fc_conserve.h"

#ifndef FC_CPU_NAME
#error "FC_CPU_NAME must be defined by the variant file that includes this loop"
#endif

/* The storage type is fixed per call; passing it as a constant lets the compiler drop the
 * per-element type test of fc_ld and fc_st from the inner loops. That needs this inlined into
 * both call sites: left out of line, as GCC chose once fc_conserve_diag1 grew, the test
 * stayed in its summing loop and halved its speed. */
__attribute__((always_inline)) static inline void FC_CPU_NAME(conserve_range)(fc_conserve_args *a, int64_t s0,
                                                                              int64_t s1, int32_t dtype)
{
    a->dtype = dtype;
    if (fc_conserve_is_diag1(a)) {
        for (int64_t s = s0; s < s1; s++) a->status[s] = fc_conserve_diag1(a, s, dtype);
        return;
    }
    for (int64_t s = s0; s < s1; s++) a->status[s] = fc_conserve_slice(a, s);
}

/* Returns 0, or −1 if the scratch could not be allocated. */
int FC_CPU_NAME(fc_cpu_conserve)(const fc_conserve_args *args, int64_t s0, int64_t s1)
{
    fc_conserve_args a = *args;
    a.work = malloc(sizeof(double) * (size_t)fc_conserve_work(a.n, a.m, a.members, a.form, a.outEns != NULL));
    if (!a.work) return -1;
    /* Slice s reads its scratch at work + s·workStride; a stride of 0 makes every slice of
     * this range share the one block. */
    a.workStride = 0;
    if (a.dtype == FC_F64) {
        FC_CPU_NAME(conserve_range)(&a, s0, s1, FC_F64);
    } else {
        FC_CPU_NAME(conserve_range)(&a, s0, s1, FC_F32);
    }
    free(a.work);
    return 0;
}
