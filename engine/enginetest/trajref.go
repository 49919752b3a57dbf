package enginetest

import (
	"math"

	"github.com/fluxcore/fluxcore/engine/backend"
)

// trajRef is candidate c of a TrajScore case evaluated in float64 from the cost documented
// in kernels/include/fc_traj_score.h, written apart from the kernels: the jerk-limited
// axes by their defining bounds, the pose by the midpoint rule with math.Sincos, each
// obstacle's probability by bruteCollisionProb, the path projection by brute force over the
// segments. It is the exact value the accurate form approximates.
type trajRef struct {
	terms    [backend.TrajTerms]float64
	total    float64
	feasible bool
	// ambiguous: some footprint centre passed within 1e-4 m of an edge between cells of
	// different cost, or of the caution zone's edge, where float32 and float64 may see
	// different sides; the map and caution terms, the total and feasibility are then not
	// compared.
	ambiguous bool
	final     [backend.TrajStateValues]float64
}

// trajCase is a TrajScore case's inputs, as float64.
type trajCase struct {
	op                              backend.TrajScore
	controls, tracks, path, costMap []float64
}

func (tc trajCase) param(i int) float64 { return float64(tc.op.Params[i]) }

func (tc trajCase) circles() int { return int(tc.op.Params[backend.TrajParamCircles]) }

// chordCollisionProb is ∫_{‖x − p‖ ≤ R} N(x; μ, Σ) dx as 2000 chords of the disk across
// the x axis, each weighted by the exact conditional normal probability of its y-interval
// (math.Erf): a different quadrature, in other axes, from both kernel forms, and fast
// enough to evaluate every step of every candidate.
func chordCollisionProb(c collisionCase) float64 {
	const chords = 2000
	condSD := math.Sqrt(c.syy - c.sxy*c.sxy/c.sxx)
	sum := 0.0
	for i := range chords {
		// z = x − μx at the chord's middle; y − μy given it is N(sxy/sxx·z, condSD²).
		off := -c.r + (float64(i)+0.5)*2*c.r/chords
		z := c.dx + off
		h := math.Sqrt(max(c.r*c.r-off*off, 0))
		condMean := c.sxy / c.sxx * z
		cdf := func(t float64) float64 { return 0.5 * (1 + math.Erf((t-condMean)/(condSD*math.Sqrt2))) }
		sum += math.Exp(-0.5*z*z/c.sxx) / math.Sqrt(2*math.Pi*c.sxx) * (cdf(c.dy+h) - cdf(c.dy-h))
	}
	return sum * 2 * c.r / chords
}

// axisAccel is the next acceleration of an axis at speed v and acceleration a under jerk
// fraction u: a + u·jerk·dt, held within ±aMax, within a ± jerk·dt, and low enough that
// braking at full jerk from it still stops at the speed bounds lo and hi.
func axisAccel(v, a, u, jerk, aMax, lo, hi, dt float64) float64 {
	up := jerk * (math.Sqrt(dt*dt+2*max(hi-v, 0)/jerk) - dt)
	down := -jerk * (math.Sqrt(dt*dt+2*max(v-lo, 0)/jerk) - dt)
	top, bottom := min(aMax, a+jerk*dt, up), max(-aMax, a-jerk*dt, down)
	return max(bottom, min(max(top, bottom), a+u*jerk*dt))
}

// project is the arc length of the closest point of the path to (x, y) and the squared
// distance to it.
func (tc trajCase) project(x, y float64) (s, d2 float64) {
	best, acc := math.Inf(1), 0.0
	for i := 0; i+1 < tc.op.PathPoints; i++ {
		ax, ay := tc.path[2*i], tc.path[2*i+1]
		dx, dy := tc.path[2*i+2]-ax, tc.path[2*i+3]-ay
		length := math.Hypot(dx, dy)
		t := max(0, min(1, ((x-ax)*dx+(y-ay)*dy)/(length*length)))
		if q := (ax+t*dx-x)*(ax+t*dx-x) + (ay+t*dy-y)*(ay+t*dy-y); q < best {
			best, s = q, acc+t*length
		}
		acc += length
	}
	return s, best
}

// mapCost is the cost of the cell under (x, y), 0 outside the map, and whether a point
// within 1e-4 m of (x, y) sees another cost (float32 and float64 may disagree there).
func (tc trajCase) mapCost(x, y float64) (cost float64, ambiguous bool) {
	cost = tc.cellCost(x, y)
	const e = 1e-4
	for _, d := range [][2]float64{{e, 0}, {-e, 0}, {0, e}, {0, -e}, {e, e}, {-e, -e}, {e, -e}, {-e, e}} {
		ambiguous = ambiguous || tc.cellCost(x+d[0], y+d[1]) != cost
	}
	return cost, ambiguous
}

func (tc trajCase) cellCost(x, y float64) float64 {
	res := tc.param(backend.TrajParamMapResolution)
	cx := int(math.Floor((x - tc.param(backend.TrajParamMapX0)) / res))
	cy := int(math.Floor((y - tc.param(backend.TrajParamMapY0)) / res))
	if cx < 0 || cy < 0 || cx >= tc.op.MapWidth || cy >= tc.op.MapHeight {
		return 0
	}
	return tc.costMap[cy*tc.op.MapWidth+cx]
}

