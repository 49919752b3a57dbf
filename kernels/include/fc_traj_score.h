/* fc_traj_score.h: roll out and score a block of FC_TRAJ_LANES candidate trajectories (the
 * scalar formulas are fc_traj.h's). On the CPU a block is a few vectors' worth of
 * candidates (kernels/cpu/traj.c), and every loop over the lanes below vectorizes, whatever
 * the loops around it (steps, obstacles, path segments) look like; a CUDA thread is a block
 * of one.
 *
 * Candidate c's controls are piecewise-constant jerk fractions u ∈ [−1, 1]: controls holds
 * [2·segments, n], the linear segments first, each segment covering steps/segments rollout
 * steps. The rollout is a jerk-limited unicycle (fc_traj_axis_accel on both axes) with the
 * midpoint rule for the pose:
 *
 *   θₘ = θ + ω̄·dt/2,  x += v̄·cos θₘ·dt,  y += v̄·sin θₘ·dt,  θ += ω̄·dt,  with v̄, ω̄ the step's mean speeds.
 *
 * The cost of a candidate, with survival S_k = Π_{κ≤k} (1 − P_κ) and
 * P_k = 1 − Π_j (1 − max_circles p_jk) over the obstacles j (fc_collision_prob):
 *
 *   total = −w_progress·Σ_k S_k·Δs_k            progress along the path, weighed by survival
 *           + w_path·Σ_k d_k²·dt                squared distance from the path
 *           + w_smooth·Σ_k (j_k² + ȷ_k²)·dt     linear and angular jerk
 *           + w_goal·near·(1/K)·Σ_k ‖p_k − goal‖ + w_heading·near·(1 − cos(θ_T − θ_goal))
 *           + w_forward·Σ_k max(−v_k, 0)·dt     reversing
 *           + w_map·Σ_k Σ_circles map(centre)·dt
 *           + w_collision·(1 − S_T)             the chance of any collision within the horizon
 *           + w_caution·Σ_k near_k·max(|v_k| − v_c, 0)²·dt   speed near people
 *
 * where s_k is the arc length of the closest point of the path, d_k the distance to it, and
 * near = exp(−d₀²/2) fades the goal terms in within about a metre or two of the goal (d₀ is
 * the start's distance to it, in metres). A candidate that puts a footprint circle's centre
 * on a lethal map cell (≥ 1) is infeasible. near_k is 1 when some footprint circle's edge
 * is within the caution distance of some obstacle's predicted mean edge at step k: people
 * expect a robot to slow down beside them however certain their position, which the
 * collision probability alone does not ask. The terms output, when asked for, holds each
 * term already weighted, and the collision probability 1 − S_T.
 *
 * Survival alone only discounts the progress after a likely collision, so a candidate that
 * drives into a person late in the horizon could still outscore one that waits; the
 * collision term prices the risk itself. The goal distance is averaged over the K steps
 * rather than taken at the end: progress stops at the path's end, so with the end alone a
 * robot that could reach the goal within the horizon lost nothing by starting later, and
 * replanning every cycle it never started. */
#ifndef FC_TRAJ_SCORE_H
#define FC_TRAJ_SCORE_H

#include "fc_traj.h"

#ifndef FC_TRAJ_LANES
#define FC_TRAJ_LANES 1
#endif

/* The lanes the moments form takes at once, each group culled on its own (one CPU vector;
 * a CUDA thread's one lane). */
#ifndef FC_TRAJ_VECTOR_LANES
#define FC_TRAJ_VECTOR_LANES FC_TRAJ_LANES
#endif
#define FC_LANES FC_SIMD for (int l = 0; l < FC_TRAJ_LANES; l++)

/* The layouts shared with Go come from engine/backend through fc_layout_gen.h: the scalar
 * parameters, one float array indexed by FC_TP_* (then, from FC_TP_CIRCLE0, an (offset
 * along the heading, radius) pair per footprint circle), so that the CPU call and the CUDA
 * launch take the same few arguments; the terms output [FC_TRAJ_TERMS, n] indexed by
 * FC_TT_*; and the states output [n, steps, FC_TRAJ_STATE_VALUES]: x, y, θ, v, ω, a, α. */

