/* fc_common.h: the one place that makes kernel headers compile under both nvcc and a plain
 * C compiler (cgo). Every formula in kernels/include is an FC_HD static inline function, so
 * the CUDA entry points and the CPU loops call literally the same code. */
#ifndef FC_COMMON_H
#define FC_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __CUDACC__
#define FC_HD __host__ __device__
#else
#define FC_HD
#endif

/* Restrict-qualified pointers let the CPU compiler vectorize without alias checks. */
#ifdef __CUDACC__
#define FC_RESTRICT __restrict__
#else
#define FC_RESTRICT restrict
#endif

#endif
