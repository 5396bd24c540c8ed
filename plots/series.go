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
	X     float64 // display units, the rows' (e.g. Mbit/s for network.bandwidth)
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
// of any other varying keys; points are sorted by x. X is in the unit the
// rows' values of q.X carry (AxisValue.Unit; KeyUnit when they carry
// none). It returns an error for an unknown metric or key and one
// wrapping ErrNoData when nothing is left to plot.
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
	keys := sweptKeys(sorted)
	if err := checkQueryKeys(q, keys); err != nil {
		return nil, err
	}
	kept, failed := keepRows(sorted, q.Where)
	extra := varyingKeys(kept, keys, q)
	groups, finite := groupRows(kept, q, extra, axisUnit(rows, q.X), yu)
	if finite == 0 {
		return nil, fmt.Errorf("%w: no finite %s values in %d rows (%d failed, %d at the chosen point)",
			ErrNoData, q.Y, len(rows), failed, len(kept))
	}
	return summarise(groups), nil
}

// sweptKeys returns the keys swept in any row (failed or not), in the
// order they first appear.
func sweptKeys(rows []experiments.Row) []string {
	var keys []string
	for i := range rows {
		for _, a := range rows[i].Point {
			if !slices.Contains(keys, a.Key) {
				keys = append(keys, a.Key)
			}
		}
	}
	return keys
}

// checkQueryKeys reports a query key that is not swept, or a model on x.
func checkQueryKeys(q Query, swept []string) error {
	sweptList := "none"
	if len(swept) > 0 {
		sweptList = strings.Join(swept, ", ")
	}
	for _, k := range []string{q.X, q.Series} {
		if k != "" && k != "model" && !slices.Contains(swept, k) {
			return fmt.Errorf("plots: %q is not a swept key (swept: %s)", k, sweptList)
		}
	}
	if q.X == "model" {
		return errors.New(`plots: x cannot be "model"; use a bar chart without X`)
	}
	for _, k := range slices.Sorted(maps.Keys(q.Where)) {
		if !slices.Contains(swept, k) {
			return fmt.Errorf("plots: where: %q is not a swept key (swept: %s)", k, sweptList)
		}
	}
	return nil
}

// keepRows returns the successful rows at the point where chooses, and
// how many rows failed.
func keepRows(rows []experiments.Row, where map[string]float64) (kept []*experiments.Row, failed int) {
	for i := range rows {
		r := &rows[i]
		if r.Err != "" {
			failed++
			continue
		}
		if matchWhere(r.Point, where) {
			kept = append(kept, r)
		}
	}
	return kept, failed
}

// varyingKeys returns the swept keys other than q's x, series and where
// keys that take more than one value among the rows: they split series
// too.
func varyingKeys(rows []*experiments.Row, swept []string, q Query) []string {
	var extra []string
	for _, k := range swept {
		if k == q.X || k == q.Series {
			continue
		}
		if _, fixed := q.Where[k]; fixed {
			continue
		}
		seen := map[float64]bool{}
		for _, r := range rows {
			if a, ok := pointValue(r.Point, k); ok {
				seen[a.Value] = true
			}
		}
		if len(seen) > 1 {
			extra = append(extra, k)
		}
	}
	return extra
}

// seriesGroup is the rows of one series, by x value.
type seriesGroup struct {
	label  string
	rank   int       // first appearance of the model; 0 when series is a key
	sortBy []float64 // series value (if a key), then extra values
	byX    map[float64]*xbucket
}

type xbucket struct {
	text, label string
	values      []float64
}

// groupRows puts each row's value of q.Y (in yu's display unit) into its
// series at its x (in xu's), in series order, and counts the finite
// values.
func groupRows(rows []*experiments.Row, q Query, extra []string, xu, yu Unit) ([]*seriesGroup, int) {
	var groups []*seriesGroup
	index := map[string]*seriesGroup{}
	modelRank := map[string]int{}
	finite := 0
	for _, r := range rows {
		if _, ok := modelRank[r.Model]; !ok {
			modelRank[r.Model] = len(modelRank)
		}
		label, sortBy, ok := seriesLabel(r, q.Series, extra)
		if !ok {
			continue
		}
		g := index[label]
		if g == nil {
			g = &seriesGroup{label: label, rank: modelRank[r.Model], sortBy: sortBy, byX: map[float64]*xbucket{}}
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
	slices.SortStableFunc(groups, func(a, b *seriesGroup) int {
		if c := cmp.Compare(a.rank, b.rank); c != 0 {
			return c
		}
		return slices.Compare(a.sortBy, b.sortBy)
	})
	return groups, finite
}

// seriesLabel names the series of a row: its model or its value of the
// series key, then its values of the extra keys; sortBy holds those
// values. ok is false when the row has no value of the series key.
func seriesLabel(r *experiments.Row, series string, extra []string) (label string, sortBy []float64, ok bool) {
	if series == "model" {
		label = r.Model
	} else {
		a, ok := pointValue(r.Point, series)
		if !ok {
			return "", nil, false
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
	return label, sortBy, true
}

// summarise gives each group's points, sorted by x, with the median and
// quartiles of their values; groups without a value are left out.
func summarise(groups []*seriesGroup) []Series {
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
	return out
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
