package experiments

import (
	"strings"
	"testing"
)

// A run that panics (a model bug; here a RunConfig without its point)
// fails alone: RunAll returns its row with the panic's message, and the
// other runs finish. Before, the worker's deferred unlock of a mutex it
// did not hold turned any panic into a fatal error of the whole process.
func TestPanickingRunFailsAlone(t *testing.T) {
	s, err := Load("t.yaml", []byte("name: t\nmodels: [persistent]\npage: {html: 5KB}\nsweep: {network.rtt: [10ms, 20ms]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	runs[0].Point = nil // run() dereferences it
	res := RunAll(runs, RunOptions{Workers: 2})
	if !strings.Contains(res[0].Row.Err, "internal error") {
		t.Errorf("the panicking run's row says %q, want an internal error", res[0].Row.Err)
	}
	if res[1].Row.Err != "" || !(res[1].Row.PLTMS > 0) {
		t.Errorf("the other run: err %q, plt %v; want it finished", res[1].Row.Err, res[1].Row.PLTMS)
	}
}
