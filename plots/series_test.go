package plots

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/connsim/connsim/experiments"
)

func bw(v float64, text string) experiments.AxisValue {
	return experiments.AxisValue{Key: "network.bandwidth", Value: v, Text: text}
}

func rtt(v float64) experiments.AxisValue {
	return experiments.AxisValue{Key: "network.rtt", Value: v, Text: formatNumber(v, 6) + "ms"}
}

// TestSeriesFromRows: rows out of index order, two models, bandwidth in
// bit/s and bytes in bytes. Series come in model order of first
// appearance, points sorted by x in Mbit/s, values in KB, with the median
// and quartiles of the runs; a failed row is ignored.
func TestSeriesFromRows(t *testing.T) {
	row := func(idx int, model string, x experiments.AxisValue, bytes int64) experiments.Row {
		return experiments.Row{Index: idx, Model: model, Point: []experiments.AxisValue{x}, Metrics: experiments.Metrics{Bytes: bytes}}
	}
	rows := []experiments.Row{
		row(7, "short-lived", bw(10e6, "10Mbps"), 5000),
		row(3, "persistent", bw(10e6, "10Mbps"), 4000),
		row(0, "persistent", bw(1e6, "1Mbps"), 3000),
		row(1, "short-lived", bw(1e6, "1Mbps"), 8000),
		row(2, "persistent", bw(1e6, "1Mbps"), 1000),
		row(4, "persistent", bw(1e6, "1Mbps"), 10000),
		row(5, "persistent", bw(1e6, "1Mbps"), 2000),
	}
	failed := row(6, "persistent", bw(1e6, "1Mbps"), 1e9)
	failed.Err = "max_events exceeded"
	rows = append(rows, failed)

	got, err := SeriesFromRows(rows, Query{X: "network.bandwidth", Y: "bytes"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Series{
		{Label: "persistent", Points: []SeriesPoint{
			{X: 1, XText: "1Mbps", N: 4, Median: 2, P25: 1, P75: 3, Min: 1, Max: 10},
			{X: 10, XText: "10Mbps", N: 1, Median: 4, P25: 4, P75: 4, Min: 4, Max: 4},
		}},
		{Label: "short-lived", Points: []SeriesPoint{
			{X: 1, XText: "1Mbps", N: 1, Median: 8, P25: 8, P75: 8, Min: 8, Max: 8},
			{X: 10, XText: "10Mbps", N: 1, Median: 5, P25: 5, P75: 5, Min: 5, Max: 5},
		}},
	}
	if !seriesEqual(got, want) {
		t.Errorf("got %+v,\nwant %+v", got, want)
	}
}

// TestSeriesSplitsOtherKeys: with rtt on x and bandwidth also swept, each
// bandwidth gets its own series (never pooled), in model order then by
// bandwidth value; Where fixes it instead;
// and Series can be a swept key, ordered by value.
func TestSeriesSplitsOtherKeys(t *testing.T) {
	var rows []experiments.Row
	i := 0
	for _, b := range []experiments.AxisValue{bw(10e6, "10Mbps"), bw(1e6, "1Mbps")} {
		for _, r := range []float64{100, 20} {
			for _, m := range []string{"pipelined", "http2"} {
				rows = append(rows, experiments.Row{Index: i, Model: m, Point: []experiments.AxisValue{rtt(r), b},
					Metrics: experiments.Metrics{PLTMS: r * b.Value / 1e6}})
				i++
			}
		}
	}
	labels := func(ss []Series) []string {
		var l []string
		for _, s := range ss {
			l = append(l, s.Label)
		}
		return l
	}
	tests := []struct {
		name string
		q    Query
		want []string
	}{
		{"split", Query{X: "network.rtt", Y: "plt_ms"},
			[]string{"pipelined, bandwidth=1Mbps", "pipelined, bandwidth=10Mbps", "http2, bandwidth=1Mbps", "http2, bandwidth=10Mbps"}},
		{"where", Query{X: "network.rtt", Y: "plt_ms", Where: map[string]float64{"network.bandwidth": 1e6}},
			[]string{"pipelined", "http2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SeriesFromRows(rows, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(labels(got), tc.want) {
				t.Errorf("got %q, want %q", labels(got), tc.want)
			}
			for _, s := range got {
				if len(s.Points) != 2 || s.Points[0].X != 20 || s.Points[1].X != 100 || s.Points[0].N != 1 {
					t.Errorf("series %q: got points %+v, want x 20 then 100, one run each", s.Label, s.Points)
				}
			}
		})
	}
	t.Run("series key", func(t *testing.T) {
		one := slices.DeleteFunc(slices.Clone(rows), func(r experiments.Row) bool { return r.Model != "http2" })
		got, err := SeriesFromRows(one, Query{X: "network.rtt", Y: "plt_ms", Series: "network.bandwidth"})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"bandwidth=1Mbps", "bandwidth=10Mbps"}
		if !slices.Equal(labels(got), want) {
			t.Errorf("got %q, want %q", labels(got), want)
		}
	})
}

