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
 * The fast form evaluates P one of three ways, chosen per obstacle and step by Σ and R
 * alone (fc_traj_fast_regime): the equal-area square (half-side √π·R/2) in the principal
 * axes, four fc_phi_coarse and exact as R/σ → 0, once σₛ ≥ 0.6R; Jensen and Solomon's
 * normal approximation of the quadratic form ‖x − p‖² for a nearly round Σ (σₗ ≤ 1.5σₛ);
 * and the chord integral with 6 nodes over ±3.5σₛ otherwise. For σₛ ≥ R/10 and σₗ ≤ 10σₛ
 * it is within 0.02 of P at every offset (engine/enginetest/collisiongrid.go proves it on a
 * dense grid against closed forms: 0.0191 at worst); the square alone was off by 0.59. */
#ifndef FC_TRAJ_H
#define FC_TRAJ_H

#include "fc_math.h"

/* Below this variance (m²) a principal axis counts as exact: it is raised to it, so that the
 * quadrature window stays finite. 1e-8 m² is a standard deviation of 0.1 mm. */
#define FC_TRAJ_MIN_VAR 1e-8f

/* Φ(x) within 4.7e-4, for the fast collision form, whose own error (the square for the disk)
 * is a hundred times larger: ½ + an odd degree-9 polynomial fitted on |x| ≤ 3.25 by
 * tools/fit_phi_coarse.py, with x clamped to that interval. The polynomial is monotone there,
 * so the result stays within (0, 1) unclamped, and two arguments beyond the same end give
 * equal values: a far obstacle's probability is exactly 0. Five FMAs, a min and a max. */
FC_HD static inline float fc_phi_coarse(float x)
{
    const float lo = x > -3.25f ? x : -3.25f, xc = lo < 3.25f ? lo : 3.25f;
    const float t = xc * xc;
    return 0.5f + xc * (3.972468674e-01f + t * (-6.277999282e-02f + t * (7.621082943e-03f +
                        t * (-5.233872798e-04f + t * 1.495873312e-05f))));
}

/* Σ's principal axes: the unit vector (ux, uy) of the larger one, and the standard
 * deviations along both with their reciprocals. They depend on the obstacle and the step
 * only, so the planner computes them once for all candidates. */
typedef struct {
    float ux, uy, sdSmall, sdLarge, invSmall, invLarge;
} fc_traj_axes;

/* The axes of [[sxx, sxy], [sxy, syy]], branch-free: the eigenvector of the larger
 * eigenvalue λ is (λ − syy, sxy), or a coordinate axis when that vanishes (Σ diagonal). */
FC_HD static inline fc_traj_axes fc_traj_axes_of(float sxx, float sxy, float syy)
{
    const float half = 0.5f * (sxx + syy), dev = 0.5f * (sxx - syy);
    const float disc = fc_sqrtf(dev * dev + sxy * sxy);
    float large = half + disc, small = half - disc;
    large = large > FC_TRAJ_MIN_VAR ? large : FC_TRAJ_MIN_VAR;
    small = small > FC_TRAJ_MIN_VAR ? small : FC_TRAJ_MIN_VAR;
    float vx = (half + disc) - syy, vy = sxy;
    const int axisAligned = vx * vx + vy * vy < 1e-30f;
    vx = axisAligned ? (sxx >= syy ? 1.0f : 0.0f) : vx;
    vy = axisAligned ? (sxx >= syy ? 0.0f : 1.0f) : vy;
    const float inv = fc_rsqrtf_pos(vx * vx + vy * vy);
    fc_traj_axes ax;
    ax.ux = vx * inv, ax.uy = vy * inv;
    ax.invSmall = fc_rsqrtf_pos(small), ax.invLarge = fc_rsqrtf_pos(large);
    ax.sdSmall = small * ax.invSmall, ax.sdLarge = large * ax.invLarge;
    return ax;
}

/* P of the header comment on the chords, for the offset (dl, ds) = Qᵀ(p − μ) along the
 * larger and smaller axis: Gauss–Legendre with the nodes ±node[k] and weights weight[k]
 * (half of them given) over the chord interval cut to ±window·σₛ, Φ the accurate fc_phi or
 * (coarse) fc_phi_coarse. Inlined with constant arguments, the node loop unrolls. */
