package linuxref

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
	"github.com/connsim/connsim/tcp"
)

// WarmColdKey identifies one warm-cold point: one object fetched on a
// cold, warm or idle connection over one path.
type WarmColdKey struct {
	CC          string
	RTTms       float64
	BWMbps      float64
	QueuePkts   int
	Variant     string // cold, warm, idle
	SSAI        bool
	ObjectBytes int64
	WarmupBytes int64
}

// String names the point, e.g. "cubic warm ssai=1 10KiB 20ms/1.5Mbps".
func (k WarmColdKey) String() string {
	s := 0
	if k.SSAI {
		s = 1
	}
	return fmt.Sprintf("%s %s ssai=%d %dKiB %gms/%gMbps", k.CC, k.Variant, s, k.ObjectBytes/KiB, k.RTTms, k.BWMbps)
}

// WarmColdPoint is one point with Linux's runs.
type WarmColdPoint struct {
	WarmColdKey
	Runs []WarmColdRun
}

func (p WarmColdPoint) field(f func(WarmColdRun) float64) []float64 {
	v := make([]float64, len(p.Runs))
	for i, r := range p.Runs {
		v[i] = f(r)
	}
	return v
}

// FetchMS returns the median of Linux's fetch times (request write to
// last response byte), ms.
func (p WarmColdPoint) FetchMS() float64 {
	return median(p.field(func(r WarmColdRun) float64 { return r.FetchMS }))
}

// IdleMS returns the median idle time of Linux's runs, ms.
func (p WarmColdPoint) IdleMS() float64 {
	return median(p.field(func(r WarmColdRun) float64 { return r.IdleMS }))
}

// SSThreshBefore returns the median of the server's ssthresh before the
// response, packets.
func (p WarmColdPoint) SSThreshBefore() float64 {
	return median(p.field(func(r WarmColdRun) float64 { return float64(r.SrvSSThreshBefore) }))
}

// CwndBefore returns the median of the server's cwnd before the
// response, packets.
func (p WarmColdPoint) CwndBefore() float64 {
	return median(p.field(func(r WarmColdRun) float64 { return float64(r.SrvCwndBefore) }))
}

// RTOBefore returns the median of the server's RTO before the response, ms.
func (p WarmColdPoint) RTOBefore() float64 {
	return median(p.field(func(r WarmColdRun) float64 { return r.SrvRTOmsBefore }))
}

// WarmColdPoints groups runs into points in a stable order.
func WarmColdPoints(runs []WarmColdRun) []WarmColdPoint {
	idx := map[WarmColdKey]int{}
	var pts []WarmColdPoint
	for _, r := range runs {
		if r.Err != "" || math.IsNaN(r.FetchMS) {
			continue
		}
		k := WarmColdKey{CC: r.CC, RTTms: r.RTTms, BWMbps: r.BWMbps, QueuePkts: r.QueuePkts, Variant: r.Variant,
			SSAI: r.SSAI, ObjectBytes: r.ObjectBytes, WarmupBytes: r.WarmupBytes}
		i, ok := idx[k]
		if !ok {
			i = len(pts)
			idx[k] = i
			pts = append(pts, WarmColdPoint{WarmColdKey: k})
		}
		pts[i].Runs = append(pts[i].Runs, r)
	}
	variants := []string{"cold", "warm", "idle"}
	slices.SortStableFunc(pts, func(a, b WarmColdPoint) int {
		return cmp.Or(cmp.Compare(a.CC, b.CC),
			cmp.Compare(slices.Index(variants, a.Variant), slices.Index(variants, b.Variant)),
			-cmpBool(a.SSAI, b.SSAI),
			cmp.Compare(a.ObjectBytes, b.ObjectBytes),
			cmp.Compare(a.RTTms, b.RTTms), cmp.Compare(a.BWMbps, b.BWMbps))
	})
	return pts
}