// TestQuantile checks the rule summary.csv uses (stat.Empirical): the
// smallest observed value with at least a fraction p at or below it.
func TestQuantile(t *testing.T) {
	tests := []struct {
		vs   []float64
		p    float64
		want float64
	}{
		{[]float64{5}, 0.5, 5},
		{[]float64{1, 3}, 0.5, 1},
		{[]float64{1, 3}, 0.75, 3},
		{[]float64{1, 2, 3, 10}, 0.5, 2},
		{[]float64{1, 2, 3, 10}, 0.25, 1},
		{[]float64{1, 2, 3, 10}, 0.75, 3},
		{[]float64{1, 2, 3, 4, 5}, 0.25, 2},
		{[]float64{1, 2, 3, 4, 5}, 0.5, 3},
		{[]float64{1, 2, 3, 4, 5}, 1, 5},
	}
	for _, tc := range tests {
		if got := quantile(tc.vs, tc.p); got != tc.want {
			t.Errorf("quantile(%v, %v): got %v, want %v", tc.vs, tc.p, got, tc.want)
		}
	}
	if got := quantile(nil, 0.5); !math.IsNaN(got) {
		t.Errorf("quantile(nil): got %v, want NaN", got)
	}
}

// TestUnits checks the axis labels and conversions of common columns.
func TestUnits(t *testing.T) {
	tests := []struct {
		u     Unit
		label string
		scale float64
	}{
		{KeyUnit("network.rtt"), "RTT (ms)", 1},
		{KeyUnit("network.bandwidth"), "bandwidth (Mbit/s)", 1e-6},
		{KeyUnit("network.queue"), "bottleneck queue (KB)", 1e-3},
		{KeyUnit("network.loss"), "random packet loss (%)", 100},
		{KeyUnit("model.shards"), "shards (hostnames)", 1},
		{KeyUnit("page.objects[0].size"), "object size (KB)", 1e-3},
		{KeyUnit("tcp.mss"), "MSS (bytes)", 1},
		{KeyUnit("tcp.initial_window"), "initial window (segments)", 1},
		{KeyUnit("http.response_header_bytes"), "response headers (bytes)", 1},
		// Nothing is guessed from a name: a key that is not a spec field
		// is shown as written, without a unit.
		{KeyUnit("proxy.link_rate"), "proxy.link_rate", 1},
		{KeyUnit("whatever"), "whatever", 1},
		{mustMetric(t, "plt_ms"), "page load time (ms)", 1},
		{mustMetric(t, "bytes"), "bytes on the wire (KB)", 1e-3},
		{mustMetric(t, "connections"), "TCP connections opened", 1},
	}
	for _, tc := range tests {
		if got := tc.u.Label(); got != tc.label || tc.u.Scale != tc.scale {
			t.Errorf("got %q scale %g, want %q scale %g", got, tc.u.Scale, tc.label, tc.scale)
		}
	}
	for _, m := range experiments.MetricNames {
		if _, ok := MetricUnit(m); !ok {
			t.Errorf("metric %q has no unit", m)
		}
		if _, err := metricValue(&experiments.Row{}, m); err != nil {
			t.Errorf("metric %q: %v", m, err)
		}
	}
}

func mustMetric(t *testing.T, m string) Unit {
	t.Helper()
	u, ok := MetricUnit(m)
	if !ok {
		t.Fatalf("no unit for %q", m)
	}
	return u
}

