package experiments

import (
	"fmt"
	"runtime"
	"testing"
)

// allocatedBy returns the bytes fn allocates.
func allocatedBy(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// TestUntracedRunRecordsNoTrace (audit of issue 10): a run not asked for
// a trace records none inside the model either (no per-packet segments,
// no cwnd samples, no server series), so what it allocates does not grow
// with the transfer: 80 MB allocates about what 5 MB does, and a small
// fraction of what the same run traced does. The issue measured 12 MiB
// against 313 MiB for 1 GB. TestTracesOnlyForPlottedRuns checks only
// which Results carry a trace; no test caught run() asking httpmodel for
// a trace on every run and dropping it afterwards, nor httpmodel
// recording every cwnd change of an untraced run.
func TestUntracedRunRecordsNoTrace(t *testing.T) {
	untraced := map[string]uint64{}
	for _, size := range []string{"5MB", "80MB"} {
		s := mustLoad(t, "name: bulk\nnetwork: {bandwidth: 100Mbps, rtt: 20ms, loss: 0.01}\npage: {html: "+size+"}\nmodels: [persistent]\n")
		runs, err := s.Runs()
		if err != nil || len(runs) != 1 {
			t.Fatalf("runs %d, %v", len(runs), err)
		}
		run(runs[0], false, nil) // warm the released schedulers and blocks
		var plain, traced Result
		untraced[size] = allocatedBy(func() { plain = run(runs[0], false, nil) })
		tracedBytes := allocatedBy(func() { traced = run(runs[0], true, nil) })
		if plain.Row.Err != "" || traced.Row.Err != "" {
			t.Fatalf("%s: runs failed: %q, %q", size, plain.Row.Err, traced.Row.Err)
		}
		if plain.Trace != nil || traced.Trace == nil {
			t.Fatalf("%s: trace kept: untraced %v, traced %v", size, plain.Trace != nil, traced.Trace != nil)
		}
		if fmt.Sprint(plain.Row.Metrics) != fmt.Sprint(traced.Row.Metrics) { // NaN != NaN: compare the text
			t.Errorf("%s: tracing changed the metrics: %+v against %+v", size, plain.Row.Metrics, traced.Row.Metrics)
		}
		t.Logf("%s: allocated untraced %d KB, traced %d KB", size, untraced[size]>>10, tracedBytes>>10)
		if untraced[size]*4 > tracedBytes {
			t.Errorf("%s: the untraced run allocated %d KB, the traced one %d KB: more than a quarter, as if it recorded the trace too",
				size, untraced[size]>>10, tracedBytes>>10)
		}
	}
	if grow := int64(untraced["80MB"]) - int64(untraced["5MB"]); grow > 256<<10 {
		t.Errorf("an untraced run of 80 MB allocates %d KB more than one of 5 MB: it records something per packet or per ACK", grow>>10)
	}
}
