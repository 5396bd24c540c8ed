package experiments

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestRunAllStopEndsRunsUnderWay: setting RunOptions.Stop ends a run that
// would take many seconds within a fraction of one; the run under way
// says "interrupted", the others "not run", and none of them carries
// measurements or requests.
func TestRunAllStopEndsRunsUnderWay(t *testing.T) {
	s, err := Load("long.yaml", []byte(`name: long
network: {rtt: 20ms, bandwidth: 1Gbps}
tcp: {mss: 536}
page: {html: 10KB, objects: [{size: 1MB, count: 10000}]}
models: [persistent]
limits: {max_sim_time: 10h}
repeat: 3
`))
	if err != nil {
		t.Fatal(err)
	}
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	go func() {
		time.Sleep(100 * time.Millisecond)
		stop.Store(true)
	}()
	start := time.Now()
	res := RunAll(runs, RunOptions{Workers: 1, Stop: &stop})
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("RunAll took %v after a stop at 100ms", d) // a run takes about 6 s
	}
	if res[0].Row.Err != Interrupted || len(res[0].Requests) != 0 {
		t.Errorf("run 0: err %q, %d requests; want %q and none", res[0].Row.Err, len(res[0].Requests), Interrupted)
	}
	for _, r := range res[1:] {
		if r.Row.Err != NotRun {
			t.Errorf("run %d: err %q; want %q", r.Row.Index, r.Row.Err, NotRun)
		}
	}
}
