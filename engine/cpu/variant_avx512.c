// x86-64-v4: AVX-512 F/VL/BW/DQ/CD, 16-wide with FMA. GCC otherwise prefers 256-bit vectors
// even when AVX-512 is enabled, hence prefer-vector-width.
#if defined(__x86_64__) && defined(__GNUC__)
#pragma GCC target("avx512f,avx512vl,avx512bw,avx512dq,avx512cd,avx2,fma,bmi,bmi2,f16c,lzcnt,movbe,popcnt,prefer-vector-width=512")
#define FC_CPU_NAME(name) name##_avx512
#define FC_MIX_MODE_TILE 8
#define FC_VEC 16
#define FC_GEMM_MR 8
#include "../../kernels/cpu/spectral_mix.c"
#include "../../kernels/cpu/gemm.c"
#include "../../kernels/cpu/fft.c"
#include "../../kernels/cpu/boon.c"
#include "../../kernels/cpu/conserve.c"
#include "../../kernels/cpu/kalman.c"
#include "../../kernels/cpu/traj.c"
#endif