// WarmColdSim is what connsim gives for one warm-cold point. The server's
// values are read just before the measured response is written, as the
// reference reads TCP_INFO.
type WarmColdSim struct {
	ConnectMS float64 // cold: dial to established; NaN otherwise
	TTFBms    float64 // request write to first response byte
	FetchMS   float64 // request write to last response byte

	SrvCwndBefore     float64 // packets (cwnd bytes / MSS)
	SrvSSThreshBefore float64 // packets; InfiniteSSThresh when never set
	SrvRTOBefore      float64 // ms
	SrvSRTTBefore     float64 // ms
	SrvRetrans        int64
	Drops             int64
	Err               error
}

// warmColdPort is the server's port in the harness.
const warmColdPort = 80

// SimulateWarmCold runs point k on a two-node path of its own: the
// reference's client writes one request (the wire format's bytes) on a
// fresh connection (cold), right after a warm-up object of WarmupBytes
// has been fully received (warm), or, after the warm-up and one fetch of
// the object, idleMs after that fetch (idle); the server answers each
// request at once with one write of header and body.
//
// The idle connection's history is read off the reference, which does
// not state it: its srv_last_data_sent_ms is idle_ms plus the time the
// object, not the warm-up, takes to drain and reach the client (79 ms
// for 10 KiB at 20 ms and 1.5 Mbit/s, where the warm-up drains in 760),
// and its srv_srtt_ms_before depends on the object's size and not the
// warm-up's (reno at 100 ms, 10 Mbit/s: 166.6 ms before a 10 KiB fetch,
// 175.7 before a 100 KiB one, 209.1 on the warm connection). With the
// object fetched once before the idle period, connsim's SRTT and RTO
// before the idle fetch agree with Linux's to about 1 % at every point
// (TestLinuxSRTTBefore), and with them the halvings of the restart
// after idle (one per RTO of idle, RFC 5681 4.1, Linux's
// tcp_cwnd_restart).
func SimulateWarmCold(k WarmColdKey, idleMs float64) WarmColdSim {
	s := sim.New(1)
	n := link.New(s)
	cn, sn := n.AddNode("client"), n.AddNode("server")
	lc := link.Config{Rate: Bandwidth(k.BWMbps), Delay: Duration(k.RTTms) / 2, QueuePackets: k.QueuePkts}
	n.Connect(cn, sn, lc, lc)
	st := tcp.NewStack(n)
	cep, sep := st.Endpoint(cn), st.Endpoint(sn)
	cfg := TCPConfig(k.CC, k.SSAI)
	h := &wcHarness{s: s, k: k, idle: Duration(idleMs), out: WarmColdSim{ConnectMS: nan}}
	sep.Listen(warmColdPort, cfg, func(c *tcp.Conn) tcp.Handler { h.srv = c; return (*wcServer)(h) })
	h.dialAt = s.Now()
	h.cli = cep.Dial(sn.ID, warmColdPort, cfg, (*wcClient)(h))
	limit := sim.Time(5 * time.Minute)
	for !h.done && s.Now() <= limit && s.Step() {
	}
	if !h.done {
		h.out.Err = fmt.Errorf("linuxref: %s did not finish (at %v)", k, s.Now())
	}
	if h.srv != nil {
		h.out.SrvRetrans = h.srv.Stats().Retransmits
	}
	h.out.Drops = n.Stats().Drops()
	return h.out
}

// wcHarness is the state of one warm-cold run; wcClient and wcServer are
// its two handlers.
type wcHarness struct {
	s        *sim.Scheduler
	k        WarmColdKey
	idle     time.Duration
	cli, srv *tcp.Conn
	dialAt   sim.Time
	reqAt    sim.Time // the measured request's write
	first    bool     // the measured response's first byte has arrived
	done     bool
	out      WarmColdSim
}

// wcMsg tags a message: a request or a response part for the warm-up
// (measured = false) or the measured object.
type wcMsg struct {
	measured bool
	size     int64 // body bytes asked for (request) or carried
	header   bool  // the response header's bytes
	object   bool  // the idle variant's fetch of the object before the idle period
}

