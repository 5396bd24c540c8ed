package link

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
)

// This file checks one pipe against a reference model of a drop-tail FIFO
// link written independently of the pipe's code: every tracer callback
// (with its time), every drop observer call, the packets received, the
// queue's length read between events, and the counters, over random
// packet arrivals, sizes, rates, delays, queue limits and loss patterns.
//
// Times are chosen so that no two kinds of event meet at one instant
// except where the order is known: the rate is 8e9/k bit/s, so a packet
// of s bytes takes exactly s*k ns; packets are sent at multiples of k ns,
// so transmissions end at multiples of k; the delay is k/2 modulo k, so
// arrivals never coincide with a send or the end of a transmission; the
// queue is read at 1 modulo k. At an instant where a transmission ends
// and packets are sent, the transmission ends first: the next packet
// starts and the queue is one shorter for the sends (the pipe works out
// serializations from their end times, not from events). A loss-model
// drop at such an instant is announced (traced, observed) after the sends,
// which were scheduled before the run started, as the pipe's timer for
// it has a higher sequence number.

// audit9qEvent is one callback seen by the test: a tracer event, a drop
// observer call (obs), or a reception at the far node (recv).
type audit9qEvent struct {
	at   sim.Time
	kind string
	seq  int64
}

func (e audit9qEvent) String() string { return fmt.Sprintf("%d:%s:%d", int64(e.at), e.kind, e.seq) }

type audit9qLog struct {
	s   *sim.Scheduler
	evs []audit9qEvent
}

func (l *audit9qLog) PacketEvent(now sim.Time, ev TraceEvent, _ *Pipe, p *Packet) {
	l.evs = append(l.evs, audit9qEvent{now, ev.String(), p.Seq})
}

func (l *audit9qLog) Dropped(p *Packet) {
	l.evs = append(l.evs, audit9qEvent{l.s.Now(), "obs", p.Seq})
}

func (l *audit9qLog) Receive(p *Packet) {
	l.evs = append(l.evs, audit9qEvent{l.s.Now(), "recv", p.Seq})
}

// audit9qCase is one random scenario.
type audit9qCase struct {
	k      int64 // ns per byte; 0: Rate 0
	cfg    Config
	sendAt []sim.Time // nondecreasing
	size   []int32
	lose   []bool // by packet index (Seq)
	probes []sim.Time
}

type audit9qProbe struct {
	at      sim.Time
	bytes   int64
	packets int
}

// audit9qModel computes what the pipe must do, from the case alone.
func audit9qModel(c audit9qCase) (evs []audit9qEvent, probes []audit9qProbe, st PipeStats) {
	type pkt struct {
		seq  int
		size int64
	}
	var (
		queue    []pkt // waiting, not counting the one being serialized
		qbytes   int64
		busy     bool
		cur      pkt
		txEnd    sim.Time
		arrivals []audit9qEvent // recv times of the packets put in flight, in order
		losses   []audit9qEvent // the loss model's drops, announced last at their instant
	)
	tx := func(p pkt) sim.Time { return sim.Time(p.size * c.k) }
	start := func(now sim.Time, p pkt) {
		busy, cur, txEnd = true, p, now+tx(p)
		st.Packets++
		st.Bytes += p.size
	}
	// finish ends every transmission due at or before t, in order (at
	// one instant when the rate is 0).
	finish := func(t sim.Time) {
		for busy && txEnd <= t {
			now := txEnd
			if c.lose[cur.seq] {
				st.LossDrops++
				losses = append(losses, audit9qEvent{now, LossDrop.String(), int64(cur.seq)}, audit9qEvent{now, "obs", int64(cur.seq)})
			} else {
				arrivals = append(arrivals, audit9qEvent{now + sim.Time(c.cfg.Delay), "", int64(cur.seq)})
			}
			busy = false
			if len(queue) > 0 {
				p := queue[0]
				queue = queue[1:]
				qbytes -= p.size
				start(now, p)
			}
		}
	}
	pi := 0
	for i, at := range c.sendAt {
		for pi < len(c.probes) && c.probes[pi] < at {
			finish(c.probes[pi])
			probes = append(probes, audit9qProbe{c.probes[pi], qbytes, len(queue)})
			pi++
		}
		finish(at) // transmissions ending at at come before the sends at at
		p := pkt{i, int64(c.size[i])}
		evs = append(evs, audit9qEvent{at, Sent.String(), int64(i)})
		switch {
		case !busy:
			start(at, p)
		case c.cfg.QueueBytes > 0 && qbytes+p.size > c.cfg.QueueBytes,
			c.cfg.QueuePackets > 0 && len(queue) >= c.cfg.QueuePackets:
			st.QueueDrops++
			evs = append(evs, audit9qEvent{at, QueueDrop.String(), int64(i)}, audit9qEvent{at, "obs", int64(i)})
		default:
			queue = append(queue, p)
			qbytes += p.size
			st.MaxQueueBytes = max(st.MaxQueueBytes, qbytes)
			st.MaxQueuePackets = max(st.MaxQueuePackets, len(queue))
		}
	}
	for ; pi < len(c.probes); pi++ {
		finish(c.probes[pi])
		probes = append(probes, audit9qProbe{c.probes[pi], qbytes, len(queue)})
	}
	finish(1 << 62)
	st.Delivered = int64(len(arrivals))
	for _, a := range arrivals {
		evs = append(evs, audit9qEvent{a.at, Delivered.String(), a.seq}, audit9qEvent{a.at, "recv", a.seq})
	}
	// Arrivals never share an instant with the other events, and among
	// themselves they are in order: a stable sort by time merges them,
	// and the drops announced at an instant go after its sends.
	evs = append(evs, losses...)
	slices.SortStableFunc(evs, func(a, b audit9qEvent) int {
		switch {
		case a.at < b.at:
			return -1
		case a.at > b.at:
			return 1
		}
		return 0
	})
	return evs, probes, st
}

