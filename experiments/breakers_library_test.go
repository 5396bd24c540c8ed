package experiments_test

import (
	"testing"

	"github.com/connsim/connsim/experiments"
)

// breakerRow returns the one run of model at the point of
// pipelining-breakers given as key=value pairs.
func breakerRow(t *testing.T, res []experiments.Result, model string, at ...string) experiments.Metrics {
	t.Helper()
	var found []experiments.Metrics
	for _, r := range res {
		if libAt(r.Row, model, at...) {
			found = append(found, r.Row.Metrics)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d runs of %q at %v, want 1", len(found), model, at)
	}
	return found[0]
}

// TestLibraryPipeliningBreakers: on a reduced run (the healthy server and
// the three breaks the client detects), pipelining beats persistent
// connections against a healthy server; against each broken one, with
// fallback, the client falls back once, replays the 19 or 20 outstanding
// objects, fails none, and ends slower than persistent connections
// (which no break touches); drop-after-first costs the 1.5 s stall more
// than close-after-first. Without fallback: no fallback, close-after-first
// replays more on more connections, drop-after-first takes more than ten
// times as long, out-of-order fails all twenty objects.
func TestLibraryPipeliningBreakers(t *testing.T) {
	s := libLoad(t, "pipelining-breakers")
	broken := []string{"close-after-first", "drop-after-first", "out-of-order"}
	res := libRun(t, s, libKeep{"server.pipelining": append([]string{"ok"}, broken...)}, 0)
	const on, off = "client.pipelining_fallback=true", "client.pipelining_fallback=false"
	at := func(server, fb string) []string { return []string{"server.pipelining=" + server, fb} }

	persistent := breakerRow(t, res, "persistent", at("ok", on)...).PLTMS
	healthy := breakerRow(t, res, "pipelined", at("ok", on)...)
	if !(healthy.PLTMS < persistent/2) || healthy.PipeliningFallbacks != 0 {
		t.Errorf("healthy server: pipelined %.0f ms (%d fallbacks), persistent %.0f ms: want pipelining more than twice as fast, no fallback",
			healthy.PLTMS, healthy.PipeliningFallbacks, persistent)
	}
	for _, srv := range broken {
		for _, fb := range []string{on, off} {
			if got := breakerRow(t, res, "persistent", at(srv, fb)...).PLTMS; got != persistent {
				t.Errorf("%s, %s: persistent %.1f ms, want %.1f as with a healthy server", srv, fb, got, persistent)
			}
		}
		m := breakerRow(t, res, "pipelined", at(srv, on)...)
		if m.PipeliningFallbacks != 1 || m.Replayed < 19 || m.Failed != 0 || !(m.PLTMS > persistent) {
			t.Errorf("%s with fallback: %d fallbacks, %d replayed, %d failed, %.0f ms: want 1, 19 or more, 0, and slower than persistent (%.0f ms)",
				srv, m.PipeliningFallbacks, m.Replayed, m.Failed, m.PLTMS, persistent)
		}
		if n := breakerRow(t, res, "pipelined", at(srv, off)...).PipeliningFallbacks; n != 0 {
			t.Errorf("%s without fallback: %d fallbacks, want 0", srv, n)
		}
	}
	closeOn := breakerRow(t, res, "pipelined", at("close-after-first", on)...)
	dropOn := breakerRow(t, res, "pipelined", at("drop-after-first", on)...)
	if d := dropOn.PLTMS - closeOn.PLTMS; d < 1400 || d > 1600 {
		t.Errorf("drop-after-first %.0f ms, close-after-first %.0f ms: want the 1.5 s stall timeout between them, got %.0f ms", dropOn.PLTMS, closeOn.PLTMS, d)
	}
	closeOff := breakerRow(t, res, "pipelined", at("close-after-first", off)...)
	if !(closeOff.Connections > closeOn.Connections && closeOff.Replayed > closeOn.Replayed) {
		t.Errorf("close-after-first without fallback: %d connections, %d replayed; with: %d, %d: want more of both without",
			closeOff.Connections, closeOff.Replayed, closeOn.Connections, closeOn.Replayed)
	}
	if dropOff := breakerRow(t, res, "pipelined", at("drop-after-first", off)...); !(dropOff.PLTMS > 10*dropOn.PLTMS) || dropOff.Failed != 0 {
		t.Errorf("drop-after-first without fallback: %.0f ms, %d failed; with: %.0f ms: want a stall of more than ten times as long, nothing failed",
			dropOff.PLTMS, dropOff.Failed, dropOn.PLTMS)
	}
	if oooOff := breakerRow(t, res, "pipelined", at("out-of-order", off)...); oooOff.Failed != 20 || oooOff.Replayed != 0 {
		t.Errorf("out-of-order without fallback: %d failed, %d replayed: want all 20 objects failed, none replayed", oooOff.Failed, oooOff.Replayed)
	}
}
