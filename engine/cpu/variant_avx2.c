// x86-64-v3: AVX2 with FMA. The pragma applies to everything below it, including the
// inlined formulas from kernels/include, so the same source vectorizes 8-wide with FMA.
#if defined(__x86_64__) && defined(__GNUC__)
#pragma GCC target("avx2,fma,bmi,bmi2,f16c,lzcnt,movbe,popcnt")
#define FC_CPU_NAME(name) name##_avx2
#define FC_MIX_MODE_TILE 4
#define FC_VEC 8
#define FC_GEMM_MR 6
#include "../../kernels/cpu/spectral_mix.c"
#include "../../kernels/cpu/gemm.c"
#include "../../kernels/cpu/fft.c"
#include "../../kernels/cpu/boon.c"
#include "../../kernels/cpu/conserve.c"
#include "../../kernels/cpu/kalman.c"
#include "../../kernels/cpu/traj.c"
#endif
