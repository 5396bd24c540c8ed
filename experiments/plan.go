package experiments

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
)

// Plan is the runs of an experiment, or of one shard of it, built one at
// a time when asked for: its memory is that of the spec and its sweep
// values, whatever the number of runs or points. Run i of a plan is the
// i-th run ShardRuns builds, field for field.
//
// The runs of one point are contiguous (point-major, then model, then
// repetition), and a plan keeps the few points it built last, so
// workers that take runs in order build each point once. A Plan is safe
// for concurrent use: a point is built under the plan's lock.
type Plan struct {
	st       *loaded // the checked spec and its sweep axes
	k, n     int     // shard k of n
	points   int     // points in the shard
	models   int
	repeat   int
	perPoint int // models x repeat

	// byValue maps each axis's values to their index, by the bits of
	// SweepValue.Value (the values of one axis are distinct).
	byValue []map[uint64]int
	labels  map[string]int // model label -> index in the models

	mu     sync.Mutex
	recent []planPoint // the points built last, a ring
	next   int         // the slot of recent the next point built takes
}

// planPoint is a point a plan built, with the prefix of its runs' IDs.
type planPoint struct {
	pos    int // position in the shard; -1 for an empty slot
	point  *Point
	prefix string
}

// planCache is how many points a plan keeps by default: enough for the
// runs under way in RunStream (at most a reorder buffer's worth) and
// the figures that look runs up.
const planCache = 16

// Plan is ShardPlan(1, 1): every run of the experiment.
func (s *Spec) Plan() (*Plan, error) {
	return s.ShardPlan(1, 1)
}

// ShardPlan checks the spec and every point of shard k of n (1 <= k <=
// n) as ShardRuns does, with the same errors, and returns the plan of
// the shard's runs without building them: the runs of every n-th point,
// starting with the k-th, each with its Index in the whole experiment.
func (s *Spec) ShardPlan(k, n int) (*Plan, error) {
	if n < 1 || k < 1 || k > n {
		return nil, fmt.Errorf("experiments: shard %d of %d: want 1 <= k <= n", k, n)
	}
	st := s.checker()
	st.check()
	errs := st.d.errs
	switch {
	case len(errs) > 0:
	case s.checkedAtLoad():
		st.setUnits() // what checking the points would have done
	default:
		// Check every point of the shard, keeping none.
		_, errs = st.points(-1, k, n, false)
	}
	if len(errs) > 0 {
		return nil, errs.sorted()
	}
	all := 1
	for _, a := range st.axes {
		all *= len(a.nodes)
	}
	p := &Plan{st: st, k: k, n: n, models: len(st.spec.Models), repeat: st.spec.Repeat,
		labels: make(map[string]int, len(st.spec.Models))}
	if k-1 < all {
		p.points = (all-(k-1)-1)/n + 1
	}
	p.perPoint = p.models * p.repeat
	for i, m := range st.spec.Models {
		if _, dup := p.labels[m.Label]; !dup {
			p.labels[m.Label] = i
		}
	}
	p.byValue = make([]map[uint64]int, len(st.axes))
	for a, ax := range st.axes {
		m := make(map[uint64]int, len(ax.values))
		for i, v := range ax.values {
			if _, dup := m[math.Float64bits(v.Value)]; !dup {
				m[math.Float64bits(v.Value)] = i
			}
		}
		p.byValue[a] = m
	}
	p.SetCache(planCache)
	return p, nil
}

// SetCache sets how many built points the plan keeps (at least 1): a
// reader that goes back and forth between c points, such as a merge of
// c-1 shards, builds each point once with a cache of c.
func (p *Plan) SetCache(c int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.recent = make([]planPoint, max(c, 1))
	for i := range p.recent {
		p.recent[i].pos = -1
	}
	p.next = 0
}

// Len returns the number of runs in the plan.
func (p *Plan) Len() int { return p.points * p.perPoint }

// Points returns the number of points in the plan (the shard's).
func (p *Plan) Points() int { return p.points }

// PerPoint returns the number of runs of each point: models x repeat.
func (p *Plan) PerPoint() int { return p.perPoint }

// PointOf returns the position among the plan's points of run i's point.
func (p *Plan) PointOf(i int) int { return i / p.perPoint }

// Index returns the Index in the whole experiment of run i of the plan,
// without building it.
func (p *Plan) Index(i int) int {
	return p.pointIndex(i/p.perPoint)*p.perPoint + i%p.perPoint
}

// pointIndex is the index in the whole sweep of the shard's point at
// position pos.
func (p *Plan) pointIndex(pos int) int { return p.k - 1 + pos*p.n }

