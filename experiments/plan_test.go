package experiments

import (
	"fmt"
	"os"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// planSpecs are the specs the plan tests expand: sweeps of every kind of
// key (file values, lists, model options, labels, seed), several models
// and repetitions, and a Spec built in Go.
func planSpecs(t *testing.T) map[string]*Spec {
	t.Helper()
	data, err := os.ReadFile("testdata/sweeps.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sweeps, err := Load("testdata/sweeps.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	inGo := defaultSpec()
	inGo.Name = "in-go"
	inGo.Repeat = 3
	m1, _ := NewModel(Persistent)
	m2, _ := NewModel("short-lived")
	inGo.Models = []ModelSpec{m1, m2}
	inGo.Sweep = Sweep{{Key: "network.rtt", Values: []SweepValue{{Text: "10ms"}, {Text: "20ms"}, {Text: "30ms"}}},
		{Key: "model.connections", Values: []SweepValue{{Text: "1"}, {Text: "6"}}}}
	return map[string]*Spec{
		"sweeps": sweeps,
		"none":   mustLoad(t, "name: x\nrepeat: 3\nmodels: [persistent, pipelined]\n"),
		"shards": mustLoad(t, "name: x\nrepeat: 2\nmodels: [persistent, pipelined]\nsweep:\n  network.rtt: [1ms, 2ms, 3ms]\n  network.loss: [0, 0.01]\n"),
		"options": mustLoad(t, `name: x
models: [persistent, {short-lived: {connections: 2}}, http2, {pipelined: {label: p}}]
sweep:
  model.connections: [1, 2, 4]
  model.depth: [2, 5]
  seed: [1, 7]
  network: [{rtt: 10ms}, {rtt: 80ms, bandwidth: 1Mbps}]
labels:
  network: [LAN, WAN]
plots:
  - {kind: waterfall, model: p, point: {model.depth: 5, seed: 7}}
  - {kind: cwnd, model: http2, point: {seed: 7}}
`),
		"in-go": inGo,
	}
}

// TestPlanEqualsShardRuns: run i of a plan is ShardRuns' i-th run, field
// for field (the point's spec included), for whole experiments and
// shards, and Index, PointOf, Find and Shows agree with those runs.
func TestPlanEqualsShardRuns(t *testing.T) {
	for name, s := range planSpecs(t) {
		for _, kn := range [][2]int{{1, 1}, {1, 2}, {2, 2}, {2, 3}, {3, 5}, {5, 5}, {4, 7}, {7, 7}} {
			k, n := kn[0], kn[1]
			t.Run(fmt.Sprintf("%s/%d-of-%d", name, k, n), func(t *testing.T) {
				runs, err := s.ShardRuns(k, n)
				if err != nil {
					t.Fatal(err)
				}
				plan, err := s.ShardPlan(k, n)
				if err != nil {
					t.Fatal(err)
				}
				if plan.Len() != len(runs) || plan.Len() != s.ShardRunCount(k, n) {
					t.Fatalf("Len = %d, ShardRuns has %d", plan.Len(), len(runs))
				}
				plan.SetCache(2) // evictions too
				for i, want := range runs {
					got := plan.Run(i)
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("Run(%d) = %+v\nwant %+v", i, got, want)
					}
					if plan.Index(i) != want.Index {
						t.Errorf("Index(%d) = %d, want %d", i, plan.Index(i), want.Index)
					}
					if pi := plan.PointOf(i); runs[pi*plan.PerPoint()].Point.Index != want.Point.Index {
						t.Errorf("PointOf(%d) = %d: not the point of run %d", i, pi, i)
					}
					if p := plan.Find(want.Model.Label, want.Point.Axes, want.Rep); p != i {
						t.Errorf("Find(%s) = %d, want %d", want.ID, p, i)
					}
				}
				all, err := s.Runs()
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range all {
					if r.Point.Index%n != k-1 {
						if p := plan.Find(r.Model.Label, r.Point.Axes, r.Rep); p != -1 {
							t.Errorf("Find(%s), a run of another shard, = %d, want -1", r.ID, p)
						}
					}
				}
				if len(runs) == 0 {
					return // a shard past the last point
				}
				if p := plan.Find(runs[0].Model.Label, runs[0].Point.Axes, s.Repeat); p != -1 {
					t.Errorf("Find of a repetition past repeat = %d, want -1", p)
				}
				if p := plan.Find("no-such-model", runs[0].Point.Axes, 0); p != -1 {
					t.Errorf("Find of an unknown model = %d, want -1", p)
				}
				plots := append([]PlotSpec(nil), s.Plots...)
				// Per-run plots with free axes and with values of no
				// point: Shows is the first run PlotShows holds for.
				for _, rc := range []RunConfig{runs[0], runs[len(runs)-1]} {
					for j := range rc.Point.Axes {
						a := rc.Point.Axes[j]
						plots = append(plots,
							PlotSpec{Kind: PlotCwnd, Model: rc.Model.Label, Run: rc.Rep, Point: PlotPoint{{Key: a.Key, Value: a.Value}}},
							PlotSpec{Kind: PlotCwnd, Model: rc.Model.Label, Run: rc.Rep, Point: PlotPoint{{Key: a.Key, Value: a.Value + 0.5}}},
							PlotSpec{Kind: PlotCwnd, Model: rc.Model.Label, Run: rc.Rep, Point: PlotPoint{{Key: "no.such.key", Value: 0}}})
					}
					plots = append(plots, PlotSpec{Kind: PlotSequence, Model: rc.Model.Label, Run: rc.Rep})
				}
				for _, ps := range plots {
					want := -1
					for i, rc := range runs {
						if PlotShows(ps, rc) {
							want = i
							break
						}
					}
					got, ok := plan.Shows(ps)
					if !ok {
						got = -1
					}
					if got != want {
						t.Errorf("Shows(%+v) = %d, want %d", ps, got, want)
					}
				}
			})
		}
	}
}

// TestPlanConcurrent: runs taken by many goroutines at once, out of
// order, are those of ShardRuns (go test -race checks the plan's lock).
func TestPlanConcurrent(t *testing.T) {
	s := planSpecs(t)["sweeps"]
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	plan, err := s.Plan()
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for j := range runs {
				i := (j*7 + g*13) % len(runs)
				if got := plan.Run(i); got.ID != runs[i].ID || !specsEqual(got.Point.Spec, runs[i].Point.Spec) {
					t.Errorf("Run(%d) = %s, want %s", i, got.ID, runs[i].ID)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestPlanErrorsAreShardRuns: a plan reports the problems of a spec, the
// points' included, exactly as ShardRuns does.
func TestPlanErrorsAreShardRuns(t *testing.T) {
	bad := mustLoad(t, "name: x\nsweep:\n  tcp.min_rto: [100ms]\n  network.rtt: [1ms, 2ms]\n")
	bad.Sweep[0].Values = append(bad.Sweep[0].Values, SweepValue{Text: "2s"}, SweepValue{Text: "3s"}) // above initial_rto
	noModels := mustLoad(t, "name: x\n")
	noModels.Models = nil
	badValue := mustLoad(t, "name: x\nsweep:\n  network.rtt: [1ms, 2ms]\n")
	badValue.Sweep[0].Values = append(badValue.Sweep[0].Values, SweepValue{Text: "fast"})
	for name, s := range map[string]*Spec{"points": bad, "models": noModels, "value": badValue} {
		for _, kn := range [][2]int{{1, 1}, {2, 3}, {0, 1}, {3, 2}} {
			_, werr := s.ShardRuns(kn[0], kn[1])
			_, gerr := s.ShardPlan(kn[0], kn[1])
			if werr == nil || gerr == nil || werr.Error() != gerr.Error() {
				t.Errorf("%s %d/%d: ShardPlan: %v\nShardRuns: %v", name, kn[0], kn[1], gerr, werr)
			}
		}
	}
}

// TestPlanMemoryFlat: a plan's memory does not grow with the number of
// runs or points: plans of 10^4 and 10^6 runs (100 and 10,000 points)
// hold about the same heap.
func TestPlanMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: checks 10,000 points")
	}
	spec := func(a, b, repeat int) *Spec {
		var rtts, bws []string
		for i := range a {
			rtts = append(rtts, fmt.Sprintf("%dms", i+1))
		}
		for i := range b {
			bws = append(bws, fmt.Sprintf("%dMbps", i+1))
		}
		return mustLoad(t, fmt.Sprintf("name: x\nrepeat: %d\nsweep:\n  network.rtt: [%s]\n  network.bandwidth: [%s]\n",
			repeat, strings.Join(rtts, ", "), strings.Join(bws, ", ")))
	}
	heapWith := func(s *Spec) (uint64, *Plan) {
		plan, err := s.Plan()
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < plan.Len(); i += plan.Len() / 1000 {
			plan.Run(i) // fill the cache of points
		}
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapAlloc, plan
	}
	small, large := spec(10, 10, 100), spec(100, 100, 100)
	var base runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&base)
	h1, p1 := heapWith(small)
	h2, p2 := heapWith(large)
	if p1.Len() != 10_000 || p2.Len() != 1_000_000 {
		t.Fatalf("plans of %d and %d runs, want 10^4 and 10^6", p1.Len(), p2.Len())
	}
	// The large spec's 180 more sweep values cost a few tens of KB;
	// ShardRuns' runs would be about 180 MB.
	d1, d2 := int64(h1)-int64(base.HeapAlloc), int64(h2)-int64(h1)
	grow := d2 - d1
	t.Logf("heap: %d KB with the specs; a plan of 10^4 runs holds %d KB, one of 10^6 runs %d KB", base.HeapAlloc>>10, d1>>10, d2>>10)
	if grow > 1<<20 {
		t.Errorf("a plan of 10^6 runs holds %d KB more than one of 10^4 runs, want < 1 MB", grow>>10)
	}
	runtime.KeepAlive(p1)
	runtime.KeepAlive(p2)
	runtime.KeepAlive(small)
	runtime.KeepAlive(large)
}

// BenchmarkPlanRun takes every run of a 100-point, 10-repetition plan in
// order, as RunPlan's workers do: a point is built once per 10 runs.
func BenchmarkPlanRun(b *testing.B) {
	var rtts []string
	for i := range 100 {
		rtts = append(rtts, fmt.Sprintf("%dms", i+1))
	}
	s := mustLoad(b, "name: x\nrepeat: 10\nsweep:\n  network.rtt: ["+strings.Join(rtts, ", ")+"]\n")
	plan, err := s.Plan()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		plan.Run(i % plan.Len())
	}
}
