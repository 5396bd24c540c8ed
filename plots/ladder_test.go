package plots

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/connsim/connsim/experiments"
	"github.com/connsim/connsim/sim/link"
)

// ladderTrace runs one page load of model (RTT 100 ms, 10 Mbit/s, the
// given objects) and returns its trace.
func ladderTrace(t *testing.T, model string, set map[string]string, objects int) experiments.Trace {
	t.Helper()
	s := experiments.NewSpec("ladder")
	for k, v := range map[string]string{"network.rtt": "100ms", "network.bandwidth": "10Mbps", "page.html": "2KB"} {
		if err := s.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range set {
		if err := s.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	s.Page.Objects = []experiments.ObjectSpec{{Count: objects, Method: "GET"}}
	if err := s.Set("page.objects[0].size", "3KB"); err != nil {
		t.Fatal(err)
	}
	m, ok := experiments.NewModel(model)
	if !ok {
		t.Fatalf("no model %s", model)
	}
	s.Models = []experiments.ModelSpec{m}
	runs, err := s.Runs()
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs: %v (%d)", err, len(runs))
	}
	res := experiments.Run(runs[0], true)
	if res.Row.Err != "" || res.Trace == nil {
		t.Fatalf("run: %q", res.Row.Err)
	}
	return *res.Trace
}

func kinds(ps []LadderPacket) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Kind)
	}
	return out
}

