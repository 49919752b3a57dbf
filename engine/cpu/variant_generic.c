// Baseline x86-64 (SSE2): what the compiler emits without extra target flags.
#define FC_CPU_NAME(name) name##_generic
#define FC_MIX_MODE_TILE 2
#define FC_VEC 4
#define FC_GEMM_MR 4
#include "../../kernels/cpu/spectral_mix.c"
#include "../../kernels/cpu/gemm.c"
#include "../../kernels/cpu/fft.c"
#include "../../kernels/cpu/boon.c"
#include "../../kernels/cpu/conserve.c"
#include "../../kernels/cpu/kalman.c"
#include "../../kernels/cpu/traj.c"
