package experiments

import (
	"errors"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLoadFullExample loads the complete example of experiment-format.md
// and checks a few values from each section.
func TestLoadFullExample(t *testing.T) {
	s, err := LoadFile("testdata/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"name", s.Name, "connection-models"},
		{"rtt", s.Network.RTT, Duration(100 * time.Millisecond)},
		{"uplink", s.Network.Uplink, 10 * Mbps},
		{"queue", s.Network.Queue, QueueSize{Bytes: 256000}},
		{"receive_window", s.TCP.ReceiveWindow, Size(4 << 20)},
		{"version", s.HTTP.Version, "1.1"},
		{"objects", s.Page.Objects, []ObjectSpec{{Size: 10000, Count: 40, Method: "GET"}}},
		{"labels", s.labels(), []string{"short-lived", "persistent", "pipelined", "parallel(connections=6)", "sharded(shards=3,connections=6)", "http2"}},
		{"sweep keys", sweepKeys(s), []string{"network.rtt", "network.bandwidth"}},
		{"rtt values", s.Sweep[0].Values[1], SweepValue{Text: "50ms", Value: 50}},
		{"bandwidth values", s.Sweep[1].Values[0], SweepValue{Text: "1Mbps", Value: 1e6}},
		{"plots", len(s.Plots), 3},
		{"waterfall point", s.Plots[1].Point, PlotPoint{{"network.rtt", "100ms", 100}, {"network.bandwidth", "1Mbps", 1e6}}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

// TestLoadDefaults checks that a file with only a name gets every default
// of the contract.
func TestLoadDefaults(t *testing.T) {
	s := mustLoad(t, "name: tiny\n")
	want := defaultSpec()
	want.Name = "tiny"
	m, _ := newModel(Persistent)
	want.Models = []ModelSpec{m}
	s.src = nil
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("got %+v\nwant %+v", s, want)
	}
	if s.Network.UplinkRate() != 10*Mbps {
		t.Errorf("UplinkRate: got %v, want 10Mbps", s.Network.UplinkRate())
	}
}

// TestLoadRejectsUnknownField checks that an unknown key at any depth is an
// error that lists the known keys and suggests a near miss.
func TestLoadRejectsUnknownField(t *testing.T) {
	for _, tc := range []struct {
		spec, want string
	}{
		{"name: x\nnetwork:\n  rt: 5ms\n", "test.yaml:3:3: network.rt: unknown key (known: rtt, bandwidth, uplink, queue, loss, dns); did you mean rtt?"},
		{"name: x\nsede: 4\n", "test.yaml:2:1: sede: unknown key (known: name, title, description, seed, repeat, limits, network, tcp, tls, http, client, tls_resumption, tls_0rtt, clients, server, servers, proxies, page, models, sweep, plots, labels, capture, outputs); did you mean seed?"},
		{"name: x\npage:\n  objects:\n    - {size: 1KB, colour: red}\n", "test.yaml:4:19: page.objects[0].colour: unknown key (known: size, count, host, method)"},
		{"name: x\nmodels:\n  - parallel: {conections: 2}\n", "test.yaml:3:16: models[0].conections: unknown key (known: connections, label); did you mean connections?"},
		{"name: x\nplots:\n  - {kind: bar, colour: red}\n", "test.yaml:3:17: plots[0].colour: unknown key (known: kind, x, y, series, title, model, point, log_x, log_y, connection, run, style)"},
	} {
		got := loadErr(t, tc.spec)
		if got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}

// TestValidateReportsAllErrors loads a file with a problem on almost every
// line and compares the whole report with testdata/errors.golden.
func TestValidateReportsAllErrors(t *testing.T) {
	data, err := os.ReadFile("testdata/errors.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Load("errors.yaml", data)
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("got %T %v, want an ErrorList", err, err)
	}
	if len(list) < 40 {
		t.Errorf("got %d problems, want one for almost every line (40 or more)", len(list))
	}
	for i := 1; i < len(list); i++ {
		a, b := list[i-1], list[i]
		if a.Line > b.Line || a.Line == b.Line && a.Column > b.Column {
			t.Errorf("problems out of order: %v before %v", a, b)
		}
	}
	golden(t, "errors.golden", []byte(err.Error()+"\n"))
}

var errLineRE = regexp.MustCompile(`^([^:]+):([0-9]+):([0-9]+): ([a-z_.\[\]0-9-]+): (.+)$`)

// TestErrorsNameFileLineColumnKey checks the FILE:LINE:COL: key.path:
// message form, with the example of the contract.
func TestErrorsNameFileLineColumnKey(t *testing.T) {
	spec := "name: page\n" + strings.Repeat("# padding\n", 11) + "network:\n  rtt:  100\n"
	_, err := Load("page.yaml", []byte(spec))
	want := `page.yaml:14:9: network.rtt: "100" needs a unit (e.g. 100ms)`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("errors.As(*Error) failed on %T", err)
	}
	if got := (Error{File: "page.yaml", Line: 14, Column: 9, Path: "network.rtt", Msg: `"100" needs a unit (e.g. 100ms)`}); *e != got {
		t.Errorf("got %+v, want %+v", *e, got)
	}
	// Every line of the big report has the same form.
	data, _ := os.ReadFile("testdata/errors.yaml")
	_, err = Load("errors.yaml", data)
	for _, l := range strings.Split(err.Error(), "\n") {
		if !errLineRE.MatchString(l) {
			t.Errorf("not FILE:LINE:COL: key: message: %q", l)
		}
	}
}

// TestLoadErrors covers each class of problem with its message.
func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name, spec, want string
	}{
		{"syntax", "name: x\nnetwork: {rtt: [\n", "test.yaml:2: YAML syntax error: did not find expected node content"},
		{"tab indent", "name: x\n\tnetwork: 1\n", "test.yaml:2: YAML syntax error: found a tab character that violates indentation"},
		{"two documents", "name: x\n---\nname: y\n", "test.yaml:2:1: only one YAML document per file (remove the ---)"},
		{"root list", "- a\n- b\n", "test.yaml:1:1: the experiment must be a mapping with keys name, title"},
		{"empty file", "", "test.yaml:1:1: name: required"},
		{"line break in a key", "{0\n\n0}", `test.yaml:1:2: 0\n0: unknown key`},
		{"line break in a value", "name: x\npage: {html: \"99\\nGB\"}\n", `test.yaml:2:14: page.html: 99\nGB is out of range 0..10GB`},
		{"comment only", "# nothing\n", "test.yaml:1:1: name: required"},
		{"name missing", "seed: 2\n", "test.yaml:1:1: name: required: a short name"},
		{"null leaf", "name: x\nnetwork:\n  rtt:\n", "test.yaml:3:7: network.rtt: missing value: want a duration (e.g. 100ms)"},
		{"list for leaf", "name: x\ntcp: {mss: [1, 2]}\n", "test.yaml:2:12: tcp.mss: want a size (e.g. 20KB), got a list"},
		{"mapping for list", "name: x\npage: {objects: {size: 1KB}}\n", "test.yaml:2:17: page.objects: want a list, got a mapping"},
		{"duplicate key", "name: x\nname: y\n", "test.yaml:2:1: name: duplicate key (first given at line 1)"},
		{"merge key", "name: x\nbase: &b {rtt: 5ms}\nnetwork:\n  <<: *b\n", "test.yaml:4:3: network: merge keys (<<) are not supported"},
		{"complex key", "name: x\n? [a]\n: 1\n", "test.yaml:2:3: a key must be a plain name"},
		{"out of range", "name: x\nnetwork: {rtt: 2m}\n", "test.yaml:2:16: network.rtt: 2m is out of range 0s..60s"},
		{"bandwidth range", "name: x\nnetwork: {bandwidth: 200Gbps}\n", "network.bandwidth: 200Gbps is out of range 1Kbps..100Gbps"},
		{"seed negative", "name: x\nseed: -1\n", `seed: "-1" is not a whole number`},
		{"bad name", "name: My Experiment\n", `name: "My Experiment" is not a name`},
		{"har", "name: x\npage: {har: a.har}\n", "test.yaml:2:13: page.har: a.har: cannot read it: no such file or directory"},
		{"object size required", "name: x\npage: {objects: [{count: 2}]}\n", "test.yaml:2:18: page.objects[0].size: required"},
		{"too many objects", "name: x\npage: {objects: [{size: 1, count: 10000}, " + strings.Repeat("{size: 1, count: 10000}, ", 10) + "]}\n", "page.objects: 110000 objects is too many (at most 100000)"},
		{"queue holds no packet", "name: x\nnetwork: {queue: 1KB}\n", "test.yaml:2:18: network.queue: a queue of 1KB holds no full packet (mss 1460 + 40 header bytes = 1500 bytes)"},
		{"receive window", "name: x\ntcp: {mss: 9000, receive_window: 8KB}\n", "test.yaml:2:34: tcp.receive_window: receive_window 8000 bytes is smaller than mss 9000"},
		{"cross-key check beside other errors", "name: x\ntcp: {initial_rto: 100ms}\nnetwork: {rtt: 5}\n", "test.yaml:2:20: tcp.initial_rto: min_rto 200ms is above initial_rto 100ms\ntest.yaml:3:16: network.rtt: \"5\" needs a unit (e.g. 5ms)"},
		{"pipelined under HTTP/1.0", "name: x\nhttp: {version: \"1.0\"}\nmodels: [persistent, {pipelined: {depth: 2}}]\n", "test.yaml:3:22: models[1]: pipelined needs http version 1.1: pipelining is an HTTP/1.1 mechanism"},
		{"h2c upgrade under HTTP/1.0", "name: x\nhttp: {version: \"1.0\"}\nmodels: [{http2: {start: upgrade}}]\n", "models[0]: http2 by upgrade needs http version 1.1: the h2c Upgrade is an HTTP/1.1 mechanism (use prior knowledge or TLS)"},
		{"pipelined at a swept HTTP/1.0 point", "name: x\nsweep: {http.version: [\"1.1\", \"1.0\"]}\nmodels: [pipelined]\n", "models[0]: pipelined needs http version 1.1: pipelining is an HTTP/1.1 mechanism (at sweep point http.version=1.0)"},
		{"min_rto above initial_rto", "name: x\ntcp: {initial_rto: 100ms}\n", "test.yaml:2:20: tcp.initial_rto: min_rto 200ms is above initial_rto 100ms"},
		{"no models", "name: x\nmodels: []\n", "test.yaml:2:9: models: want at least one model"},
		{"model typo", "name: x\nmodels: [persistant]\n", `models[0]: unknown model "persistant" (use short-lived, persistent, pipelined, parallel, sharded or http2); did you mean persistent?`},
		{"model option not taken", "name: x\nmodels: [{parallel: {depth: 3}}]\n", "test.yaml:2:22: models[0].depth: parallel takes no depth option (it takes connections, label)"},
		{"model options scalar", "name: x\nmodels: [{parallel: 6}]\n", "models[0]: a model's options must be a mapping, e.g. {connections: 6}, got \"6\""},
		{"model start", "name: x\nmodels: [{http2: {start: alpn}}]\n", `models[0].start: "alpn" is not allowed (use prior-knowledge or upgrade)`},
		{"duplicate label", "name: x\nmodels: [persistent, {pipelined: {label: persistent}}]\n", `test.yaml:2:42: models[1]: label "persistent" is already used by models[0]`},
		{"sweep not a list", "name: x\nsweep: {network.rtt: 5ms}\n", "test.yaml:2:9: sweep.network.rtt: want a list of values"},
		{"sweep empty list", "name: x\nsweep: {network.rtt: []}\n", "sweep.network.rtt: want at least one value"},
		{"sweep unknown key", "name: x\nsweep: {network.rt: [5ms]}\n", "test.yaml:2:9: sweep.network.rt: unknown key rt in network (known: rtt, bandwidth, uplink, queue, loss, dns); did you mean rtt?"},
		{"sweep leaf has no keys", "name: x\nsweep: {network.rtt.x: [5ms]}\n", "sweep.network.rtt.x: network.rtt has no keys"},
		{"sweep name", "name: x\nsweep: {name: [a, b]}\n", "sweep.name: name cannot be swept"},
		{"sweep models", "name: x\nsweep: {models: [[persistent]]}\n", "sweep.models: models cannot be swept"},
		{"sweep har", "name: x\nsweep: {page.har: [a]}\n", "sweep.page.har: page.har cannot be swept"},
		{"sweep bad value", "name: x\nsweep:\n  network.rtt: [20ms, 100]\n", `test.yaml:3:23: network.rtt: "100" needs a unit (e.g. 100ms)`},
		{"sweep value out of range", "name: x\nsweep:\n  tcp.mss: [1460, 100]\n", "test.yaml:3:19: tcp.mss: 100 is out of range 536..9000"},
		{"sweep repeated value", "name: x\nsweep:\n  network.rtt: [20ms, 20ms]\n", "test.yaml:3:23: sweep.network.rtt: 20ms is listed twice (also item 1)"},
		{"sweep same number", "name: x\nsweep:\n  network.rtt: [50ms, 0.05s]\n", "test.yaml:3:23: sweep.network.rtt: 0.05s is the same value as 50ms (item 1)"},
		{"sweep overlap", "name: x\nsweep:\n  tcp.mss: [1460]\n  tcp: [{mss: 536}]\n", "sweep.tcp: overlaps the swept key tcp.mss"},
		{"sweep index past end", "name: x\npage: {objects: [{size: 1KB}]}\nsweep:\n  page.objects[3].size: [1KB]\n", "test.yaml:4:3: sweep.page.objects[3].size: cannot set page.objects[3].size: [3] is past the end of the list (1 entries in the file)"},
		{"sweep model option untaken", "name: x\nsweep: {model.depth: [1, 2]}\n", "sweep.model.depth: no model in models takes the depth option"},
		{"sweep model label", "name: x\nsweep: {model.label: [a]}\n", "sweep.model.label: model labels cannot be swept"},
		{"sweep model option value", "name: x\nmodels: [sharded]\nsweep: {model.shards: [2, 65]}\n", "test.yaml:3:27: model.shards: 65 is out of range 1..64"},
		{"sweep too many runs", "name: x\nrepeat: 1000\nsweep: {tcp.initial_window: [" + numbers(1, 1001) + "]}\n", "sweep: 1001 points x 1 models x 1000 repeats is more than 1000000 runs"},
		{"sweep combination", "name: x\nsweep:\n  tcp.initial_rto: [1s, 300ms]\n  tcp.min_rto: [200ms, 500ms]\n", "test.yaml:4:24: tcp.min_rto: min_rto 500ms is above initial_rto 300ms (at sweep point tcp.initial_rto=300ms, tcp.min_rto=500ms)"},
		{"plot x not swept", "name: x\nsweep: {network.rtt: [1ms]}\nplots: [{x: network.loss}]\n", `test.yaml:3:13: plots[0].x: "network.loss" is not a swept key (swept: network.rtt)`},
		{"plot line without sweep", "name: x\nplots: [{y: plt_ms}]\n", "plots[0].x: a line plot needs a swept key for x, and nothing is swept"},
		{"plot y", "name: x\nplots: [{kind: bar, y: plt}]\n", `plots[0].y: "plt" is not a metric (use one of plt_ms, connections`},
		{"plot series", "name: x\nsweep: {network.rtt: [1ms]}\nplots: [{x: network.rtt, series: network.rtt}]\n", `plots[0].series: "network.rtt" is already the x axis`},
		{"plot model", "name: x\nplots: [{kind: waterfall, model: http2}]\n", `plots[0].model: "http2" is not a model label (labels: persistent)`},
		{"plot point key", "name: x\nplots: [{kind: cwnd, point: {network.rtt: 1ms}}]\n", `plots[0].point.network.rtt: "network.rtt" is not a swept key`},
		{"plot point value", "name: x\nsweep: {network.rtt: [1ms, 2ms]}\nplots: [{kind: cwnd, point: {network.rtt: 3ms}}]\n", "test.yaml:3:43: plots[0].point.network.rtt: 3ms is not one of the swept values (1ms, 2ms)"},
		{"plot run", "name: x\nrepeat: 2\nplots: [{kind: sequence, run: 2}]\n", "plots[0].run: 2 is not below repeat (2)"},
		{"labels not swept", "name: x\nsweep: {network.rtt: [1ms]}\nlabels: {network.loss: [a]}\n", `test.yaml:3:10: labels.network.loss: "network.loss" is not a swept key (swept: network.rtt)`},
		{"labels count", "name: x\nsweep: {network.rtt: [1ms, 2ms]}\nlabels: {network.rtt: [fast]}\n", "test.yaml:3:10: labels.network.rtt: 1 names for 2 values: give one per value, in sweep order"},
		{"labels empty name", "name: x\nsweep: {network.rtt: [1ms]}\nlabels: {network.rtt: [\"\"]}\n", `test.yaml:3:24: labels.network.rtt[0]: "": a name is 1 to 40 characters, no control characters`},
		{"labels twice", "name: x\nsweep: {network.rtt: [1ms, 2ms]}\nlabels: {network.rtt: [a, a]}\n", `test.yaml:3:27: labels.network.rtt[1]: "a" names two values (0 and 1)`},
		{"labels not a mapping", "name: x\nlabels: [a]\n", "test.yaml:2:9: labels: want a mapping of swept key: [names], e.g. network: [LAN, WAN], got a list"},
		{"labels names not a list", "name: x\nsweep: {network.rtt: [1ms]}\nlabels: {network.rtt: fast}\n", "labels.network.rtt: want a list, got"},
		{"plot connection on line", "name: x\nplots: [{kind: bar, connection: 2}]\n", "plots[0].connection: connection is only for waterfall, cwnd, sequence and ladder plots"},
		{"plot x on waterfall", "name: x\nplots: [{kind: waterfall, x: model}]\n", "plots[0].x: x is only for line and bar plots"},
		{"poisson rate 0", "name: x\nclients: [{name: u, arrival: {poisson: {rate: 0/s}}}]\n", "clients[0].arrival.poisson.rate: 0/s is too slow: poisson arrivals need at least 0.001/s"},
		{"poisson rate too slow", "name: x\nclients: [{name: u, arrival: {poisson: {rate: 1e-12/s}}}]\n", "clients[0].arrival.poisson.rate: 1e-12/s is too slow"},
		{"log_y on bar", "name: x\nplots: [{kind: bar, log_y: true}]\n", "test.yaml:2:28: plots[0].log_y: log_y is only for line plots"},
		{"log_x on waterfall", "name: x\nplots: [{kind: waterfall, log_x: true}]\n", "test.yaml:2:34: plots[0].log_x: log_x is only for line and cdf plots"},
		// Aliases that would expand to 10^9 values cannot blow up: the
		// decoder walks only the shapes the schema has.
		{"billion laughs", laughs("page:\n  objects: *a8\n"), "page.objects[0]: want a mapping with keys size, count, host, method; got a list"},
		{"billion laughs in a sweep", laughs("sweep:\n  page.objects: [*a8]\n"), "sweep.page.objects: this value is too large to sweep"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := loadErr(t, tc.spec)
			if !strings.Contains(got, tc.want) {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func numbers(from, to int) string {
	var s []string
	for i := from; i <= to; i++ {
		s = append(s, strconv.Itoa(i))
	}
	return strings.Join(s, ", ")
}

// laughs is a file whose aliases expand to 10^9 values.
func laughs(tail string) string {
	var b strings.Builder
	b.WriteString("name: x\ndescription: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("z" + strconv.Itoa(i) + ": &a" + strconv.Itoa(i) + " [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + strconv.Itoa(i-1))
		}
		b.WriteString("]\n")
	}
	b.WriteString(tail)
	return b.String()
}

// TestModelLabels checks the default labels (the name plus the options
// given, in file order), explicit labels, and the resolved options.
func TestModelLabels(t *testing.T) {
	s := mustLoad(t, `name: x
models:
  - short-lived
  - short-lived: {connections: 4}
  - parallel: {}
  - sharded: {shards: 3, connections: 6}
  - sharded: {connections: 6, shards: 3}
  - pipelined: {depth: 4, label: pipe-4}
  - http2: {start: upgrade}
  - pipelined:
`)
	want := []ModelSpec{
		{Name: ShortLived, Label: "short-lived", Connections: 1, Shards: 1},
		{Name: ShortLived, Label: "short-lived(connections=4)", Connections: 4, Shards: 1},
		{Name: Parallel, Label: "parallel", Connections: 6, Shards: 1},
		{Name: Sharded, Label: "sharded(shards=3,connections=6)", Connections: 6, Shards: 3},
		{Name: Sharded, Label: "sharded(connections=6,shards=3)", Connections: 6, Shards: 3},
		{Name: Pipelined, Label: "pipe-4", Connections: 1, Depth: 4, Shards: 1},
		{Name: HTTP2, Label: "http2(start=upgrade)", Connections: 1, Shards: 1, Start: "upgrade"},
		{Name: Pipelined, Label: "pipelined", Connections: 1, Shards: 1},
	}
	if len(s.Models) != len(want) {
		t.Fatalf("got %d models, want %d", len(s.Models), len(want))
	}
	for i := range want {
		if s.Models[i] != want[i] {
			t.Errorf("models[%d]: got %+v, want %+v", i, s.Models[i], want[i])
		}
	}
}
