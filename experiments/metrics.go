package experiments

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// This file holds what the output files and the figures need to know
// about their columns: the one table of metrics (results.csv's measured
// columns, summary.csv's statistics and the figures' axes all read it),
// and the units of swept keys, found from the spec's own types and tags.

// Unit says how a column is shown: its name in words, its display unit,
// and the factor from the output files' unit to the display unit. The
// output files hold durations in ms, rates in bit/s, sizes in bytes and
// probabilities as is; figures show ms, Mbit/s, KB (1 KB = 1000 bytes, as
// in the spec) and percent.
type Unit struct {
	Name  string  // in words, e.g. "RTT", "page load time"
	Unit  string  // e.g. "ms", "Mbit/s", "KB"; "" for plain counts and text
	Scale float64 // display value = file value * Scale
}

// Label is the axis label, e.g. "RTT (ms)".
func (u Unit) Label() string {
	if u.Unit == "" {
		return u.Name
	}
	return u.Name + " (" + u.Unit + ")"
}

// Metric is one measured column of results.csv: its name, how it is shown
// and how it is read from a run's Metrics.
type Metric struct {
	Name    string // the column, e.g. "plt_ms"
	Unit    Unit   // how figures and captions show it
	Integer bool   // a count, written without decimals; the others are rounded to 6 decimals
	get     func(*Metrics) float64
	set     func(*Metrics, float64)
}

// Value reads the metric from m.
func (mt Metric) Value(m *Metrics) float64 { return mt.get(m) }

// metricTable is every metric, in column order (DESIGN.md's metrics; the
// public contract of results.csv: extend it at the end, never rename):
// the metrics of every file, then those of files with client populations
// (clients:), which only such files have.
var metricTable = append(baseMetrics, populationMetrics...)

// baseMetrics are the metric columns of every file.
var baseMetrics = []Metric{
	{"plt_ms", Unit{"page load time", "ms", 1}, false,
		func(m *Metrics) float64 { return m.PLTMS }, func(m *Metrics, v float64) { m.PLTMS = v }},
	{"connections", Unit{"TCP connections opened", "", 1}, true,
		func(m *Metrics) float64 { return float64(m.Connections) }, func(m *Metrics, v float64) { m.Connections = int64(v) }},
	{"handshakes_ms", Unit{"handshake time, all connections", "ms", 1}, false,
		func(m *Metrics) float64 { return m.HandshakesMS }, func(m *Metrics, v float64) { m.HandshakesMS = v }},
	{"packets", Unit{"packets sent (both directions)", "", 1}, true,
		func(m *Metrics) float64 { return float64(m.Packets) }, func(m *Metrics, v float64) { m.Packets = int64(v) }},
	{"bytes", Unit{"bytes on the wire", "KB", 1e-3}, true,
		func(m *Metrics) float64 { return float64(m.Bytes) }, func(m *Metrics, v float64) { m.Bytes = int64(v) }},
	{"retransmits", Unit{"segments retransmitted", "", 1}, true,
		func(m *Metrics) float64 { return float64(m.Retransmits) }, func(m *Metrics, v float64) { m.Retransmits = int64(v) }},
	{"drops", Unit{"packets dropped", "", 1}, true,
		func(m *Metrics) float64 { return float64(m.Drops) }, func(m *Metrics, v float64) { m.Drops = int64(v) }},
	{"server_conn_s", Unit{"server connection-seconds", "s", 1}, false,
		func(m *Metrics) float64 { return m.ServerConnS }, func(m *Metrics, v float64) { m.ServerConnS = v }},
	{"events", Unit{"simulator events", "", 1}, true,
		func(m *Metrics) float64 { return float64(m.Events) }, func(m *Metrics, v float64) { m.Events = int64(v) }},
	{"revisit_plt_ms", Unit{"revisit page load time", "ms", 1}, false,
		func(m *Metrics) float64 { return m.RevisitPLTMS }, func(m *Metrics, v float64) { m.RevisitPLTMS = v }},
}

