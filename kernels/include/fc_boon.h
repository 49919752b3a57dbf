/* fc_boon.h: BOON's boundary bookkeeping (Saad et al., ICLR 2023) on the faces of one axis.
 *
 * A tensor is viewed as [outer, n, inner]: the axis being corrected has n points and its two
 * faces are the rows n = 0 and n = N−1, each of `inner` points. One work item is one face
 * point (o, f); fc_faces_point does the whole operation for it, so the CPU loop
 * (kernels/cpu/boon.c) and the CUDA kernel (kernels/cuda/boon.cu) differ only in how they
 * enumerate items. Every op reads and writes its own (o, ·, f) column only, so items are
 * independent.
 *
 * The probes are K(e₁)₀, K(e_N)₀, K(e_N)_{N−1} and the eliminated pivot K̃₀₀ = K₀₀ − K_{N0}K_{0N}/K_{NN},
 * clamped on the host; they are vectors of `period` values indexed by f mod period (the last
 * axis in 2-D and 3-D, one value in 1-D), stored as [k0n | knn | tk00]. Face data (Dirichlet
 * values, Neumann fluxes) are [sample, lead, inner] with o = (sample·channels + c)·lead + q. */
#ifndef FC_BOON_H
#define FC_BOON_H

#include "fc_common.h"

/* The operation codes FC_FACE_* are engine/backend.FaceOp's, from fc_layout_gen.h. */

typedef struct {
    int32_t op;
    int64_t outer, n, inner;
    int64_t channels, lead; /* face data indexing, see above */
    int64_t period;         /* probe vector length */
    int64_t base;           /* ELIMINATE_RIGHT: the row doubled, N−1 (or 0, the published 2-D/3-D code) */
    int32_t smooth;         /* MOLLIFY: rows 1..smooth−1 and N−smooth..N−2 */
    int32_t lenLeft, lenRight;
    float *dst;
    const float *x, *k;            /* ELIMINATE_*: the kernel's input and output */
    const float *probes;           /* ELIMINATE_*: [k0n | knn | tk00], period each */
    const float *left, *right;     /* DIRICHLET values, NEUMANN fluxes */
    const float *stencil;          /* NEUMANN: left coefficients, then right */
} fc_faces_args;

/* Left elimination, BOON's T₂ on the first row (Saad et al., Eq. 7, as the published code
 * orders it): 2x₀ − (Kx₀ − Kx_{N−1}·K_{0N}/K_{NN} + K_{0N}·x_{N−1}) / K̃₀₀. */
FC_HD static inline float fc_boon_left(float x0, float xN, float kx0, float kxN, float k0n, float knn, float tk00)
{
    return 2.0f * x0 - (1.0f / tk00) * (kx0 - kxN * k0n / knn + k0n * xN);
}

/* Right elimination: 2·base − Ky_{N−1}/K_{NN}. */
FC_HD static inline float fc_boon_right(float base, float kyN, float knn)
{
    return 2.0f * base - kyN / knn;
}

/* The Neumann boundary value g·c_b − Σ_interior c_j·u_j of a line with the given stride: on
 * the left c_b = c₀ and the interior is u₁..u_{L−1}; on the right c_b = c_{L−1} and the
 * interior is u_{N−L}..u_{N−2}. Accumulated in double, since the stencil's weights reach
 * 18/11 and the boundary value is a small difference of them. */
FC_HD static inline float fc_boon_stencil(const float *u, int64_t stride, int64_t n, const float *c, int32_t len,
                                          float flux, int right)
{
    double s = 0.0;
    if (right) {
        for (int32_t j = 0; j < len - 1; j++) s += (double)c[j] * u[(n - len + j) * stride];
        return (float)((double)flux * c[len - 1] - s);
    }
    for (int32_t j = 1; j < len; j++) s += (double)c[j] * u[j * stride];
    return (float)((double)flux * c[0] - s);
}

/* The published 2-D code's mollifier: rows 1..k−1 become the mean of themselves and their
 * two neighbours, all read before any is written; then rows N−k..N−2 the same way, reading
 * the first block's results where the blocks meet. */
FC_HD static inline void fc_boon_mollify(float *u, int64_t stride, int64_t n, int32_t k)
{
    float prev = u[0], cur = u[stride];
    for (int32_t i = 1; i < k && i < n - 1; i++) {
        float next = u[(i + 1) * stride];
        u[i * stride] = (prev + cur + next) / 3.0f;
        prev = cur;
        cur = next;
    }
    int64_t first = n - k > 1 ? n - k : 1;
    prev = u[(first - 1) * stride];
    cur = u[first * stride];
    for (int64_t i = first; i < n - 1; i++) {
        float next = u[(i + 1) * stride];
        u[i * stride] = (prev + cur + next) / 3.0f;
        prev = cur;
        cur = next;
    }
}

/* The operation a->op on face point (o, f). */
FC_HD static inline void fc_faces_point(const fc_faces_args *a, int64_t o, int64_t f)
{
    int64_t n = a->n, stride = a->inner;
    int64_t first = o * n * stride + f, last = first + (n - 1) * stride;
    int64_t p = f % a->period;
    int64_t sample = o / (a->channels * a->lead);
    int64_t data = (sample * a->lead + o % a->lead) * a->inner + f;
    float *d = a->dst;
    switch (a->op) {
    case FC_FACE_ELIMINATE_LEFT:
        d[first] = fc_boon_left(a->x[first], a->x[last], a->k[first], a->k[last], a->probes[p],
                                a->probes[a->period + p], a->probes[2 * a->period + p]);
        break;
    case FC_FACE_ELIMINATE_RIGHT:
        d[last] = fc_boon_right(d[first + a->base * stride], a->k[last], a->probes[a->period + p]);
        break;
    case FC_FACE_DIRICHLET:
        d[first] = a->left[data];
        d[last] = a->right[data];
        break;
    case FC_FACE_NEUMANN: {
        float l = fc_boon_stencil(d + first, stride, n, a->stencil, a->lenLeft, a->left[data], 0);
        float r = fc_boon_stencil(d + first, stride, n, a->stencil + a->lenLeft, a->lenRight, a->right[data], 1);
        d[first] = l;
        d[last] = r;
        break;
    }
    case FC_FACE_PERIODIC: {
        float avg = 0.5f * d[first] + 0.5f * d[last];
        d[first] = avg;
        d[last] = avg;
        break;
    }
    case FC_FACE_MOLLIFY:
        fc_boon_mollify(d + first, stride, n, a->smooth);
        break;
    }
}

/* dst = scale·(dst + src), how a corrected layer sums its two kernels (and BOON's Neumann
 * layers halve them). */
FC_HD static inline float fc_scaled_sum(float dst, float src, float scale)
{
    return scale * (dst + src);
}

#endif
