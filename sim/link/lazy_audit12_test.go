package link

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
)

// This file (audit 12 of the lazy serialization, commit 1e19d6b) checks
// the pipes of small networks, one pipe or a chain through a router with
// cross traffic, against a model of a drop-tail FIFO link written from
// the package documentation alone, over random scenarios that the
// reference-model test (refmodel_audit9q_test.go) leaves out: no
// propagation delay, an infinitely fast link (Rate 0), packets of no
// bytes, several hops (Node.forward at a router), loss models replaced
// mid-run, counters and queue lengths read mid-run (each kind first in
// turn, so that each brings the queues up to date itself), nodes removed
// while their links hold queued, lost and flying packets, and a network
// released mid-run.
//
// The model works per pipe from the order in which the pipe saw its
// packets (its Sent events: at a router that order depends on the
// scheduler's tie-breaking, which the model does not re-derive); from
// it, it computes every other event of the pipe: a packet that finds the
// pipe busy (an earlier packet's serialization ends after now) and its
// queue full is tail-dropped at once; any other starts at the later of
// now and the previous packet's end and ends its tx time later, the
// loss model being asked once, in that order, and told that end; a lost
// packet's drop is traced and observed at its end, a kept one arrives
// at end + Delay, in order, and is received (or forwarded, a Sent on the
// next pipe at the same instant) right after. A serialization ending at
// an instant counts as ended for everything at that instant (the
// package's rule); every other time read here (counters, SetLoss,
// RemoveNode, Release) falls between events, so the model needs no
// tie-breaking of its own. Also checked: every callback's time is the
// scheduler's and never goes back; a lost packet's drop is announced
// before any packet the pipe took after it is delivered; every packet
// ends exactly once (dropped, received, or delivered to a removed
// node); the removed node's pipes, and only they, are gone after the
// run, every block back in the pool. After Release the scheduler runs
// on: nothing more may happen, and the counters stay those of the
// release (the serializations started by then counted).
//
// Undoing the fix of commit 017dd0b, or Release's advance or its stop of
// the arrival timer (348b7bc), fails this test, as do 27 of 31 mutations
// of link.go tried in the audit; the other four change nothing that can
// be observed (a cursor stepped, or a count kept, that is never read
// again; idle's test of svcEnd, implied by an empty line).

// a12Send is one packet handed to the network by its source node.
type a12Send struct {
	at       sim.Time
	src, dst int // node indexes
	size     int32
}

// a12Case is one random scenario. Node indexes: a 0, b 1 (one pipe each
// way), or a 0, r 1, b 2, c 3 (chain: a and c reach b through r).
type a12Case struct {
	chain    bool
	k        []int64 // per pipe, ns per byte; 0 for Rate 0
	cfg      []Config
	sends    []a12Send
	lossAt   []sim.Time // SetLoss on every pipe: phase i+1 starts at lossAt[i]
	lossPct  [][]int    // [phase][pipe]: percent of packets lost; 0: nil model
	lossSalt uint64
	probes   []sim.Time
	removeAt sim.Time // 0: none
	removeN  int      // node removed at removeAt
	release  sim.Time // 0: none
}

// a12Pipes lists the pipes of the topology in creation order: from and
// to node indexes.
func a12Pipes(chain bool) [][2]int {
	if !chain {
		return [][2]int{{0, 1}, {1, 0}}
	}
	return [][2]int{{0, 1}, {1, 0}, {1, 2}, {2, 1}, {3, 1}, {1, 3}}
}

// a12Path returns the pipes a packet from src to dst takes.
func a12Path(chain bool, src, dst int) []int {
	if !chain {
		if src == 0 {
			return []int{0}
		}
		return []int{1}
	}
	hop := map[[2]int]int{{0, 1}: 0, {1, 0}: 1, {1, 2}: 2, {2, 1}: 3, {3, 1}: 4, {1, 3}: 5}
	return []int{hop[[2]int{src, 1}], hop[[2]int{1, dst}]}
}