// populationMetrics are the extension columns of a spec with clients:
// (issue 11), after baseMetrics. In such a file plt_ms is the median of
// the clients' first-visit PLTs (plt_p50_ms). The percentiles are
// nearest-rank across the run's non-idle clients (see PLTPercentile).
var populationMetrics = []Metric{
	{"plt_p50_ms", Unit{"median PLT across clients", "ms", 1}, false,
		func(m *Metrics) float64 { return m.PLTP50MS }, func(m *Metrics, v float64) { m.PLTP50MS = v }},
	{"plt_p95_ms", Unit{"95th percentile PLT across clients", "ms", 1}, false,
		func(m *Metrics) float64 { return m.PLTP95MS }, func(m *Metrics, v float64) { m.PLTP95MS = v }},
	{"plt_p99_ms", Unit{"99th percentile PLT across clients", "ms", 1}, false,
		func(m *Metrics) float64 { return m.PLTP99MS }, func(m *Metrics, v float64) { m.PLTP99MS = v }},
	{"requests_per_s", Unit{"requests served per second", "", 1}, false,
		func(m *Metrics) float64 { return m.RequestsPerS }, func(m *Metrics, v float64) { m.RequestsPerS = v }},
	{"server_open_mean", Unit{"server open connections, mean", "", 1}, false,
		func(m *Metrics) float64 { return m.ServerOpenMean }, func(m *Metrics, v float64) { m.ServerOpenMean = v }},
	{"server_open_max", Unit{"server open connections, max", "", 1}, true,
		func(m *Metrics) float64 { return float64(m.ServerOpenMax) }, func(m *Metrics, v float64) { m.ServerOpenMax = int64(v) }},
	{"busy_workers_max", Unit{"busy workers, max", "", 1}, true,
		func(m *Metrics) float64 { return float64(m.BusyWorkersMax) }, func(m *Metrics, v float64) { m.BusyWorkersMax = int64(v) }},
	{"backlog_max", Unit{"listen backlog, max", "", 1}, true,
		func(m *Metrics) float64 { return float64(m.BacklogMax) }, func(m *Metrics, v float64) { m.BacklogMax = int64(v) }},
	{"server_memory_max_bytes", Unit{"server connection memory, max", "KB", 1e-3}, true,
		func(m *Metrics) float64 { return float64(m.ServerMemoryMax) }, func(m *Metrics, v float64) { m.ServerMemoryMax = int64(v) }},
	{"syn_drops", Unit{"SYNs dropped (backlog full)", "", 1}, true,
		func(m *Metrics) float64 { return float64(m.SYNDrops) }, func(m *Metrics, v float64) { m.SYNDrops = int64(v) }},
	{"refused", Unit{"connection attempts refused", "", 1}, true,
		func(m *Metrics) float64 { return float64(m.Refused) }, func(m *Metrics, v float64) { m.Refused = int64(v) }},
	{"replayed", Unit{"requests replayed", "", 1}, true,
		func(m *Metrics) float64 { return float64(m.Replayed) }, func(m *Metrics, v float64) { m.Replayed = int64(v) }},
	{"failed", Unit{"requests failed", "", 1}, true,
		func(m *Metrics) float64 { return float64(m.Failed) }, func(m *Metrics, v float64) { m.Failed = int64(v) }},
	{"abandoned", Unit{"connection attempts abandoned", "", 1}, true,
		func(m *Metrics) float64 { return float64(m.Abandoned) }, func(m *Metrics, v float64) { m.Abandoned = int64(v) }},
}

// PopulationMetricNames lists the extension metric columns of a spec
// with clients:, in output order.
var PopulationMetricNames = func() []string {
	names := make([]string, len(populationMetrics))
	for i, m := range populationMetrics {
		names[i] = m.Name
	}
	return names
}()

// metricsOf returns the metric columns of spec's files: baseMetrics,
// and populationMetrics when it has clients.
func metricsOf(spec *Spec) []Metric {
	if spec.HasClients() {
		return metricTable
	}
	return baseMetrics
}

// MetricNames returns the metric columns of the spec's results.csv, in
// output order: MetricNames, then PopulationMetricNames when the spec
// has clients.
func (s *Spec) MetricNames() []string {
	if s.HasClients() {
		return append(slices.Clone(MetricNames), PopulationMetricNames...)
	}
	return MetricNames
}

// MetricTable returns every metric, in column order.
func MetricTable() []Metric { return append([]Metric(nil), metricTable...) }

