package experiments

import (
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Point is one combination of swept values.
type Point struct {
	Index int         // 0-based, in expansion order (first sweep key outermost)
	Axes  []AxisValue // one per swept key, in sweep order
	// Spec is a fully resolved copy of the experiment with the point's
	// values applied: network.uplink and page.objects[].host filled in,
	// model options set, and Sweep empty.
	Spec *Spec
}

// RunConfig is one run: a point, a model and a repetition.
type RunConfig struct {
	Index      int    // 0-based, points x models x repetitions, point-major
	Point      *Point // the point, shared by the runs of the point
	Model      ModelSpec
	ModelIndex int    // index in Point.Spec.Models
	Rep        int    // repetition, 0-based
	Seed       uint64 // RunSeed(Point.Spec.Seed, Rep)
	ID         string // e.g. "network.rtt=50ms/model=pipelined/run=3"
}

// RunSeed is the seed of repetition rep: the (rep+1)-th output of a
// SplitMix64 generator seeded with seed. It does not depend on the point
// or the model, so every model and point of one repetition sees the same
// random streams (common random numbers), and different repetitions get
// well-mixed, different seeds.
func RunSeed(seed uint64, rep int) uint64 {
	z := seed + uint64(rep+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Points expands the sweep into its cartesian product: the first sweep key
// outermost, each key's values in file order. Without a sweep there is one
// point with no axes. Every point's spec is checked; the error is an
// ErrorList.
func (s *Spec) Points() ([]Point, error) {
	return s.pointsOf(1, 1)
}

// pointsOf builds and checks the points of shard k of n (see ShardRuns):
// the Spec as it is now is checked as Load checks a file, and each point
// is a copy of it with the point's values applied. The sweep values Load
// decoded are applied as they are; the positions of problems are those of
// the file Load read (none for a Spec built in Go).
func (s *Spec) pointsOf(k, n int) ([]Point, error) {
	st := s.checker()
	st.check()
	errs := st.d.errs
	if len(errs) == 0 {
		var pts []Point
		pts, errs = st.points(-1, k, n, true)
		if len(errs) == 0 {
			return pts, nil
		}
	}
	return nil, errs.sorted()
}

// checker returns the checks of s as it is now, on a copy of it.
func (s *Spec) checker() *loaded {
	c := s.clone()
	c.Sweep = slices.Clone(s.Sweep)
	for i := range c.Sweep {
		c.Sweep[i].Values = slices.Clone(c.Sweep[i].Values)
	}
	c.Plots = slices.Clone(s.Plots)
	for i := range c.Plots {
		c.Plots[i].Point = slices.Clone(c.Plots[i].Point)
	}
	c.Labels = slices.Clone(s.Labels)
	st := &loaded{spec: c, d: newDecoder("", nil)}
	if s.src != nil {
		st.file = s.src.file
		st.d.file = s.src.file
		st.d.parent = &decoder{nodes: s.src.nodes}
		st.cache = s.src.values
		st.pointNodes = s.src.pointNodes
	}
	st.baseSeen = maps.Clone(st.d.seen)
	return st
}

// Runs expands the experiment into runs: for each point, for each model,
// for each repetition.
func (s *Spec) Runs() ([]RunConfig, error) {
	return s.ShardRuns(1, 1)
}

// ShardRuns expands shard k of n (1 <= k <= n) into runs: the runs of
// every n-th point, starting with the k-th (points k-1, k-1+n, ... in
// 0-based order), so the n shards are disjoint and together hold every
// run. Only the shard's points are built and checked; each run keeps its
// Index in the whole experiment. ShardRuns(1, 1) is Runs. Check the size
// of a shard with ShardRunCount first: the runs are built in memory.
func (s *Spec) ShardRuns(k, n int) ([]RunConfig, error) {
	if n < 1 || k < 1 || k > n {
		return nil, fmt.Errorf("experiments: shard %d of %d: want 1 <= k <= n", k, n)
	}
	pts, err := s.pointsOf(k, n)
	if err != nil {
		return nil, err
	}
	perPoint := len(s.Models) * s.Repeat
	runs := make([]RunConfig, 0, len(pts)*perPoint)
	for pi := range pts {
		p := &pts[pi]
		var prefix strings.Builder
		for _, a := range p.Axes {
			prefix.WriteString(a.Key + "=" + a.Text + "/")
		}
		for mi, m := range p.Spec.Models {
			for rep := range s.Repeat {
				runs = append(runs, RunConfig{
					Index:      (p.Index*len(p.Spec.Models)+mi)*s.Repeat + rep,
					Point:      p,
					Model:      m,
					ModelIndex: mi,
					Rep:        rep,
					Seed:       RunSeed(p.Spec.Seed, rep),
					ID:         prefix.String() + "model=" + m.Label + "/run=" + strconv.Itoa(rep),
				})
			}
		}
	}
	return runs, nil
}

// RunCount returns how many runs the experiment has (points x models x
// repeat) without building them: what to check before calling Runs.
func (s *Spec) RunCount() int {
	return s.ShardRunCount(1, 1)
}

// ShardRunCount returns how many runs ShardRuns(k, n) builds, without
// building them; 0 for a shard that does not exist. It saturates at
// math.MaxInt for a Spec built in code beyond Load's bounds.
func (s *Spec) ShardRunCount(k, n int) int {
	if n < 1 || k < 1 || k > n {
		return 0
	}
	points := 1
	for _, a := range s.Sweep {
		points = mulSat(points, len(a.Values))
	}
	shard := 0
	if k-1 < points {
		shard = (points-(k-1)-1)/n + 1
	}
	return mulSat(mulSat(shard, len(s.Models)), max(s.Repeat, 0))
}

// mulSat returns a*b for non-negative a and b, or math.MaxInt when that
// overflows.
func mulSat(a, b int) int {
	if a != 0 && b > math.MaxInt/a {
		return math.MaxInt
	}
	return a * b
}

// points builds the sweep's points in order, at most limit of them when
// limit >= 0, checking each; with shards (n > 1) only the points of shard
// k of n, and limit counts those. It returns them when keep is set (a
// check that does not keep them holds one point at a time). A problem
// found only at some points names the first such point.
// setUnits gives each axis the unit of its key (AxisValue.Unit) and
// returns the number of sweep points.
func (st *loaded) setUnits() int {
	all := 1
	for _, a := range st.axes {
		all *= len(a.nodes)
		a.unit = st.spec.AxisUnit(a.key)
	}
	return all
}

func (st *loaded) points(limit, k, n int, keep bool) ([]Point, ErrorList) {
	all := st.setUnits()
	count := 0 // points of the shard
	if k-1 < all {
		count = (all-(k-1)-1)/n + 1
	}
	if limit >= 0 && count > limit {
		count = limit
	}
	type found struct {
		count, first int
	}
	var (
		pts    []Point
		order  []Error
		counts = map[Error]*found{}
		idx    = make([]int, len(st.axes))
	)
	for j := range count {
		i := k - 1 + j*n
		// The odometer of point i: the last key fastest.
		for a, rest := len(idx)-1, i; a >= 0; a-- {
			m := len(st.axes[a].nodes)
			idx[a], rest = rest%m, rest/m
		}
		ps, d, axes := st.point(idx, true)
		for _, e := range d.errs {
			if f := counts[*e]; f != nil {
				f.count++
				continue
			}
			if len(order) < maxErrors {
				counts[*e] = &found{count: 1, first: i}
				order = append(order, *e)
			}
		}
		if keep && len(order) == 0 {
			pts = append(pts, Point{Index: i, Axes: axes, Spec: ps})
		}
	}
	if len(order) == 0 {
		return pts, nil
	}
	var errs ErrorList
	for _, e := range order {
		f := counts[e]
		if f.count < count {
			e.Msg += " (at sweep point " + pointText(st.axes, f.first)
			if f.count > 1 {
				e.Msg += fmt.Sprintf(" and %d other points", f.count-1)
			}
			e.Msg += ")"
		}
		errs = append(errs, &e)
	}
	return nil, errs
}

// pointText names point i as "k1=v1, k2=v2".
func pointText(axes []*axis, i int) string {
	parts := make([]string, len(axes))
	for k := len(axes) - 1; k >= 0; k-- {
		m := len(axes[k].nodes)
		parts[k] = axes[k].key + "=" + axes[k].values[i%m].Text
		i /= m
	}
	return strings.Join(parts, ", ")
}

// point builds the spec of the point whose value indices are idx: a copy
// of the checked spec with the values applied, checked by the rules that
// involve several keys when check is set (a Plan builds points checked
// before without checking them again: the checks only report, and the
// decoder, which carries their messages and tells which keys of a
// servers: entry the file set, is nil then unless there are servers).
func (st *loaded) point(idx []int, check bool) (*Spec, *decoder, []AxisValue) {
	c := *st.spec
	ps := &c
	ps.Models = slices.Clone(ps.Models)
	ps.Clients = clonePopulations(ps.Clients)
	ps.Servers = cloneServers(ps.Servers)
	ps.Proxies = cloneProxies(ps.Proxies)
	var d *decoder // for the checks' messages, and what servers: and proxies: entries set
	if check || len(ps.Servers) > 0 || len(ps.Proxies) > 0 {
		d = newDecoder(st.file, st.d.root)
		d.parent = st.d
	}
	root := reflect.ValueOf(ps).Elem()
	axes := make([]AxisValue, 0, len(st.axes))
	for k, a := range st.axes {
		v := a.values[idx[k]]
		axes = append(axes, AxisValue{Key: a.key, Value: v.Value, Text: v.Text, Label: v.Label, Unit: a.unit})
		sv := a.vals[idx[k]]
		if sv == nil {
			continue // invalid (reported), or a copy of an earlier value
		}
		if a.option != "" {
			for i := range ps.Models {
				if ps.Models[i].Accepts(a.option) {
					setOption(&ps.Models[i], a.option, sv.v)
				}
			}
			continue
		}
		fv, err := fieldValue(root, a.segs)
		if err != nil {
			continue // reported by the axis's check
		}
		fv.Set(sv.v)
		if d != nil {
			d.over = append(d.over, sv.nodes)
		}
	}
	inheritServers(ps, d)
	// A value may have set the page's objects: the point fills in their
	// hosts in a list of its own.
	ps.Page.Objects = slices.Clone(ps.Page.Objects)
	if check {
		checkConfig(ps, d, st.d.errs)
		if len(st.d.errs) == 0 && len(d.errs) == 0 {
			checkModelConfigs(ps, d)
		}
	}
	if ps.Network.Uplink == 0 {
		ps.Network.Uplink = ps.Network.Bandwidth
	}
	for i := range ps.Page.Objects {
		if ps.Page.Objects[i].Host == "" {
			ps.Page.Objects[i].Host = ps.Page.Host
		}
	}
	ps.Sweep = nil
	ps.Labels = nil
	// The plots were resolved against the sweep; keep the base spec's.
	ps.Plots = slices.Clone(st.spec.Plots)
	return ps, d, axes
}

// setOption sets a model option to a value decoded by decodeValue.
func setOption(m *ModelSpec, opt string, v reflect.Value) {
	switch opt {
	case "connections":
		m.Connections = int(v.Int())
	case "depth":
		m.Depth = int(v.Int())
	case "shards":
		m.Shards = int(v.Int())
	case "start":
		m.Start = v.String()
	}
}

// clone returns a copy of s that shares no slice a point changes (models,
// objects).
func (s *Spec) clone() *Spec {
	c := *s
	c.Models = slices.Clone(s.Models)
	c.Page.Objects = slices.Clone(s.Page.Objects)
	c.Clients = clonePopulations(s.Clients)
	c.Servers = cloneServers(s.Servers)
	c.Proxies = cloneProxies(s.Proxies)
	return &c
}