FC_HD static inline float fc_collision_chord(float dl, float ds, fc_traj_axes ax, float radius, const float *node,
                                             const float *weight, int32_t half, float window, int32_t coarse)
{
    /* The chord interval in units of R from the disk's centre, cut to the window. */
    const float invR = 1.0f / radius;
    float lo = (-window * ax.sdSmall - ds) * invR, hi = (window * ax.sdSmall - ds) * invR;
    lo = lo > -1.0f ? lo : -1.0f;
    hi = hi < 1.0f ? hi : 1.0f;
    const float mid = 0.5f * (hi + lo), halfWidth = hi > lo ? 0.5f * (hi - lo) : 0.0f;
    float sum = 0.0f;
    FC_UNROLL_ALL(16)
    for (int32_t k = 0; k < 2 * half; k++) {
        const float x = k < half ? -node[half - 1 - k] : node[k - half];
        const float w = k < half ? weight[half - 1 - k] : weight[k - half];
        const float s = mid + halfWidth * x; /* chord position in units of R */
        const float z = ds + radius * s;    /* along the smaller axis, from the mean */
        const float c = 1.0f - s * s;
        const float h = radius * fc_sqrtf(c > 0.0f ? c : 0.0f);
        const float u = z * ax.invSmall;
        const float density = 0.3989422804f * ax.invSmall * fc_exp_neg(-0.5f * u * u);
        const float inner = coarse ? fc_phi_coarse((dl + h) * ax.invLarge) - fc_phi_coarse((dl - h) * ax.invLarge)
                                   : fc_phi((dl + h) * ax.invLarge) - fc_phi((dl - h) * ax.invLarge);
        sum += w * density * inner;
    }
    const float p = radius * halfWidth * sum;
    /* The rational Φ is not exactly monotone: a far disk's difference can be −1e-9. */
    return p < 0.0f ? 0.0f : (p < 1.0f ? p : 1.0f);
}

/* The accurate form: 16 nodes over ±6σₛ (the header comment's bound). */
FC_HD static inline float fc_collision_prob_axes(float dx, float dy, fc_traj_axes ax, float radius)
{
    const float node[8] = {9.501250984e-02f, 2.816035508e-01f, 4.580167777e-01f, 6.178762444e-01f,
                           7.554044084e-01f, 8.656312024e-01f, 9.445750231e-01f, 9.894009350e-01f};
    const float weight[8] = {1.894506105e-01f, 1.826034150e-01f, 1.691565194e-01f, 1.495959888e-01f,
                             1.246289713e-01f, 9.515851168e-02f, 6.225352394e-02f, 2.715245941e-02f};
    const float dl = ax.ux * dx + ax.uy * dy, ds = -ax.uy * dx + ax.ux * dy;
    return fc_collision_chord(dl, ds, ax, radius, node, weight, 8, 6.0f, 0);
}

/* The fast form's chord regime: 6 nodes over ±3.5σₛ with fc_phi_coarse, for the offset
 * (dx, dy) = p − μ. */
#define FC_TRAJ_CHORD6_WINDOW 3.5f
FC_HD static inline float fc_collision_prob_chord6(float dx, float dy, fc_traj_axes ax, float radius)
{
    const float node[3] = {2.386191861e-01f, 6.612093865e-01f, 9.324695142e-01f};
    const float weight[3] = {4.679139346e-01f, 3.607615730e-01f, 1.713244924e-01f};
    const float dl = ax.ux * dx + ax.uy * dy, ds = -ax.uy * dx + ax.ux * dy;
    return fc_collision_chord(dl, ds, ax, radius, node, weight, 3, FC_TRAJ_CHORD6_WINDOW, 1);
}

/* The fast form's square regime in the principal axes, distances in standard deviations:
 * the centre's offset (zs, zl) along the smaller and larger axis and the square's half-side
 * (as, al) along each. */
FC_HD static inline float fc_collision_prob_fast_scaled(float zs, float zl, float as, float al)
{
    return (fc_phi_coarse(zs + as) - fc_phi_coarse(zs - as)) * (fc_phi_coarse(zl + al) - fc_phi_coarse(zl - al));
}

/* The half-side of the square with the area of a disk of the radius, √π·R/2. */
#define FC_TRAJ_SQUARE_HALF 0.8862269255f

/* The square's half-sides along the smaller and larger axis, in standard deviations. */
FC_HD static inline void fc_traj_square_sides(fc_traj_axes ax, float radius, float *as, float *al)
{
    const float half = FC_TRAJ_SQUARE_HALF * radius;
    *as = half * ax.invSmall, *al = half * ax.invLarge;
}

