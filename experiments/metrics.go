package experiments

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/connsim/connsim/httpmodel"
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
	// Optional: the cell may be empty (NaN) in a run that succeeded:
	// revisit_plt_ms with one visit, a percentile that falls on a client
	// that did not finish.
	Optional bool
	get      func(*Metrics) float64
	set      func(*Metrics, float64)
	// measure reads the metric from a run's httpmodel measurements, in
	// the files' unit, before rounding.
	measure func(*httpmodel.Metrics) float64
}

// Value reads the metric from m.
func (mt Metric) Value(m *Metrics) float64 { return mt.get(m) }

// metricTable is every metric, in column order (the metrics of
// docs/experiment-format.md; the
// public contract of results.csv: extend it at the end, never rename):
// the metrics of every file, then those of files with client populations
// (clients:), which only such files have, then those of files whose
// server breaks pipelining (server.pipelining set or swept), which only
// such files have. A file's columns are the groups it has, in this order
// (metricsOf). Files of a spec with proxies: have every group, the
// proxy columns (proxyMetrics) after those. Files of a single-client spec
// that sweeps or sets http.request_bytes end with requestMetrics (ext,
// issue 14).
var metricTable = slices.Concat(groupTable, requestMetrics)

// groupTable is metricTable without requestMetrics: the columns of the
// population, pipelining and proxy groups are prefixes of it.
var groupTable = slices.Concat(baseMetrics, populationMetrics, pipeliningMetrics, proxyMetrics)

// baseMetrics are the metric columns of every file.
var baseMetrics = []Metric{
	{Name: "plt_ms", Unit: Unit{"page load time", "ms", 1}, Integer: false, Optional: false,
		get:     func(m *Metrics) float64 { return m.PLTMS },
		set:     func(m *Metrics, v float64) { m.PLTMS = v },
		measure: func(m *httpmodel.Metrics) float64 { return httpmodel.Milliseconds(m.PLT) }},
	{Name: "connections", Unit: Unit{"TCP connections opened", "", 1}, Integer: true, Optional: false,
		get:     func(m *Metrics) float64 { return float64(m.Connections) },
		set:     func(m *Metrics, v float64) { m.Connections = int64(v) },
		measure: func(m *httpmodel.Metrics) float64 { return float64(m.Connections) }},
	{Name: "handshakes_ms", Unit: Unit{"handshake time, all connections", "ms", 1}, Integer: false, Optional: false,
		get:     func(m *Metrics) float64 { return m.HandshakesMS },
		set:     func(m *Metrics, v float64) { m.HandshakesMS = v },
		measure: func(m *httpmodel.Metrics) float64 { return httpmodel.Milliseconds(m.Handshakes) }},
	{Name: "packets", Unit: Unit{"packets sent (both directions)", "", 1}, Integer: true, Optional: false,
		get:     func(m *Metrics) float64 { return float64(m.Packets) },
		set:     func(m *Metrics, v float64) { m.Packets = int64(v) },
		measure: func(m *httpmodel.Metrics) float64 { return float64(m.Packets) }},
	{Name: "bytes", Unit: Unit{"bytes on the wire", "KB", 1e-3}, Integer: true, Optional: false,
		get:     func(m *Metrics) float64 { return float64(m.Bytes) },
		set:     func(m *Metrics, v float64) { m.Bytes = int64(v) },
		measure: func(m *httpmodel.Metrics) float64 { return float64(m.Bytes) }},
	{Name: "retransmits", Unit: Unit{"segments retransmitted", "", 1}, Integer: true, Optional: false,
		get:     func(m *Metrics) float64 { return float64(m.Retransmits) },
		set:     func(m *Metrics, v float64) { m.Retransmits = int64(v) },
		measure: func(m *httpmodel.Metrics) float64 { return float64(m.Retransmits) }},
	{Name: "drops", Unit: Unit{"packets dropped", "", 1}, Integer: true, Optional: false,
		get:     func(m *Metrics) float64 { return float64(m.Drops) },
		set:     func(m *Metrics, v float64) { m.Drops = int64(v) },
		measure: func(m *httpmodel.Metrics) float64 { return float64(m.Drops) }},
	{Name: "server_conn_s", Unit: Unit{"server connection-seconds", "s", 1}, Integer: false, Optional: false,
		get:     func(m *Metrics) float64 { return m.ServerConnS },
		set:     func(m *Metrics, v float64) { m.ServerConnS = v },
		measure: func(m *httpmodel.Metrics) float64 { return m.ServerConnS }},
	{Name: "events", Unit: Unit{"simulator events", "", 1}, Integer: true, Optional: false,
		get:     func(m *Metrics) float64 { return float64(m.Events) },
		set:     func(m *Metrics, v float64) { m.Events = int64(v) },
		measure: func(m *httpmodel.Metrics) float64 { return float64(m.Events) }},
	{Name: "revisit_plt_ms", Unit: Unit{"revisit page load time", "ms", 1}, Integer: false, Optional: true,
		get:     func(m *Metrics) float64 { return m.RevisitPLTMS },
		set:     func(m *Metrics, v float64) { m.RevisitPLTMS = v },
		measure: func(m *httpmodel.Metrics) float64 { return httpmodel.Milliseconds(m.RevisitPLT) }},
}

