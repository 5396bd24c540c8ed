package plots

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/gonum/stat"

	"github.com/connsim/connsim/experiments"
)

// ErrNoData is returned (wrapped, with the reason) when a figure has
// nothing to draw: no rows, only failed runs, or only NaN values.
var ErrNoData = errors.New("plots: no data to plot")

// Query selects what a line or bar chart shows from result rows.
type Query struct {
	// X is the swept key on the x axis, e.g. "network.rtt". Empty puts
	// every row of a series at one point (X = 0).
	X string
	// Y is the metric column, one of experiments.MetricNames.
	Y string
	// Series names the column that splits rows into series: "model" (the
	// default when empty) or a swept key. Other swept keys that take more
	// than one value among the selected rows also split series (their
	// values are added to the label), so runs at different points are
	// never pooled into one median.
	Series string
	// Where keeps only the rows whose point has these values, in the
	// output files' units (ms, bit/s, bytes), e.g.
	// {"network.bandwidth": 10e6}. Keys that are not swept are an error.
	Where map[string]float64
}

// Series is one line of a chart: the summary of a group of rows at each
// x value, in display units (see Unit).
type Series struct {
	Label  string // legend text, e.g. "persistent" or "persistent, bandwidth=1Mbps"
	Points []SeriesPoint
}

// SeriesPoint is one x value of a series.
type SeriesPoint struct {
	X     float64 // display units (e.g. Mbit/s for network.bandwidth)
	XText string  // the value as written in the spec, e.g. "100ms"
	// XLabel is the value's name from the spec's labels, e.g. "LAN"; ""
	// when it has none.
	XLabel string
	N      int // runs with a finite value
	// Median and quartiles of the runs' values, in display units, as in
	// summary.csv (gonum's stat.Empirical: the smallest observed value
	// with at least that fraction of the runs at or below it; the median
	// of 1, 2, 3, 10 is 2).
	Median, P25, P75 float64
	Min, Max         float64
}

