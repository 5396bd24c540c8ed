package tcp

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// msgTag identifies message i sent by one side of a connection.
type msgTag struct {
	fromServer bool
	i          int
}

// checker is a Handler for one end of a connection in the invariant test:
// it sends its messages once connected, closes when told to after it has
// sent and received everything, and records every violation of the
// socket contract it sees.
type checker struct {
	t          *testing.T
	s          *sim.Scheduler
	name       string
	isServer   bool
	send       []Bytes // sizes of the messages to send
	expect     int     // messages the peer sends
	closer     bool    // close once done
	conn       *Conn
	connected  int
	got        []int // indices of delivered messages
	closed     []CloseReason
	lastAt     sim.Time
	errs       []string
	everClosed bool
}

func (c *checker) errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf("%s at %v: ", c.name, c.s.Now())+fmt.Sprintf(format, args...))
}

func (c *checker) tick() {
	if now := c.s.Now(); now < c.lastAt {
		c.errorf("time went back from %v", c.lastAt)
	}
	c.lastAt = c.s.Now()
	if len(c.closed) > 0 {
		c.errorf("callback after Closed")
	}
}

func (c *checker) maybeClose() {
	if c.closer && len(c.got) == c.expect {
		c.conn.Close()
	}
}

func (c *checker) Connected(conn *Conn) {
	c.tick()
	c.connected++
	c.conn = conn
	if c.connected > 1 {
		c.errorf("Connected %d times", c.connected)
	}
	for i, n := range c.send {
		if !conn.Send(n, msgTag{c.isServer, i}) {
			c.errorf("Send %d refused on an open connection", i)
		}
	}
	c.maybeClose()
}

func (c *checker) Delivered(conn *Conn, tag any) {
	c.tick()
	if c.connected == 0 {
		c.errorf("Delivered before Connected")
	}
	m, ok := tag.(msgTag)
	if !ok || m.fromServer == c.isServer {
		c.errorf("delivered foreign tag %v", tag)
		return
	}
	if m.i != len(c.got) {
		c.errorf("delivered message %d, want %d (in order, once)", m.i, len(c.got))
	}
	c.got = append(c.got, m.i)
	c.maybeClose()
}

func (c *checker) Closed(conn *Conn, r CloseReason) {
	c.tick()
	c.closed = append(c.closed, r)
}

