/* traj.c: the CPU loops over fc_traj.h, compiled once per ISA variant (see spectral_mix.c for
 * how the variant files include it). */
#include "../include/fc_traj.h"

#ifndef FC_CPU_NAME
#error "FC_CPU_NAME must be defined by the variant file that includes this loop"
#endif

/* Cases [i0, i1) of a batched collision probability (fc_collision_prob_args), one case per
 * vector lane. */
void FC_CPU_NAME(fc_cpu_collision_prob)(const fc_collision_prob_args *a, int64_t i0, int64_t i1)
{
    const int64_t n = a->n;
    const float *FC_RESTRICT in = a->in;
    float *FC_RESTRICT out = a->out;
    const float *dx = in, *dy = in + n, *sxx = in + 2 * n, *sxy = in + 3 * n, *syy = in + 4 * n, *r = in + 5 * n;
    if (a->fast) {
        FC_SIMD
        for (int64_t i = i0; i < i1; i++) out[i] = fc_collision_prob_fast(dx[i], dy[i], sxx[i], sxy[i], syy[i], r[i]);
    } else {
        FC_SIMD
        for (int64_t i = i0; i < i1; i++) out[i] = fc_collision_prob(dx[i], dy[i], sxx[i], sxy[i], syy[i], r[i]);
    }
}

/* Candidate scoring (fc_traj_score.h), backend.TrajLaneMultiple (32) candidates per block:
 * two AVX-512 vectors, four AVX2 ones. A block's rollout is one long chain of dependent
 * polynomial steps per vector, and independent chains keep the FMA units busy (one vector
 * per block was 10–25 % slower per cycle than two); a block's per-obstacle scalar work is
 * shared by all its vectors (four AVX2 vectors rather than two: 8 % faster). The moments
 * collision form takes one vector (FC_TRAJ_VECTOR_LANES) at a time, each with its own cull. */
#define FC_TRAJ_LANES FC_TRAJ_LANE_MULTIPLE
#define FC_TRAJ_VECTOR_LANES FC_VEC
#include "../include/fc_traj_score.h"

int64_t FC_CPU_NAME(fc_cpu_traj_lanes)(void) { return FC_TRAJ_LANES; }

/* count obstacle steps from (μx, μy, Σxx, Σxy, Σyy, R) to the scoring's layout. */
void FC_CPU_NAME(fc_cpu_traj_prepare)(const float *raw, float *prepared, int64_t count)
{
    for (int64_t i = 0; i < count; i++) fc_traj_prepare_track(raw + 6 * i, prepared + FC_TK_COUNT * i);
}

/* Blocks [b0, b1) of FC_TRAJ_LANES candidates each, from candidate a->first on. */
void FC_CPU_NAME(fc_cpu_traj_score)(const fc_traj_score_args *a, int64_t b0, int64_t b1)
{
    for (int64_t b = b0; b < b1; b++)
        fc_traj_score_block(a->prm, a->controls, a->obstacles, a->path, a->map, a->total, a->terms, a->feasible,
                            a->states, a->n, a->first + b * FC_TRAJ_LANES);
}

/* Candidates first + [i0, i1) of a sampling call into controls [dims, n] (fc_traj_sample_control). */
void FC_CPU_NAME(fc_cpu_traj_sample)(const fc_traj_sample_args *a, int64_t i0, int64_t i1)
{
    const int32_t dims = 2 * a->segments;
    for (int32_t d = 0; d < dims; d++)
        for (int64_t i = i0; i < i1; i++)
            a->controls[d * a->n + a->first + i] =
                fc_traj_sample_control(a->groups, a->points, a->rows, dims, a->segments, a->extremes, a->warm, i, d);
}

/* A bounded max-heap of keys: the k smallest seen so far, the largest of them on top. */
static inline void fc_keyheap_sift_down(uint64_t *h, int64_t size, int64_t i)
{
    for (;;) {
        int64_t top = i;
        const int64_t l = 2 * i + 1, r = l + 1;
        if (l < size && h[l] > h[top]) top = l;
        if (r < size && h[r] > h[top]) top = r;
        if (top == i) return;
        const uint64_t t = h[i];
        h[i] = h[top], h[top] = t, i = top;
    }
}

static inline int64_t fc_keyheap_offer(uint64_t *h, int64_t size, int64_t k, uint64_t key)
{
    if (size < k) {
        int64_t i = size;
        for (; i > 0 && h[(i - 1) / 2] < key; i = (i - 1) / 2) h[i] = h[(i - 1) / 2];
        h[i] = key;
        return size + 1;
    }
    if (key < h[0]) h[0] = key, fc_keyheap_sift_down(h, size, 0);
    return size;
}

/* Sorts a heap ascending in place. */
static inline void fc_keyheap_sort(uint64_t *h, int64_t size)
{
    for (int64_t end = size - 1; end > 0; end--) {
        const uint64_t t = h[0];
        h[0] = h[end], h[end] = t;
        fc_keyheap_sift_down(h, end, 0);
    }
}

/* The k best keys (fc_traj_rank_key) of candidates [i0, i1), ascending, into out; returns
 * how many (fewer than k when the range is shorter). */
int64_t FC_CPU_NAME(fc_cpu_traj_best)(const float *total, const int32_t *feasible, int64_t i0, int64_t i1, int64_t k,
                                      uint64_t *out)
{
    int64_t size = 0;
    for (int64_t i = i0; i < i1; i++) {
        const uint64_t key = fc_traj_rank_key(total[i], feasible[i], i);
        if (size < k || key < out[0]) size = fc_keyheap_offer(out, size, k, key);
    }
    fc_keyheap_sort(out, size);
    return size;
}

/* The candidate indices of the k smallest of count keys, ascending, into index (count ≥ k);
 * heap is k keys of scratch. */
void FC_CPU_NAME(fc_cpu_traj_best_keys)(const uint64_t *keys, int64_t count, int64_t k, uint64_t *heap, int32_t *index)
{
    int64_t size = 0;
    for (int64_t i = 0; i < count; i++) size = fc_keyheap_offer(heap, size, k, keys[i]);
    fc_keyheap_sort(heap, size);
    for (int64_t i = 0; i < size; i++) index[i] = fc_traj_key_index(heap[i]);
}