/* An obstacle's step as the scoring reads it, [obstacles, steps, FC_TK_COUNT]: the mean,
 * Σ's axes (fc_traj_axes) and the radius for the accurate form; for the fast one, the map
 * from a point (px, py) to its offset from the mean in standard deviations along each axis,
 * zs = ZSX·px + ZSY·py − ZS0 and zl likewise, which costs four FMAs per candidate and circle
 * instead of eight operations and four multiplications. fc_traj_prepare_track makes it from
 * the (μx, μy, Σxx, Σxy, Σyy, R) input once per call, not once per block of candidates,
 * where the scalar eigen-decomposition cost more than the candidates' own collision terms. */
enum {
    FC_TK_MX, FC_TK_MY, FC_TK_UX, FC_TK_UY, FC_TK_SDS, FC_TK_INVS, FC_TK_INVL, FC_TK_R,
    FC_TK_ZSX, FC_TK_ZSY, FC_TK_ZS0, FC_TK_ZLX, FC_TK_ZLY, FC_TK_ZL0,
    FC_TK_COUNT
};

FC_HD static inline void fc_traj_prepare_track(const float *raw, float *out)
{
    const fc_traj_axes ax = fc_traj_axes_of(raw[2], raw[3], raw[4]);
    out[FC_TK_MX] = raw[0], out[FC_TK_MY] = raw[1], out[FC_TK_UX] = ax.ux, out[FC_TK_UY] = ax.uy;
    out[FC_TK_SDS] = ax.sdSmall, out[FC_TK_INVS] = ax.invSmall, out[FC_TK_INVL] = ax.invLarge, out[FC_TK_R] = raw[5];
    /* The smaller axis is the larger one turned a quarter: (−uy, ux). */
    out[FC_TK_ZSX] = -ax.uy * ax.invSmall, out[FC_TK_ZSY] = ax.ux * ax.invSmall;
    out[FC_TK_ZS0] = (-ax.uy * raw[0] + ax.ux * raw[1]) * ax.invSmall;
    out[FC_TK_ZLX] = ax.ux * ax.invLarge, out[FC_TK_ZLY] = ax.uy * ax.invLarge;
    out[FC_TK_ZL0] = (ax.ux * raw[0] + ax.uy * raw[1]) * ax.invLarge;
}

/* Candidate sampling: control d (of dims = 2·segments) of candidate i of a sampling call.
 * The first `extremes` candidates are the fixed manoeuvres below, held over every segment;
 * candidate i ≥ extremes takes row j = i − extremes of the quasi-random points (rows of
 * dims values in [−1, 1], reused modulo their number), as center + scale·point, clamped to
 * [−1, 1]. Group 0 (j < warm) and group 1 (the rest) each have their own center and scale
 * per control: groups holds [center₀, scale₀, center₁, scale₁], dims values each. */
/* (FC_TRAJ_EXTREMES of them, from fc_layout_gen.h) */

FC_HD static inline float fc_traj_sample_control(const float *groups, const float *points, int64_t rows, int32_t dims,
                                                 int32_t segments, int64_t extremes, int64_t warm, int64_t i, int32_t d)
{
    if (i < extremes) {
        /* (linear, angular) jerk fractions: a full stop, straight on, full acceleration, the
         * hardest left and right turns, and stopping while turning either way. */
        const int32_t angular = d >= segments;
        switch (i) {
        case 0: return angular ? 0.0f : -1.0f;
        case 1: return 0.0f;
        case 2: return angular ? 0.0f : 1.0f;
        case 3: return angular ? 1.0f : 0.0f;
        case 4: return angular ? -1.0f : 0.0f;
        case 5: return angular ? 1.0f : -1.0f;
        default: return -1.0f;
        }
    }
    const int64_t j = i - extremes;
    const float *g = groups + (j < warm ? 0 : 2 * dims);
    const float u = g[d] + g[dims + d] * points[(j % rows) * dims + d];
    return u < -1.0f ? -1.0f : (u > 1.0f ? 1.0f : u);
}