// LookupMetric returns the metric called name.
func LookupMetric(name string) (Metric, bool) {
	for _, m := range metricTable {
		if m.Name == name {
			return m, true
		}
	}
	return Metric{}, false
}

// MetricNames lists the metric columns of every file in output order
// (a spec with clients has PopulationMetricNames after them).
var MetricNames = func() []string {
	names := make([]string, len(baseMetrics))
	for i, m := range baseMetrics {
		names[i] = m.Name
	}
	return names
}()

// unknownMetric is the error for a metric name not in the table.
func unknownMetric(name string) error {
	return fmt.Errorf("unknown metric %q (want one of %s, or with clients: %s)", name, strings.Join(MetricNames, ", "), strings.Join(PopulationMetricNames, ", "))
}

// MetricValue reads the metric called name from m.
func MetricValue(m *Metrics, name string) (float64, error) {
	mt, ok := LookupMetric(name)
	if !ok {
		return 0, unknownMetric(name)
	}
	return mt.get(m), nil
}

// modelOptionUnits are the units of the model.<option> sweep keys, which
// are not fields of Spec.
var modelOptionUnits = map[string]Unit{
	"model.connections": {"connections per host", "", 1},
	"model.depth":       {"pipelining depth", "", 1},
	"model.shards":      {"shards (hostnames)", "", 1},
	"model.start":       {"HTTP/2 start", "", 1},
}

var keyUnitCache sync.Map // sweep key -> Unit

// KeyUnit returns how the values of a sweep key are shown in figures: its
// name from the spec field's label tag (the key itself when it has none)
// and its display unit from the field's type (Duration in ms, Rate in
// Mbit/s, Size in KB, or in the unit its unit tag names, Probability in
// percent). Queue sizes are shown in KB; a queue swept in packets has the
// unit of its values (see Spec.AxisUnit). A key that is not a sweep key
// gets its own name and no unit.
func KeyUnit(key string) Unit {
	if u, ok := keyUnitCache.Load(key); ok {
		return u.(Unit)
	}
	u := keyUnit(key)
	keyUnitCache.Store(key, u)
	return u
}

func keyUnit(key string) Unit {
	if u, ok := modelOptionUnits[key]; ok {
		return u
	}
	segs, _, msg := parseSweepKey(key)
	if msg != "" || len(segs) == 0 {
		return Unit{Name: key, Scale: 1}
	}
	// Walk the Spec type along the key path, keeping the last struct
	// field: its tags name the value.
	t := reflect.TypeFor[Spec]()
	var sf reflect.StructField
	for _, sg := range segs {
		if sg.index >= 0 {
			t = t.Elem()
			continue
		}
		fs := fieldsOf(t)
		for _, f := range fs {
			if f.key == sg.key {
				sf = t.Field(f.index)
				break
			}
		}
		t = sf.Type
	}
	u := Unit{Name: sf.Tag.Get("label"), Scale: 1}
	if u.Name == "" {
		u.Name = key
	}
	switch t {
	case reflect.TypeFor[Duration]():
		u.Unit = "ms"
	case reflect.TypeFor[Rate]():
		u.Unit, u.Scale = "Mbit/s", 1e-6
	case reflect.TypeFor[Size](), reflect.TypeFor[QueueSize]():
		u.Unit, u.Scale = "KB", 1e-3
	case reflect.TypeFor[Probability]():
		u.Unit, u.Scale = "%", 100
	}
	if shown := sf.Tag.Get("unit"); shown != "" {
		// A size shown in bytes (an MSS, a header), or a count's unit
		// ("segments"): the file value as is.
		u.Unit, u.Scale = shown, 1
	}
	return u
}

// AxisUnit returns how the values of the swept key are shown: KeyUnit,
// except that a queue swept in packets ("64 packets") is shown in
// packets.
func (s *Spec) AxisUnit(key string) Unit {
	u := KeyUnit(key)
	if a, ok := s.Sweep.Axis(key); ok && u.Unit == "KB" && len(a.Values) > 0 {
		if q, err := ParseQueueSize(a.Values[0].Text); err == nil && q.Packets > 0 {
			u.Unit, u.Scale = "packets", 1
		}
	}
	return u
}
