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

// Candidate sampling (fc_traj_sample_control): one thread per control of candidates
// first .. first + count − 1.
extern "C" __global__ void fc_traj_sample(const float *groups, const float *points, long long rows, int segments,
                                          long long extremes, long long warm, float *controls, long long n, long long first,
                                          long long count)
{
    const int dims = 2 * segments;
    for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < count * dims; t += (long long)gridDim.x * blockDim.x) {
        const int d = (int)(t / count);
        const long long i = t - d * count;
        controls[d * n + first + i] = fc_traj_sample_control(groups, points, rows, dims, segments, extremes, warm, i, d);
    }
}

// Candidate scoring (fc_traj_score.h), one thread per candidate. Every thread reads the same
// obstacle step at the same time, so a block first copies the prepared tracks into shared
// memory when they fit (sharedFloats > 0, the launch's dynamic shared memory) and reads
// them through the cache otherwise.
extern "C" __global__ void fc_traj_score(const float *prm, const float *controls, const float *obstacles, const float *path,
                                         const float *costMap, float *total, float *terms, int *feasible, float *states,
                                         long long n, long long first, long long count, int sharedFloats)
{
    extern __shared__ float sharedTracks[];
    const float *tracks = obstacles;
    if (sharedFloats > 0) {
        for (int i = threadIdx.x; i < sharedFloats; i += blockDim.x) sharedTracks[i] = obstacles[i];
        __syncthreads();
        tracks = sharedTracks;
    }
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < count; i += (long long)gridDim.x * blockDim.x)
        fc_traj_score_block(prm, controls, tracks, path, costMap, total, terms, (int32_t *)feasible, states, n, first + i);
}

// Top-k selection by tiles. Block b sorts keys [b·TILE, (b+1)·TILE) of count (made by
// fc_traj_rank_key from total and feasible when keysIn is null) in shared memory, by a
// bitonic network padded with all-ones keys, which sort last. Without index it writes the
// tile's k smallest to keysOut[b·k ..], so each pass divides the keys by TILE/k; the last
// pass is one block over at most TILE keys, which writes the k best candidates' indices and,
// when selected is set, gathers their controls ([dims, selStride], the columns past k
// repeating the k-th). Keys are unique, so the result does not depend on the tiling.
extern "C" __global__ void fc_traj_select(const float *total, const int *feasible, const unsigned long long *keysIn,
                                          long long count, int k, unsigned long long *keysOut, const float *controls,
                                          long long n, int dims, int *index, float *selected, long long selStride)
{
    __shared__ unsigned long long keys[FC_TRAJ_SELECT_TILE];
    const long long base = (long long)blockIdx.x * FC_TRAJ_SELECT_TILE;
    const int m = (int)(count - base < FC_TRAJ_SELECT_TILE ? count - base : FC_TRAJ_SELECT_TILE);
    int width = 1;
    while (width < m) width <<= 1;
    for (int i = threadIdx.x; i < width; i += blockDim.x) {
        const long long c = base + i;
        keys[i] = i >= m ? ~0ull : keysIn ? keysIn[c] : (unsigned long long)fc_traj_rank_key(total[c], feasible[c], c);
    }
    __syncthreads();
    for (int size = 2; size <= width; size <<= 1) {
        for (int stride = size >> 1; stride > 0; stride >>= 1) {
            for (int i = threadIdx.x; i < width; i += blockDim.x) {
                const int j = i ^ stride;
                if (j > i) {
                    const unsigned long long a = keys[i], b = keys[j];
                    if ((a > b) == ((i & size) == 0)) keys[i] = b, keys[j] = a;
                }
            }
            __syncthreads();
        }
    }
    if (!index) {
        for (int i = threadIdx.x; i < k; i += blockDim.x) keysOut[(long long)blockIdx.x * k + i] = i < width ? keys[i] : ~0ull;
        return;
    }
    for (int i = threadIdx.x; i < k; i += blockDim.x) index[i] = fc_traj_key_index(keys[i]);
    if (!selected) return;
    for (long long t = threadIdx.x; t < dims * selStride; t += blockDim.x) {
        const int d = (int)(t / selStride);
        const long long i = t - d * selStride;
        selected[t] = controls[d * n + fc_traj_key_index(keys[i < k ? i : k - 1])];
    }
}