// a12Lose is the loss decision for packet seq on pipe pi in phase ph.
func a12Lose(c *a12Case, ph, pi int, seq int64) bool {
	pct := c.lossPct[ph][pi]
	if pct == 0 {
		return false
	}
	h := uint64(seq)*0x9e3779b97f4a7c15 ^ uint64(pi+1)*0xbf58476d1ce4e5b9 ^ uint64(ph+1)*0x94d049bb133111eb ^ c.lossSalt
	h ^= h >> 31
	h *= 0xd6e8feb86d2b1b35
	h ^= h >> 29
	return int(h%100) < pct
}

// a12Phase returns the loss phase in force at t.
func a12Phase(c *a12Case, t sim.Time) int {
	ph := 0
	for _, at := range c.lossAt {
		if at < t {
			ph++
		}
	}
	return ph
}

func a12RandomCase(r *rand.Rand) a12Case {
	// Every time in a scenario is a multiple of u ns except the reads and
	// changes made between events, at 1 modulo u: a pipe of k ns per byte
	// (a multiple of u) takes exactly size*k ns per packet.
	const u = 4
	c := a12Case{chain: r.IntN(2) == 0, lossSalt: r.Uint64()}
	np := len(a12Pipes(c.chain))
	zeroSize := []int{0, 5, 30}[r.IntN(3)] // percent of packets of no bytes
	for range np {
		k := []int64{0, u, 2 * u, 10 * u, 100 * u}[r.IntN(5)]
		cfg := Config{}
		if k > 0 {
			cfg.Rate = Bandwidth(8e9 / k)
		}
		unit := max(k, u)
		cfg.Delay = time.Duration(unit * []int64{0, 0, 1, 37, 1500, 100000}[r.IntN(6)])
		switch r.IntN(4) {
		case 1:
			cfg.QueuePackets = 1 + r.IntN(6)
		case 2:
			cfg.QueueBytes = r.Int64N(4000)
		case 3:
			cfg.QueuePackets = 1 + r.IntN(20)
			cfg.QueueBytes = 1 + r.Int64N(20000)
		}
		c.k = append(c.k, k)
		c.cfg = append(c.cfg, cfg)
	}
	// Traffic: a to b, b to a, and in the chain c to b.
	flows := [][2]int{{0, 1}, {1, 0}}
	if c.chain {
		flows = [][2]int{{0, 2}, {2, 0}, {3, 2}}
	}
	npk := 1 + r.IntN(250)
	t := sim.Time(u * r.Int64N(5))
	meanGap := int64(1 + r.IntN(3000))
	for range npk {
		if r.IntN(3) == 0 {
			t += sim.Time(u * r.Int64N(2*meanGap+1))
		}
		f := flows[r.IntN(len(flows))]
		size := int32(1 + r.IntN(1500))
		if r.IntN(100) < zeroSize {
			size = 0
		}
		c.sends = append(c.sends, a12Send{at: t, src: f[0], dst: f[1], size: size})
	}
	last := t
	span := int64(last) + 200*u + int64(u)*r.Int64N(1+int64(last)/u)
	between := func() sim.Time { return sim.Time(u*r.Int64N(span/u+1) + 1) }
	nph := 1 + r.IntN(3)
	c.lossPct = make([][]int, nph)
	for ph := range nph {
		c.lossPct[ph] = make([]int, np)
		for pi := range np {
			c.lossPct[ph][pi] = []int{0, 0, 10, 50, 95, 100}[r.IntN(6)]
		}
		if ph > 0 {
			c.lossAt = append(c.lossAt, between())
		}
	}
	slices.Sort(c.lossAt)
	for range r.IntN(40) {
		c.probes = append(c.probes, between())
	}
	slices.Sort(c.probes)
	c.probes = slices.Compact(c.probes)
	switch r.IntN(4) {
	case 1, 2:
		// Remove a node that sends nothing more and to which nothing more
		// is sent: in the chain c (which only sends), else a or b once
		// every packet was handed over.
		c.removeN = r.IntN(2)
		from := last
		if c.chain {
			c.removeN = 3
			from = 0
			for _, s := range c.sends {
				if s.src == 3 {
					from = s.at
				}
			}
		}
		c.removeAt = from + sim.Time(u*r.Int64N(1+span/u/4)+1)
	case 3:
		c.release = between()
	}
	return c
}

