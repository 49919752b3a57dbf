#ifndef FC_CPU_PEAK_H
#define FC_CPU_PEAK_H
#include <stdint.h>
double fc_cpu_peak_generic(int64_t iters);
double fc_cpu_peak_avx2(int64_t iters);
double fc_cpu_peak_avx512(int64_t iters);
int64_t fc_cpu_peak_flops_per_iter(int variant);
#endif