// SeriesFromRows groups rows into series and summarises each x value.
// Failed rows (Err != "") and NaN or infinite values are skipped. Series
// come in the order their model first appears in the rows (by
// Row.Index), or by value when q.Series is a swept key, then by the values
// of any other varying keys; points are sorted by x. It returns an error for an unknown metric or key and one wrapping
// ErrNoData when nothing is left to plot.
func SeriesFromRows(rows []experiments.Row, q Query) ([]Series, error) {
	if q.Y == "" {
		return nil, errors.New("plots: no metric given (Y)")
	}
	yu, ok := MetricUnit(q.Y)
	if !ok {
		_, err := metricValue(&experiments.Row{}, q.Y)
		return nil, err
	}
	if q.Series == "" {
		q.Series = "model"
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w: no rows", ErrNoData)
	}
	sorted := slices.Clone(rows)
	slices.SortStableFunc(sorted, func(a, b experiments.Row) int { return cmp.Compare(a.Index, b.Index) })

	// Which keys are swept at all (any row, failed or not).
	swept := map[string]bool{}
	var keyOrder []string
	for i := range sorted {
		for _, a := range sorted[i].Point {
			if !swept[a.Key] {
				swept[a.Key] = true
				keyOrder = append(keyOrder, a.Key)
			}
		}
	}
	sweptList := func() string {
		if len(keyOrder) == 0 {
			return "none"
		}
		return strings.Join(keyOrder, ", ")
	}
	for _, k := range []string{q.X, q.Series} {
		if k != "" && k != "model" && !swept[k] {
			return nil, fmt.Errorf("plots: %q is not a swept key (swept: %s)", k, sweptList())
		}
	}
	if q.X == "model" {
		return nil, errors.New(`plots: x cannot be "model"; use a bar chart without X`)
	}
	for _, k := range slices.Sorted(maps.Keys(q.Where)) {
		if !swept[k] {
			return nil, fmt.Errorf("plots: where: %q is not a swept key (swept: %s)", k, sweptList())
		}
	}

	// Keep successful rows at the chosen point.
	var kept []*experiments.Row
	failed := 0
	for i := range sorted {
		r := &sorted[i]
		if r.Err != "" {
			failed++
			continue
		}
		if matchWhere(r.Point, q.Where) {
			kept = append(kept, r)
		}
	}

	// Keys other than x, series and where that vary split series too.
	var extra []string
	for _, k := range keyOrder {
		if k == q.X || k == q.Series {
			continue
		}
		if _, fixed := q.Where[k]; fixed {
			continue
		}
		seen := map[float64]bool{}
		for _, r := range kept {
			if a, ok := pointValue(r.Point, k); ok {
				seen[a.Value] = true
			}
		}
		if len(seen) > 1 {
			extra = append(extra, k)
		}
	}

	xu := KeyUnit(q.X)
	type group struct {
		label  string
		rank   int       // first appearance of the model
		sortBy []float64 // series value (if a key), then extra values
		byX    map[float64]*xbucket
	}
	var groups []*group
	index := map[string]*group{}
	modelRank := map[string]int{}
	finite := 0
	for _, r := range kept {
		if _, ok := modelRank[r.Model]; !ok {
			modelRank[r.Model] = len(modelRank)
		}
		label, sortBy := "", []float64(nil)
		if q.Series == "model" {
			label = r.Model
		} else {
			a, ok := pointValue(r.Point, q.Series)
			if !ok {
				continue
			}
			label = keyValueText(a)
			sortBy = append(sortBy, a.Value)
		}
		for _, k := range extra {
			a, ok := pointValue(r.Point, k)
			if !ok {
				continue
			}
			label += ", " + keyValueText(a)
			sortBy = append(sortBy, a.Value)
		}
		g := index[label]
		if g == nil {
			g = &group{label: label, rank: modelRank[r.Model], sortBy: sortBy, byX: map[float64]*xbucket{}}
			if q.Series != "model" {
				g.rank = 0
			}
			index[label] = g
			groups = append(groups, g)
		}
		x, xt, xl := 0.0, "", ""
		if q.X != "" {
			a, ok := pointValue(r.Point, q.X)
			if !ok {
				continue
			}
			x, xt, xl = a.Value*xu.Scale, axisText(a), a.Label
		}
		v, _ := metricValue(r, q.Y)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		b := g.byX[x]
		if b == nil {
			b = &xbucket{text: xt, label: xl}
			g.byX[x] = b
		}
		b.values = append(b.values, v*yu.Scale)
		finite++
	}
	slices.SortStableFunc(groups, func(a, b *group) int {
		if c := cmp.Compare(a.rank, b.rank); c != 0 {
			return c
		}
		return slices.Compare(a.sortBy, b.sortBy)
	})

	var out []Series
	for _, g := range groups {
		s := Series{Label: g.label}
		for _, x := range slices.Sorted(maps.Keys(g.byX)) {
			b := g.byX[x]
			vs := slices.Clone(b.values)
			slices.Sort(vs)
			s.Points = append(s.Points, SeriesPoint{
				X: x, XText: b.text, XLabel: b.label, N: len(vs),
				Median: quantile(vs, 0.5), P25: quantile(vs, 0.25), P75: quantile(vs, 0.75),
				Min: vs[0], Max: vs[len(vs)-1],
			})
		}
		if len(s.Points) > 0 {
			out = append(out, s)
		}
	}
	if finite == 0 {
		return nil, fmt.Errorf("%w: no finite %s values in %d rows (%d failed, %d at the chosen point)",
			ErrNoData, q.Y, len(rows), failed, len(kept))
	}
	return out, nil
}

type xbucket struct {
	text, label string
	values      []float64
}

// quantile returns the p-quantile of sorted values with gonum's
// stat.Empirical rule, the one summary.csv uses: the smallest observed
// value x with at least a fraction p of the values <= x. The median of an
// even number of runs is thus the lower middle run, and every plotted
// median is a run that happened. It returns NaN for no values.
func quantile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	return stat.Quantile(p, stat.Empirical, sorted, nil)
}

// matchWhere reports whether a point has every value of where.
func matchWhere(point []experiments.AxisValue, where map[string]float64) bool {
	for k, want := range where {
		a, ok := pointValue(point, k)
		if !ok || math.Abs(a.Value-want) > 1e-9*math.Max(1, math.Abs(want)) {
			return false
		}
	}
	return true
}

// axisText is the value as written in the spec, or the number.
func axisText(a experiments.AxisValue) string {
	if a.Text != "" {
		return a.Text
	}
	return formatNumber(a.Value, 6)
}

// keyValueText names a swept value for a legend or title: its name from
// the spec's labels ("LAN"), or key=value as written ("rtt=100ms").
func keyValueText(a experiments.AxisValue) string {
	if a.Label != "" {
		return a.Label
	}
	return shortKey(a.Key) + "=" + axisText(a)
}

// whereText describes the fixed keys of a query for a title, with the
// values as written in the spec: "rtt=100ms, bandwidth=10Mbps", or their
// names from the spec's labels.
func whereText(rows []experiments.Row, where map[string]float64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(where)) {
		text := shortKey(k) + "=" + formatNumber(where[k], 6)
		for i := range rows {
			if a, ok := pointValue(rows[i].Point, k); ok && matchWhere([]experiments.AxisValue{a}, map[string]float64{k: where[k]}) {
				text = keyValueText(a)
				break
			}
		}
		parts = append(parts, text)
	}
	return strings.Join(parts, ", ")
}