// a12Ev is one callback seen by the test.
type a12Ev struct {
	at   sim.Time // the time the callback was given (the scheduler's for obs, recv and loss)
	now  sim.Time // the scheduler's time at the callback
	kind string   // sent, queue-drop, loss-drop, delivered; obs; recv; loss (the loss model asked)
	pipe int      // -1 for obs and recv
	node int      // recv only
	seq  int64
	lost bool // loss: the model's answer
}

func (e a12Ev) String() string {
	return fmt.Sprintf("%d:%s:p%d:n%d:#%d", int64(e.at), e.kind, e.pipe, e.node, e.seq)
}

type a12Rec struct {
	s     *sim.Scheduler
	pipes map[*Pipe]int
	evs   []a12Ev
}

func (l *a12Rec) PacketEvent(now sim.Time, ev TraceEvent, p *Pipe, pk *Packet) {
	l.evs = append(l.evs, a12Ev{at: now, now: l.s.Now(), kind: ev.String(), pipe: l.pipes[p], seq: pk.Seq})
}

func (l *a12Rec) Dropped(p *Packet) {
	l.evs = append(l.evs, a12Ev{at: l.s.Now(), now: l.s.Now(), kind: "obs", pipe: -1, seq: p.Seq})
}

type a12Recv struct {
	l    *a12Rec
	node int
}

func (r a12Recv) Receive(p *Packet) {
	r.l.evs = append(r.l.evs, a12Ev{at: r.l.s.Now(), now: r.l.s.Now(), kind: "recv", pipe: -1, node: r.node, seq: p.Seq})
}

// a12Read is a reading of the counters between events.
type a12Read struct {
	at      sim.Time
	net     PipeStats
	pipe    []PipeStats
	qbytes  []int64
	qpkts   []int
	release bool // read right after Release
}

type a12Result struct {
	evs     []a12Ev
	reads   []a12Read
	final   PipeStats   // the network's counters after the run
	finalP  []PipeStats // each pipe's
	pipes   []*Pipe
	net     *Network
	live    []*Pipe // n.Pipes() after the run
	unroute int64
	panic   any
}

func a12Run(c *a12Case) (res a12Result) {
	s := sim.New(3)
	n := New(s)
	nn := 2
	if c.chain {
		nn = 4
	}
	nodes := make([]*Node, nn)
	for i := range nodes {
		nodes[i] = n.AddNode(fmt.Sprint("n", i))
	}
	topo := a12Pipes(c.chain)
	for i := 0; i < len(topo); i += 2 {
		n.Connect(nodes[topo[i][0]], nodes[topo[i][1]], c.cfg[i], c.cfg[i+1])
	}
	res.pipes = slices.Clone(n.Pipes())
	res.net = n
	l := &a12Rec{s: s, pipes: map[*Pipe]int{}}
	for i, p := range res.pipes {
		l.pipes[p] = i
	}
	n.SetTracer(l)
	n.SetDropObserver(l)
	for i, nd := range nodes {
		nd.SetReceiver(a12Recv{l, i})
	}
	setLoss := func(ph int) {
		for pi, p := range res.pipes {
			if c.lossPct[ph][pi] == 0 {
				p.SetLoss(nil)
				continue
			}
			p.SetLoss(DropFunc(func(now sim.Time, pk *Packet) bool {
				lost := a12Lose(c, ph, pi, pk.Seq)
				l.evs = append(l.evs, a12Ev{at: now, now: s.Now(), kind: "loss", pipe: pi, seq: pk.Seq, lost: lost})
				return lost
			}))
		}
	}
	setLoss(0)
	for i, at := range c.lossAt {
		s.At(at, func() { setLoss(i + 1) })
	}
	released := false
	for i, sd := range c.sends {
		s.At(sd.at, func() {
			if !released {
				nodes[sd.src].Send(Packet{Dst: nodes[sd.dst].ID, Seq: int64(i), Size: sd.size})
			}
		})
	}
	// Each of the network's counters, a pipe's counters and its queue's
	// length is read first in turn, so that each has to bring the queues
	// up to date itself.
	reads := 0
	read := func(at sim.Time, rel bool) a12Read {
		rd := a12Read{at: at, release: rel}
		order := reads % 3
		reads++
		if order == 0 {
			rd.net = n.Stats()
		}
		rd.pipe = make([]PipeStats, len(res.pipes))
		rd.qbytes, rd.qpkts = make([]int64, len(res.pipes)), make([]int, len(res.pipes))
		for i, p := range res.pipes {
			if order == 1 {
				rd.qbytes[i], rd.qpkts[i] = p.QueueLen()
				rd.pipe[i] = p.Stats()
			} else {
				rd.pipe[i] = p.Stats()
				rd.qbytes[i], rd.qpkts[i] = p.QueueLen()
			}
		}
		if order != 0 {
			rd.net = n.Stats()
		}
		return rd
	}
	for _, at := range c.probes {
		s.At(at, func() {
			if !released {
				res.reads = append(res.reads, read(at, false))
			}
		})
	}
	if c.removeAt > 0 {
		s.At(c.removeAt, func() { n.RemoveNode(nodes[c.removeN]) })
	}
	if c.release > 0 {
		s.At(c.release, func() {
			released = true
			n.Release()
			res.reads = append(res.reads, read(c.release, true))
		})
	}
	defer func() {
		if v := recover(); v != nil {
			res.panic = v
		}
		res.evs = l.evs
	}()
	s.Run()
	res.final = n.Stats()
	for _, p := range res.pipes {
		res.finalP = append(res.finalP, p.Stats())
	}
	res.live = n.Pipes()
	res.unroute = n.Unrouted()
	return res
}