/* The fast form's moments regime (Jensen and Solomon, JASA 1972): ‖x − p‖² is a quadratic
 * form in Gaussians, Σᵢ λᵢ(zᵢ + Nᵢ)², and its power (·)^h with h = 1 − 2θ₁θ₃/(3θ₂²),
 * θₛ = Σᵢ λᵢˢ(1 + s·zᵢ²), is nearly normal, so that
 *
 *   P ≈ Φ(((R²/θ₁)^h − 1 − θ₂h(h − 1)/θ₁²) / (√(2θ₂)·h/θ₁)).
 *
 * In units of σₛ² (λₛ = 1, λₗ = ratio = σₗ²/σₛ²; r2 = R²/σₛ²), with zᵢ² capped at 1e14 so
 * that nothing overflows. The regime (fc_traj_fast_regime) keeps ratio ≤ 2.25 and r2 > 2.7,
 * so h ∈ [0.1, 1] and R²/θ₁ > 1e-15, and (R²/θ₁)^h stays inside exp2's range unclamped. A z
 * below Φ_coarse's clamp is a probability of exactly 0, so that a far obstacle costs nothing:
 * beyond R + FC_TRAJ_MOMENTS_REACH·σₗ of the mean it always is (the conformance suite checks
 * it), which lets the scoring skip a vector of candidates all that far. */
#define FC_TRAJ_MOMENTS_REACH 3.5f

FC_HD static inline float fc_collision_prob_moments(float zs, float zl, float ratio, float r2)
{
    float s2 = zs * zs, l2 = zl * zl;
    s2 = s2 < 1e14f ? s2 : 1e14f, l2 = l2 < 1e14f ? l2 : 1e14f;
    const float ratio2 = ratio * ratio;
    const float t1 = (1.0f + ratio) + (s2 + ratio * l2);
    const float t2 = (1.0f + ratio2) + 2.0f * (s2 + ratio2 * l2);
    const float t3 = (1.0f + ratio2 * ratio) + 3.0f * (s2 + ratio2 * ratio * l2);
    /* One division for 1/θ₁ and 1/θ₂, one for the quotient: divisions are the slow part. */
    const float inv12 = 1.0f / (t1 * t2), inv1 = t2 * inv12, inv2 = t1 * inv12;
    float h = 1.0f - 0.6666666667f * t1 * t3 * inv2 * inv2;
    h = h > 0.1f ? h : 0.1f;
    const float power = fc_exp2f_in_range(h * fc_log2f_pos(r2 * inv1));
    /* The quotient by √(2θ₂)·h/θ₁ as a product with 1/√(2θ₂h²), without a division. */
    const float z = (power - 1.0f - t2 * h * (h - 1.0f) * inv1 * inv1) * t1 * fc_rsqrtf_approx(2.0f * t2 * h * h);
    return z <= -3.25f ? 0.0f : fc_phi_coarse(z);
}

/* fc_collision_prob_moments's scale: ratio = σₗ²/σₛ² and r2 = R²/σₛ². */
FC_HD static inline void fc_traj_moments_scale(fc_traj_axes ax, float radius, float *ratio, float *r2)
{
    const float k = ax.sdLarge * ax.invSmall, r = radius * ax.invSmall;
    *ratio = k * k, *r2 = r * r;
}

/* Where each regime of the fast form holds: the square once σₛ ≥ 0.6R (it is exact as
 * R/σ → 0), the moments for a nearly round Σ (σₗ ≤ 1.5σₛ), the 6-node chord otherwise
 * (engine/enginetest/collisiongrid.go measures the three together). The regime depends on
 * the obstacle and the step only, so a block of candidates never diverges. */
#define FC_TRAJ_SQUARE_MIN_SD 0.6f
#define FC_TRAJ_MOMENTS_MAX_ANISOTROPY 1.5f
enum { FC_TRAJ_FAST_SQUARE = 0, FC_TRAJ_FAST_MOMENTS = 1, FC_TRAJ_FAST_CHORD = 2 };

FC_HD static inline int32_t fc_traj_fast_regime(float sdSmall, float sdLarge, float radius)
{
    return sdSmall >= FC_TRAJ_SQUARE_MIN_SD * radius ? FC_TRAJ_FAST_SQUARE
           : sdLarge <= FC_TRAJ_MOMENTS_MAX_ANISOTROPY * sdSmall ? FC_TRAJ_FAST_MOMENTS
                                                                 : FC_TRAJ_FAST_CHORD;
}

