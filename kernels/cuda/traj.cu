// traj.cu: the local planner's kernels over fc_traj.h, one thread per case.
#include "../include/fc_traj_score.h"

// Batched collision probabilities: in holds six arrays of n values (dx, dy, Σxx, Σxy, Σyy, R),
// so that a warp reads each coalesced.
extern "C" __global__ void fc_collision_prob_batch(const float *__restrict__ in, float *__restrict__ out, long long n,
                                                   int fast)
{
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        const float dx = in[i], dy = in[n + i], sxx = in[2 * n + i], sxy = in[3 * n + i], syy = in[4 * n + i];
        const float r = in[5 * n + i];
        out[i] = fast ? fc_collision_prob_fast(dx, dy, sxx, sxy, syy, r) : fc_collision_prob(dx, dy, sxx, sxy, syy, r);
    }
}

// Obstacle steps from (μx, μy, Σxx, Σxy, Σyy, R) to the scoring's layout, once per call.
extern "C" __global__ void fc_traj_prepare(const float *raw, float *prepared, long long count)
{
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < count; i += (long long)gridDim.x * blockDim.x)
        fc_traj_prepare_track(raw + 6 * i, prepared + FC_TK_COUNT * i);
}

// Candidate scoring (fc_traj_score.h), one thread per candidate. Every thread reads the same
// obstacle step at the same time, so a block first copies the prepared tracks into shared
// memory when they fit (sharedFloats > 0, the launch's dynamic shared memory) and reads
// them through the cache otherwise.
extern "C" __global__ void fc_traj_score(const float *prm, const float *controls, const float *obstacles, const float *path,
                                         const float *costMap, float *total, float *terms, int *feasible, float *states,
                                         long long n, int sharedFloats)
{
    extern __shared__ float sharedTracks[];
    const float *tracks = obstacles;
    if (sharedFloats > 0) {
        for (int i = threadIdx.x; i < sharedFloats; i += blockDim.x) sharedTracks[i] = obstacles[i];
        __syncthreads();
        tracks = sharedTracks;
    }
    for (long long c = blockIdx.x * (long long)blockDim.x + threadIdx.x; c < n; c += (long long)gridDim.x * blockDim.x)
        fc_traj_score_block(prm, controls, tracks, path, costMap, total, terms, (int32_t *)feasible, states, n, c);
}
