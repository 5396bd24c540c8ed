package httpmodel

import (
	"testing"
	"time"
)

// pipelinedRequests counts the answered requests of visit v to host that
// were sent on a connection while another request was outstanding on it
// (sent before, not yet ended): pipelined.
func pipelinedRequests(res *Result, v int, host string) int {
	n := 0
	for _, r := range res.Requests {
		if r.Visit != v || r.Host != host || r.Connection == 0 || r.Failed {
			continue
		}
		for _, q := range res.Requests {
			if q.Visit == v && q.Index != r.Index && q.Connection == r.Connection && q.SentAt <= r.SentAt && q.End > r.SentAt {
				n++
				break
			}
		}
	}
	return n
}

// TestBreakersFallbackPerHost: the fallback is per host (RFC 9112
// 9.3.2 leaves pipelining to the client per connection; browsers that
// pipelined blacklisted the server that broke it, not every server).
// A pipelining client loads, twice, a page whose objects come half from
// a server that breaks pipelining and half from a healthy one: it falls
// back once, for the broken host only; on the second visit it still
// pipelines to the healthy host, and no longer to the broken one.
func TestBreakersFallbackPerHost(t *testing.T) {
	for _, bc := range breakerCases[1:] {
		t.Run(bc.p.String(), func(t *testing.T) {
			cfg := bc.config(PipeliningOK)
			broken := cfg.Server
			broken.Pipelining = bc.p
			healthy := cfg.Server
			page := cfg.Page
			for i := range page.Objects {
				if i%2 == 1 {
					page.Objects[i].Host = "cdn.example"
				}
			}
			cfg.Clients = []Population{{Name: "u", Count: 1, Visits: 2, ReadingTime: time.Second, Page: page, Model: cfg.Model}}
			cfg.Topology = Topology{Servers: []ServerSite{
				{Name: "broken", Hosts: []string{"example.com"}, Server: &broken},
				{Name: "healthy", Hosts: []string{"cdn.example"}, Server: &healthy},
			}}
			res := runPop(t, cfg, 1)
			if err := checkRequests(res, false); err != nil {
				t.Fatal(err)
			}
			if got := res.Metrics.PipeliningFallbacks; got != 1 {
				t.Errorf("PipeliningFallbacks = %d, want 1 (the broken host only)", got)
			}
			half := breakerObjects / 2
			for _, c := range []struct {
				host   string
				lo, hi int
			}{
				{"cdn.example", half / 2, half}, // still pipelined
				{"example.com", 0, 0},           // fallen back
			} {
				if got := pipelinedRequests(res, 1, c.host); got < c.lo || got > c.hi {
					t.Errorf("second visit: %d requests to %s pipelined, want %d..%d", got, c.host, c.lo, c.hi)
				}
			}
			if t.Failed() {
				t.Log(describe(res))
			}
		})
	}
}
