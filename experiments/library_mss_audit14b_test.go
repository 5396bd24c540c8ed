package experiments_test

import (
	"fmt"
	"testing"
)

// TestLibraryMSSPackingLoadTime asserts the load-time claim of
// mss-packing's description on the run (its packet claims are
// TestLibraryMSSPacking's): persistent pays a round trip per request
// (41 requests and the handshake: 42 R, and the transfer: at most 3 R
// more with 3000-byte requests, 3 segments each at 10 Mbit/s);
// pipelining removes them (a few R). Up to 700-byte requests the
// pipelined load time is the server's slow start, the same at every
// size; at 1500 and 3000 bytes the requests take several of
// the client's windows and the load time grows, by more than half a
// round trip at 3000.
func TestLibraryMSSPackingLoadTime(t *testing.T) {
	s := libLoad(t, "mss-packing")
	res := libRun(t, s, nil, 0)
	rtt := float64(s.Network.RTT.Std().Milliseconds())
	if rtt <= 0 {
		t.Fatalf("rtt %v", s.Network.RTT)
	}
	plt := func(model string, size int) float64 {
		return libMetric(t, res, "plt_ms", model, fmt.Sprintf("http.request_bytes=%d", size))
	}
	sizes := []int{100, 300, 700, 1500, 3000}
	for _, r := range sizes {
		if p := plt("persistent", r) / rtt; p < 42 || p > 46 {
			t.Errorf("%d-byte requests: persistent loads in %.2f R, want 42 to 46 (one round trip per request and the handshake, and the transfer)", r, p)
		}
		if p := plt("pipelined", r) / rtt; p > 8 {
			t.Errorf("%d-byte requests: pipelined loads in %.2f R, want a few", r, p)
		}
	}
	base := plt("pipelined", 100)
	for _, r := range []int{300, 700} {
		if p := plt("pipelined", r); p < base*0.99 || p > base*1.01 {
			t.Errorf("pipelined: %.1f ms at %d bytes, %.1f at 100: want the same (the server's slow start sets the pace)", p, r, base)
		}
	}
	if a, b, c := plt("pipelined", 700), plt("pipelined", 1500), plt("pipelined", 3000); !(b > a && c-b > rtt/2) {
		t.Errorf("pipelined: %.1f, %.1f, %.1f ms at 700, 1500, 3000 bytes: want growth at 1500 and more than half a round trip more at 3000", a, b, c)
	}
}
