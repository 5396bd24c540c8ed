package experiments

import (
	"fmt"
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
	file, data, err := s.source()
	if err != nil {
		return nil, err
	}
	st, errs := loadBase(file, data)
	if len(errs) == 0 {
		var pts []Point
		pts, errs = st.points(-1)
		if len(errs) == 0 {
			return pts, nil
		}
	}
	return nil, errs.sorted()
}

// Runs expands the experiment into runs: for each point, for each model,
// for each repetition.
func (s *Spec) Runs() ([]RunConfig, error) {
	pts, err := s.Points()
	if err != nil {
		return nil, err
	}
	var runs []RunConfig
	for pi := range pts {
		p := &pts[pi]
		var prefix strings.Builder
		for _, a := range p.Axes {
			prefix.WriteString(a.Key + "=" + a.Text + "/")
		}
		for mi, m := range p.Spec.Models {
			for rep := range s.Repeat {
				runs = append(runs, RunConfig{
					Index:      len(runs),
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

// points builds the sweep's points in order, at most limit of them when
// limit >= 0, checking each. A problem found only at some points names
// the first such point.
func (st *loaded) points(limit int) ([]Point, ErrorList) {
	n := 1
	for _, a := range st.axes {
		n *= len(a.nodes)
	}
	if limit >= 0 && n > limit {
		n = limit
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
	for i := range n {
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
		if len(order) == 0 {
			pts = append(pts, Point{Index: i, Axes: axes, Spec: ps})
		}
		// Advance the odometer: the last key fastest.
		for k := len(idx) - 1; k >= 0; k-- {
			idx[k]++
			if idx[k] < len(st.axes[k].nodes) {
				break
			}
			idx[k] = 0
		}
	}
	if len(order) == 0 {
		return pts, nil
	}
	var errs ErrorList
	for _, e := range order {
		f := counts[e]
		if f.count < n {
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
		axes = append(axes, AxisValue{Key: a.key, Value: v.Value, Text: v.Text, Label: v.Label})
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
	ps, d := decodeRoot(st.file, tree)
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