// populationMetrics are the extension columns of a spec with clients:
// (issue 11), after baseMetrics. In such a file plt_ms is the median of
// the clients' first-visit PLTs (plt_p50_ms). The percentiles are
// nearest-rank across the run's non-idle clients (see PLTPercentile).
var populationMetrics = []Metric{
	{Name: "plt_p50_ms", Unit: Unit{"median PLT across clients", "ms", 1}, Integer: false, Optional: true,
		get:     func(m *Metrics) float64 { return m.PLTP50MS },
		set:     func(m *Metrics, v float64) { m.PLTP50MS = v },
		measure: func(m *httpmodel.Metrics) float64 { return PLTPercentile(m.ClientPLTs, 50) }},
	{Name: "plt_p95_ms", Unit: Unit{"95th percentile PLT across clients", "ms", 1}, Integer: false, Optional: true,
		get:     func(m *Metrics) float64 { return m.PLTP95MS },
		set:     func(m *Metrics, v float64) { m.PLTP95MS = v },
		measure: func(m *httpmodel.Metrics) float64 { return PLTPercentile(m.ClientPLTs, 95) }},
	{Name: "plt_p99_ms", Unit: Unit{"99th percentile PLT across clients", "ms", 1}, Integer: false, Optional: true,
		get:     func(m *Metrics) float64 { return m.PLTP99MS },
		set:     func(m *Metrics, v float64) { m.PLTP99MS = v },
		measure: func(m *httpmodel.Metrics) float64 { return PLTPercentile(m.ClientPLTs, 99) }},
	{Name: "requests_per_s", Unit: Unit{"requests served per second", "", 1}, Integer: false, Optional: true,
		get:     func(m *Metrics) float64 { return m.RequestsPerS },
		set:     func(m *Metrics, v float64) { m.RequestsPerS = v },
		measure: requestsPerSecond},
	{Name: "server_open_mean", Unit: Unit{"server open connections, mean", "", 1}, Integer: false, Optional: false,
		get:     func(m *Metrics) float64 { return m.ServerOpenMean },
		set:     func(m *Metrics, v float64) { m.ServerOpenMean = v },
		measure: func(m *httpmodel.Metrics) float64 { return m.ServerOpenMean }},
	{Name: "server_open_max", Unit: Unit{"server open connections, max", "", 1}, Integer: true, Optional: false,
		get:     func(m *Metrics) float64 { return float64(m.ServerOpenMax) },
		set:     func(m *Metrics, v float64) { m.ServerOpenMax = int64(v) },
		measure: func(m *httpmodel.Metrics) float64 { return float64(m.ServerOpenMax) }},
	{Name: "busy_workers_max", Unit: Unit{"busy workers, max", "", 1}, Integer: true, Optional: false,
		get:     func(m *Metrics) float64 { return float64(m.BusyWorkersMax) },
		set:     func(m *Metrics, v float64) { m.BusyWorkersMax = int64(v) },
		measure: func(m *httpmodel.Metrics) float64 { return float64(m.BusyWorkersMax) }},
	{Name: "backlog_max", Unit: Unit{"listen backlog, max", "", 1}, Integer: true, Optional: false,
		get:     func(m *Metrics) float64 { return float64(m.BacklogMax) },
		set:     func(m *Metrics, v float64) { m.BacklogMax = int64(v) },
		measure: func(m *httpmodel.Metrics) float64 { return float64(m.BacklogMax) }},
	{Name: "server_memory_max_bytes", Unit: Unit{"server connection memory, max", "KB", 1e-3}, Integer: true, Optional: false,
		get:     func(m *Metrics) float64 { return float64(m.ServerMemoryMax) },
		set:     func(m *Metrics, v float64) { m.ServerMemoryMax = int64(v) },
		measure: func(m *httpmodel.Metrics) float64 { return float64(m.ServerMemoryMax) }},
	{Name: "syn_drops", Unit: Unit{"SYNs dropped (backlog full)", "", 1}, Integer: true, Optional: false,
		get:     func(m *Metrics) float64 { return float64(m.SYNDrops) },
		set:     func(m *Metrics, v float64) { m.SYNDrops = int64(v) },
		measure: func(m *httpmodel.Metrics) float64 { return float64(m.SYNDrops) }},
	{Name: "refused", Unit: Unit{"connection attempts refused", "", 1}, Integer: true, Optional: false,
		get:     func(m *Metrics) float64 { return float64(m.Refused) },
		set:     func(m *Metrics, v float64) { m.Refused = int64(v) },
		measure: func(m *httpmodel.Metrics) float64 { return float64(m.Refused) }},
	{Name: "replayed", Unit: Unit{"requests replayed", "", 1}, Integer: true, Optional: false,
		get:     func(m *Metrics) float64 { return float64(m.Replayed) },
		set:     func(m *Metrics, v float64) { m.Replayed = int64(v) },
		measure: func(m *httpmodel.Metrics) float64 { return float64(m.Replayed) }},
	{Name: "failed", Unit: Unit{"requests failed", "", 1}, Integer: true, Optional: false,
		get:     func(m *Metrics) float64 { return float64(m.Failed) },
		set:     func(m *Metrics, v float64) { m.Failed = int64(v) },
		measure: func(m *httpmodel.Metrics) float64 { return float64(m.Failed) }},
	{Name: "abandoned", Unit: Unit{"connection attempts abandoned", "", 1}, Integer: true, Optional: false,
		get:     func(m *Metrics) float64 { return float64(m.Abandoned) },
		set:     func(m *Metrics, v float64) { m.Abandoned = int64(v) },
		measure: func(m *httpmodel.Metrics) float64 { return float64(m.Abandoned) }},
}

