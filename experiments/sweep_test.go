package experiments

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestPointsCartesianOrder checks that the first sweep key is outermost,
// values come in file order, each point's spec has its values applied,
// and the axis numbers are in output units (ms, bit/s, bytes, index).
func TestPointsCartesianOrder(t *testing.T) {
	s := mustLoad(t, `name: x
sweep:
  network.rtt: [20ms, 1.5s]
  network.bandwidth: [1Mbps, 10Mbps, 1Gbps]
  tcp.cc: [cubic, newreno]
`)
	pts, err := s.Points()
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 12 {
		t.Fatalf("got %d points, want 12", len(pts))
	}
	var got []string
	for i, p := range pts {
		if p.Index != i {
			t.Errorf("point %d has Index %d", i, p.Index)
		}
		var parts []string
		for _, a := range p.Axes {
			parts = append(parts, fmt.Sprintf("%s=%s(%g)", a.Key, a.Text, a.Value))
		}
		got = append(got, strings.Join(parts, " "))
		// The point's spec carries its values.
		ps := p.Spec
		if want := p.Axes[0].Value; ps.Network.RTT.MS() != want {
			t.Errorf("point %d: rtt %v, want %gms", i, ps.Network.RTT, want)
		}
		if want := p.Axes[1].Value; float64(ps.Network.Bandwidth) != want {
			t.Errorf("point %d: bandwidth %v, want %g", i, ps.Network.Bandwidth, want)
		}
		if ps.TCP.CC != p.Axes[2].Text {
			t.Errorf("point %d: cc %s, want %s", i, ps.TCP.CC, p.Axes[2].Text)
		}
		if ps.Network.Uplink != ps.Network.Bandwidth {
			t.Errorf("point %d: uplink %v, want the bandwidth %v", i, ps.Network.Uplink, ps.Network.Bandwidth)
		}
		if ps.Sweep != nil {
			t.Errorf("point %d: spec still has a sweep", i)
		}
	}
	want := []string{
		"network.rtt=20ms(20) network.bandwidth=1Mbps(1e+06) tcp.cc=cubic(0)",
		"network.rtt=20ms(20) network.bandwidth=1Mbps(1e+06) tcp.cc=newreno(1)",
		"network.rtt=20ms(20) network.bandwidth=10Mbps(1e+07) tcp.cc=cubic(0)",
		"network.rtt=20ms(20) network.bandwidth=10Mbps(1e+07) tcp.cc=newreno(1)",
		"network.rtt=20ms(20) network.bandwidth=1Gbps(1e+09) tcp.cc=cubic(0)",
		"network.rtt=20ms(20) network.bandwidth=1Gbps(1e+09) tcp.cc=newreno(1)",
		"network.rtt=1.5s(1500) network.bandwidth=1Mbps(1e+06) tcp.cc=cubic(0)",
		"network.rtt=1.5s(1500) network.bandwidth=1Mbps(1e+06) tcp.cc=newreno(1)",
		"network.rtt=1.5s(1500) network.bandwidth=10Mbps(1e+07) tcp.cc=cubic(0)",
		"network.rtt=1.5s(1500) network.bandwidth=10Mbps(1e+07) tcp.cc=newreno(1)",
		"network.rtt=1.5s(1500) network.bandwidth=1Gbps(1e+09) tcp.cc=cubic(0)",
		"network.rtt=1.5s(1500) network.bandwidth=1Gbps(1e+09) tcp.cc=newreno(1)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestPointsWithoutSweep checks that a spec without a sweep has one
// resolved point with no axes.
func TestPointsWithoutSweep(t *testing.T) {
	s := mustLoad(t, "name: x\npage: {host: www.example.org, objects: [{size: 1KB}, {size: 2KB, host: cdn.example.org}]}\n")
	pts, err := s.Points()
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 1 || len(pts[0].Axes) != 0 {
		t.Fatalf("got %+v, want one point without axes", pts)
	}
	objs := pts[0].Spec.Page.Objects
	if objs[0].Host != "www.example.org" || objs[1].Host != "cdn.example.org" {
		t.Errorf("got hosts %q, %q; want the page host filled in and the explicit host kept", objs[0].Host, objs[1].Host)
	}
	if s.Page.Objects[0].Host != "" {
		t.Errorf("the Spec's object host changed to %q; only Point.Spec is filled in", s.Page.Objects[0].Host)
	}
}

// TestSweepValueKinds checks the axis numbers of each kind of key: sizes,
// probabilities, booleans, packets, mixed queue units, list indices,
// whole sections and model options.
func TestSweepValueKinds(t *testing.T) {
	for _, tc := range []struct {
		models, key, values string
		want                []float64
	}{
		{"", "page.html", "[1KB, 1KiB, 0]", []float64{1000, 1024, 0}},
		{"", "network.loss", "[0, 0.5%, 0.01]", []float64{0, 0.005, 0.01}},
		{"", "tcp.nagle", "[false, true]", []float64{0, 1}},
		{"", "network.queue", "[10 packets, 100 packets]", []float64{10, 100}},
		{"", "network.queue", "[10 packets, 100KB]", []float64{0, 1}},
		{"", "http.version", `["1.0", "1.1"]`, []float64{0, 1}},
		{"", "seed", "[1, 2, 3]", []float64{1, 2, 3}},
		{"", "page.objects", "[[{size: 1KB}], [{size: 2KB, count: 2}]]", []float64{0, 1}},
		{"", "tcp", "[{cc: cubic}, {mss: 536}]", []float64{0, 1}},
		{"[pipelined]", "model.depth", "[0, 1, 4]", []float64{0, 1, 4}},
		{"[http2]", "model.start", "[upgrade, prior-knowledge]", []float64{0, 1}},
	} {
		t.Run(tc.key+tc.values, func(t *testing.T) {
			spec := "name: x\npage: {objects: [{size: 5KB}]}\nsweep:\n  " + tc.key + ": " + tc.values + "\n"
			if tc.models != "" {
				spec += "models: " + tc.models + "\n"
			}
			s := mustLoad(t, spec)
			var got []float64
			for _, v := range s.Sweep[0].Values {
				got = append(got, v.Value)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if _, err := s.Points(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestSweepStructuredValue checks that a whole section as a sweep value
// replaces the section, and that its text is one line of flow YAML.
func TestSweepStructuredValue(t *testing.T) {
	s := mustLoad(t, `name: x
tcp: {initial_window: 4}
sweep:
  tcp:
    - {cc: cubic}
    - cc: newreno
      mss: 536
`)
	if got, want := s.Sweep[0].Values[1].Text, "{cc: newreno, mss: 536}"; got != want {
		t.Errorf("text: got %q, want %q", got, want)
	}
	pts, err := s.Points()
	if err != nil {
		t.Fatal(err)
	}
	if got := pts[0].Spec.TCP; got.CC != "cubic" || got.InitialWindow != 10 {
		t.Errorf("point 0: got cc %s iw %d, want cubic and the default iw 10 (the section is replaced)", got.CC, got.InitialWindow)
	}
	if got := pts[1].Spec.TCP; got.MSS != 536 {
		t.Errorf("point 1: got mss %d, want 536", got.MSS)
	}
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := runs[1].ID, "tcp={cc: newreno, mss: 536}/model=persistent/run=0"; got != want {
		t.Errorf("ID: got %q, want %q", got, want)
	}
}

// TestSweepListIndex checks a key path through a list index.
func TestSweepListIndex(t *testing.T) {
	s := mustLoad(t, `name: x
page:
  objects:
    - {size: 1KB, count: 10}
    - {size: 2KB}
sweep:
  page.objects[1].size: [10KB, 100KB]
`)
	pts, err := s.Points()
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []Size{10000, 100000} {
		objs := pts[i].Spec.Page.Objects
		if objs[1].Size != want || objs[0].Size != 1000 || objs[0].Count != 10 {
			t.Errorf("point %d: got %+v, want object 1 of %v and object 0 unchanged", i, objs, want)
		}
	}
	if got := pts[1].Axes[0]; got.Value != 100000 {
		t.Errorf("axis: got %+v, want Value 100000", got)
	}
}

// TestSweepModelOption checks that model.<option> sets the option on every
// model that takes it, leaves the others and the labels alone, and is an
// axis like any other.
func TestSweepModelOption(t *testing.T) {
	s := mustLoad(t, `name: x
models:
  - persistent
  - sharded: {shards: 3}
  - sharded: {label: wide}
  - pipelined: {depth: 2}
sweep:
  model.shards: [2, 8]
  model.connections: [1, 4]
`)
	pts, err := s.Points()
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 4 {
		t.Fatalf("got %d points, want 4", len(pts))
	}
	for _, p := range pts {
		shards, conns := int(p.Axes[0].Value), int(p.Axes[1].Value)
		for _, m := range p.Spec.Models {
			wantShards := 1
			if m.Name == Sharded {
				wantShards = shards
			}
			if m.Shards != wantShards || m.Connections != conns {
				t.Errorf("point %d, %s: got shards %d connections %d, want %d and %d", p.Index, m.Label, m.Shards, m.Connections, wantShards, conns)
			}
		}
		if m := p.Spec.Models[3]; m.Depth != 2 {
			t.Errorf("point %d: pipelined depth %d, want 2", p.Index, m.Depth)
		}
		want := []string{"persistent", "sharded(shards=3)", "wide", "pipelined(depth=2)"}
		if got := p.Spec.labels(); !reflect.DeepEqual(got, want) {
			t.Errorf("point %d: labels %v, want %v", p.Index, got, want)
		}
	}
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := runs[5].ID, "model.shards=2/model.connections=4/model=sharded(shards=3)/run=0"; got != want {
		t.Errorf("got ID %q, want %q", got, want)
	}
}

// TestRunsSeedsCommonRandomNumbers checks the run order (point, model,
// repetition), the IDs, and that seeds depend on the repetition only.
func TestRunsSeedsCommonRandomNumbers(t *testing.T) {
	s := mustLoad(t, `name: x
seed: 42
repeat: 3
models: [persistent, pipelined]
sweep:
  network.rtt: [50ms, 100ms]
`)
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 12 {
		t.Fatalf("got %d runs, want 12", len(runs))
	}
	for i, r := range runs {
		wantPoint, wantModel, wantRep := i/6, (i/3)%2, i%3
		if r.Index != i || r.Point.Index != wantPoint || r.ModelIndex != wantModel || r.Rep != wantRep {
			t.Errorf("run %d: got index %d point %d model %d rep %d, want %d %d %d %d",
				i, r.Index, r.Point.Index, r.ModelIndex, r.Rep, i, wantPoint, wantModel, wantRep)
		}
		if r.Seed != runs[wantRep].Seed {
			t.Errorf("run %d: seed %d differs from rep %d's seed %d in the first point and model", i, r.Seed, wantRep, runs[wantRep].Seed)
		}
		if r.Seed != RunSeed(42, r.Rep) {
			t.Errorf("run %d: seed %d, want RunSeed(42, %d) = %d", i, r.Seed, r.Rep, RunSeed(42, r.Rep))
		}
		if r.Model != r.Point.Spec.Models[r.ModelIndex] {
			t.Errorf("run %d: model %+v is not the point's model %d", i, r.Model, r.ModelIndex)
		}
	}
	if runs[0].Seed == runs[1].Seed || runs[1].Seed == runs[2].Seed {
		t.Errorf("repetitions share a seed: %d %d %d", runs[0].Seed, runs[1].Seed, runs[2].Seed)
	}
	if got, want := runs[10].ID, "network.rtt=100ms/model=pipelined/run=1"; got != want {
		t.Errorf("got ID %q, want %q", got, want)
	}
	// SplitMix64 reference: the first output for state 0 is e220a8397b1dcdaf.
	if got := RunSeed(0, 0); got != 0xe220a8397b1dcdaf {
		t.Errorf("RunSeed(0, 0) = %#x, want SplitMix64's first output 0xe220a8397b1dcdaf", got)
	}
}

// TestPointsAfterChange checks that Points uses the Spec as it is now, not
// the file it was loaded from, once it has been changed in code.
func TestPointsAfterChange(t *testing.T) {
	s := mustLoad(t, "name: x\nsweep: {network.rtt: [10ms, 20ms]}\n")
	s.Network.Loss = 0.25
	s.Sweep[0].Values = s.Sweep[0].Values[:1]
	pts, err := s.Points()
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 1 || pts[0].Spec.Network.Loss != 0.25 {
		t.Fatalf("got %d points, loss %v; want 1 point with loss 0.25", len(pts), pts[0].Spec.Network.Loss)
	}
	// A Spec built in code has no file at all.
	c := defaultSpec()
	c.Name = "built"
	c.Models = []ModelSpec{{Name: Parallel, Label: "p", Connections: 2, Shards: 1}}
	c.Sweep = Sweep{{Key: "tcp.cc", Values: []SweepValue{{Text: "cubic"}, {Text: "newreno"}}}}
	runs, err := c.Runs()
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[1].Point.Spec.TCP.CC != "newreno" || runs[1].Model.Connections != 2 {
		t.Errorf("got %+v, want two runs of p, the second with newreno", runs)
	}
	// A broken one reports by key path, without a file or position.
	c.TCP.MSS = 5
	_, err = c.Points()
	if err == nil || err.Error() != "tcp.mss: 5 is out of range 536..9000" {
		t.Errorf("got %v, want the mss range error by key path alone", err)
	}
}

// TestMarshalResolvedRoundTrip checks that the resolved YAML of every
// example spec loads back to an equal Spec, and that resolving is
// idempotent; the full example's resolved text is a golden file.
func TestMarshalResolvedRoundTrip(t *testing.T) {
	specs := map[string]string{"minimal": "name: x\n"}
	for _, f := range []string{"full.yaml", "sweeps.yaml"} {
		data, err := os.ReadFile("testdata/" + f)
		if err != nil {
			t.Fatal(err)
		}
		specs[f] = string(data)
	}
	for name, text := range specs {
		t.Run(name, func(t *testing.T) {
			s := mustLoad(t, text)
			out, err := s.MarshalResolved()
			if err != nil {
				t.Fatal(err)
			}
			back, err := Load("resolved.yaml", out)
			if err != nil {
				t.Fatalf("resolved spec does not load: %v\n%s", err, out)
			}
			if !specsEqual(s, back) {
				t.Errorf("round trip changed the spec:\n got %+v\nwant %+v", back, s)
			}
			out2, _ := back.MarshalResolved()
			if string(out2) != string(out) {
				t.Errorf("resolving twice differs:\n%s", lineDiff(string(out2), string(out)))
			}
			if name == "full.yaml" {
				golden(t, "full.resolved.yaml", out)
			}
		})
	}
}

// specsEqual compares two specs, ignoring where they were loaded from.
func specsEqual(a, b *Spec) bool {
	x, y := *a, *b
	x.src, y.src = nil, nil
	return reflect.DeepEqual(x, y)
}

// TestPlotDefaults checks the defaults each plot kind gets and the point
// matching by number.
func TestPlotDefaults(t *testing.T) {
	s := mustLoad(t, `name: x
models: [persistent, pipelined]
repeat: 2
sweep:
  network.rtt: [20ms, 100ms]
  network.loss: [0, 0.01]
plots:
  - {}
  - {kind: bar}
  - {kind: bar, x: network.loss, point: {network.rtt: 0.1s}}
  - {kind: waterfall, point: {network.loss: 0.01}, run: 1}
  - {kind: sequence, model: pipelined}
  - {kind: cwnd}
`)
	want := []PlotSpec{
		{Kind: "line", X: "network.rtt", Y: "plt_ms", Series: "model"},
		{Kind: "bar", X: "model", Y: "plt_ms", Series: "none"},
		{Kind: "bar", X: "network.loss", Y: "plt_ms", Series: "model", Point: PlotPoint{{"network.rtt", "100ms", 100}}},
		{Kind: "waterfall", Model: "persistent", Run: 1, Point: PlotPoint{{"network.loss", "0.01", 0.01}, {"network.rtt", "20ms", 20}}},
		{Kind: "sequence", Model: "pipelined", Connection: 1, Point: PlotPoint{{"network.rtt", "20ms", 20}, {"network.loss", "0", 0}}},
		{Kind: "cwnd", Model: "persistent", Point: PlotPoint{{"network.rtt", "20ms", 20}, {"network.loss", "0", 0}}},
	}
	for i := range want {
		if !reflect.DeepEqual(s.Plots[i], want[i]) {
			t.Errorf("plots[%d]: got %+v, want %+v", i, s.Plots[i], want[i])
		}
	}
	if got := s.Plots[2].Point.Where(); !reflect.DeepEqual(got, map[string]float64{"network.rtt": 100}) {
		t.Errorf("Where: got %v", got)
	}
}

// TestDocListsEveryRange checks that the table in doc.go shows every range
// tag of the spec types, so the documentation cannot drift.
func TestDocListsEveryRange(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var walk func(tp reflect.Type, path string)
	walk = func(tp reflect.Type, path string) {
		for _, f := range fieldsOf(tp) {
			p := joinPath(path, f.key)
			ft := tp.Field(f.index).Type
			if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct {
				if ft.Elem() == reflect.TypeFor[PlotSpec]() {
					p = path + "plots[]"
				} else {
					p += "[]"
				}
				walk(ft.Elem(), p)
				continue
			}
			if ft.Kind() == reflect.Struct && !isLeafType(ft) {
				walk(ft, p)
				continue
			}
			if f.rng == "" {
				continue
			}
			re := regexp.MustCompile(`(?m)^//\t` + regexp.QuoteMeta(p) + `\s.*\s` + regexp.QuoteMeta(f.rng) + `\b`)
			if !re.Match(doc) {
				t.Errorf("doc.go has no table line for %s with range %s", p, f.rng)
			}
		}
	}
	walk(reflect.TypeFor[Spec](), "")
}

// TestLoadFileMissing checks that a missing file is an ordinary error.
func TestLoadFileMissing(t *testing.T) {
	_, err := LoadFile("testdata/no-such-file.yaml")
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v, want os.ErrNotExist", err)
	}
}

// TestMarshalResolvedQuotesRiskyText checks text that the YAML emitter
// would otherwise write in a block style its own parser rejects (found by
// FuzzLoadSpec: a description of a tab and a newline).
func TestMarshalResolvedQuotesRiskyText(t *testing.T) {
	for _, desc := range []string{`"\t\n"`, `"a\n\tb"`, `"line\u2028sep"`, `"cr\r\nlf"`} {
		s := mustLoad(t, "name: x\ndescription: "+desc+"\n")
		out, err := s.MarshalResolved()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Load("resolved.yaml", out)
		if err != nil {
			t.Fatalf("%s: resolved spec does not load: %v\n%s", desc, err, out)
		}
		if back.Description != s.Description {
			t.Errorf("%s: got %q back, want %q", desc, back.Description, s.Description)
		}
	}
}