// a12Pkt is the model's view of one packet on one pipe.
type a12Pkt struct {
	seq        int64
	size       int64
	at         sim.Time // Sent
	accepted   bool
	start, end sim.Time
	lost       bool
	wait       int   // packets waiting after it joined (accepted while busy), else 0
	waitBytes  int64 // likewise in bytes
	queuedWhen bool  // it joined the queue (the pipe was busy)
}

// a12Model computes one pipe's packets from the Sent events it saw.
func a12Model(c *a12Case, pi int, sent []a12Ev) []a12Pkt {
	cfg, k := c.cfg[pi], c.k[pi]
	var pk []a12Pkt
	var lastEnd sim.Time
	for _, e := range sent {
		p := a12Pkt{seq: e.seq, size: int64(c.sends[e.seq].size), at: e.at}
		t := e.at
		wait, wbytes := 0, int64(0)
		for _, q := range pk {
			if q.accepted && q.start > t {
				wait++
				wbytes += q.size
			}
		}
		busy := lastEnd > t
		if busy && ((cfg.QueueBytes > 0 && wbytes+p.size > cfg.QueueBytes) || (cfg.QueuePackets > 0 && wait >= cfg.QueuePackets)) {
			pk = append(pk, p)
			continue
		}
		p.accepted = true
		p.start = max(t, lastEnd)
		p.end = p.start + sim.Time(p.size*k)
		lastEnd = p.end
		p.lost = a12Lose(c, a12Phase(c, t), pi, p.seq)
		if busy {
			p.queuedWhen = true
			p.wait, p.waitBytes = wait+1, wbytes+p.size
		}
		pk = append(pk, p)
	}
	return pk
}

// a12StatsAt returns the model's counters of a pipe at t (between events).
func a12StatsAt(pk []a12Pkt, delay time.Duration, t sim.Time) (st PipeStats, qbytes int64, qpkts int) {
	for _, p := range pk {
		if p.at > t {
			break
		}
		if !p.accepted {
			st.QueueDrops++
			continue
		}
		if p.queuedWhen {
			st.MaxQueuePackets = max(st.MaxQueuePackets, p.wait)
			st.MaxQueueBytes = max(st.MaxQueueBytes, p.waitBytes)
		}
		if p.start > t {
			qbytes += p.size
			qpkts++
			continue
		}
		st.Packets++
		st.Bytes += p.size
		switch {
		case p.lost && p.end <= t:
			st.LossDrops++
		case !p.lost && p.end.Add(delay) <= t:
			st.Delivered++
		}
	}
	return st, qbytes, qpkts
}

