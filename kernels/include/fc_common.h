/* fc_common.h: the one place that makes kernel headers compile under both nvcc and a plain
 * C compiler (cgo). Every formula in kernels/include is an FC_HD static inline function, so
 * the CUDA entry points and the CPU loops call literally the same code. */
#ifndef FC_COMMON_H
#define FC_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "fc_layout_gen.h" /* the sizes, indices and codes Go declares in engine/backend */

/* With trapping math (GCC's default) the selects in fc_math.h stay branches and the GELU
 * epilogue runs one element at a time; nothing in fluxcore reads the floating-point exception
 * flags. It has to be a pragma because cgo refuses the flag, and it has to come before every
 * formula, since GCC does not inline across differing optimization options. */
#if defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#pragma GCC optimize("no-trapping-math")
#endif

#ifdef __CUDACC__
#define FC_HD __host__ __device__
#else
#define FC_HD
#endif

/* For a formula that a CPU loop instantiates with constant sizes and vectorizes across
 * instances (fc_kalman.h): forced inlining, and unrolling by up to 6, which removes the
 * loops of the instantiated sizes (up to 6 states) entirely, so that their matrices live in
 * registers and the loop over instances vectorizes, while keeping run-time-sized
 * instantiations compact. 6 rather than 4 took the 6-state filters from scalar to vector
 * (6× their speed) for 6 s more compile time per CPU variant; 8 took 72 s. */
#if defined(__CUDACC__)
/* A GPU thread runs one instance with run-time sizes; unrolling those loops only grows the
 * kernel (it quadrupled the fatbin), and nvcc inlines device functions this small by itself. */
#define FC_INLINE
#define FC_UNROLL
#elif defined(__GNUC__) && !defined(__clang__)
#define FC_INLINE __attribute__((always_inline))
#define FC_UNROLL _Pragma("GCC unroll 6")
#else
#define FC_INLINE
#define FC_UNROLL
#endif

/* Vectorization of a loop over points whose iterations are independent (FC_SIMD) or that
 * sums into one or more variables (FC_SIMD_SUM: each sum is then split across lanes, which
 * reorders it). The CPU build compiles with -fopenmp-simd, which enables these pragmas and
 * nothing else of OpenMP; GCC will not reorder a floating-point sum without being told. */
#define FC_PRAGMA(x) _Pragma(#x)
#if defined(__CUDACC__)
#define FC_SIMD
#define FC_SIMD_SUM(...)
#else
#define FC_SIMD FC_PRAGMA(omp simd)
#define FC_SIMD_SUM(...) FC_PRAGMA(omp simd reduction(+ : __VA_ARGS__))
#endif

/* Complete unrolling of a fixed-count loop (a quadrature rule's nodes), so that the CPU loop
 * around it vectorizes across its iterations, or none (FC_NO_UNROLL), where unrolling would
 * run out of registers; nvcc decides for itself. */
#if defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#define FC_UNROLL_ALL(n) FC_PRAGMA(GCC unroll n)
#define FC_NO_UNROLL FC_PRAGMA(GCC unroll 1)
#else
#define FC_UNROLL_ALL(n)
#define FC_NO_UNROLL
#endif

/* Restrict-qualified pointers let the CPU compiler vectorize without alias checks. */
#ifdef __CUDACC__
#define FC_RESTRICT __restrict__
#else
#define FC_RESTRICT restrict
#endif

#endif