/* The keys one CUDA block of fc_traj_select sorts in shared memory (32 KiB). */
enum { FC_TRAJ_SELECT_TILE = 4096 };

/* The order in which candidates are chosen as one unsigned 64-bit key, smaller being better:
 * feasible before infeasible (bit 63), then the lower total (the float's bits made
 * monotone, bits 62..31), then the lower index (bits 30..0, so index < 2³¹). Keys are
 * unique, so any selection by key is deterministic. −0 counts as +0. */
FC_HD static inline uint64_t fc_traj_rank_key(float total, int32_t feasible, int64_t index)
{
    union { float f; uint32_t u; } bits;
    bits.f = total;
    uint32_t u = bits.u == 0x80000000u ? 0u : bits.u;
    u = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
    return ((uint64_t)(feasible == 0) << 63) | ((uint64_t)u << 31) | (uint64_t)(index & 0x7FFFFFFF);
}

/* The candidate index a key was made from. */
FC_HD static inline int32_t fc_traj_key_index(uint64_t key) { return (int32_t)(key & 0x7FFFFFFF); }

/* The closest point of the guidance path to each lane's (x, y): its squared distance and
 * arc length. */
FC_HD static inline void fc_traj_project_lanes(const float *path, int32_t points, const float *x, const float *y,
                                               float *d2, float *arc)
{
    FC_LANES d2[l] = 3.0e38f, arc[l] = 0.0f;
    float sAcc = 0.0f;
    for (int32_t i = 0; i + 1 < points; i++) {
        const float ax = path[2 * i], ay = path[2 * i + 1], dx = path[2 * i + 2] - ax, dy = path[2 * i + 3] - ay;
        const float len2 = dx * dx + dy * dy, invLen2 = 1.0f / len2, len = fc_sqrtf(len2);
        FC_LANES fc_traj_segment(x[l], y[l], ax, ay, dx, dy, invLen2, len, sAcc, &d2[l], &arc[l]);
        sAcc += len;
    }
}

/* Scores candidates c0 .. c0 + FC_TRAJ_LANES − 1 of n, where n, the stride of every
 * per-candidate array, is a multiple of the widest block (TrajScore pads it). obstacles is
 * [obstacles, steps, FC_TK_COUNT] from fc_traj_prepare_track (each footprint circle's
 * radius is added to the obstacle's here); path is [points, 2]; map is [height, width],
 * unused when the map width is 0. */
