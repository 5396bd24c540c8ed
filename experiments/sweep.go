package experiments

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
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

// pointsOf builds and checks the points of shard k of n (see ShardRuns).
func (s *Spec) pointsOf(k, n int) ([]Point, error) {
	file, data, err := s.source()
	if err != nil {
		return nil, err
	}
	st, errs := loadBase(file, data)
	if len(errs) == 0 {
		var pts []Point
		pts, errs = st.points(-1, k, n, true)
		if len(errs) == 0 {
			return pts, nil
		}
	}
	return nil, errs.sorted()
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
func (st *loaded) points(limit, k, n int, keep bool) ([]Point, ErrorList) {
	all := 1
	for _, a := range st.axes {
		all *= len(a.nodes)
	}
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
		ps, d, axes := st.point(idx)
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

// point builds the spec of the point whose value indices are idx.
func (st *loaded) point(idx []int) (*Spec, *decoder, []AxisValue) {
	tree := st.bare
	var axes []AxisValue
	var patchErrs []Error
	owned := map[*yaml.Node]bool{} // the point's copies, patched in place by the next keys
	for k, a := range st.axes {
		v := a.values[idx[k]]
		axes = append(axes, AxisValue{Key: a.key, Value: v.Value, Text: v.Text, Label: v.Label, Unit: st.spec.AxisUnit(a.key)})
		if a.segs != nil {
			t, err := patch(tree, a.segs, a.nodes[idx[k]], owned)
			if err != nil {
				patchErrs = append(patchErrs, Error{File: st.file, Line: a.keyNode.Line, Column: a.keyNode.Column,
					Path: "sweep." + a.key, Msg: "cannot set " + segsString(a.segs) + ": " + err.Error()})
				continue
			}
			tree = t
		}
	}
	ps, d := st.decodePoint(tree)
	for _, e := range patchErrs {
		d.addError(e)
	}
	for k, a := range st.axes {
		if a.option == "" {
			continue
		}
		for i := range ps.Models {
			if ps.Models[i].Accepts(a.option) {
				d.setModelOption(&ps.Models[i], a.option, a.nodes[idx[k]], "model."+a.option)
			}
		}
	}
	checkConfig(ps, d)
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

// decodePoint decodes a point's tree: the bare tree with the point's
// values patched in. Only the top-level sections that a sweep key sets are
// decoded again (each from its default, as a decode of the whole tree
// would); the others are copied from the bare tree's decode, made once:
// a point does not decode the page again unless the page is swept. Its
// decoder finds the nodes of the sections it did not decode in the bare
// tree's decoder.
func (st *loaded) decodePoint(tree *yaml.Node) (*Spec, *decoder) {
	if st.bareSpec == nil {
		st.bareSpec, st.bareDec = decodeRoot(st.file, st.bare)
		st.sections = map[string]bool{}
		for _, a := range st.axes {
			if len(a.segs) > 0 {
				st.sections[a.segs[0].key] = true
			}
		}
	}
	ps := st.bareSpec.clone()
	d := newDecoder(st.file, tree)
	d.parent, d.own = st.bareDec, st.sections
	root := resolve(tree)
	if root == nil || root.Kind != yaml.MappingNode {
		return ps, d
	}
	defaults := reflect.ValueOf(defaultSpec()).Elem()
	v := reflect.ValueOf(ps).Elem()
	fs := fieldsOf(v.Type())
	done := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := resolve(root.Content[i])
		if k == nil || k.Kind != yaml.ScalarNode || !st.sections[k.Value] || done[k.Value] {
			continue
		}
		done[k.Value] = true // the first of duplicate keys counts, as in decodeStruct
		j := slices.IndexFunc(fs, func(f field) bool { return f.key == k.Value })
		if j < 0 {
			continue
		}
		f := fs[j]
		v.Field(f.index).Set(defaults.Field(f.index))
		d.decode(root.Content[i+1], f.key, v.Field(f.index), f)
	}
	return ps, d
}

// clone returns a copy of s that shares no slice a point changes (models,
// objects).
func (s *Spec) clone() *Spec {
	c := *s
	c.Models = slices.Clone(s.Models)
	c.Page.Objects = slices.Clone(s.Page.Objects)
	return &c
}
