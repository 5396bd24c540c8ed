package experiments_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/connsim/connsim/experiments"
)

// TestRequestMetricColumns checks when a file has client_data_packets:
// a single-client spec that sweeps http.request_bytes (or the http
// section) or sets it to other than 400; never a spec with clients:, and
// never one that leaves request_bytes alone, so that no existing file
// changes. A plot of the column in a spec without it is an error naming
// the key.
func TestRequestMetricColumns(t *testing.T) {
	const col = "client_data_packets"
	for _, c := range []struct {
		name, spec string
		want       bool
	}{
		{"default", "name: a\n", false},
		{"set to the default", "name: a\nhttp: {request_bytes: 400}\n", false},
		{"set", "name: a\nhttp: {request_bytes: 500}\n", true},
		{"swept", "name: a\nsweep: {http.request_bytes: [100, 400]}\n", true},
		{"http swept", "name: a\nsweep: {http: [{version: '1.0'}, {version: '1.1'}]}\n", true},
		{"other key swept", "name: a\nsweep: {http.response_header_bytes: [100, 400]}\n", false},
		{"clients", "name: a\nhttp: {request_bytes: 500}\nclients: [{name: u, count: 2}]\n", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := experiments.Load("a.yaml", []byte(c.spec))
			if err != nil {
				t.Fatal(err)
			}
			names := s.MetricNames()
			if got := slices.Contains(names, col); got != c.want {
				t.Errorf("MetricNames() = %v: has %s %v, want %v", names, col, got, c.want)
			}
			cols := s.MetricColumns()
			if got := slices.ContainsFunc(cols, func(m experiments.Metric) bool { return m.Name == col }); got != c.want {
				t.Errorf("MetricColumns has %s %v, want %v", col, got, c.want)
			}
			if len(cols) != len(names) || (c.want && names[len(names)-1] != col) {
				t.Errorf("columns %d, names %v: want the same, %s last", len(cols), names, col)
			}
		})
	}
	_, err := experiments.Load("b.yaml", []byte("name: b\nplots: [{kind: line, x: network.rtt, y: client_data_packets}]\nsweep: {network.rtt: [10ms, 20ms]}\n"))
	if err == nil || !strings.Contains(err.Error(), "b.yaml:2:41: plots[0].y: \"client_data_packets\" is not a metric") {
		t.Errorf("plot of client_data_packets without the column: error %v", err)
	}
}
