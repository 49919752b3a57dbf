#include "dispatch.h"

#define FC_DECLARE_VARIANTS(ret, name, params)                                                         \
    ret name##_generic params;                                                                         \
    ret name##_avx2 params;                                                                            \
    ret name##_avx512 params;

FC_DECLARE_VARIANTS(void, fc_cpu_spectral_mix,
                    (const fc_c32 *in, const fc_c32 *w, fc_c32 *out, int32_t nBatch, int32_t nIn, int32_t nOut,
                     int32_t nModes, int64_t item0, int64_t item1))

#if defined(__x86_64__) && defined(__GNUC__)
#define FC_HAVE_X86_VARIANTS 1
#else
#define FC_HAVE_X86_VARIANTS 0
#endif

int fc_cpu_variant_compiled(int variant)
{
    return variant == FC_CPU_GENERIC || (FC_HAVE_X86_VARIANTS && (variant == FC_CPU_AVX2 || variant == FC_CPU_AVX512));
}

void fc_cpu_spectral_mix(int variant, const fc_c32 *in, const fc_c32 *w, fc_c32 *out, int32_t nBatch,
                         int32_t nIn, int32_t nOut, int32_t nModes, int64_t item0, int64_t item1)
{
#if FC_HAVE_X86_VARIANTS
    switch (variant) {
    case FC_CPU_AVX2:
        fc_cpu_spectral_mix_avx2(in, w, out, nBatch, nIn, nOut, nModes, item0, item1);
        return;
    case FC_CPU_AVX512:
        fc_cpu_spectral_mix_avx512(in, w, out, nBatch, nIn, nOut, nModes, item0, item1);
        return;
    }
#endif
    fc_cpu_spectral_mix_generic(in, w, out, nBatch, nIn, nOut, nModes, item0, item1);
}