// nearObstacle is whether a footprint circle at (x, y, θ) has its edge within the caution
// distance of an obstacle's mean edge at step k, and whether that is within 1e-4 m of
// changing (float32 and float64 may disagree there).
func (tc trajCase) nearObstacle(k int, x, y, th float64) (near, ambiguous bool) {
	zone := tc.param(backend.TrajParamCautionDistance)
	if zone <= 0 {
		return false, false
	}
	for j := range tc.op.Obstacles {
		o := tc.tracks[(j*tc.op.Steps+k)*backend.TrajTrackValues:]
		for c := range tc.circles() {
			off, radius := tc.param(backend.TrajParamCircle0+2*c), tc.param(backend.TrajParamCircle0+2*c+1)
			edge := math.Hypot(x+off*math.Cos(th)-o[0], y+off*math.Sin(th)-o[1]) - radius - o[5]
			near = near || edge < zone
			ambiguous = ambiguous || math.Abs(edge-zone) < 1e-4
		}
	}
	return near, ambiguous
}

// collisionClear is the chance that no obstacle touches any footprint circle at step k
// with the robot at (x, y, θ).
func (tc trajCase) collisionClear(k int, x, y, th float64) float64 {
	clear := 1.0
	for j := range tc.op.Obstacles {
		o := tc.tracks[(j*tc.op.Steps+k)*backend.TrajTrackValues:]
		pMax := 0.0
		for c := range tc.circles() {
			off, radius := tc.param(backend.TrajParamCircle0+2*c), tc.param(backend.TrajParamCircle0+2*c+1)
			px, py := x+off*math.Cos(th), y+off*math.Sin(th)
			p := chordCollisionProb(collisionCase{dx: px - o[0], dy: py - o[1], sxx: o[2], sxy: o[3], syy: o[4], r: radius + o[5]})
			pMax = max(pMax, p)
		}
		clear *= 1 - pMax
	}
	return clear
}

// reference evaluates candidate c.
func (tc trajCase) reference(c int) trajRef {
	p := tc.param
	dt, steps, segs := p(backend.TrajParamDt), tc.op.Steps, tc.op.Segments
	x, y, th := p(backend.TrajParamX0), p(backend.TrajParamY0), p(backend.TrajParamTheta0)
	v, w, a, al := p(backend.TrajParamV0), p(backend.TrajParamOmega0), p(backend.TrajParamAccel0), p(backend.TrajParamAlpha0)
	gx, gy := p(backend.TrajParamGoalX), p(backend.TrajParamGoalY)
	near := math.Exp(-0.5 * ((gx-x)*(gx-x) + (gy-y)*(gy-y)))
	sPrev, _ := tc.project(x, y)
	var r trajRef
	r.feasible = true
	var progress, pathCost, smooth, reverse, mapCost, goalDist, caution float64
	survival := 1.0
	for k := range steps {
		seg := k * segs / steps
		uLin, uAng := tc.controls[seg*tc.op.N+c], tc.controls[(segs+seg)*tc.op.N+c]
		aNew := axisAccel(v, a, uLin, p(backend.TrajParamJerkMax), p(backend.TrajParamAccelMax),
			p(backend.TrajParamVMin), p(backend.TrajParamVMax), dt)
		alNew := axisAccel(w, al, uAng, p(backend.TrajParamAngularJerkMax), p(backend.TrajParamAlphaMax),
			-p(backend.TrajParamOmegaMax), p(backend.TrajParamOmegaMax), dt)
		smooth += ((aNew-a)*(aNew-a) + (alNew-al)*(alNew-al)) / (dt * dt) * dt
		vNew, wNew := v+aNew*dt, w+alNew*dt
		vBar, wBar := (v+vNew)/2, (w+wNew)/2
		sm, cm := math.Sincos(th + wBar*dt/2)
		x, y, th = x+vBar*cm*dt, y+vBar*sm*dt, th+wBar*dt
		v, w, a, al = vNew, wNew, aNew, alNew
		reverse += max(-v, 0) * dt
		goalDist += math.Hypot(x-gx, y-gy)
		survival *= tc.collisionClear(k, x, y, th)
		near, edge := tc.nearObstacle(k, x, y, th)
		r.ambiguous = r.ambiguous || edge
		if near {
			caution += math.Pow(max(math.Abs(v)-p(backend.TrajParamCautionSpeed), 0), 2) * dt
		}
		s, d2 := tc.project(x, y)
		progress += survival * (s - sPrev)
		sPrev = s
		pathCost += d2 * dt
		for ci := 0; tc.op.MapWidth > 0 && ci < tc.circles(); ci++ {
			off := p(backend.TrajParamCircle0 + 2*ci)
			m, edge := tc.mapCost(x+off*math.Cos(th), y+off*math.Sin(th))
			mapCost += m * dt
			r.feasible = r.feasible && m < 1
			r.ambiguous = r.ambiguous || edge
		}
	}
	r.terms = [backend.TrajTerms]float64{
		backend.TrajTermProgress:    -p(backend.TrajParamWeightProgress) * progress,
		backend.TrajTermPath:        p(backend.TrajParamWeightPath) * pathCost,
		backend.TrajTermSmooth:      p(backend.TrajParamWeightSmooth) * smooth,
		backend.TrajTermGoal:        p(backend.TrajParamWeightGoal) * near * goalDist / float64(steps),
		backend.TrajTermHeading:     p(backend.TrajParamWeightHeading) * near * (1 - math.Cos(th-p(backend.TrajParamGoalTheta))),
		backend.TrajTermForward:     p(backend.TrajParamWeightForward) * reverse,
		backend.TrajTermMap:         p(backend.TrajParamWeightMap) * mapCost,
		backend.TrajTermCollision:   p(backend.TrajParamWeightCollision) * (1 - survival),
		backend.TrajTermCaution:     p(backend.TrajParamWeightCaution) * caution,
		backend.TrajTermProbability: 1 - survival,
	}
	for t := range backend.TrajTermProbability {
		r.total += r.terms[t]
	}
	r.final = [backend.TrajStateValues]float64{x, y, th, v, w, a, al}
	return r
}
