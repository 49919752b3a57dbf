// dispatch.h: one entry point per operation that selects the ISA variant at run time.
#ifndef FC_CPU_DISPATCH_H
#define FC_CPU_DISPATCH_H

#include <stdint.h>
#include "../../kernels/include/fc_complex.h"

enum { FC_CPU_GENERIC = 0, FC_CPU_AVX2 = 1, FC_CPU_AVX512 = 2 };

// fc_cpu_variant_compiled reports whether this build contains the given variant.
int fc_cpu_variant_compiled(int variant);

void fc_cpu_spectral_mix(int variant, const fc_c32 *in, const fc_c32 *w, fc_c32 *out, int32_t nBatch,
                         int32_t nIn, int32_t nOut, int32_t nModes, int64_t item0, int64_t item1);

#endif