// Run returns run i of the plan (0 <= i < Len()): the i-th run of
// ShardRuns. Runs of one point share its *Point.
func (p *Plan) Run(i int) RunConfig {
	if i < 0 || i >= p.Len() {
		panic(fmt.Sprintf("experiments: run %d of a plan of %d runs", i, p.Len()))
	}
	pp := p.point(i / p.perPoint)
	within := i % p.perPoint
	mi, rep := within/p.repeat, within%p.repeat
	m := pp.point.Spec.Models[mi]
	return RunConfig{
		Index:      pp.point.Index*p.perPoint + within,
		Point:      pp.point,
		Model:      m,
		ModelIndex: mi,
		Rep:        rep,
		Seed:       RunSeed(pp.point.Spec.Seed, rep),
		ID:         pp.prefix + "model=" + m.Label + "/run=" + strconv.Itoa(rep),
	}
}

// point returns the shard's point at position pos, built or kept.
func (p *Plan) point(pos int) planPoint {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.recent {
		if r.pos == pos {
			return r
		}
	}
	i := p.pointIndex(pos)
	idx := p.odometer(i)
	ps, _, axes := p.st.point(idx, false)
	var prefix strings.Builder
	for _, a := range axes {
		prefix.WriteString(a.Key + "=" + a.Text + "/")
	}
	r := planPoint{pos: pos, point: &Point{Index: i, Axes: axes, Spec: ps}, prefix: prefix.String()}
	p.recent[p.next] = r
	p.next = (p.next + 1) % len(p.recent)
	return r
}

// odometer returns the value index of each axis at sweep point i: the
// last key fastest.
func (p *Plan) odometer(i int) []int {
	idx := make([]int, len(p.st.axes))
	for a := len(idx) - 1; a >= 0; a-- {
		m := len(p.st.axes[a].nodes)
		idx[a], i = i%m, i/m
	}
	return idx
}

// position returns the position in the plan of the run of model mi and
// repetition rep at sweep point i, or -1 when the point is not the
// shard's.
func (p *Plan) position(i, mi, rep int) int {
	if i < p.k-1 || (i-(p.k-1))%p.n != 0 {
		return -1
	}
	pos := (i - (p.k - 1)) / p.n
	if pos >= p.points {
		return -1
	}
	return pos*p.perPoint + mi*p.repeat + rep
}

// Find returns the position in the plan of the run that a row names by
// its model label, swept values (keys in sweep order, values compared
// exactly) and repetition, or -1 when the plan has no such run.
func (p *Plan) Find(model string, point []AxisValue, rep int) int {
	mi, ok := p.labels[model]
	if !ok || rep < 0 || rep >= p.repeat || len(point) != len(p.st.axes) {
		return -1
	}
	i := 0
	for a, ax := range p.st.axes {
		if point[a].Key != ax.key {
			return -1
		}
		j, ok := p.byValue[a][math.Float64bits(point[a].Value)]
		if !ok {
			return -1
		}
		i = i*len(ax.nodes) + j
	}
	return p.position(i, mi, rep)
}

// Shows returns the position in the plan of the run that per-run plot ps
// (waterfall, cwnd, sequence) shows, the first run for which PlotShows
// holds, found from the plot's model, run and point settings without
// building runs; ok is false when the plan has none.
func (p *Plan) Shows(ps PlotSpec) (pos int, ok bool) {
	mi, found := p.labels[ps.Model]
	if !found || ps.Run < 0 || ps.Run >= p.repeat {
		return -1, false
	}
	// Each axis is fixed to one value index by the plot, or free (-1).
	fixed := make([]int, len(p.st.axes))
	for a := range fixed {
		fixed[a] = -1
	}
	for _, set := range ps.Point {
		a := -1
		for j, ax := range p.st.axes {
			if ax.key == set.Key {
				a = j
			}
		}
		if a < 0 {
			return -1, false
		}
		j, found := p.byValue[a][math.Float64bits(set.Value)]
		if !found || fixed[a] >= 0 && fixed[a] != j {
			return -1, false
		}
		fixed[a] = j
	}
	// The first point of the shard whose values are the fixed ones:
	// with every axis fixed (as Load makes a per-run plot's point) there
	// is one; free axes take the shard's points in order.
	free := false
	for _, j := range fixed {
		free = free || j < 0
	}
	if !free {
		i := 0
		for a, ax := range p.st.axes {
			i = i*len(ax.nodes) + fixed[a]
		}
		pos = p.position(i, mi, ps.Run)
		return pos, pos >= 0
	}
	for q := range p.points {
		idx := p.odometer(p.pointIndex(q))
		match := true
		for a, j := range fixed {
			if j >= 0 && idx[a] != j {
				match = false
				break
			}
		}
		if match {
			return q*p.perPoint + mi*p.repeat + ps.Run, true
		}
	}
	return -1, false
}
