package experiments

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/connsim/connsim/httpmodel"
	"github.com/connsim/connsim/sim"
)

// Every metric reads and writes its own field: set each to a distinct
// value and read them back through the table.
func TestMetricTableFields(t *testing.T) {
	var m Metrics
	for i, mt := range MetricTable() {
		mt.set(&m, float64(i+1))
	}
	for i, mt := range MetricTable() {
		if got := mt.Value(&m); got != float64(i+1) {
			t.Errorf("%s: got %v, want %v (two metrics share a field?)", mt.Name, got, i+1)
		}
	}
	// Every field of Metrics is in the table.
	if n := reflect.TypeFor[Metrics]().NumField(); n != len(MetricTable()) {
		t.Errorf("Metrics has %d fields, the table %d metrics", n, len(MetricTable()))
	}
	if _, err := MetricValue(&m, "plt"); err == nil || !strings.Contains(err.Error(), "plt_ms") {
		t.Errorf("unknown metric: got %v, want an error listing the metrics", err)
	}
}

// Every sweepable leaf key of the spec has a name in words (a label tag),
// and its unit follows its type.
func TestKeyUnitsFromSpecTypes(t *testing.T) {
	var walk func(tp reflect.Type, prefix string)
	checked := 0
	walk = func(tp reflect.Type, prefix string) {
		for _, f := range fieldsOf(tp) {
			key := prefix + f.key
			ft := tp.Field(f.index).Type
			if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct {
				walk(ft.Elem(), key+"[0].")
				continue
			}
			if ft.Kind() == reflect.Struct && !isLeafType(ft) {
				walk(ft, key+".")
				continue
			}
			if _, _, msg := parseSweepKey(key); msg != "" {
				continue // not sweepable
			}
			if f.hostname {
				continue // host names are text, shown as written
			}
			checked++
			u := KeyUnit(key)
			if u.Name == key {
				t.Errorf("%s: no label tag", key)
			}
			want := map[reflect.Type]string{
				reflect.TypeFor[Duration](): "ms", reflect.TypeFor[Rate](): "Mbit/s",
				reflect.TypeFor[Probability](): "%", reflect.TypeFor[QueueSize](): "KB",
			}[ft]
			if ft == reflect.TypeFor[Size]() && u.Unit != "bytes" {
				want = "KB"
			}
			if want != "" && u.Unit != want {
				t.Errorf("%s: unit %q, want %q", key, u.Unit, want)
			}
			if u.Scale <= 0 || math.IsNaN(u.Scale) {
				t.Errorf("%s: scale %v", key, u.Scale)
			}
		}
	}
	walk(reflect.TypeFor[Spec](), "")
	if checked < 30 {
		t.Errorf("checked only %d keys", checked)
	}
}

// A queue swept in packets is shown in packets; in bytes, in KB.
func TestAxisUnitQueue(t *testing.T) {
	for _, c := range []struct{ values, unit string }{
		{"[16 packets, 64 packets]", "packets"},
		{"[16KB, 64KB]", "KB"},
	} {
		s, err := Load("q.yaml", []byte("name: q\nmodels: [persistent]\npage: {html: 1KB}\nsweep:\n  network.queue: "+c.values+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		if u := s.AxisUnit("network.queue"); u.Unit != c.unit {
			t.Errorf("%s: unit %q, want %q", c.values, u.Unit, c.unit)
		}
		pts, err := s.Points()
		if err != nil {
			t.Fatal(err)
		}
		if u := pts[0].Axes[0].Unit; u.Unit != c.unit || u.Name != "bottleneck queue" {
			t.Errorf("%s: the point's axis value carries %+v", c.values, u)
		}
	}
}

// The population columns read from a run's httpmodel metrics:
// requests_per_s is per second of load (to the end of the last page
// load, not the run's end, which adds the keep-alive tail), empty when
// no load ended; abandoned is Metrics.Abandoned.
func TestSetPopulationMetrics(t *testing.T) {
	m := httpmodel.Metrics{RequestsServed: 30, LastLoadEnd: sim.Time(2 * time.Second),
		EndOfRun: sim.Time(7 * time.Second), Abandoned: 3, Refused: 2}
	var r Metrics
	r = fromRun(metricTable, &m)
	if r.RequestsPerS != 15 || r.Abandoned != 3 || r.Refused != 2 {
		t.Errorf("requests_per_s %v, abandoned %d, refused %d; want 15 (30 in 2 s of load), 3, 2", r.RequestsPerS, r.Abandoned, r.Refused)
	}
	m.LastLoadEnd = 0
	r = fromRun(metricTable, &m)
	if !math.IsNaN(r.RequestsPerS) {
		t.Errorf("requests_per_s with no load ended: %v, want NaN (empty)", r.RequestsPerS)
	}
}
