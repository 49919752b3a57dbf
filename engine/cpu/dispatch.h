// dispatch.h: one entry point per operation that selects the ISA variant at run time.
#ifndef FC_CPU_DISPATCH_H
#define FC_CPU_DISPATCH_H

#include <stdint.h>
#include "../../kernels/include/fc_complex.h"
#include "../../kernels/include/fc_gemm.h"
#include "../../kernels/include/fc_fft.h"
#include "../../kernels/include/fc_boon.h"
#include "../../kernels/include/fc_conserve.h"
#include "../../kernels/include/fc_kalman.h"
#include "../../kernels/include/fc_traj_score.h"

enum { FC_CPU_GENERIC = 0, FC_CPU_AVX2 = 1, FC_CPU_AVX512 = 2 };

// fc_cpu_variant_compiled reports whether this build contains the given variant.
int fc_cpu_variant_compiled(int variant);

void fc_cpu_spectral_mix(int variant, const fc_c32 *in, const fc_c32 *w, fc_c32 *out, int32_t nBatch,
                         int32_t nIn, int32_t nOut, int32_t nModes, int64_t item0, int64_t item1);

// fc_cpu_gemm_items is the number of work items fc_cpu_gemm splits g into.
int64_t fc_cpu_gemm_items(int variant, const fc_gemm_args *g);
// fc_cpu_gemm computes items [item0, item1) of g; it returns −1 if scratch allocation failed.
int fc_cpu_gemm(int variant, const fc_gemm_args *g, int64_t item0, int64_t item1);
// fc_cpu_mlp_items is the number of work items fc_cpu_mlp splits g into.
int64_t fc_cpu_mlp_items(int variant, const fc_mlp_args *g);
// fc_cpu_mlp computes items [item0, item1) of g; it returns −1 if scratch allocation failed.
int fc_cpu_mlp(int variant, const fc_mlp_args *g, int64_t item0, int64_t item1);
// fc_cpu_conserve updates slices [s0, s1) of a (fc_conserve.h), writing their statuses; it
// returns −1 if scratch allocation failed.
int fc_cpu_conserve(int variant, const fc_conserve_args *a, int64_t s0, int64_t s1);
// fc_cpu_kalman runs a predict (update = 0) or update step of filters [b0, b1).
void fc_cpu_kalman(int variant, const fc_kalman_args *a, int32_t update, int64_t b0, int64_t b1);
// fc_cpu_collision_prob evaluates cases [i0, i1) of a batched collision probability
// (fc_traj.h), the fast form when fast is set.
void fc_cpu_collision_prob(int variant, const float *in, float *out, int64_t n, int32_t fast, int64_t i0, int64_t i1);
// fc_cpu_traj_lanes is the candidates per block of fc_cpu_traj_score: the variant's vector width.
int64_t fc_cpu_traj_lanes(int variant);
// fc_cpu_traj_prepare turns count obstacle steps into the scoring's layout (fc_traj_score.h).
void fc_cpu_traj_prepare(int variant, const float *raw, float *prepared, int64_t count);
// fc_cpu_traj_score rolls out and scores blocks [b0, b1) of the candidates from first on, of
// arrays of stride n (fc_traj_score.h).
void fc_cpu_traj_score(int variant, const float *prm, const float *controls, const float *obstacles, const float *path,
                       const float *map, float *total, float *terms, int32_t *feasible, float *states, int64_t n,
                       int64_t first, int64_t b0, int64_t b1);
// fc_cpu_traj_sample writes candidates first + [i0, i1) of controls [2·segments, n]
// (fc_traj_sample_control).
void fc_cpu_traj_sample(int variant, const float *groups, const float *points, int64_t rows, int32_t segments,
                        int64_t extremes, int64_t warm, float *controls, int64_t n, int64_t first, int64_t i0, int64_t i1);
// fc_cpu_traj_best writes the k best keys (fc_traj_rank_key) of candidates [i0, i1) to out,
// ascending, and returns how many it wrote.
int64_t fc_cpu_traj_best(int variant, const float *total, const int32_t *feasible, int64_t i0, int64_t i1, int64_t k,
                         uint64_t *out);
// fc_cpu_traj_best_keys writes the candidate indices of the k smallest of count keys to index,
// best first, using heap (k keys) as scratch.
void fc_cpu_traj_best_keys(int variant, const uint64_t *keys, int64_t count, int64_t k, uint64_t *heap, int32_t *index);
void fc_cpu_complex_combine(int variant, const float *p, float *z, int32_t nRows, int64_t pairs, int64_t outer0,
                            int64_t outer1);
// fc_cpu_activate applies act in place to rows [row0, row1) of cols values, row stride ld.
void fc_cpu_activate(int variant, float *x, int64_t ld, int32_t cols, int32_t act, int64_t row0, int64_t row1);

// FFTs (kernels/cpu/fft.c). fc_cpu_fft_lanes is the variant's vector width: a real-line work
// item is 2·lanes lines and an axis work item lanes columns of one outer index. The
// transforms return −1 if their scratch could not be allocated.
int64_t fc_cpu_fft_lanes(int variant);
int fc_cpu_rfft_lines(int variant, const fc_fft_plan *pl, const float *src, fc_c32 *dst, int64_t lines,
                      int32_t columns, int64_t item0, int64_t item1);
int fc_cpu_irfft_lines(int variant, const fc_fft_plan *pl, const fc_c32 *src, float *dst, int64_t lines,
                       int32_t columns, int64_t item0, int64_t item1);
int fc_cpu_fft_axis(int variant, const fc_fft_plan *pl, fc_c32 *data, int64_t inner, int inverse, int64_t item0,
                    int64_t item1);
void fc_cpu_gather_modes(int variant, const fc_c32 *src, fc_c32 *dst, const int32_t *index, int64_t srcLen,
                         int64_t dstLen, float scale, int64_t row0, int64_t row1);

// BOON's face bookkeeping (kernels/cpu/boon.c): face points [item0, item1) in o·inner + f order,
// and dst = scale·(dst + src) over elements [i0, i1).
void fc_cpu_faces(int variant, const fc_faces_args *a, int64_t item0, int64_t item1);
void fc_cpu_add_scaled(int variant, float *dst, const float *src, float scale, int64_t i0, int64_t i1);

#endif