// audit9qRun runs the case on a real pipe.
func audit9qRun(c audit9qCase) (evs []audit9qEvent, probes []audit9qProbe, st PipeStats, ab *Pipe) {
	s := sim.New(7)
	n := New(s)
	a, b := n.AddNode("a"), n.AddNode("b")
	cfg := c.cfg
	cfg.Loss = DropFunc(func(_ sim.Time, p *Packet) bool { return c.lose[p.Seq] })
	ab, _ = n.Connect(a, b, cfg, Config{})
	l := &audit9qLog{s: s}
	n.SetTracer(l)
	n.SetDropObserver(l)
	b.SetReceiver(l)
	for i, at := range c.sendAt {
		s.At(at, func() { a.Send(Packet{Dst: b.ID, Seq: int64(i), Size: c.size[i]}) })
	}
	for _, at := range c.probes {
		s.At(at, func() {
			bytes, packets := ab.QueueLen()
			probes = append(probes, audit9qProbe{at, bytes, packets})
		})
	}
	s.Run()
	return l.evs, probes, ab.Stats(), ab
}

// audit9qRandomCase draws a scenario: light or heavy load, short or long
// delay (up to thousands of packets in flight), packet, byte or both
// limits (some smaller than a packet), and no, random, bursty or total
// loss.
func audit9qRandomCase(r *rand.Rand) audit9qCase {
	ks := []int64{0, 4, 8, 10, 16, 20, 40, 80, 100, 1000}
	c := audit9qCase{k: ks[r.IntN(len(ks))]}
	unit := c.k
	if unit == 0 {
		unit = 4
	} else {
		c.cfg.Rate = Bandwidth(8e9 / c.k)
	}
	npk := 1 + r.IntN(400)
	meanSize := int64(40 + r.IntN(1500))
	// Mean gap between sends, in units: from a tenth of a packet's
	// serialization (overload) to several.
	meanGap := max(1, meanSize*int64(1+r.IntN(40))/10)
	if r.IntN(4) == 0 {
		meanGap = 1 + int64(r.IntN(3)) // bursts, many at one instant
	}
	t := sim.Time(unit * int64(r.IntN(10)))
	for range npk {
		if r.IntN(3) > 0 {
			t += sim.Time(unit * r.Int64N(2*meanGap+1))
		}
		c.sendAt = append(c.sendAt, t)
		c.size = append(c.size, int32(1+r.Int64N(2*meanSize)))
	}
	delayUnits := []int64{0, 1, 10, 1000, 100000}[r.IntN(5)] * meanSize
	c.cfg.Delay = time.Duration(unit*delayUnits + unit/2)
	switch r.IntN(4) {
	case 1:
		c.cfg.QueuePackets = 1 + r.IntN(20)
	case 2:
		c.cfg.QueueBytes = 1 + r.Int64N(10*meanSize) // may be smaller than a packet
	case 3:
		c.cfg.QueuePackets = 1 + r.IntN(20)
		c.cfg.QueueBytes = 1 + r.Int64N(10*meanSize)
	}
	c.lose = make([]bool, npk)
	switch r.IntN(4) {
	case 1:
		p := r.Float64() / 2
		for i := range c.lose {
			c.lose[i] = r.Float64() < p
		}
	case 2: // runs, some longer than a FIFO block
		for i := 0; i < npk; {
			if r.IntN(5) == 0 {
				run := 1 + r.IntN(40)
				for j := i; j < min(npk, i+run); j++ {
					c.lose[j] = true
				}
				i += run
			} else {
				i += 1 + r.IntN(30)
			}
		}
	case 3:
		for i := range c.lose {
			c.lose[i] = r.IntN(10) != 0 // almost everything
		}
	}
	end := t + sim.Time(c.cfg.Delay) + sim.Time(unit*int64(npk)*2*meanSize) + 10
	for range 1 + r.IntN(60) {
		c.probes = append(c.probes, sim.Time(unit*r.Int64N(int64(end)/unit+1)+1))
	}
	slices.Sort(c.probes)
	c.probes = slices.Compact(c.probes)
	return c
}

