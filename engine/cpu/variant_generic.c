// Baseline x86-64 (SSE2): what the compiler emits without extra target flags.
#define FC_CPU_NAME(name) name##_generic
#define FC_MIX_MODE_TILE 2
#include "../../kernels/cpu/spectral_mix.c"