// pipeliningMetrics are the extension columns of a spec whose server
// breaks pipelining (server.pipelining set to something other than ok,
// or swept): only there can they be other than 0.
var pipeliningMetrics = []Metric{
	{Name: "pipelining_fallbacks", Unit: Unit{"pipelining fallbacks (hosts)", "", 1}, Integer: true, Optional: false,
		get:     func(m *Metrics) float64 { return float64(m.PipeliningFallbacks) },
		set:     func(m *Metrics, v float64) { m.PipeliningFallbacks = int64(v) },
		measure: func(m *httpmodel.Metrics) float64 { return float64(m.PipeliningFallbacks) }},
}

// proxyMetrics are the extension columns of a spec with proxies:
// (issue 12), after pipeliningMetrics (which such files also have: a
// proxy's setting may break pipelining, and a proxy may fall back).
var proxyMetrics = []Metric{
	{Name: "proxy_connections", Unit: Unit{"proxy upstream connections opened", "", 1}, Integer: true, Optional: false,
		get:     func(m *Metrics) float64 { return float64(m.ProxyConnections) },
		set:     func(m *Metrics, v float64) { m.ProxyConnections = int64(v) },
		measure: func(m *httpmodel.Metrics) float64 { return float64(m.ProxyConnections) }},
	{Name: "proxy_reuse", Unit: Unit{"requests per proxy upstream connection", "", 1}, Integer: false, Optional: true,
		get: func(m *Metrics) float64 { return m.ProxyReuse },
		set: func(m *Metrics, v float64) { m.ProxyReuse = v },
		measure: func(m *httpmodel.Metrics) float64 {
			if m.ProxyConnections == 0 {
				return math.NaN()
			}
			return float64(m.ProxyForwarded) / float64(m.ProxyConnections)
		}},
	{Name: "proxy_upstream_ms", Unit: Unit{"time on the proxy's upstream hop, mean", "ms", 1}, Integer: false, Optional: true,
		get: func(m *Metrics) float64 { return m.ProxyUpstreamMS },
		set: func(m *Metrics, v float64) { m.ProxyUpstreamMS = v },
		measure: func(m *httpmodel.Metrics) float64 {
			if m.ProxyForwarded == 0 {
				return math.NaN()
			}
			return httpmodel.Milliseconds(m.ProxyUpstream)
		}},
}

