package experiments_test

import (
	"math"
	"testing"
)

// third-party-origin: the median PLT grows by the round trips the page
// makes on the third party's hop times its extra RTT: 3 for six
// parallel connections (connect, two rounds of 12 objects that each fit
// an initial window), 5 for HTTP/2's one connection (connect, 120 KB in
// slow start: 10, 20, 40, 80 segments); the origin's objects end when
// they did without the extra RTT.
func TestLibraryThirdPartyOrigin(t *testing.T) {
	s := libLoad(t, "third-party-origin")
	const key = "servers[1].link.rtt"
	res := libRun(t, s, libKeep{key: {"0s", "200ms"}}, 0)
	for _, tc := range []struct {
		model  string
		rounds float64
	}{{"parallel", 3}, {"http2", 5}} {
		near := libMetric(t, res, "plt_ms", tc.model, key+"=0s")
		far := libMetric(t, res, "plt_ms", tc.model, key+"=200ms")
		if got := (far - near) / 200; math.Abs(got-tc.rounds) > 0.25 {
			t.Errorf("%s: median PLT %.1f ms, %.1f ms 200 ms further: %.2f extra round trips, want %v", tc.model, near, far, got, tc.rounds)
		}
		// The origin's objects, client by client, end as they did.
		originEnd := func(at string) map[string]float64 {
			ends := map[string]float64{}
			for _, r := range res {
				if !libAt(r.Row, tc.model, key+"="+at) {
					continue
				}
				for _, q := range r.Requests {
					if q.Host == "example.com" {
						ends[q.Client] = math.Max(ends[q.Client], q.EndMS)
					}
				}
			}
			return ends
		}
		a, b := originEnd("0s"), originEnd("200ms")
		if len(a) != 20 || len(b) != 20 {
			t.Fatalf("%s: origin requests of %d and %d clients, want 20", tc.model, len(a), len(b))
		}
		for c, e := range a {
			if math.Abs(b[c]-e) > 1 {
				t.Errorf("%s: %s's origin objects end at %.1f ms, %.1f ms with the far third party", tc.model, c, e, b[c])
			}
		}
	}
}
