package linuxref

import (
	"math"
	"testing"
)

// knownGap is a reference point where connsim does not meet issue 9's
// acceptance yet, with the reason found and the value connsim gives. The
// tests do not skip it: they check that it stays within a tenth of the
// value recorded here (so a regression still fails), and fail with
// "remove the gap" once it meets the acceptance, so the list cannot go
// stale. Every gap is listed in the README's "Validated against Linux".
type knownGap struct {
	sim    float64 // connsim's value when the gap was recorded (ms)
	reason string
}

// pageGaps are lossy page loads outside Linux's widened range.
var pageGaps = map[string]knownGap{
	"parallel6 n40x10KB 50ms/10Mbps lossy": {1152.4, "the six responses that follow the HTML arrive together at the " +
		"16-packet queue. connsim's client sends the reused connection's request and then the five SYNs, all at one " +
		"instant: the five SYN-ACKs queue behind that response, the five connections complete their handshakes together " +
		"at 215 ms and four lose their whole first response (first bytes at 647-652 ms). Linux's Go client interleaves " +
		"its five dials and worker 0's request over 130-230 us (detail data, run 1: dials at +27, +57, +134, +154, " +
		"+160 us after the HTML, the request at +140), and in all three runs two handshakes complete at 208 ms, ahead " +
		"of that response, three at 217 ms, and three lose their whole first response. The recovery matches Linux's counters (a TLP, an " +
		"RTO, slow-start retransmissions, no SACK recovery); one more connection pays it"},
	"sharded3 hetero20 50ms/10Mbps lossy": {2170.6, "17 connections dialled at one instant overflow the 16-packet uplink " +
		"queue (2 SYNs and 5 requests dropped; Linux's client spreads its dials over ~240 us and drops 0-3). Spreading the " +
		"dials 10-25 us apart, as the reference's detail data shows, moves the page by under 0.1 ms: it ends with " +
		"connection 14, whose request is lost at 209 ms and resent by its RTO at 465 ms, whose whole response is lost at " +
		"490 ms, whose tail loss probe at 1,110 ms is SACKed too soon after it for RACK to trust (50 ms, under the 308 ms " +
		"min RTT of a SYN-ACK whose ACK was lost; Linux's tcp_rack_advance ignores it the same way) and whose RTO fires " +
		"at 2,038 ms. Linux's three runs did not lose that way"},
}

// fastestGaps are lossy pages where connsim names another fastest model
// than Linux, keyed by page.
var fastestGaps = map[string]string{}

// warmColdGaps are warm-cold fetch times beyond 3 % of Linux's median.
var warmColdGaps = map[string]knownGap{
	"cubic idle ssai=1 10KiB 20ms/50Mbps": {21.7, "Linux's own runs span 22.0-24.0 ms: after a second of idle its " +
		"hosts answer late, time to first byte 20.6-24.7 ms over the 20 ms path's idle runs against 20.5-21.6 ms on its " +
		"cold and warm ones (a wake-up cost, random, outside TCP); connsim is one RTT plus serialization, 1.5 % below " +
		"Linux's fastest run"},
	"cubic idle ssai=1 100KiB 20ms/50Mbps": {81.0, "Linux's runs span 82.3-86.7 ms, their first bytes 0.8-3.6 ms late " +
		"as at the 10 KiB point; connsim is 1.6 % below the fastest"},
	"cubic idle ssai=1 100KiB 100ms/50Mbps": {117.0, "Linux's runs span 117.5-207.3 ms (one with a warm-up window of " +
		"861 packets instead of 593, one whose first byte is 4 ms late): connsim is 0.4 % below the fastest, 3.4 % " +
		"below the median"},
}

// checkGap reports whether key is a known gap, and checks it: within a
// tenth of its recorded value, and still failing the acceptance (pass
// says whether it meets it).
func checkGap(t *testing.T, gaps map[string]knownGap, key string, sim float64, pass bool) bool {
	t.Helper()
	g, ok := gaps[key]
	if !ok {
		return false
	}
	switch {
	case pass:
		t.Errorf("%s meets the acceptance now (%.1f ms): remove it from the known gaps", key, sim)
	case math.Abs(sim-g.sim) > 0.1*g.sim:
		t.Errorf("%s (a known gap): %.1f ms, recorded %.1f ms; it moved by more than 10%%", key, sim, g.sim)
	default:
		t.Logf("known gap %s: %.1f ms: %s", key, sim, g.reason)
	}
	return true
}

// TestKnownGapsNamePoints: every known gap names a reference point, so a
// renamed or mistyped key cannot silently excuse nothing.
func TestKnownGapsNamePoints(t *testing.T) {
	pagesSeen := map[string]bool{}
	for _, r := range pageResults(t) {
		pagesSeen[r.PageKey.String()] = true
	}
	for k := range pageGaps {
		if !pagesSeen[k] {
			t.Errorf("page gap %q names no reference point", k)
		}
	}
	fastSeen := map[string]bool{}
	for _, c := range Fastest(pageResults(t)) {
		fastSeen[c.Key] = true
	}
	for k := range fastestGaps {
		if !fastSeen[k] {
			t.Errorf("fastest-model gap %q names no reference page", k)
		}
	}
	wcSeen := map[string]bool{}
	for _, r := range warmColdResults(t) {
		wcSeen[r.WarmColdKey.String()] = true
	}
	for k := range warmColdGaps {
		if !wcSeen[k] {
			t.Errorf("warm-cold gap %q names no reference point", k)
		}
	}
}