// requestMetrics are the extension columns of a single-client spec (no
// clients:) that sweeps http.request_bytes (or the http section) or sets
// it to other than its default, 400 (issue 14, mss-packing): what the
// requests cost on the wire. Only there are they written, so that no
// other file changes.
var requestMetrics = []Metric{
	{Name: "client_data_packets", Unit: Unit{"client data packets (requests)", "", 1}, Integer: true, Optional: false,
		get:     func(m *Metrics) float64 { return float64(m.ClientDataPackets) },
		set:     func(m *Metrics, v float64) { m.ClientDataPackets = int64(v) },
		measure: func(m *httpmodel.Metrics) float64 { return float64(m.ClientDataPackets) }},
}

// RequestMetricNames lists the extension metric columns of a
// single-client spec that sweeps or sets http.request_bytes, in output
// order.
var RequestMetricNames = func() []string {
	names := make([]string, len(requestMetrics))
	for i, m := range requestMetrics {
		names[i] = m.Name
	}
	return names
}()

// defaultRequestBytes is http.request_bytes when the spec does not set
// it (studiesRequests asks for every summary row written).
var defaultRequestBytes = defaultSpec().HTTP.RequestBytes

// studiesRequests reports whether the spec's files have requestMetrics:
// it has no clients: and sweeps http.request_bytes or the http section,
// or sets http.request_bytes to other than its default.
func (s *Spec) studiesRequests() bool {
	if s == nil || s.HasClients() {
		return false
	}
	if s.HTTP.RequestBytes != defaultRequestBytes {
		return true
	}
	for _, a := range s.Sweep {
		if a.Key == "http.request_bytes" || a.Key == "http" {
			return true
		}
	}
	return false
}

// ProxyMetricNames lists the extension metric columns of a spec with
// proxies:, in output order.
var ProxyMetricNames = func() []string {
	names := make([]string, len(proxyMetrics))
	for i, m := range proxyMetrics {
		names[i] = m.Name
	}
	return names
}()

// PipeliningMetricNames lists the extension metric columns of a spec
// whose server breaks pipelining, in output order.
var PipeliningMetricNames = func() []string {
	names := make([]string, len(pipeliningMetrics))
	for i, m := range pipeliningMetrics {
		names[i] = m.Name
	}
	return names
}()

// breaksPipelining reports whether the spec's server may break
// pipelining: server.pipelining, or a servers[i].server.pipelining, is
// set to something other than ok, or swept.
func (s *Spec) breaksPipelining() bool {
	if s == nil {
		return false
	}
	if p := s.Server.Pipelining; p != "" && p != "ok" {
		return true
	}
	for _, st := range s.Servers {
		if p := st.Server.Pipelining; p != "" && p != "ok" {
			return true
		}
	}
	for _, a := range s.Sweep {
		if a.Key == "server.pipelining" || strings.HasPrefix(a.Key, "servers[") && strings.HasSuffix(a.Key, "].server.pipelining") {
			return true
		}
	}
	return false
}