// TestInvariantsRandomScenarios runs many random connections: random link
// (rate, RTT, queue), random loss in both directions (up to 5%), random
// TCP settings (CC, initial window, delayed ACK, Nagle, idle restart,
// receive window), and random message counts and sizes in both
// directions; one side or both, chosen at random, close once they have
// sent and received everything. Whatever happens, the
// socket contract must hold:
//   - every message is delivered exactly once, in the order sent, and
//     BytesDelivered equals the bytes the peer wrote;
//   - Connected comes once, before any Delivered; no callback follows
//     Closed, and Closed comes exactly once per connection, with
//     ClosedLocally for the side that closed and ClosedByPeer for the
//     other (when both close, either, depending on whose FIN came first);
//   - virtual time seen by the callbacks and the packet trace never goes
//     back, and the scheduler ends with no event left.
func TestInvariantsRandomScenarios(t *testing.T) {
	n := 200
	if s := os.Getenv("CONNSIM_INVARIANT_SCENARIOS"); s != "" {
		n, _ = strconv.Atoi(s) // a longer soak on demand
	}
	if testing.Short() {
		n = 40
	}
	for seed := range uint64(n) {
		rng := rand.New(rand.NewPCG(seed, 99))
		rate := link.Bandwidth(1+rng.IntN(100)) * link.Mbps
		rtt := time.Duration(1+rng.IntN(200)) * time.Millisecond
		var queue int64
		if rng.IntN(3) > 0 {
			queue = 3000 + rng.Int64N(200_000)
		}
		lossUp, lossDown := rng.Float64()*0.05, rng.Float64()*0.05
		cfgs := [2]Config{}
		// Negotiated in the SYN (RFC 2018 SACK-permitted, RFC 7323):
		// both ends agree, as an experiment configures them.
		recovery, timestamps := RecoveryMode(rng.IntN(2)), rng.IntN(4) > 0
		for i := range cfgs {
			cfg := DefaultConfig()
			cfg.Recovery, cfg.Timestamps = recovery, timestamps
			cfg.Undo = rng.IntN(4) > 0
			cfg.TLP = rng.IntN(4) > 0
			cfg.QuickAck = rng.IntN(3) > 0
			cfg.HyStart = rng.IntN(2) == 0
			cfg.CwndCounting = Counting(rng.IntN(2))
			cfg.RTOEstimator = RTOEstimator(rng.IntN(2))
			cfg.CC = []string{"newreno", "cubic"}[rng.IntN(2)]
			cfg.InitialWindow = rng.IntN(11)
			cfg.DelayedAck = rng.IntN(3) > 0
			cfg.Nagle = rng.IntN(3) == 0
			cfg.SlowStartAfterIdle = rng.IntN(2) == 0
			cfg.IdleRestart = IdleRestart(rng.IntN(2))
			if rng.IntN(4) == 0 {
				cfg.ReceiveWindow = 4000 + rng.Int64N(60_000)
			}
			cfgs[i] = cfg
		}
		sizes := func() []Bytes {
			out := make([]Bytes, rng.IntN(8))
			for i := range out {
				if rng.IntN(2) == 0 {
					out[i] = 1 + rng.Int64N(2000)
				} else {
					out[i] = 1 + rng.Int64N(300_000)
				}
			}
			return out
		}
		cliMsgs, srvMsgs := sizes(), sizes()
		closer := []string{"client", "server", "both"}[rng.IntN(3)]
		name := fmt.Sprintf("seed=%d/rate=%v/rtt=%v/queue=%d/loss=%.3f,%.3f/msgs=%d,%d/closer=%s",
			seed, rate, rtt, queue, lossUp, lossDown, len(cliMsgs), len(srvMsgs), closer)
		t.Run(name, func(t *testing.T) {
			p := newPath(pathConfig{rate: rate, rtt: rtt, queue: queue, seed: seed})
			p.up.SetLoss(&link.Bernoulli{P: lossUp, Rand: p.s.Stream("loss:up")})
			p.down.SetLoss(&link.Bernoulli{P: lossDown, Rand: p.s.Stream("loss:down")})
			var traceAt sim.Time
			var traceErr string
			p.net.SetTracer(tracerFunc(func(now sim.Time) {
				if now < traceAt && traceErr == "" {
					traceErr = fmt.Sprintf("packet event at %v after one at %v", now, traceAt)
				}
				traceAt = now
			}))
			cli := &checker{t: t, s: p.s, name: "client", send: cliMsgs, expect: len(srvMsgs), closer: closer != "server"}
			srv := &checker{t: t, s: p.s, name: "server", isServer: true, send: srvMsgs, expect: len(cliMsgs), closer: closer != "client"}
			var sconn *Conn
			p.sep.Listen(80, cfgs[1], func(c *Conn) Handler { sconn = c; return srv })
			cconn := p.cep.Dial(p.server.ID, 80, cfgs[0], cli)
			p.s.RunUntil(at(24 * time.Hour))

			for _, c := range []*checker{cli, srv} {
				for _, e := range c.errs {
					t.Error(e)
				}
			}
			if traceErr != "" {
				t.Error(traceErr)
			}
			if p.s.Pending() != 0 {
				t.Errorf("%d events still pending at the end", p.s.Pending())
			}
			if sconn == nil {
				t.Fatalf("the server never accepted")
			}
			check := func(who string, c *checker, conn *Conn, peerMsgs []Bytes, wantReason ...CloseReason) {
				if len(c.got) != len(peerMsgs) {
					t.Errorf("%s: %d messages delivered, want %d", who, len(c.got), len(peerMsgs))
				}
				var sum Bytes
				for _, n := range peerMsgs {
					sum += n
				}
				if got := conn.Stats().BytesDelivered; got != sum {
					t.Errorf("%s: BytesDelivered = %d, want %d", who, got, sum)
				}
				if len(c.closed) != 1 || !slices.Contains(wantReason, c.closed[0]) {
					t.Errorf("%s: Closed reasons %v, want one of %v", who, c.closed, wantReason)
				}
				if conn.State() != Closed || conn.Stats().ClosedAt < 0 {
					t.Errorf("%s: state %v, ClosedAt %v; want CLOSED", who, conn.State(), conn.Stats().ClosedAt)
				}
			}
			switch closer {
			case "client":
				check("client", cli, cconn, srvMsgs, ClosedLocally)
				check("server", srv, sconn, cliMsgs, ClosedByPeer)
			case "server":
				check("client", cli, cconn, srvMsgs, ClosedByPeer)
				check("server", srv, sconn, cliMsgs, ClosedLocally)
			default: // both close: whoever hears the other's FIN first
				check("client", cli, cconn, srvMsgs, ClosedLocally, ClosedByPeer)
				check("server", srv, sconn, cliMsgs, ClosedLocally, ClosedByPeer)
			}
		})
	}
}

// tracerFunc adapts a function of the event time to a link.Tracer.
type tracerFunc func(now sim.Time)

func (f tracerFunc) PacketEvent(now sim.Time, _ link.TraceEvent, _ *link.Pipe, _ *link.Packet) {
	f(now)
}
