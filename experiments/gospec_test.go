package experiments

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"
)

// TestGoSpecMatchesYAML checks that a Spec built in Go and the same
// experiment loaded from YAML give the same points and the same problems:
// the same key paths and messages, with a file and position only for the
// file.
func TestGoSpecMatchesYAML(t *testing.T) {
	sweep := func(key string, texts ...string) SweepAxis {
		a := SweepAxis{Key: key}
		for _, x := range texts {
			a.Values = append(a.Values, SweepValue{Text: x})
		}
		return a
	}
	for _, c := range []struct {
		name  string
		yaml  string
		build func(s *Spec)
	}{
		{"rtt and cc sweep", "name: x\nmodels: [{parallel: {connections: 2}}]\nsweep: {network.rtt: [10ms, 0.1s], tcp.cc: [newreno, cubic]}\n",
			func(s *Spec) {
				m, _ := NewModel(Parallel)
				m.Connections, m.Label = 2, "parallel(connections=2)"
				s.Models = []ModelSpec{m}
				s.Sweep = Sweep{sweep("network.rtt", "10ms", "0.1s"), sweep("tcp.cc", "newreno", "cubic")}
			}},
		{"model option and objects", "name: x\npage: {objects: [{size: 1KB, count: 2}]}\nmodels: [pipelined]\nsweep:\n  model.depth: [0, 4]\n  page.objects[0].size: [1KB, 5KB]\n",
			func(s *Spec) {
				m, _ := NewModel(Pipelined)
				s.Models = []ModelSpec{m}
				s.Page.Objects = []ObjectSpec{{Size: 1000, Count: 2, Method: "GET"}}
				s.Sweep = Sweep{sweep("model.depth", "0", "4"), sweep("page.objects[0].size", "1KB", "5KB")}
			}},
		{"mss out of range", "name: x\ntcp: {mss: 5}\n",
			func(s *Spec) { s.TCP.MSS = 5 }},
		{"min_rto above initial_rto at one point", "name: x\nsweep: {tcp.min_rto: [100ms, 2s]}\n",
			func(s *Spec) { s.Sweep = Sweep{sweep("tcp.min_rto", "100ms", "2s")} }},
		{"unknown sweep key", "name: x\nsweep: {network.rt: [1ms]}\n",
			func(s *Spec) { s.Sweep = Sweep{sweep("network.rt", "1ms")} }},
		{"same value twice", "name: x\nsweep: {network.rtt: [50ms, 0.05s]}\n",
			func(s *Spec) { s.Sweep = Sweep{sweep("network.rtt", "50ms", "0.05s")} }},
		{"bad sweep value", "name: x\nsweep: {network.loss: [0.1, 2]}\n",
			func(s *Spec) { s.Sweep = Sweep{sweep("network.loss", "0.1", "2")} }},
		{"labels", "name: x\nsweep: {network.rtt: [1ms, 2ms]}\nlabels: {network.rtt: [LAN]}\n",
			func(s *Spec) {
				s.Sweep = Sweep{sweep("network.rtt", "1ms", "2ms")}
				s.Labels = SweepLabels{{Key: "network.rtt", Names: []string{"LAN"}}}
			}},
		{"plot of a key not swept", "name: x\nsweep: {network.rtt: [1ms, 2ms]}\nplots: [{x: network.dns}]\n",
			func(s *Spec) {
				s.Sweep = Sweep{sweep("network.rtt", "1ms", "2ms")}
				s.Plots = []PlotSpec{{X: "network.dns"}}
			}},
		{"pipelined under HTTP/1.0", "name: x\nhttp: {version: \"1.0\"}\nmodels: [pipelined]\n",
			func(s *Spec) {
				s.HTTP.Version = "1.0"
				m, _ := NewModel(Pipelined)
				s.Models = []ModelSpec{m}
			}},
		{"empty response", "name: x\nhttp: {response_header_bytes: 0}\npage: {objects: [{size: 0}]}\n",
			func(s *Spec) {
				s.HTTP.ResponseHeaderBytes = 0
				s.Page.Objects = []ObjectSpec{{Count: 1, Method: "GET"}}
			}},
		{"bad words and ranges", "name: x\nrepeat: 0\ntls: ssl3\nlimits: {max_sim_time: 0s}\n",
			func(s *Spec) {
				s.Repeat, s.TLS, s.Limits.MaxSimTime = 0, "ssl3", Duration(0*time.Second)
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := NewSpec("x")
			c.build(g)
			gotPts, gotErr := g.Points()
			var wantPts []Point
			loaded, wantErr := Load("test.yaml", []byte(c.yaml))
			if wantErr == nil {
				wantPts, wantErr = loaded.Points()
			}
			if g, w := problems(t, gotErr, ""), problems(t, wantErr, "test.yaml"); !slices.Equal(g, w) {
				t.Fatalf("problems differ:\n got (Go)   %q\nwant (YAML) %q", g, w)
			}
			if len(gotPts) != len(wantPts) {
				t.Fatalf("got %d points, want %d", len(gotPts), len(wantPts))
			}
			for i := range gotPts {
				gp, wp := gotPts[i], wantPts[i]
				if gp.Index != wp.Index || !reflect.DeepEqual(gp.Axes, wp.Axes) || !specsEqual(gp.Spec, wp.Spec) {
					t.Errorf("point %d:\n got %+v %+v\nwant %+v %+v", i, gp.Axes, *gp.Spec, wp.Axes, *wp.Spec)
				}
			}
		})
	}
}

// problems returns the key path and message of each problem of err,
// sorted, after checking that each has the file given (and a position
// exactly when it has a file).
func problems(t *testing.T, err error, file string) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("got %T %v, want an ErrorList", err, err)
	}
	var ps []string
	for _, e := range list {
		if e.File != file || (file == "" && e.Line != 0) {
			t.Errorf("%v: want file %q and a position only with a file", e, file)
		}
		ps = append(ps, e.Path+": "+e.Msg)
	}
	slices.Sort(ps)
	return ps
}