// The handshake is one round trip: the SYN arrives RTT/2 after it was
// sent (plus the serialization of a header-only packet at 10 Mbit/s,
// under 0.1 ms), and the SYN-ACK is back at the client one RTT after the
// SYN left. Arrows are in send order and every arrival follows its send.
func TestLadderHandshakeIsOneRTT(t *testing.T) {
	tr := ladderTrace(t, "persistent", nil, 2)
	d, err := LadderDataOf(tr, LadderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ps := d.Packets
	if got := kinds(ps[:4]); strings.Join(got, ",") != "SYN,SYN-ACK,ACK,request" {
		t.Fatalf("first packets %v, want SYN, SYN-ACK, ACK, request", got)
	}
	if !ps[0].FromClient || ps[1].FromClient || !ps[2].FromClient {
		t.Errorf("directions: %+v", ps[:3])
	}
	const rtt, tx = 100.0, 0.1
	if ow := ps[0].ArriveMS - ps[0].SendMS; ow < rtt/2 || ow > rtt/2+tx {
		t.Errorf("SYN one-way %.4f ms, want %v..%v", ow, rtt/2, rtt/2+tx)
	}
	if hs := ps[1].ArriveMS - ps[0].SendMS; hs < rtt || hs > rtt+2*tx {
		t.Errorf("SYN sent at %.3f, SYN-ACK back at %.3f: %.4f ms, want one RTT (%v..%v)", ps[0].SendMS, ps[1].ArriveMS, hs, rtt, rtt+2*tx)
	}
	// The SYN-ACK leaves the server as the SYN arrives.
	if math.Abs(ps[1].SendMS-ps[0].ArriveMS) > 1e-6 {
		t.Errorf("SYN-ACK sent at %.4f, SYN arrived at %.4f", ps[1].SendMS, ps[0].ArriveMS)
	}
	for i, p := range ps {
		if i > 0 && p.SendMS < ps[i-1].SendMS {
			t.Errorf("packet %d sent at %v before packet %d at %v", i+1, p.SendMS, i, ps[i-1].SendMS)
		}
		if !(p.ArriveMS > p.SendMS) {
			t.Errorf("packet %d (%s) arrives at %v, sent at %v", i+1, p.Label, p.ArriveMS, p.SendMS)
		}
		if p.Label == "" {
			t.Errorf("packet %d has no label", i+1)
		}
	}
	if d.Packets[0].Label != "SYN" || !strings.HasPrefix(d.Packets[3].Label, "request ") {
		t.Errorf("labels %q, %q", d.Packets[0].Label, d.Packets[3].Label)
	}
}

// The textbook shapes: short-lived connections open one connection per
// request (a SYN for each of the 1+3 requests), persistent ones one in
// all and each request after the previous response arrived, pipelined
// ones send the later requests before the first response is back.
func TestLadderModels(t *testing.T) {
	count := func(ps []LadderPacket, kind string, fromClient bool) int {
		n := 0
		for _, p := range ps {
			if p.Kind == kind && p.FromClient == fromClient {
				n++
			}
		}
		return n
	}
	for _, c := range []struct {
		model    string
		syns     int
		inFlight float64 // most requests outstanding on a connection
	}{
		{"short-lived", 4, 1},
		{"persistent", 1, 1},
		{"pipelined", 1, 3},
	} {
		t.Run(c.model, func(t *testing.T) {
			tr := ladderTrace(t, c.model, nil, 3)
			d, err := LadderDataOf(tr, LadderOptions{MaxPackets: MaxLadderPackets})
			if err != nil {
				t.Fatal(err)
			}
			if d.Cut() {
				t.Fatalf("cut at %d of %d", len(d.Packets), d.Total)
			}
			if got := count(d.Packets, KindSYN, true); got != c.syns {
				t.Errorf("%d SYNs, want %d", got, c.syns)
			}
			// Pipelined requests share segments (three small GETs fit
			// one MSS), so count request bytes, in units of the first
			// request's.
			most := maxRequestsInFlight(d.Packets)
			if math.Abs(most-c.inFlight) > 0.3 {
				t.Errorf("at most %.2f requests outstanding at once, want %v", most, c.inFlight)
			}
		})
	}
}

// maxRequestsInFlight is the most request bytes (new data, not
// retransmissions) sent on one connection after response data arrived
// there and before more does, in units of the first request segment's
// size (the GET of the HTML).
func maxRequestsInFlight(ps []LadderPacket) float64 {
	type ev struct {
		t    float64
		req  int64
		conn int
	}
	var evs []ev
	first := int64(0)
	for _, p := range ps {
		switch {
		case p.Kind == KindRequest && !p.Retransmit:
			evs = append(evs, ev{p.SendMS, p.Len, p.Conn})
			if first == 0 {
				first = p.Len
			}
		case p.Kind == KindResponse && !p.Dropped:
			evs = append(evs, ev{p.ArriveMS, 0, p.Conn})
		}
	}
	// Sort by time: requests at a time before arrivals at that time.
	for i := 1; i < len(evs); i++ {
		for j := i; j > 0 && (evs[j].t < evs[j-1].t); j-- {
			evs[j], evs[j-1] = evs[j-1], evs[j]
		}
	}
	most := int64(0)
	run := map[int]int64{}
	for _, e := range evs {
		if e.req > 0 {
			run[e.conn] += e.req
			most = max(most, run[e.conn])
		} else {
			run[e.conn] = 0
		}
	}
	return float64(most) / float64(first)
}

// A trace longer than MaxPackets is cut to its first packets, and the
// figure says so; a dropped packet's arrow stops half way.
func TestLadderCutAndDrops(t *testing.T) {
	tr := ladderTrace(t, "persistent", map[string]string{"network.loss": "0.05", "seed": "3"}, 20)
	// The trace records the arrival of every packet that was not lost
	// (bar one in flight when the run ended), and none for a lost one.
	missing, segs := 0, 0
	for _, c := range tr.Conns {
		for _, s := range c.Segments {
			segs++
			switch {
			case s.Dropped && !math.IsNaN(s.ArriveMS):
				t.Errorf("lost packet sent at %v arrived at %v", s.TimeMS, s.ArriveMS)
			case !s.Dropped && math.IsNaN(s.ArriveMS):
				missing++
			case !s.Dropped && !(s.ArriveMS >= s.TimeMS+50):
				t.Errorf("packet sent at %v arrived at %v, before half the RTT", s.TimeMS, s.ArriveMS)
			}
		}
	}
	if missing > 1 {
		t.Errorf("%d of %d packets without an arrival time", missing, segs)
	}
	d, err := LadderDataOf(tr, LadderOptions{MaxPackets: 30})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Packets) != 30 || !d.Cut() || d.Total <= 30 {
		t.Fatalf("%d packets of %d, cut %v", len(d.Packets), d.Total, d.Cut())
	}
	all, err := LadderDataOf(tr, LadderOptions{MaxPackets: MaxLadderPackets})
	if err != nil {
		t.Fatal(err)
	}
	drops := 0
	for _, p := range all.Packets {
		if !p.Dropped {
			continue
		}
		drops++
		if ow := p.ArriveMS - p.SendMS; ow < 25 || ow > 30 {
			t.Errorf("lost %s stops %.3f ms after its send, want half the one-way delay (~25 ms)", p.Label, ow)
		}
		if !strings.HasSuffix(p.Label, " lost") {
			t.Errorf("lost packet labelled %q", p.Label)
		}
	}
	if drops == 0 {
		t.Fatalf("no drops in %d packets at 5%% loss", all.Total)
	}
	p, err := Ladder(tr, LadderOptions{MaxPackets: 30})
	if err != nil {
		t.Fatal(err)
	}
	svg, err := Encode(p, 0, 0, "svg")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"first 30 of", "SYN-ACK", "client", "server"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("svg lacks %q", want)
		}
	}
	if _, err := Encode(p, 0, 0, "png"); err != nil {
		t.Fatal(err)
	}
}

