package experiments_test

import (
	"math"
	"strconv"
	"testing"

	"github.com/connsim/connsim/experiments"
)

// connections-per-host: at long round trips the load time is a count of
// round trips, 3 + 40 with one persistent connection and 3 + 1 +
// ceil(40/n) with n parallel ones; at 20 ms the link is the limit and 12
// connections gain nothing over 6.
func TestLibraryConnectionsPerHost(t *testing.T) {
	s := libLoad(t, "connections-per-host")
	const key = "network.rtt"
	res := libRun(t, s, libKeep{key: {"20ms", "100ms", "200ms"}}, 0)
	labels := libModelLabels(s)
	for i, n := range []int{1, 2, 6, 12} {
		rounds := 3.0 + 40
		if n > 1 {
			rounds = 3 + 1 + math.Ceil(40/float64(n))
		}
		a := libMetric(t, res, "plt_ms", labels[i], key+"=100ms")
		b := libMetric(t, res, "plt_ms", labels[i], key+"=200ms")
		if got := (b - a) / 100; math.Abs(got-rounds) > 0.1 {
			t.Errorf("%s: PLT %.0f ms at 100 ms, %.0f at 200 ms: %.2f round trips, want %v", labels[i], a, b, got, rounds)
		}
	}
	six := libMetric(t, res, "plt_ms", labels[2], key+"=20ms")
	twelve := libMetric(t, res, "plt_ms", labels[3], key+"=20ms")
	if math.Abs(twelve-six) > 0.02*six {
		t.Errorf("at 20 ms: 6 connections %.0f ms, 12 connections %.0f ms: the link should make them tie", six, twelve)
	}
}

// keep-alive-max-replay: both models open ceil(21/max) connections; the
// persistent client pays one handshake per extra connection and sends
// nothing twice; the pipelined one replays what a close cut off and
// loses most of its lead; the POST is never pipelined nor replayed.
func TestLibraryKeepAliveMaxReplay(t *testing.T) {
	s := libLoad(t, "keep-alive-max-replay")
	const key = "server.max_requests"
	res := libRun(t, s, nil, 0)
	const rtt = 100.0
	full := map[string]float64{}
	for _, m := range []string{"pipelined", "persistent"} {
		full[m] = libMetric(t, res, "plt_ms", m, key+"=100")
	}
	post := 11 // the HTML, ten objects, then the POST
	for _, max := range []int{3, 5, 10} {
		at := key + "=" + strconv.Itoa(max)
		conns := math.Ceil(21 / float64(max))
		for _, m := range []string{"pipelined", "persistent"} {
			if got := libMetric(t, res, "connections", m, at); got != conns {
				t.Errorf("%s, max %d: %v connections, want %v", m, max, got, conns)
			}
		}
		if got, want := libMetric(t, res, "plt_ms", "persistent", at)-full["persistent"], (conns-1)*rtt; math.Abs(got-want) > 5 {
			t.Errorf("persistent, max %d: %.1f ms more than with max 100, want %.0f (a handshake per extra connection)", max, got, want)
		}
		for _, r := range res {
			if !libAt(r.Row, "", at) {
				continue
			}
			replayed := r.Row.Metrics.Replayed
			if r.Row.Model == "persistent" && replayed != 0 {
				t.Errorf("persistent, max %d: %v requests replayed, want none", max, replayed)
			}
			if r.Row.Model == "pipelined" && replayed == 0 {
				t.Errorf("pipelined, max %d: nothing replayed", max)
			}
			checkPOSTAlone(t, r, post)
		}
	}
	if p3 := libMetric(t, res, "plt_ms", "pipelined", key+"=3"); p3 < 2.5*full["pipelined"] {
		t.Errorf("pipelined: %.0f ms at max 3, %.0f at max 100: want most of its lead lost", p3, full["pipelined"])
	}
}

// checkPOSTAlone checks that request post of run r (a POST) was never
// replayed and had no other request outstanding on its connection.
func checkPOSTAlone(t *testing.T, r experiments.Result, post int) {
	t.Helper()
	var p *experiments.RequestRow
	for i := range r.Requests {
		if r.Requests[i].Request == post {
			p = &r.Requests[i]
		}
	}
	if p == nil {
		t.Fatalf("%s %v: no request %d", r.Row.Model, r.Row.Point, post)
	}
	if p.Replayed {
		t.Errorf("%s %v: the POST was replayed", r.Row.Model, r.Row.Point)
	}
	sent := p.StartMS + p.QueuedMS + p.DNSMS + p.ConnectMS + p.TLSMS
	for _, q := range r.Requests {
		if q.Request == post || q.Connection != p.Connection {
			continue
		}
		qSent := q.StartMS + q.QueuedMS + q.DNSMS + q.ConnectMS + q.TLSMS
		// The times are sums of values rounded to the microsecond's
		// millionths: a request that ends as the POST is sent may
		// compare a hair later.
		const eps = 1e-6
		if qSent < p.EndMS-eps && q.EndMS > sent+eps {
			t.Errorf("%s %v: request %d (%.1f-%.1f ms) outstanding with the POST (%.1f-%.1f ms) on connection %d",
				r.Row.Model, r.Row.Point, q.Request, qSent, q.EndMS, sent, p.EndMS, p.Connection)
		}
	}
}

// textbook-ladders: 8, 5 and 3 round trips for short-lived (one at a
// time), persistent and pipelined, on 4, 1 and 1 connections.
func TestLibraryTextbookLadders(t *testing.T) {
	s := libLoad(t, "textbook-ladders")
	res := libRun(t, s, nil, 0)
	for _, c := range []struct {
		model         string
		rounds, conns float64
	}{{"short-lived", 8, 4}, {"persistent", 5, 1}, {"pipelined", 3, 1}} {
		if got := libMetric(t, res, "plt_ms", c.model) / 100; math.Abs(got-c.rounds) > 0.1 {
			t.Errorf("%s: %.2f round trips, want %v", c.model, got, c.rounds)
		}
		if got := libMetric(t, res, "connections", c.model); got != c.conns {
			t.Errorf("%s: %v connections, want %v", c.model, got, c.conns)
		}
	}
}