FC_HD static inline void fc_traj_score_block(const float *prm, const float *controls, const float *obstacles,
                                             const float *path, const float *map, float *total, float *terms,
                                             int32_t *feasible, float *states, int64_t n, int64_t c0)
{
    const int32_t steps = (int32_t)prm[FC_TP_STEPS], segments = (int32_t)prm[FC_TP_SEGMENTS];
    const int32_t numObs = (int32_t)prm[FC_TP_OBSTACLES], fast = prm[FC_TP_FAST] != 0.0f;
    const int32_t points = (int32_t)prm[FC_TP_PATH_POINTS], circles = (int32_t)prm[FC_TP_CIRCLES];
    const int32_t mapW = (int32_t)prm[FC_TP_MAP_WIDTH], mapH = (int32_t)prm[FC_TP_MAP_HEIGHT];
    const float dt = prm[FC_TP_DT], invRes = prm[FC_TP_MAP_RESOLUTION] > 0.0f ? 1.0f / prm[FC_TP_MAP_RESOLUTION] : 0.0f;
    float x[FC_TRAJ_LANES], y[FC_TRAJ_LANES], th[FC_TRAJ_LANES], v[FC_TRAJ_LANES], w[FC_TRAJ_LANES];
    float a[FC_TRAJ_LANES], al[FC_TRAJ_LANES], surv[FC_TRAJ_LANES], sPrev[FC_TRAJ_LANES];
    float progress[FC_TRAJ_LANES], pathCost[FC_TRAJ_LANES], smooth[FC_TRAJ_LANES], reverse[FC_TRAJ_LANES];
    float mapCost[FC_TRAJ_LANES], lethal[FC_TRAJ_LANES], goalDist[FC_TRAJ_LANES];
    float cosT[FC_TRAJ_LANES], sinT[FC_TRAJ_LANES], bestD2[FC_TRAJ_LANES], bestS[FC_TRAJ_LANES];
    float clear[FC_TRAJ_LANES], pMax[FC_TRAJ_LANES], caution[FC_TRAJ_LANES], nearPerson[FC_TRAJ_LANES];
    float cx[FC_TRAJ_MAX_CIRCLES][FC_TRAJ_LANES], cy[FC_TRAJ_MAX_CIRCLES][FC_TRAJ_LANES];
    const float cautionSpeed = prm[FC_TP_CAUTION_SPEED], cautionDist = prm[FC_TP_CAUTION_DISTANCE];
    FC_LANES {
        x[l] = prm[FC_TP_X0], y[l] = prm[FC_TP_Y0], th[l] = prm[FC_TP_THETA0];
        v[l] = prm[FC_TP_V0], w[l] = prm[FC_TP_OMEGA0], a[l] = prm[FC_TP_ACCEL0], al[l] = prm[FC_TP_ALPHA0];
        surv[l] = 1.0f, progress[l] = 0.0f, pathCost[l] = 0.0f, smooth[l] = 0.0f, reverse[l] = 0.0f;
        mapCost[l] = 0.0f, lethal[l] = 0.0f, goalDist[l] = 0.0f, bestD2[l] = 3.0e38f, bestS[l] = 0.0f;
        caution[l] = 0.0f;
        fc_sincosf(th[l], &sinT[l], &cosT[l]);
    }
    /* The start's arc length, from which progress is measured. */
    fc_traj_project_lanes(path, points, x, y, bestD2, bestS);
    FC_LANES sPrev[l] = bestS[l];

    /* The limits in locals: read through prm, which the compiler cannot prove unaliased by
     * the outputs, they would be reloaded, and 2/jerk redivided, for every lane and step. */
    const float jMax = prm[FC_TP_JERK_MAX], aMax = prm[FC_TP_ACCEL_MAX], vMin = prm[FC_TP_V_MIN], vMax = prm[FC_TP_V_MAX];
    const float jaMax = prm[FC_TP_ANGULAR_JERK_MAX], alMax = prm[FC_TP_ALPHA_MAX], wMax = prm[FC_TP_OMEGA_MAX];
    const float goalX = prm[FC_TP_GOAL_X], goalY = prm[FC_TP_GOAL_Y];
    const int32_t hold = prm[FC_TP_HOLD] != 0.0f;
    const float twoOverJ = 2.0f / jMax, twoOverJa = 2.0f / jaMax, invDt = 1.0f / dt;
    int32_t seg = 0;
    for (int32_t k = 0; k < steps; k++) {
        while ((int64_t)(seg + 1) * steps <= (int64_t)k * segments) seg++; /* ⌊k·segments/steps⌋ */
        /* Rollout. */
        FC_LANES {
            float uLin = controls[(int64_t)seg * n + c0 + l], uAng = controls[(int64_t)(segments + seg) * n + c0 + l];
            float vLo = vMin, vHi = vMax, wLo = -wMax, wHi = wMax;
            if (hold) {
                fc_traj_hold_axis(v[l], a[l], twoOverJ, &uLin, &vLo, &vHi);
                fc_traj_hold_axis(w[l], al[l], twoOverJa, &uAng, &wLo, &wHi);
            }
            const float aNew = fc_traj_axis_accel(v[l], a[l], uLin, jMax, twoOverJ, aMax, vLo, vHi, dt);
            const float alNew = fc_traj_axis_accel(w[l], al[l], uAng, jaMax, twoOverJa, alMax, wLo, wHi, dt);
            const float jl = (aNew - a[l]) * invDt, ja = (alNew - al[l]) * invDt;
            smooth[l] += (jl * jl + ja * ja) * dt;
            float vNew = v[l] + aNew * dt, wNew = w[l] + alNew * dt;
            /* Rounding can step past a bound by an ulp; the bound is the truth. */
            vNew = vNew < vLo ? vLo : (vNew > vHi ? vHi : vNew);
            wNew = wNew < wLo ? wLo : (wNew > wHi ? wHi : wNew);
            const float vBar = 0.5f * (v[l] + vNew), wBar = 0.5f * (w[l] + wNew);
            /* The heading turns by δ to the midpoint and by δ again to the step's end: one
             * sin/cos of δ and two rotations of the heading vector kept from the last step. */
            const float delta = 0.5f * wBar * dt;
            float sd, cd;
            fc_sincosf(delta, &sd, &cd);
            const float cm = cosT[l] * cd - sinT[l] * sd, sm = sinT[l] * cd + cosT[l] * sd;
            x[l] += vBar * cm * dt;
            y[l] += vBar * sm * dt;
            th[l] += 2.0f * delta;
            v[l] = vNew, w[l] = wNew, a[l] = aNew, al[l] = alNew;
            reverse[l] += (vNew < 0.0f ? -vNew : 0.0f) * dt;
            const float ex = x[l] - goalX, ey = y[l] - goalY;
            goalDist[l] += fc_sqrtf(ex * ex + ey * ey);
            cosT[l] = cm * cd - sm * sd, sinT[l] = sm * cd + cm * sd;
            clear[l] = 1.0f, nearPerson[l] = 0.0f;
        }
        /* The footprint circles' centres, which every obstacle and the map look at. */
        for (int32_t c = 0; c < circles; c++) {
            const float off = prm[FC_TP_CIRCLE0 + 2 * c];
            FC_LANES cx[c][l] = x[l] + off * cosT[l], cy[c][l] = y[l] + off * sinT[l];
        }
        if (states) {
            FC_LANES {
                float *st = states + ((c0 + l) * steps + k) * FC_TRAJ_STATE_VALUES;
                st[0] = x[l], st[1] = y[l], st[2] = th[l], st[3] = v[l], st[4] = w[l], st[5] = a[l], st[6] = al[l];
            }
        }
        /* Collision: the chance that no obstacle touches any footprint circle this step. */
        for (int32_t j = 0; j < numObs; j++) {
            const float *o = obstacles + ((int64_t)j * steps + k) * FC_TK_COUNT;
            fc_traj_axes ax;
            ax.ux = o[FC_TK_UX], ax.uy = o[FC_TK_UY], ax.sdSmall = o[FC_TK_SDS];
            ax.invSmall = o[FC_TK_INVS], ax.invLarge = o[FC_TK_INVL], ax.sdLarge = 1.0f / o[FC_TK_INVL];
            for (int32_t c = 0; c < circles; c++) {
                const float radius = prm[FC_TP_CIRCLE0 + 2 * c + 1] + o[FC_TK_R];
                /* The squared distance from the obstacle's mean, for caution and for culling. */
                float d2[FC_TRAJ_LANES];
                FC_LANES {
                    const float dx = cx[c][l] - o[FC_TK_MX], dy = cy[c][l] - o[FC_TK_MY];
                    d2[l] = dx * dx + dy * dy;
                }
                if (cautionDist > 0.0f) {
                    const float zone = radius + cautionDist, zone2 = zone * zone;
                    FC_LANES nearPerson[l] = d2[l] < zone2 ? 1.0f : nearPerson[l];
                }
                /* The form, and the fast form's regime, are the same for every candidate at this
                 * obstacle and step: one loop each keeps them all vectorized. */
                const int32_t regime = fast ? fc_traj_fast_regime(ax.sdSmall, ax.sdLarge, radius) : -1;
                if (regime == FC_TRAJ_FAST_SQUARE) {
                    float as, al;
                    fc_traj_square_sides(ax, radius, &as, &al);
                    FC_LANES {
                        const float px = cx[c][l], py = cy[c][l];
                        const float zs = o[FC_TK_ZSX] * px + (o[FC_TK_ZSY] * py - o[FC_TK_ZS0]);
                        const float zl = o[FC_TK_ZLX] * px + (o[FC_TK_ZLY] * py - o[FC_TK_ZL0]);
                        const float p = fc_collision_prob_fast_scaled(zs, zl, as, al);
                        pMax[l] = c == 0 || p > pMax[l] ? p : pMax[l]; /* the likeliest circle */
                    }
                    continue;
                }
                if (regime == FC_TRAJ_FAST_MOMENTS) {
                    float ratio, r2;
                    fc_traj_moments_scale(ax, radius, &ratio, &r2);
                    /* Beyond R + FC_TRAJ_MOMENTS_REACH·σₗ of the mean the form is exactly 0: a
                     * vector of lanes none of which is nearer skips it. One vector at a time
                     * also keeps the form's temporaries in AVX2's 16 registers. */
                    const float reach = radius + FC_TRAJ_MOMENTS_REACH * ax.sdLarge, reach2 = reach * reach;
                    FC_NO_UNROLL
                    for (int h = 0; h < FC_TRAJ_LANES; h += FC_TRAJ_VECTOR_LANES) {
                        int32_t near = 0;
                        FC_SIMD for (int l = h; l < h + FC_TRAJ_VECTOR_LANES; l++) near |= d2[l] <= reach2;
                        if (!near) {
                            FC_SIMD for (int l = h; l < h + FC_TRAJ_VECTOR_LANES; l++) pMax[l] = c == 0 ? 0.0f : pMax[l];
                            continue;
                        }
                        FC_SIMD for (int l = h; l < h + FC_TRAJ_VECTOR_LANES; l++) {
                            const float px = cx[c][l], py = cy[c][l];
                            const float zs = o[FC_TK_ZSX] * px + (o[FC_TK_ZSY] * py - o[FC_TK_ZS0]);
                            const float zl = o[FC_TK_ZLX] * px + (o[FC_TK_ZLY] * py - o[FC_TK_ZL0]);
                            const float p = fc_collision_prob_moments(zs, zl, ratio, r2);
                            pMax[l] = c == 0 || p > pMax[l] ? p : pMax[l];
                        }
                    }
                    continue;
                }
                /* The chord quadratures' window misses the disk (P = 0) unless the centre is
                 * within R + window·σ of the mean along the smaller axis: a block where no lane
                 * is skips the nodes. */
                const float window = fast ? FC_TRAJ_CHORD6_WINDOW : 6.0f;
                const float reach = radius + window * ax.sdSmall;
                int32_t near = 0;
                FC_LANES {
                    const float px = cx[c][l], py = cy[c][l];
                    const float ds = o[FC_TK_ZSX] * px + (o[FC_TK_ZSY] * py - o[FC_TK_ZS0]);
                    near |= ds * ax.sdSmall <= reach && ds * ax.sdSmall >= -reach;
                }
                if (!near) {
                    FC_LANES pMax[l] = c == 0 ? 0.0f : pMax[l];
                    continue;
                }
                if (fast) {
                    FC_LANES {
                        const float p = fc_collision_prob_chord6(cx[c][l] - o[FC_TK_MX], cy[c][l] - o[FC_TK_MY], ax, radius);
                        pMax[l] = c == 0 || p > pMax[l] ? p : pMax[l];
                    }
                } else {
                    FC_LANES {
                        const float dx = cx[c][l] - o[FC_TK_MX], dy = cy[c][l] - o[FC_TK_MY];
                        const float p = fc_collision_prob_axes(dx, dy, ax, radius);
                        pMax[l] = c == 0 || p > pMax[l] ? p : pMax[l];
                    }
                }
            }
            FC_LANES clear[l] *= 1.0f - pMax[l];
        }
        /* Progress along the path and the distance from it. */
        fc_traj_project_lanes(path, points, x, y, bestD2, bestS);
        FC_LANES {
            const float excess = (v[l] < 0.0f ? -v[l] : v[l]) - cautionSpeed, over = excess > 0.0f ? excess : 0.0f;
            caution[l] += nearPerson[l] * over * over * dt;
            surv[l] *= clear[l];
            progress[l] += surv[l] * (bestS[l] - sPrev[l]);
            sPrev[l] = bestS[l];
            pathCost[l] += bestD2[l] * dt;
        }
        /* The static map under each footprint circle. */
        for (int32_t c = 0; mapW > 0 && c < circles; c++) {
            FC_LANES {
                const float m = fc_traj_map_cost(map, mapW, mapH, prm[FC_TP_MAP_X0], prm[FC_TP_MAP_Y0], invRes,
                                                 cx[c][l], cy[c][l]);
                mapCost[l] += m * dt;
                lethal[l] = m >= 1.0f ? 1.0f : lethal[l];
            }
        }
    }
    /* The goal terms, fading in near the goal, and the totals. */
    const float gx = prm[FC_TP_GOAL_X] - prm[FC_TP_X0], gy = prm[FC_TP_GOAL_Y] - prm[FC_TP_Y0];
    const float near = fc_exp_neg(-0.5f * (gx * gx + gy * gy));
    float tTerm[FC_TRAJ_TERMS][FC_TRAJ_LANES];
    FC_LANES {
        float sd, cd;
        fc_sincosf(th[l] - prm[FC_TP_GOAL_THETA], &sd, &cd);
        tTerm[FC_TT_PROGRESS][l] = -prm[FC_TP_WEIGHT_PROGRESS] * progress[l];
        tTerm[FC_TT_PATH][l] = prm[FC_TP_WEIGHT_PATH] * pathCost[l];
        tTerm[FC_TT_SMOOTH][l] = prm[FC_TP_WEIGHT_SMOOTH] * smooth[l];
        tTerm[FC_TT_GOAL][l] = prm[FC_TP_WEIGHT_GOAL] * near * goalDist[l] / (float)steps;
        tTerm[FC_TT_HEADING][l] = prm[FC_TP_WEIGHT_HEADING] * near * (1.0f - cd);
        tTerm[FC_TT_FORWARD][l] = prm[FC_TP_WEIGHT_FORWARD] * reverse[l];
        tTerm[FC_TT_MAP][l] = prm[FC_TP_WEIGHT_MAP] * mapCost[l];
        tTerm[FC_TT_COLLISION][l] = prm[FC_TP_WEIGHT_COLLISION] * (1.0f - surv[l]);
        tTerm[FC_TT_CAUTION][l] = prm[FC_TP_WEIGHT_CAUTION] * caution[l];
        tTerm[FC_TT_PROBABILITY][l] = 1.0f - surv[l];
        float sum = 0.0f;
        FC_UNROLL_ALL(9)
        for (int t = 0; t < FC_TT_PROBABILITY; t++) sum += tTerm[t][l];
        total[c0 + l] = sum;
        feasible[c0 + l] = lethal[l] == 0.0f;
    }
    for (int t = 0; terms && t < FC_TRAJ_TERMS; t++) FC_LANES terms[t * n + c0 + l] = tTerm[t][l];
}

#undef FC_LANES
/* One scoring call (fc_traj_score_block): the parameters (FC_TP_*), the candidates'
 * controls [2·segments, n], the prepared obstacle steps [obstacles, steps, FC_TK_COUNT], the
 * path, the map, and the outputs total [n], terms [FC_TRAJ_TERMS, n], feasible [n] and
 * states [n, steps, FC_TRAJ_STATE_VALUES] (NULL to skip); candidates from first on. */
typedef struct {
    const float *prm, *controls, *obstacles, *path, *map;
    float *total, *terms;
    int32_t *feasible;
    float *states;
    int64_t n, first;
} fc_traj_score_args;

/* One sampling call (fc_traj_sample_control): groups [4, dims], points [rows, dims], into
 * controls [dims, n] from candidate first on, dims = 2·segments. */
typedef struct {
    const float *groups, *points;
    float *controls;
    int64_t rows, extremes, warm, n, first;
    int32_t segments;
} fc_traj_sample_args;

#endif