// singleClientMetrics are the columns of a single-client file whose
// server breaks pipelining; singleClientMeasured is what a run of the
// single-client world measures into its row: every column such a file
// may have.
var (
	singleClientMetrics  = slices.Concat(baseMetrics, pipeliningMetrics)
	singleClientMeasured = slices.Concat(baseMetrics, pipeliningMetrics, requestMetrics)
)

// requestsPerSecond is requests served per second of load: the
// keep-alive tail after the last page load (idle connections closing)
// serves nothing. NaN when no load ended.
func requestsPerSecond(m *httpmodel.Metrics) float64 {
	if end := m.LastLoadEnd.Seconds(); end > 0 {
		return float64(m.RequestsServed) / end
	}
	return math.NaN()
}

// fromRun returns the row's metrics (of the columns ms) read from a
// run's httpmodel measurements, non-integers rounded to the 6 decimals
// the files keep.
func fromRun(ms []Metric, m *httpmodel.Metrics) Metrics {
	var r Metrics
	for _, mt := range ms {
		v := mt.measure(m)
		if !mt.Integer {
			v = round6(v)
		}
		mt.set(&r, v)
	}
	return r
}

// MetricColumns returns the metric columns of the spec's files, in
// output order (baseMetrics, then populationMetrics with clients:, then
// pipeliningMetrics when its server breaks pipelining).
func (s *Spec) MetricColumns() []Metric { return slices.Clone(metricsOf(s)) }

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
// populationMetrics when it has clients, pipeliningMetrics when its
// server breaks pipelining, proxyMetrics with proxies, requestMetrics
// when it studies request sizes (studiesRequests).
func metricsOf(spec *Spec) []Metric {
	ms := groupMetricsOf(spec)
	if spec.studiesRequests() {
		ms = slices.Concat(ms, requestMetrics)
	}
	return ms
}

// groupMetricsOf is metricsOf without requestMetrics.
func groupMetricsOf(spec *Spec) []Metric {
	pipe := spec.breaksPipelining()
	switch {
	case spec.HasProxies():
		return groupTable
	case spec.HasClients() && pipe:
		return groupTable[:len(baseMetrics)+len(populationMetrics)+len(pipeliningMetrics)]
	case spec.HasClients():
		return groupTable[:len(baseMetrics)+len(populationMetrics)]
	case pipe:
		return singleClientMetrics
	}
	return baseMetrics
}

// statsOf returns, of a summary row's statistics (one per metricTable
// entry), those of the spec's metric columns, in output order.
func statsOf(spec *Spec, stats []Quartiles) []Quartiles {
	var out []Quartiles
	if !spec.breaksPipelining() || spec.HasClients() {
		out = stats[:len(groupMetricsOf(spec))] // a prefix of metricTable
	} else {
		out = slices.Clone(stats[:len(baseMetrics)])
		pipe := len(baseMetrics) + len(populationMetrics)
		out = append(out, stats[pipe:pipe+len(pipeliningMetrics)]...)
	}
	if spec.studiesRequests() {
		out = append(slices.Clone(out), stats[len(groupTable):]...)
	}
	return out
}

// MetricNames returns the metric columns of the spec's results.csv, in
// output order: MetricNames, then PopulationMetricNames when the spec
// has clients, then PipeliningMetricNames when its server breaks
// pipelining, ProxyMetricNames with proxies, RequestMetricNames when it
// studies request sizes.
func (s *Spec) MetricNames() []string {
	names := MetricNames
	if s.HasClients() {
		names = append(slices.Clone(names), PopulationMetricNames...)
	}
	if s.breaksPipelining() || s.HasProxies() {
		names = append(slices.Clone(names), PipeliningMetricNames...)
	}
	if s.HasProxies() {
		names = append(slices.Clone(names), ProxyMetricNames...)
	}
	if s.studiesRequests() {
		names = append(slices.Clone(names), RequestMetricNames...)
	}
	return names
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
	return fmt.Errorf("unknown metric %q (want one of %s, or with clients: %s, or with server.pipelining: %s, or with proxies: %s)", name, strings.Join(MetricNames, ", "), strings.Join(PopulationMetricNames, ", "), strings.Join(PipeliningMetricNames, ", "), strings.Join(ProxyMetricNames, ", "))
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