/* The fast form for the offset (dx, dy) = p − μ, in the regime Σ's axes and R call for. */
FC_HD static inline float fc_collision_prob_fast_axes(float dx, float dy, fc_traj_axes ax, float radius)
{
    const float dl = ax.ux * dx + ax.uy * dy, ds = -ax.uy * dx + ax.ux * dy;
    switch (fc_traj_fast_regime(ax.sdSmall, ax.sdLarge, radius)) {
    case FC_TRAJ_FAST_SQUARE: {
        float as, al;
        fc_traj_square_sides(ax, radius, &as, &al);
        return fc_collision_prob_fast_scaled(ds * ax.invSmall, dl * ax.invLarge, as, al);
    }
    case FC_TRAJ_FAST_MOMENTS: {
        float ratio, r2;
        fc_traj_moments_scale(ax, radius, &ratio, &r2);
        return fc_collision_prob_moments(ds * ax.invSmall, dl * ax.invLarge, ratio, r2);
    }
    default:
        return fc_collision_prob_chord6(dx, dy, ax, radius);
    }
}

/* Both forms for one obstacle Gaussian given by its covariance. */
FC_HD static inline float fc_collision_prob(float dx, float dy, float sxx, float sxy, float syy, float radius)
{
    return fc_collision_prob_axes(dx, dy, fc_traj_axes_of(sxx, sxy, syy), radius);
}

FC_HD static inline float fc_collision_prob_fast(float dx, float dy, float sxx, float sxy, float syy, float radius)
{
    return fc_collision_prob_fast_axes(dx, dy, fc_traj_axes_of(sxx, sxy, syy), radius);
}

/* sin and cos of x in float, within 2e-7 absolute for |x| ≤ 1e4: x less the nearest multiple
 * of π/2, both Taylor series to degree 8 on [−π/4, π/4] (truncation 3e-7 relative before
 * rounding), and the quadrant by selects. Vectorizable, unlike libm's. */
FC_HD static inline void fc_sincosf(float x, float *sinx, float *cosx)
{
    const float q = FC_ROUNDF(x * 0.63661977236f);
    const float r = (x - q * 1.5707963268f) - q * -4.3711388e-8f; /* π/2 in two parts */
    const float r2 = r * r;
    const float sr = r * (1.0f + r2 * (-1.6666667e-1f + r2 * (8.3333333e-3f + r2 * -1.9841270e-4f)));
    const float cr = 1.0f + r2 * (-0.5f + r2 * (4.1666667e-2f + r2 * (-1.3888889e-3f + r2 * 2.4801587e-5f)));
    const int32_t quadrant = (int32_t)q & 3;
    const float s0 = quadrant == 0 ? sr : quadrant == 1 ? cr : quadrant == 2 ? -sr : -cr;
    const float c0 = quadrant == 0 ? cr : quadrant == 1 ? -sr : quadrant == 2 ? -cr : sr;
    *sinx = s0;
    *cosx = c0;
}

/* One step of a jerk-limited axis (linear or angular): the next acceleration, given the
 * current speed v and acceleration a, the commanded jerk fraction u ∈ [−1, 1], the jerk limit
 * (and 2/jerk, which callers hoist), the acceleration and speed limits, and dt. The speed bounds are kept reachable: a positive
 * acceleration a must be ramped down at the jerk limit before the speed reaches vHi, which
 * adds a²/(2·jerk) at most, so the next acceleration obeys
 *
 *   v + a'·dt + a'²/(2·jerk) ≤ vHi,   i.e.  a' ≤ jerk·(√(dt² + 2(vHi − v)/jerk) − dt),
 *
 * and likewise toward vLo. If the state satisfies these bounds (a feasible start), the
 * lower bound never exceeds the upper (ramping down at full jerk keeps them), so the
 * clamped result obeys every limit at every step: |a'| ≤ accel, |a' − a| ≤ jerk·dt, and
 * vLo ≤ v + a'·dt ≤ vHi. */
