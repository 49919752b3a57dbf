/* fc_traj.h: the local planner's formulas (engine/traj), written once for the CPU loops and
 * the CUDA kernels.
 *
 * Collision probability. An obstacle's centre is Gaussian, N(μ, Σ) with Σ the sum of the
 * obstacle's and the robot's position covariances, and the robot at p collides with it when
 * the centre lies within the combined radius R of p:
 *
 *   P = ∫_{‖x − p‖ ≤ R} N(x; μ, Σ) dx.
 *
 * In Σ's principal axes the two coordinates are independent, N(0, σₛ²) along the smaller axis
 * and N(0, σₗ²) along the larger, and the disk is centred at d = Qᵀ(p − μ). Integrating along
 * the smaller axis over the chords of the disk,
 *
 *   P = ∫ φ(z/σₛ)/σₛ · [Φ((dₗ + h(z))/σₗ) − Φ((dₗ − h(z))/σₗ)] dz,   h(z) = √(R² − (z − dₛ)²),
 *
 * over the part of the chord interval [dₛ − R, dₛ + R] within ±6σₛ (beyond it the density is
 * below 1e-8 of its peak), by 16-point Gauss–Legendre. Along the smaller axis the inner
 * factor is the smoother one, and the window keeps a narrow Gaussian resolved: against a
 * fine (8001-point) chord integral the error is at most 3e-4 (absolute) over σ from R/20 to
 * 5R, any orientation and offset (tools/collision_prob.py); the conformance suite holds the
 * backends to 1e-3 of a polar brute-force integral and measures 9e-5 in float32.
 *
 * The fast form replaces the disk by the square of equal area (half-side √π·R/2) aligned
 * with the principal axes, four Φ and no quadrature, which is exact as R/σ → 0. Its error
 * grows as σ shrinks against R, where the disk's edge matters: at most 0.07 when both σ are
 * ≥ R/4, 0.33 when ≥ R/10, and up to 0.79 for a nearly certain obstacle position. */
#ifndef FC_TRAJ_H
#define FC_TRAJ_H

#include "fc_math.h"

/* Below this variance (m²) a principal axis counts as exact: it is raised to it, so that the
 * quadrature window stays finite. 1e-8 m² is a standard deviation of 0.1 mm. */
#define FC_TRAJ_MIN_VAR 1e-8f

/* The offset (dx, dy) = p − μ in the principal axes of [[sxx, sxy], [sxy, syy]]: ds along the
 * smaller axis, dl along the larger, with their standard deviations. Branch-free: the
 * eigenvector of the larger eigenvalue λ is (λ − syy, sxy), or a coordinate axis when that
 * vanishes (Σ diagonal). */
FC_HD static inline void fc_traj_axes(float dx, float dy, float sxx, float sxy, float syy, float *ds, float *dl,
                                      float *sds, float *sdl)
{
    const float half = 0.5f * (sxx + syy), dev = 0.5f * (sxx - syy);
    const float disc = fc_sqrtf(dev * dev + sxy * sxy);
    float large = half + disc, small = half - disc;
    large = large > FC_TRAJ_MIN_VAR ? large : FC_TRAJ_MIN_VAR;
    small = small > FC_TRAJ_MIN_VAR ? small : FC_TRAJ_MIN_VAR;
    float vx = (half + disc) - syy, vy = sxy;
    const float norm2 = vx * vx + vy * vy;
    const int axisAligned = norm2 < 1e-30f;
    vx = axisAligned ? (sxx >= syy ? 1.0f : 0.0f) : vx;
    vy = axisAligned ? (sxx >= syy ? 0.0f : 1.0f) : vy;
    const float inv = fc_rsqrtf_pos(vx * vx + vy * vy);
    vx *= inv;
    vy *= inv;
    *dl = vx * dx + vy * dy;  /* along the larger axis */
    *ds = -vy * dx + vx * dy; /* along the smaller one */
    *sdl = fc_sqrtf(large);
    *sds = fc_sqrtf(small);
}

/* P of the header comment by 16-point Gauss–Legendre on the chords. */
FC_HD static inline float fc_collision_prob(float dx, float dy, float sxx, float sxy, float syy, float radius)
{
    /* The positive half of the 16-point Gauss–Legendre rule on [−1, 1]. */
    const float node[8] = {9.501250984e-02f, 2.816035508e-01f, 4.580167777e-01f, 6.178762444e-01f,
                           7.554044084e-01f, 8.656312024e-01f, 9.445750231e-01f, 9.894009350e-01f};
    const float weight[8] = {1.894506105e-01f, 1.826034150e-01f, 1.691565194e-01f, 1.495959888e-01f,
                             1.246289713e-01f, 9.515851168e-02f, 6.225352394e-02f, 2.715245941e-02f};
    float ds, dl, sds, sdl;
    fc_traj_axes(dx, dy, sxx, sxy, syy, &ds, &dl, &sds, &sdl);
    /* The chord interval in units of R from the disk's centre, cut to the ±6σₛ window. */
    const float invR = 1.0f / radius;
    float lo = (-6.0f * sds - ds) * invR, hi = (6.0f * sds - ds) * invR;
    lo = lo > -1.0f ? lo : -1.0f;
    hi = hi < 1.0f ? hi : 1.0f;
    const float mid = 0.5f * (hi + lo), half = hi > lo ? 0.5f * (hi - lo) : 0.0f;
    const float invS = 1.0f / sds, invL = 1.0f / sdl;
    float sum = 0.0f;
    FC_UNROLL_ALL(16)
    for (int k = 0; k < 16; k++) {
        const float x = k < 8 ? -node[7 - k] : node[k - 8], w = k < 8 ? weight[7 - k] : weight[k - 8];
        const float s = mid + half * x;          /* chord position in units of R */
        const float z = ds + radius * s;         /* along the smaller axis, from the mean */
        const float c = 1.0f - s * s;
        const float h = radius * fc_sqrtf(c > 0.0f ? c : 0.0f);
        const float u = z * invS;
        const float density = 0.3989422804f * invS * fc_exp_neg(-0.5f * u * u);
        sum += w * density * (fc_phi((dl + h) * invL) - fc_phi((dl - h) * invL));
    }
    const float p = radius * half * sum;
    return p < 1.0f ? p : 1.0f;
}

/* The fast form of the header comment: the equal-area square in the principal axes. */
FC_HD static inline float fc_collision_prob_fast(float dx, float dy, float sxx, float sxy, float syy, float radius)
{
    float ds, dl, sds, sdl;
    fc_traj_axes(dx, dy, sxx, sxy, syy, &ds, &dl, &sds, &sdl);
    const float a = 0.8862269255f * radius; /* √π/2 */
    const float invS = 1.0f / sds, invL = 1.0f / sdl;
    return (fc_phi((ds + a) * invS) - fc_phi((ds - a) * invS)) * (fc_phi((dl + a) * invL) - fc_phi((dl - a) * invL));
}

#endif