type wcClient wcHarness

func (c *wcClient) Connected(tc *tcp.Conn) {
	h := (*wcHarness)(c)
	if h.k.Variant == "cold" {
		h.out.ConnectMS = ms(h.s.Now().Sub(h.dialAt))
		h.request(true)
		return
	}
	h.request(false)
}

func (c *wcClient) Delivered(tc *tcp.Conn, tag any) {
	h := (*wcHarness)(c)
	m := tag.(*wcMsg)
	if m.measured {
		if m.header && !h.first {
			h.first = true
			h.out.TTFBms = ms(h.s.Now().Sub(h.reqAt))
		}
		if !m.header {
			h.out.FetchMS = ms(h.s.Now().Sub(h.reqAt))
			h.done = true
		}
		return
	}
	if m.header {
		return
	}
	// The warm-up, or the idle variant's fetch of the object before its
	// idle period, has arrived.
	if h.k.Variant == "idle" {
		if !m.object {
			h.send(h.k.ObjectBytes, &wcMsg{size: h.k.ObjectBytes, object: true})
			return
		}
		h.s.After(h.idle, func() { h.request(true) })
		return
	}
	h.request(true)
}

func (c *wcClient) Closed(*tcp.Conn, tcp.CloseReason) {}

// request writes the request for the measured object or the warm-up.
func (h *wcHarness) request(measured bool) {
	size := h.k.WarmupBytes
	if measured {
		size = h.k.ObjectBytes
		h.reqAt = h.s.Now()
	}
	h.send(size, &wcMsg{measured: measured, size: size})
}

// send writes a request for size bytes, tagged m.
func (h *wcHarness) send(size int64, m *wcMsg) { h.cli.Send(RequestBytes(size, false), m) }

type wcServer wcHarness

func (sv *wcServer) Connected(*tcp.Conn) {}

func (sv *wcServer) Delivered(tc *tcp.Conn, tag any) {
	h := (*wcHarness)(sv)
	m := tag.(*wcMsg)
	if m.measured {
		cc := tc.CC()
		mss := float64(tc.SMSS())
		h.out.SrvCwndBefore = float64(cc.Window()) / mss
		h.out.SrvSSThreshBefore = float64(cc.SSThresh()) / mss
		if cc.SSThresh() >= tcp.InfiniteSSThresh || h.out.SrvSSThreshBefore >= InfiniteSSThresh {
			h.out.SrvSSThreshBefore = InfiniteSSThresh
		}
		st := tc.Stats()
		h.out.SrvRTOBefore = ms(st.RTO)
		h.out.SrvSRTTBefore = ms(st.SRTT)
	}
	// Header and body in one write (the reference's writev).
	tc.Cork()
	tc.Send(ResponseHeaderBytes(m.size, false), &wcMsg{measured: m.measured, size: m.size, header: true})
	tc.Send(m.size, &wcMsg{measured: m.measured, size: m.size, object: m.object})
	tc.Uncork()
}

func (sv *wcServer) Closed(*tcp.Conn, tcp.CloseReason) {}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// WarmColdResult is one warm-cold point compared.
type WarmColdResult struct {
	WarmColdPoint
	Linux float64 // median fetch, ms
	Sim   WarmColdSim
	Err   float64 // (sim - linux) / linux of the fetch time
}

// CompareWarmCold simulates every point.
func CompareWarmCold(pts []WarmColdPoint) []WarmColdResult {
	out := make([]WarmColdResult, len(pts))
	for i, p := range pts {
		s := SimulateWarmCold(p.WarmColdKey, p.IdleMS())
		r := WarmColdResult{WarmColdPoint: p, Linux: p.FetchMS(), Sim: s}
		r.Err = (s.FetchMS - r.Linux) / r.Linux
		if s.Err != nil {
			r.Err = math.Inf(1)
		}
		out[i] = r
	}
	return out
}
