/* traj.c: the CPU loops over fc_traj.h, compiled once per ISA variant (see spectral_mix.c for
 * how the variant files include it). */
#include "../include/fc_traj.h"

#ifndef FC_CPU_NAME
#error "FC_CPU_NAME must be defined by the variant file that includes this loop"
#endif

/* Cases [i0, i1) of a batched collision probability: in holds six arrays of n values (dx, dy,
 * Σxx, Σxy, Σyy, R), out one probability per case, one case per vector lane. */
void FC_CPU_NAME(fc_cpu_collision_prob)(const float *FC_RESTRICT in, float *FC_RESTRICT out, int64_t n, int32_t fast,
                                        int64_t i0, int64_t i1)
{
    const float *dx = in, *dy = in + n, *sxx = in + 2 * n, *sxy = in + 3 * n, *syy = in + 4 * n, *r = in + 5 * n;
    if (fast) {
        FC_SIMD
        for (int64_t i = i0; i < i1; i++) out[i] = fc_collision_prob_fast(dx[i], dy[i], sxx[i], sxy[i], syy[i], r[i]);
    } else {
        FC_SIMD
        for (int64_t i = i0; i < i1; i++) out[i] = fc_collision_prob(dx[i], dy[i], sxx[i], sxy[i], syy[i], r[i]);
    }
}

/* Candidate scoring (fc_traj_score.h), one vector of candidates per block. */
#define FC_TRAJ_LANES FC_VEC
#include "../include/fc_traj_score.h"

int64_t FC_CPU_NAME(fc_cpu_traj_lanes)(void) { return FC_TRAJ_LANES; }

/* count obstacle steps from (μx, μy, Σxx, Σxy, Σyy, R) to the scoring's layout. */
void FC_CPU_NAME(fc_cpu_traj_prepare)(const float *raw, float *prepared, int64_t count)
{
    for (int64_t i = 0; i < count; i++) fc_traj_prepare_track(raw + 6 * i, prepared + FC_TK_COUNT * i);
}

/* Blocks [b0, b1) of FC_TRAJ_LANES candidates each. */
void FC_CPU_NAME(fc_cpu_traj_score)(const float *prm, const float *controls, const float *obstacles, const float *path,
                                    const float *map, float *total, float *terms, int32_t *feasible, float *states,
                                    int64_t n, int64_t b0, int64_t b1)
{
    for (int64_t b = b0; b < b1; b++)
        fc_traj_score_block(prm, controls, obstacles, path, map, total, terms, feasible, states, n, b * FC_TRAJ_LANES);
}