// TestPipeMatchesReferenceModel runs random scenarios on a pipe and on
// the reference model: the traces, drop observer calls and receptions
// (each with its time, in order), the queue's length read between
// events (packets waiting only: not those in flight or being
// serialized), and the counters (high-water marks included) must agree,
// and the pipe must end idle with its blocks back in the pool.
func TestPipeMatchesReferenceModel(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	runs := 600
	if testing.Short() {
		runs = 100
	}
	for run := range runs {
		c := audit9qRandomCase(r)
		desc := fmt.Sprintf("run %d: k %d, %+v, %d packets", run, c.k, c.cfg, len(c.sendAt))
		wantEvs, wantProbes, wantSt := audit9qModel(c)
		gotEvs, gotProbes, gotSt, ab := audit9qRun(c)
		if i, ok := audit9qFirstDiff(gotEvs, wantEvs); !ok {
			t.Fatalf("%s: event %d differs:\n got %v\nwant %v", desc, i, audit9qAround(gotEvs, i), audit9qAround(wantEvs, i))
		}
		if !slices.Equal(gotProbes, wantProbes) {
			t.Fatalf("%s: QueueLen readings\n got %v\nwant %v", desc, gotProbes, wantProbes)
		}
		if gotSt != wantSt {
			t.Fatalf("%s: stats\n got %+v\nwant %+v", desc, gotSt, wantSt)
		}
		if !ab.idle() || ab.inFlight() != 0 || ab.nwait != 0 || ab.queuedBytes != 0 || ab.net.flying.out != 0 {
			t.Fatalf("%s: pipe not empty after the run: idle %v, %d in flight, %d waiting, %d bytes queued, %d blocks out",
				desc, ab.idle(), ab.inFlight(), ab.nwait, ab.queuedBytes, ab.net.flying.out)
		}
	}
}

func audit9qFirstDiff(a, b []audit9qEvent) (int, bool) {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i, false
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b)), false
	}
	return 0, true
}

func audit9qAround(evs []audit9qEvent, i int) []audit9qEvent {
	return evs[max(0, i-3):min(len(evs), i+4)]
}

// TestRetiringPipeGoesWhenItsLastPacketIsLost removes the far node while
// the pipe's last packet is being serialized; the loss model drops it, so
// once serialized the pipe holds nothing and must be removed then, as
// before the pipe kept its packets in one line (its counters move to the
// network's retired ones).
func TestRetiringPipeGoesWhenItsLastPacketIsLost(t *testing.T) {
	for _, npk := range []int{1, 2, 17} {
		s := sim.New(1)
		n := New(s)
		a, b := n.AddNode("a"), n.AddNode("b")
		ab, _ := n.Connect(a, b, Config{Rate: 10 * Mbps, Delay: 20 * time.Millisecond}, Config{})
		ab.SetLoss(DropFunc(func(_ sim.Time, p *Packet) bool { return p.Seq == int64(npk-1) }))
		for i := range npk {
			a.Send(Packet{Dst: b.ID, Seq: int64(i), Size: 1500})
		}
		n.RemoveNode(b)
		if !ab.retiring || ab.removed {
			t.Fatalf("%d packets: pipe retiring %v, removed %v before the run", npk, ab.retiring, ab.removed)
		}
		// Run until the last packet was serialized and dropped, before
		// any packet sent before it arrived.
		s.RunUntil(sim.Time(npk) * sim.Time((10 * Mbps).TxTime(1500)))
		if npk == 1 && !ab.removed {
			t.Errorf("1 packet: pipe not removed once its only packet was lost")
		}
		s.Run()
		if !ab.removed {
			t.Fatalf("%d packets: pipe not removed after the run", npk)
		}
		if got := n.Stats(); got.LossDrops != 1 || got.Packets != int64(npk) {
			t.Errorf("%d packets: network stats %+v, want 1 loss drop of %d packets", npk, got, npk)
		}
		if len(n.Pipes()) != 0 {
			t.Errorf("%d packets: %d pipes left, want none", npk, len(n.Pipes()))
		}
	}
}
