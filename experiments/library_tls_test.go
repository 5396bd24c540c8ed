package experiments_test

import (
	"math"
	"testing"
)

// upgrades-and-tls: TLS costs round trips per connection (TLS 1.2 two,
// TLS 1.3 one); resumption takes TLS 1.2 to one and 0-RTT takes TLS 1.3
// to none after the first connection to a host; so they cut most of
// TLS's cost for the short-lived client (nine connections a visit) and
// one round trip of the revisit for the persistent one. HTTP/2 by an
// h2c Upgrade costs no round trip over prior knowledge; by ALPN it
// costs the TLS handshake and no more. The whole experiment is 48 short
// runs; the test runs them all.
func TestLibraryUpgradesAndTLS(t *testing.T) {
	s := libLoad(t, "upgrades-and-tls")
	res := libRun(t, s, nil, 0)
	const rtt = 100.0
	at := func(tls string, resume, zero bool) []string {
		b := func(v bool) string {
			if v {
				return "true"
			}
			return "false"
		}
		return []string{"tls=" + tls, "tls_resumption=" + b(resume), "tls_0rtt=" + b(zero)}
	}
	none := at("none", false, false)
	// cost returns the round trips that TLS adds to a model's load, on
	// the first visit (plt_ms) or the revisit (revisit_plt_ms).
	cost := func(metric, model string, p []string) float64 {
		return (libMetric(t, res, metric, model, p...) - libMetric(t, res, metric, model, none...)) / rtt
	}
	for _, c := range []struct {
		name           string
		model          string
		p              []string
		first, revisit float64 // round trips TLS adds to each visit
	}{
		// Short-lived: 9 connections a visit, one after the other; the
		// first connection of the run is full, every later one resumes.
		{"tls12", "short-lived", at("tls12", false, false), 18, 18},
		{"tls12 resumed", "short-lived", at("tls12", true, false), 2 + 8, 9},
		{"tls13", "short-lived", at("tls13", false, false), 9, 9},
		{"tls13 resumed", "short-lived", at("tls13", true, false), 9, 9},
		{"tls13 0-RTT", "short-lived", at("tls13", true, true), 1, 0},
		// Persistent: one connection a visit; the revisit's is new.
		{"tls12", "persistent", at("tls12", false, false), 2, 2},
		{"tls12 resumed", "persistent", at("tls12", true, false), 2, 1},
		{"tls13", "persistent", at("tls13", false, false), 1, 1},
		{"tls13 0-RTT", "persistent", at("tls13", true, true), 1, 0},
		// HTTP/2 by ALPN: the TLS handshake, no more.
		{"tls12", "http2 (prior knowledge)", at("tls12", false, false), 2, 2},
		{"tls13", "http2 (prior knowledge)", at("tls13", false, false), 1, 1},
		{"tls13 0-RTT", "http2 (prior knowledge)", at("tls13", true, true), 1, 0},
	} {
		// Within half a round trip: the certificate's 4000 bytes take
		// 3.2 ms a connection on the 10 Mbit/s link.
		if got := cost("plt_ms", c.model, c.p); math.Abs(got-c.first) > 0.5 {
			t.Errorf("%s, %s: TLS adds %.2f round trips to the first visit, want %v", c.model, c.name, got, c.first)
		}
		if got := cost("revisit_plt_ms", c.model, c.p); math.Abs(got-c.revisit) > 0.5 {
			t.Errorf("%s, %s: TLS adds %.2f round trips to the revisit, want %v", c.model, c.name, got, c.revisit)
		}
	}

	// The headline: what resumption (TLS 1.2) and 0-RTT (TLS 1.3) save
	// over both visits is many round trips for short-lived connections
	// (17 and 17), one for persistent ones; each resumed connection also
	// saves the certificate's time on the wire (3.2 ms, 17 of them
	// about half a round trip).
	saved := func(model, tls string, zero bool) float64 {
		var sum float64
		for _, m := range []string{"plt_ms", "revisit_plt_ms"} {
			sum += libMetric(t, res, m, model, at(tls, false, false)...) - libMetric(t, res, m, model, at(tls, true, zero)...)
		}
		return sum / rtt
	}
	for _, tls := range []string{"tls12", "tls13"} {
		zero := tls == "tls13"
		short, pers := saved("short-lived", tls, zero), saved("persistent", tls, zero)
		if short < 17 || short > 17.8 || pers < 1 || pers > 1.1 {
			t.Errorf("%s: resumption saves %.2f round trips short-lived, %.2f persistent; want 17 and 1 (and the certificates' time on the wire)", tls, short, pers)
		}
	}

	// TLS 1.3 resumption saves bytes, not time: the 17 resumed
	// connections carry no certificate (4000 bytes), for a 200-byte
	// ticket each way.
	full := libMetric(t, res, "bytes", "short-lived", at("tls13", false, false)...)
	resumed := libMetric(t, res, "bytes", "short-lived", at("tls13", true, false)...)
	if full-resumed < 17*3000 {
		t.Errorf("short-lived, tls13: %v bytes full, %v resumed: want at least %d saved", full, resumed, 17*3000)
	}

	// HTTP/2 without TLS: the h2c Upgrade is the HTML's request, and
	// the objects wait for the HTML anyway: no round trip over prior
	// knowledge. With TLS both start by ALPN: the same run.
	pk := libMetric(t, res, "plt_ms", "http2 (prior knowledge)", none...)
	up := libMetric(t, res, "plt_ms", "http2 (h2c Upgrade)", none...)
	if math.Abs(up-pk) > rtt/4 {
		t.Errorf("http2 without TLS: %.1f ms by Upgrade, %.1f by prior knowledge: want the same round trips", up, pk)
	}
	for _, tls := range []string{"tls12", "tls13"} {
		a := libMetric(t, res, "plt_ms", "http2 (prior knowledge)", at(tls, false, false)...)
		b := libMetric(t, res, "plt_ms", "http2 (h2c Upgrade)", at(tls, false, false)...)
		if a != b {
			t.Errorf("http2, %s: %.1f ms and %.1f ms: both start by ALPN, want the same run", tls, a, b)
		}
	}

	// Points where a setting cannot apply repeat the point without it.
	for _, m := range libModelLabels(s) {
		for _, p := range [][2][]string{
			{at("none", true, true), none},
			{at("tls12", false, true), at("tls12", false, false)},
			{at("tls12", true, true), at("tls12", true, false)},
			{at("tls13", false, true), at("tls13", false, false)},
		} {
			if a, b := libMetric(t, res, "bytes", m, p[0]...), libMetric(t, res, "bytes", m, p[1]...); a != b {
				t.Errorf("%s at %v: %v bytes, want those of %v (%v)", m, p[0], a, p[1], b)
			}
		}
	}
}