// Kinds come from the flags, and a hand-built trace without arrival
// times needs OneWayMS; bad options are errors.
func TestLadderKindsAndErrors(t *testing.T) {
	segs := []experiments.SegmentSample{
		{TimeMS: 0, Flags: link.SYN, FromClient: true},
		{TimeMS: 10, Flags: link.SYN | link.ACK, Ack: 1},
		{TimeMS: 20, Flags: link.ACK, Ack: 1, Seq: 1, FromClient: true},
		{TimeMS: 20, Flags: link.ACK | link.PSH, Seq: 1, Len: 300, Ack: 1, FromClient: true},
		{TimeMS: 30, Flags: link.ACK, Seq: 1, Len: 1000, Ack: 301, Retransmit: true},
		{TimeMS: 31, Flags: link.ACK | link.FIN, Seq: 1001, Ack: 301, Dropped: true},
		{TimeMS: 40, Flags: link.RST, FromClient: true},
	}
	tr := experiments.Trace{Model: "m", Conns: []experiments.ConnTrace{{Connection: 1, Segments: segs}}}
	if _, err := LadderDataOf(tr, LadderOptions{}); err == nil || !strings.Contains(err.Error(), "OneWayMS") {
		t.Errorf("no arrival times: %v", err)
	}
	d, err := LadderDataOf(tr, LadderOptions{OneWayMS: 5})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"SYN", "SYN-ACK", "ACK 1", "request 300 B, seq 1", "response 1000 B, seq 1 (rtx)", "FIN lost", "RST"}
	for i, p := range d.Packets {
		if p.Label != want[i] {
			t.Errorf("packet %d: %q, want %q", i+1, p.Label, want[i])
		}
	}
	if got := d.Packets[1].ArriveMS; got != 15 {
		t.Errorf("SYN-ACK arrives at %v, want 10+5", got)
	}
	if got := d.Packets[5].ArriveMS; got != 33.5 {
		t.Errorf("lost FIN stops at %v, want 31+5/2", got)
	}
	for _, opt := range []LadderOptions{{MaxPackets: -1}, {MaxPackets: MaxLadderPackets + 1}, {OneWayMS: math.NaN()}, {Conn: 9, OneWayMS: 1}} {
		if _, err := LadderDataOf(tr, opt); err == nil {
			t.Errorf("%+v: no error", opt)
		}
	}
	if _, err := LadderDataOf(experiments.Trace{}, LadderOptions{}); !errors.Is(err, ErrNoData) {
		t.Errorf("empty trace: %v", err)
	}
}

// Idle time longer than four round trips (the keep-alive rest before
// the server closes) is cut out of the axis, and nothing is in flight
// inside a cut.
func TestLadderIdleGaps(t *testing.T) {
	tr := ladderTrace(t, "persistent", nil, 2)
	d, err := LadderDataOf(tr, LadderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Gaps) != 1 {
		t.Fatalf("gaps %v, want the one keep-alive rest", d.Gaps)
	}
	g := d.Gaps[0]
	if g[1]-g[0] < 3*100 {
		t.Errorf("gap %v shorter than 3 RTT", g)
	}
	for _, p := range d.Packets {
		if p.SendMS < g[1] && p.ArriveMS > g[0] {
			t.Errorf("%s (%v..%v) in flight inside the cut %v", p.Label, p.SendMS, p.ArriveMS, g)
		}
	}
	if got := idleGaps(d.Packets, 1e9); got != nil {
		t.Errorf("no idle time longer than 4 RTT of 1e9 ms: %v", got)
	}
}

// Labels of a burst share one: the most telling. Short-lived's server
// sends its response with its FIN: the response must be what the reader
// sees (audit of issue 14). Short-lived's client
// sends its FIN, ACKs and the next connection's SYN at once; the SYN
// must be what the reader sees.
func TestLadderBurstLabels(t *testing.T) {
	tr := ladderTrace(t, "short-lived", nil, 3)
	p, err := Ladder(tr, LadderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	svg, err := Encode(p, 0, 0, "svg")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{">c1 SYN<", ">c2 SYN +", ">c3 SYN +", "FIN)<", ">c1 response 1448 B, seq 1 +3 (ACK, FIN)<", "label +N"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("svg lacks %q", want)
		}
	}
}
