package experiments

import "testing"

// TestTracesOnlyForPlottedRuns checks that a trace is kept only for the
// runs a per-run figure draws (issue 10): WantsTrace holds for exactly
// the run each waterfall or cwnd plot shows, for no run of a spec whose
// plots are all line or bar charts, and RunAll keeps a trace for those
// runs and no others.
func TestTracesOnlyForPlottedRuns(t *testing.T) {
	const base = "name: x\npage: {html: 1KB, objects: [{size: 2KB, count: 2}]}\nmodels: [persistent, parallel]\nrepeat: 2\n" +
		"sweep: {network.rtt: [10ms, 50ms, 100ms]}\n"
	for _, c := range []struct {
		name  string
		plots string
		want  []string // IDs of the runs traced
	}{
		{"line only", "plots: [{kind: line, x: network.rtt}]\n", nil},
		{"waterfall and cwnd", "plots:\n" +
			"  - {kind: waterfall, model: parallel, run: 1, point: {network.rtt: 50ms}}\n" +
			"  - {kind: cwnd, model: persistent, point: {network.rtt: 100ms}}\n" +
			"  - {kind: line, x: network.rtt}\n",
			[]string{"network.rtt=50ms/model=parallel/run=1", "network.rtt=100ms/model=persistent/run=0"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := mustLoad(t, base+c.plots)
			runs, err := s.Runs()
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]bool{}
			for _, id := range c.want {
				want[id] = true
			}
			for _, rc := range runs {
				if got := s.WantsTrace(rc); got != want[rc.ID] {
					t.Errorf("WantsTrace(%s) = %v, want %v", rc.ID, got, want[rc.ID])
				}
			}
			traced := 0
			for _, r := range RunAll(runs, RunOptions{Workers: 2, Trace: s.WantsTrace}) {
				if r.Trace != nil {
					traced++
				}
			}
			if traced != len(c.want) {
				t.Errorf("RunAll kept %d traces, want %d", traced, len(c.want))
			}
			for _, r := range RunAll(runs, RunOptions{Workers: 2}) {
				if r.Trace != nil {
					t.Errorf("run %d: a trace without Trace set", r.Row.Index)
				}
			}
		})
	}
}