FC_HD static inline float fc_traj_axis_accel(float v, float a, float u, float jerk, float twoOverJerk, float accel,
                                             float vLo, float vHi, float dt)
{
    const float jdt = jerk * dt;
    const float toHi = vHi - v > 0.0f ? vHi - v : 0.0f, toLo = v - vLo > 0.0f ? v - vLo : 0.0f;
    const float upVel = jerk * (fc_sqrtf(dt * dt + twoOverJerk * toHi) - dt);
    const float downVel = -jerk * (fc_sqrtf(dt * dt + twoOverJerk * toLo) - dt);
    float hi = accel < a + jdt ? accel : a + jdt;
    hi = hi < upVel ? hi : upVel;
    float lo = -accel > a - jdt ? -accel : a - jdt;
    lo = lo > downVel ? lo : downVel;
    hi = hi > lo ? hi : lo; /* only an infeasible start gets here; the lower bound wins */
    const float want = a + u * jdt;
    return want < lo ? lo : (want > hi ? hi : want);
}

/* The stop-and-hold rollout of one axis, which the planner uses once it has arrived: the
 * speed bounds shrink toward 0 every step, to [min(0, v − a₋²/(2·jerk)), max(0, v +
 * a₊²/(2·jerk))], which the current state always satisfies (ramping the acceleration to 0 at
 * full jerk moves the speed by a²/(2·jerk)), so fc_traj_axis_accel keeps every limit while
 * the speed never grows in magnitude beyond that ramp; the jerk fraction points against the
 * speed the axis would settle at, so the stop is as fast as the limits allow, and a stopped
 * axis (v = a = 0) stays stopped. [*lo, *hi] holds the axis's limits on entry, the hold's
 * bounds within them on return. */
FC_HD static inline void fc_traj_hold_axis(float v, float a, float twoOverJerk, float *u, float *lo, float *hi)
{
    const float ramp = 0.5f * twoOverJerk * a * a, settle = v + (a > 0.0f ? ramp : -ramp);
    const float up = v + (a > 0.0f ? ramp : 0.0f), down = v - (a < 0.0f ? ramp : 0.0f);
    /* Within the axis's own limits, [*lo, *hi] on entry. */
    const float hiHold = up > 0.0f ? up : 0.0f, loHold = down < 0.0f ? down : 0.0f;
    *hi = hiHold < *hi ? hiHold : *hi;
    *lo = loHold > *lo ? loHold : *lo;
    *u = settle > 0.0f ? -1.0f : (settle < 0.0f ? 1.0f : 0.0f);
}

/* The closest point to (px, py) on the guidance segment from (ax, ay) with direction
 * (dx, dy), its squared length's reciprocal invLen2 and its length len, starting at arc
 * length s0: keeps the closest so far in bestD2 and its arc length in bestS. (The caller
 * divides once per segment, not once per candidate and step.) */
FC_HD static inline void fc_traj_segment(float px, float py, float ax, float ay, float dx, float dy, float invLen2,
                                         float len, float s0, float *bestD2, float *bestS)
{
    float t = ((px - ax) * dx + (py - ay) * dy) * invLen2;
    t = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
    const float qx = ax + t * dx - px, qy = ay + t * dy - py, d2 = qx * qx + qy * qy;
    const int closer = d2 < *bestD2;
    *bestS = closer ? s0 + t * len : *bestS;
    *bestD2 = closer ? d2 : *bestD2;
}

/* The map's cost at (px, py): the cell holding it, or 0 outside the map. The cell index is
 * clamped into the map and the result zeroed outside, rather than the load made
 * conditional, so that the CPU loop gathers instead of branching. */
FC_HD static inline float fc_traj_map_cost(const float *map, int32_t width, int32_t height, float x0, float y0,
                                           float invRes, float px, float py)
{
    const float fx = FC_FLOORF((px - x0) * invRes), fy = FC_FLOORF((py - y0) * invRes);
    const int inside = (fx >= 0.0f) & (fy >= 0.0f) & (fx < (float)width) & (fy < (float)height);
    const float cx = fx < 0.0f ? 0.0f : (fx > (float)(width - 1) ? (float)(width - 1) : fx);
    const float cy = fy < 0.0f ? 0.0f : (fy > (float)(height - 1) ? (float)(height - 1) : fy);
    const float cost = map[(int32_t)cy * width + (int32_t)cx]; /* maps are < 2³¹ cells */
    return inside ? cost : 0.0f;
}

/* A batch of n collision probabilities: in holds six arrays of n values (dx, dy, Σxx, Σxy,
 * Σyy, R), out one probability per case; fast selects fc_collision_prob_fast. */
typedef struct {
    const float *in;
    float *out;
    int64_t n;
    int32_t fast;
} fc_collision_prob_args;

#endif