// a12Check returns what is wrong with a run, or "".
func a12Check(c *a12Case, res a12Result) string {
	var errs []string
	fail := func(format string, args ...any) {
		if len(errs) < 8 {
			errs = append(errs, fmt.Sprintf(format, args...))
		}
	}
	if res.panic != nil {
		fail("panic: %v", res.panic)
		return strings.Join(errs, "\n")
	}
	evs := res.evs
	np := len(res.pipes)
	limit := sim.Time(1<<62 - 1)
	if c.release > 0 {
		limit = c.release
	}
	// Times: given right, never backwards, nothing after a release.
	var prev sim.Time
	for i, e := range evs {
		if e.kind != "loss" && e.at != e.now {
			fail("event %d %v given time %d at %d", i, e, int64(e.at), int64(e.now))
		}
		if e.now < prev {
			fail("event %d %v goes back in time from %d", i, e, int64(prev))
		}
		prev = e.now
		if e.now > limit || (c.release > 0 && e.now == limit) {
			fail("event %d %v after the release at %d", i, e, int64(c.release))
		}
	}
	// Per pipe: the model from the pipe's own Sent order.
	sentOn := make([][]a12Ev, np)
	for _, e := range evs {
		if e.kind == Sent.String() {
			sentOn[e.pipe] = append(sentOn[e.pipe], e)
		}
	}
	model := make([][]a12Pkt, np)
	for pi := range np {
		model[pi] = a12Model(c, pi, sentOn[pi])
	}
	type evKey struct {
		kind string
		pipe int
		seq  int64
	}
	byKey := map[evKey][]int{}
	for i, e := range evs {
		if e.pipe >= 0 {
			k := evKey{e.kind, e.pipe, e.seq}
			byKey[k] = append(byKey[k], i)
		}
	}
	index := func(kind string, pi int, seq int64) []int { return byKey[evKey{kind, pi, seq}] }
	removedNode := -1
	if c.removeAt > 0 {
		removedNode = c.removeN
	}
	topo := a12Pipes(c.chain)
	for pi := range np {
		delay := c.cfg[pi].Delay
		var kept []int64
		var lossCalls []a12Ev
		for _, e := range evs {
			if e.kind == "loss" && e.pipe == pi {
				lossCalls = append(lossCalls, e)
			}
		}
		ci := 0
		for _, p := range model[pi] {
			qd, ld, dl := index(QueueDrop.String(), pi, p.seq), index(LossDrop.String(), pi, p.seq), index(Delivered.String(), pi, p.seq)
			sd := index(Sent.String(), pi, p.seq)
			if len(sd) != 1 {
				fail("pipe %d #%d: sent %d times", pi, p.seq, len(sd))
				continue
			}
			if !p.accepted {
				if len(qd) != 1 || len(ld)+len(dl) != 0 || evs[qd[0]].at != p.at || qd[0] != sd[0]+1 {
					fail("pipe %d #%d: want a queue drop right after its send at %d; queue drops %v, loss drops %v, deliveries %v",
						pi, p.seq, int64(p.at), qd, ld, dl)
				} else if qd[0]+1 >= len(evs) || evs[qd[0]+1].kind != "obs" || evs[qd[0]+1].seq != p.seq {
					fail("pipe %d #%d: queue drop not observed right after its trace", pi, p.seq)
				}
				continue
			}
			if c.lossPct[a12Phase(c, p.at)][pi] > 0 {
				// The loss model in force is asked once per accepted
				// packet, in order, told the serialization's end.
				if ci >= len(lossCalls) || lossCalls[ci].seq != p.seq || lossCalls[ci].at != p.end || lossCalls[ci].now != p.at {
					got := "none"
					if ci < len(lossCalls) {
						got = lossCalls[ci].String() + fmt.Sprintf(" (asked at %d)", int64(lossCalls[ci].now))
					}
					fail("pipe %d #%d: loss model call %d is %s, want #%d told %d, asked at %d", pi, p.seq, ci, got, p.seq, int64(p.end), int64(p.at))
				}
				ci++
			}
			if p.lost {
				if p.end > limit {
					if len(ld)+len(dl)+len(qd) != 0 {
						fail("pipe %d #%d: lost after the release, but traced", pi, p.seq)
					}
					continue
				}
				if len(ld) != 1 || len(dl)+len(qd) != 0 || evs[ld[0]].at != p.end {
					fail("pipe %d #%d: want one loss drop at %d (its end); loss drops %v, deliveries %v, queue drops %v", pi, p.seq, int64(p.end), ld, dl, qd)
					continue
				}
				if ld[0]+1 >= len(evs) || evs[ld[0]+1].kind != "obs" || evs[ld[0]+1].seq != p.seq {
					fail("pipe %d #%d: loss drop not observed right after its trace", pi, p.seq)
				}
				continue
			}
			arr := p.end.Add(delay)
			if arr > limit || (c.release > 0 && arr == limit) {
				if len(dl)+len(ld)+len(qd) != 0 {
					fail("pipe %d #%d: arrives after the release, but traced", pi, p.seq)
				}
				continue
			}
			kept = append(kept, p.seq)
			if len(dl) != 1 || len(ld)+len(qd) != 0 || evs[dl[0]].at != arr {
				fail("pipe %d #%d: want one delivery at %d; deliveries %v, loss drops %v, queue drops %v", pi, p.seq, int64(arr), dl, ld, qd)
				continue
			}
			// Right after: received at its destination, or sent on by the
			// router on the next pipe.
			to := topo[pi][1]
			dst := c.sends[p.seq].dst
			nx := dl[0] + 1
			switch {
			case to == dst && to == removedNode && evs[dl[0]].at >= c.removeAt:
				// Its receiver is gone.
			case to == dst:
				if nx >= len(evs) || evs[nx].kind != "recv" || evs[nx].seq != p.seq || evs[nx].node != dst {
					fail("pipe %d #%d: delivered but not received right after", pi, p.seq)
				}
			default:
				path := a12Path(c.chain, c.sends[p.seq].src, dst)
				if nx >= len(evs) || evs[nx].kind != Sent.String() || evs[nx].seq != p.seq || evs[nx].pipe != path[1] || evs[nx].at != arr {
					fail("pipe %d #%d: delivered at the router but not sent on pipe %d right after", pi, p.seq, path[1])
				}
			}
		}
		if ci != len(lossCalls) {
			fail("pipe %d: loss model asked %d times, want %d", pi, len(lossCalls), ci)
		}
		// FIFO: deliveries in the order the packets joined.
		var got []int64
		for _, e := range evs {
			if e.kind == Delivered.String() && e.pipe == pi {
				got = append(got, e.seq)
			}
		}
		if !slices.Equal(got, kept) {
			fail("pipe %d: delivered %v, want %v", pi, got, kept)
		}
		// A lost packet's drop is announced before any later packet of
		// the pipe is delivered.
		firstDeliv := map[int64]int{}
		for i, e := range evs {
			if e.kind == Delivered.String() && e.pipe == pi {
				firstDeliv[e.seq] = i
			}
		}
		for j, p := range model[pi] {
			if !p.lost || !p.accepted || p.end > limit {
				continue
			}
			ld := index(LossDrop.String(), pi, p.seq)
			if len(ld) != 1 {
				continue
			}
			for _, q := range model[pi][j+1:] {
				if i, ok := firstDeliv[q.seq]; ok && i < ld[0] {
					fail("pipe %d: #%d delivered (event %d) before the drop of #%d, sent before it, was announced (event %d)", pi, q.seq, i, p.seq, ld[0])
				}
			}
		}
	}
	// Every observed drop is one traced just before it; every packet
	// handed over ends exactly once.
	ends := map[int64]int{}
	for i, e := range evs {
		switch e.kind {
		case "obs":
			if i == 0 || evs[i-1].seq != e.seq || (evs[i-1].kind != QueueDrop.String() && evs[i-1].kind != LossDrop.String()) {
				fail("event %d: drop of #%d observed without its trace just before", i, e.seq)
			}
			ends[e.seq]++
		case "recv":
			ends[e.seq]++
		case Delivered.String():
			if topo[e.pipe][1] == removedNode && c.sends[e.seq].dst == removedNode && e.at >= c.removeAt {
				ends[e.seq]++
			}
		}
	}
	if c.release == 0 {
		for i := range c.sends {
			if ends[int64(i)] != 1 {
				fail("#%d (%+v) ended %d times, want once", i, c.sends[i], ends[int64(i)])
			}
		}
	}
	// Counters read between events, the network's first.
	sum := func(t sim.Time) PipeStats {
		var tot PipeStats
		for pi := range np {
			st, _, _ := a12StatsAt(model[pi], c.cfg[pi].Delay, t)
			tot.add(st)
		}
		return tot
	}
	for _, rd := range res.reads {
		if want := sum(rd.at); rd.net != want {
			fail("at %d: network counters %+v, want %+v", int64(rd.at), rd.net, want)
		}
		for pi := range np {
			st, qb, qp := a12StatsAt(model[pi], c.cfg[pi].Delay, rd.at)
			if rd.pipe[pi] != st {
				fail("at %d: pipe %d counters %+v, want %+v", int64(rd.at), pi, rd.pipe[pi], st)
			}
			if rd.release {
				qb, qp = 0, 0 // Release empties the queues
			}
			if rd.qbytes[pi] != qb || rd.qpkts[pi] != qp {
				fail("at %d: pipe %d queue %d bytes, %d packets; want %d, %d", int64(rd.at), pi, rd.qbytes[pi], rd.qpkts[pi], qb, qp)
			}
		}
	}
	// After the run: the counters (all of them, or those at the
	// release), every pipe empty, every block back, the removed node's
	// pipes gone and the others there.
	endAt := sim.Time(1<<62 - 1)
	if c.release > 0 {
		endAt = c.release
	}
	if want := sum(endAt); res.final != want {
		fail("after the run: network counters %+v, want %+v", res.final, want)
	}
	for pi := range np {
		if st, _, _ := a12StatsAt(model[pi], c.cfg[pi].Delay, endAt); res.finalP[pi] != st {
			fail("after the run: pipe %d counters %+v, want %+v", pi, res.finalP[pi], st)
		}
		p := res.pipes[pi]
		if p.line.Len() != 0 || p.nwait != 0 || p.queuedBytes != 0 {
			fail("after the run: pipe %d holds %d packets (%d waiting, %d bytes)", pi, p.line.Len(), p.nwait, p.queuedBytes)
		}
		gone := c.removeAt > 0 && (topo[pi][0] == c.removeN || topo[pi][1] == c.removeN)
		if n := slices.Index(res.live, p); gone != (n < 0) || gone != p.removed {
			fail("after the run: pipe %d listed at %d, removed %v; want removed %v", pi, n, p.removed, gone)
		}
	}
	want := 0
	for pi := range np {
		if !(c.removeAt > 0 && (topo[pi][0] == c.removeN || topo[pi][1] == c.removeN)) {
			want++
		}
	}
	if len(res.live) != want {
		fail("after the run: %d pipes listed, want %d", len(res.live), want)
	}
	if res.net.flying.out != 0 {
		fail("after the run: %d blocks out of the pool", res.net.flying.out)
	}
	if res.unroute != 0 {
		fail("%d packets unrouted", res.unroute)
	}
	return strings.Join(errs, "\n")
}

// TestLazyPipesMatchModel runs random scenarios (see the file comment)
// and checks every event, every counter read and the state after the
// run against the model.
func TestLazyPipesMatchModel(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 0x1e19d6b))
	runs := 3000
	if testing.Short() {
		runs = 500
	}
	for run := range runs {
		c := a12RandomCase(r)
		res := a12Run(&c)
		if msg := a12Check(&c, res); msg != "" {
			t.Fatalf("run %d (chain %v, k %v, cfg %+v, %d packets, loss at %v %v, remove node %d at %d, release at %d):\n%s\nevents: %s",
				run, c.chain, c.k, c.cfg, len(c.sends), c.lossAt, c.lossPct, c.removeN, int64(c.removeAt), int64(c.release),
				msg, a12Head(res.evs, 40))
		}
	}
}

func a12Head(evs []a12Ev, n int) string {
	var b strings.Builder
	for _, e := range evs[:min(n, len(evs))] {
		b.WriteString(e.String())
		b.WriteByte(' ')
	}
	return b.String()
}