// TestSeriesErrors: bad queries are errors that say what is wrong, and
// empty results wrap ErrNoData.
func TestSeriesErrors(t *testing.T) {
	rows := fixtureLineRows(1)
	nan := fixtureLineRows(1)
	for i := range nan {
		nan[i].PLTMS = math.NaN()
	}
	failed := fixtureLineRows(1)
	for i := range failed {
		failed[i].Err = "limit"
	}
	tests := []struct {
		name   string
		rows   []experiments.Row
		q      Query
		noData bool
		msg    string
	}{
		{"no rows", nil, Query{X: "network.rtt", Y: "plt_ms"}, true, "no rows"},
		{"unknown metric", rows, Query{X: "network.rtt", Y: "plt"}, false, `unknown metric "plt"`},
		{"no metric", rows, Query{X: "network.rtt"}, false, "no metric"},
		{"unknown key", rows, Query{X: "network.bandwidth", Y: "plt_ms"}, false, `"network.bandwidth" is not a swept key`},
		{"unknown where", rows, Query{X: "network.rtt", Y: "plt_ms", Where: map[string]float64{"tcp.mss": 1}}, false, "where"},
		{"nan only", nan, Query{X: "network.rtt", Y: "plt_ms"}, true, "no finite plt_ms"},
		{"all failed", failed, Query{X: "network.rtt", Y: "plt_ms"}, true, "30 failed"},
		{"where matches nothing", rows, Query{X: "network.rtt", Y: "plt_ms", Where: map[string]float64{"network.rtt": 33}}, true, "0 at the chosen point"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := SeriesFromRows(tc.rows, tc.q)
			if err == nil {
				t.Fatal("got no error")
			}
			if errors.Is(err, ErrNoData) != tc.noData || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("got %v (ErrNoData %v), want %q (ErrNoData %v)", err, errors.Is(err, ErrNoData), tc.msg, tc.noData)
			}
		})
	}
}

func seriesEqual(a, b []Series) bool {
	return slices.EqualFunc(a, b, func(x, y Series) bool {
		return x.Label == y.Label && slices.EqualFunc(x.Points, y.Points, func(p, q SeriesPoint) bool {
			near := func(u, v float64) bool { return math.Abs(u-v) < 1e-9 }
			return near(p.X, q.X) && p.XText == q.XText && p.N == q.N && near(p.Median, q.Median) &&
				near(p.P25, q.P25) && near(p.P75, q.P75) && near(p.Min, q.Min) && near(p.Max, q.Max)
		})
	})
}

// TestRowsCarryUnits: a key's values are shown in the unit the rows
// carry, not the one its name would give: a queue swept in packets is
// drawn in packets (scale 1), not KB, in the series, the axis label, the
// bar groups and a legend title.
func TestRowsCarryUnits(t *testing.T) {
	packets := experiments.Unit{Name: "bottleneck queue", Unit: "packets", Scale: 1}
	var rows []experiments.Row
	for i, q := range []float64{16, 64} {
		for j, m := range []string{"persistent", "http2"} {
			a := experiments.AxisValue{Key: "network.queue", Value: q, Text: formatNumber(q, 3) + " packets", Unit: packets}
			rows = append(rows, experiments.Row{Index: 2*i + j, Model: m, Point: []experiments.AxisValue{a, rtt(100)},
				Metrics: experiments.Metrics{PLTMS: 100 * q}})
		}
	}
	series, err := SeriesFromRows(rows, Query{X: "network.queue", Y: "plt_ms"})
	if err != nil {
		t.Fatal(err)
	}
	if xs := xValues(series); !slices.Equal(xs, []float64{16, 64}) {
		t.Errorf("x %v, want [16 64] packets (KeyUnit would give KB: 0.016, 0.064)", xs)
	}
	ld, err := lineData(rows, LineOptions{X: "network.queue", Y: "plt_ms"})
	if err != nil {
		t.Fatal(err)
	}
	if ld.XLabel != "bottleneck queue (packets)" {
		t.Errorf("line x label %q, want \"bottleneck queue (packets)\"", ld.XLabel)
	}
	bd, err := barData(rows, BarOptions{X: "network.queue", Y: "plt_ms"})
	if err != nil {
		t.Fatal(err)
	}
	if bd.XLabel != "bottleneck queue (packets)" || bd.Ticks[0].Label != "16" || bd.Ticks[1].Label != "64" {
		t.Errorf("bar x label %q, groups %v; want \"bottleneck queue (packets)\", 16 and 64", bd.XLabel, bd.Ticks)
	}
	// A legend titled by a series key takes the name the rows carry.
	for i := range rows {
		rows[i].Point[0].Unit.Name = "queue limit"
	}
	ld, err = lineData(rows, LineOptions{X: "network.rtt", Y: "plt_ms", Series: "network.queue"})
	if err != nil {
		t.Fatal(err)
	}
	if ld.LegendTitle != "queue limit" {
		t.Errorf("legend title %q, want the rows' \"queue limit\"", ld.LegendTitle)
	}
}
