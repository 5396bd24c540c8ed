package plots

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/connsim/connsim/experiments"
)

// Unit says how a column is shown: its name on an axis, its display unit,
// and the factor from the output files' unit to the display unit. The
// output files hold durations in ms, rates in bit/s and sizes in bytes;
// figures show ms, Mbit/s and KB (1 KB = 1000 bytes, as in the spec).
type Unit struct {
	Name  string  // e.g. "RTT", "page load time"
	Unit  string  // e.g. "ms", "Mbit/s", "KB"; "" for plain counts
	Scale float64 // display value = file value * Scale
}

// Label is the axis label, e.g. "RTT (ms)".
func (u Unit) Label() string {
	if u.Unit == "" {
		return u.Name
	}
	return u.Name + " (" + u.Unit + ")"
}

// keyUnits covers the sweep keys of spec/experiment-format.md.
var keyUnits = map[string]Unit{
	"network.rtt":                {"RTT", "ms", 1},
	"network.bandwidth":          {"bandwidth", "Mbit/s", 1e-6},
	"network.uplink":             {"uplink bandwidth", "Mbit/s", 1e-6},
	"network.queue":              {"bottleneck queue", "KB", 1e-3},
	"network.loss":               {"random packet loss", "%", 100},
	"network.dns":                {"DNS lookup time", "ms", 1},
	"tcp.mss":                    {"MSS", "bytes", 1},
	"tcp.initial_window":         {"initial window", "segments", 1},
	"tcp.initial_rto":            {"initial RTO", "ms", 1},
	"tcp.min_rto":                {"minimum RTO", "ms", 1},
	"tcp.receive_window":         {"receive window", "KB", 1e-3},
	"http.request_bytes":         {"request headers", "bytes", 1},
	"http.response_header_bytes": {"response headers", "bytes", 1},
	"client.visits":              {"page visits", "", 1},
	"client.reading_time":        {"reading time between visits", "ms", 1},
	"server.think_time":          {"server think time", "ms", 1},
	"server.keep_alive_timeout":  {"keep-alive timeout", "ms", 1},
	"server.max_requests":        {"max requests per connection", "", 1},
	"server.max_connections":     {"max server connections", "", 1},
	"page.html":                  {"HTML size", "KB", 1e-3},
	"model.connections":          {"connections per host", "", 1},
	"model.shards":               {"shards (hostnames)", "", 1},
	"model.depth":                {"pipelining depth", "", 1},
	"tcp.idle_restart":           {"restart after idle", "", 1},
	"tcp.cc":                     {"congestion control", "", 1},
	"tcp.recovery":               {"loss recovery", "", 1},
	"tcp.cwnd_counting":          {"cwnd counted in", "", 1},
	"tcp.rto_estimator":          {"RTO estimator", "", 1},
	"tcp.timestamps":             {"TCP timestamps", "", 1},
	"tcp.undo":                   {"undo of spurious retransmissions", "", 1},
	"tcp.tlp":                    {"tail loss probe", "", 1},
	"tcp.quick_ack":              {"quick ACKs", "", 1},
	"tcp.hystart":                {"HyStart", "", 1},
}

// metricUnits covers experiments.MetricNames.
var metricUnits = map[string]Unit{
	"plt_ms":         {"page load time", "ms", 1},
	"connections":    {"TCP connections opened", "", 1},
	"handshakes_ms":  {"handshake time, all connections", "ms", 1},
	"packets":        {"packets sent (both directions)", "", 1},
	"bytes":          {"bytes on the wire", "KB", 1e-3},
	"retransmits":    {"segments retransmitted", "", 1},
	"drops":          {"packets dropped", "", 1},
	"server_conn_s":  {"server connection-seconds", "s", 1},
	"events":         {"simulator events", "", 1},
	"revisit_plt_ms": {"revisit page load time", "ms", 1},
}

// KeyUnit returns how the swept key is shown. Keys outside the spec's list
// are guessed from their last component (…rate, …time, …size), and shown
// as written when nothing matches.
func KeyUnit(key string) Unit {
	if u, ok := keyUnits[key]; ok {
		return u
	}
	last := key
	if i := strings.LastIndexAny(key, ".]"); i >= 0 && i+1 < len(key) {
		last = key[i+1:]
	}
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(last, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("bandwidth", "rate", "uplink", "downlink"):
		return Unit{key, "Mbit/s", 1e-6}
	case has("rtt", "time", "delay", "rto", "dns", "interval", "timeout"):
		return Unit{key, "ms", 1}
	case has("bytes"):
		return Unit{key, "bytes", 1}
	case has("size", "queue", "buffer", "html"):
		return Unit{key, "KB", 1e-3}
	}
	return Unit{key, "", 1}
}

// MetricUnit returns how the metric column is shown, and false when the
// name is not one of experiments.MetricNames.
func MetricUnit(metric string) (Unit, bool) {
	u, ok := metricUnits[metric]
	return u, ok
}

// metricValue reads a metric column of a row by its name.
func metricValue(r *experiments.Row, metric string) (float64, error) {
	m := &r.Metrics
	switch metric {
	case "plt_ms":
		return m.PLTms, nil
	case "connections":
		return float64(m.Connections), nil
	case "handshakes_ms":
		return m.HandshakesMS, nil
	case "packets":
		return float64(m.Packets), nil
	case "bytes":
		return float64(m.Bytes), nil
	case "retransmits":
		return float64(m.Retransmits), nil
	case "drops":
		return float64(m.Drops), nil
	case "server_conn_s":
		return m.ServerConnS, nil
	case "events":
		return float64(m.Events), nil
	case "revisit_plt_ms":
		return m.RevisitPLTms, nil
	}
	return math.NaN(), fmt.Errorf("plots: unknown metric %q (want one of %s)", metric, strings.Join(experiments.MetricNames, ", "))
}

// shortKey is the last component of a sweep key, for legend labels:
// "network.bandwidth" -> "bandwidth".
func shortKey(key string) string {
	if i := strings.LastIndexByte(key, '.'); i >= 0 && i+1 < len(key) {
		return key[i+1:]
	}
	return key
}

// pointValue finds key in a row's point.
func pointValue(point []experiments.AxisValue, key string) (experiments.AxisValue, bool) {
	i := slices.IndexFunc(point, func(a experiments.AxisValue) bool { return a.Key == key })
	if i < 0 {
		return experiments.AxisValue{}, false
	}
	return point[i], true
}

// formatBytes prints a byte count the way the figures' axes do (KB = 1000
// bytes): "740 B", "10.3 KB", "1.2 MB".
func formatBytes(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return formatNumber(float64(n)/1e3, 3) + " KB"
	default:
		return formatNumber(float64(n)/1e6, 3) + " MB"
	}
}
