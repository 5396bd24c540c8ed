package tcp

import (
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// BenchmarkBulkTransfer moves 10 MB over a 100 Mbit/s, 20 ms path with a
// drop-tail queue of one bandwidth-delay product (250,000 bytes) and
// DefaultConfig (Linux's sender: SACK recovery with RACK and TLP,
// timestamps, delayed ACKs, NewReno congestion control with HyStart), a
// fresh network per op. It reports simulated packets
// (link packets, both directions: data, ACKs, handshake) per wall-clock
// second; the target is at least a million.
func BenchmarkBulkTransfer(b *testing.B) {
	const size = 10_000_000
	b.ReportAllocs()
	var pkts int64
	for b.Loop() {
		p := newPath(pathConfig{rate: 100 * link.Mbps, rtt: 20 * time.Millisecond, queue: 250_000})
		cli, _, _ := p.transfer(DefaultConfig(), size)
		p.s.RunUntil(sim.Time(time.Hour))
		if len(cli.delivered) != 1 {
			b.Fatalf("transfer did not complete")
		}
		pkts += p.net.Stats().Packets
	}
	b.ReportMetric(float64(pkts)/b.Elapsed().Seconds(), "pkts/s")
	b.ReportMetric(float64(pkts)/float64(b.N), "pkts/op")
}

// BenchmarkLossyTransfer moves 10 MB over a 100 Mbit/s, 20 ms path with a
// one-BDP queue and 1 % random loss on the data direction: the loss
// recovery path (SACK scoreboard, RACK, PRR, TLP) under steady work. It
// reports simulated packets per wall-clock second.
func BenchmarkLossyTransfer(b *testing.B) {
	const size = 10_000_000
	b.ReportAllocs()
	var pkts int64
	for b.Loop() {
		p := newPath(pathConfig{rate: 100 * link.Mbps, rtt: 20 * time.Millisecond, queue: 250_000})
		p.down.SetLoss(&link.Bernoulli{P: 0.01, Rand: p.s.Stream("loss:down")})
		cli, _, _ := p.transfer(DefaultConfig(), size)
		p.s.RunUntil(sim.Time(time.Hour))
		if len(cli.delivered) != 1 {
			b.Fatalf("transfer did not complete")
		}
		pkts += p.net.Stats().Packets
	}
	b.ReportMetric(float64(pkts)/b.Elapsed().Seconds(), "pkts/s")
	b.ReportMetric(float64(pkts)/float64(b.N), "pkts/op")
}

// shortTransfer dials from the client, has the server send 100 KB once
// connected, and closes from the client when the response is delivered;
// it runs the scheduler until everything is quiet.
func shortTransfer(b *testing.B, p *path, srv *recorder, cfg Config) {
	cli := newRecorder(p.s)
	cli.onDelivered = func(c *Conn, _ any) { c.Close() }
	p.cep.Dial(p.server.ID, 80, cfg, cli)
	p.s.Run()
	if len(cli.delivered) != 1 || len(cli.closed) != 1 {
		b.Fatalf("transfer: delivered %v, closed %v", cli.delivered, cli.closed)
	}
}

// BenchmarkShortTransfers runs sequential 100 KB transfers over a
// 10 Mbit/s, 50 ms path, each on a new connection (handshake, slow start
// from IW 10, close), and reports transfers per wall-clock second (ns-3
// manages about 1,070/s on this workload; the target is about 20x that)
// and the simulated packets per transfer. "fresh" builds a new network
// for every transfer; "reused" keeps one network and stack, as a run with
// many connections does.
//
// Both run DefaultConfig, Linux's sender and receiver: its quick ACKs (an
// ACK for every segment while the connection starts) and the 12 bytes of
// timestamps in every segment make a transfer 146 packets. The
// "textbook-" variants run TextbookConfig, the sender and receiver the
// model had before Linux's loss recovery (an ACK for every second
// segment, no options): 110 packets, the same work as the benchmark's
// earlier DefaultConfig, so old and new binaries can be compared on one
// workload.
func BenchmarkShortTransfers(b *testing.B) {
	const size = 100_000
	pc := pathConfig{rate: 10 * link.Mbps, rtt: 50 * time.Millisecond, queue: 62_500}
	for _, v := range []struct {
		prefix string
		cfg    Config
	}{{"", DefaultConfig()}, {"textbook-", TextbookConfig()}} {
		listen := func(p *path) *recorder {
			srv := newRecorder(p.s)
			srv.onConnected = func(c *Conn) { c.Send(size, "body") }
			p.sep.Listen(80, v.cfg, func(*Conn) Handler { return srv })
			return srv
		}
		report := func(b *testing.B, pkts int64) {
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "transfers/s")
			b.ReportMetric(float64(pkts)/float64(b.N), "pkts/op")
		}
		b.Run(v.prefix+"fresh", func(b *testing.B) {
			b.ReportAllocs()
			var pkts int64
			for b.Loop() {
				p := newPath(pc)
				shortTransfer(b, p, listen(p), v.cfg)
				pkts += p.net.Stats().Packets
			}
			report(b, pkts)
		})
		b.Run(v.prefix+"reused", func(b *testing.B) {
			b.ReportAllocs()
			p := newPath(pc)
			srv := listen(p)
			for b.Loop() {
				shortTransfer(b, p, srv, v.cfg)
			}
			report(b, p.net.Stats().Packets)
		})
	}
}

// TestBulkTransferAllocs guards the per-packet allocation work of tcp and
// sim/link: a 10 MB transfer (about 12,000 packets, the benchmark's path)
// may allocate a few dozen objects to build its network and connection
// and grow its queues to their working size, and nothing per packet. The
// bound, 200 objects, is 0.016 per packet; one allocation per packet
// would be 60 times over it. With a tracer installed the pipes trace
// through a copy they own, so the bound holds too.
func TestBulkTransferAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	for _, traced := range []bool{false, true} {
		var pkts int64
		allocs := testing.AllocsPerRun(2, func() {
			p := newPath(pathConfig{rate: 100 * link.Mbps, rtt: 20 * time.Millisecond, queue: 250_000})
			if traced {
				p.net.SetTracer(tracerFunc(func(sim.Time) {}))
			}
			p.transfer(DefaultConfig(), 10_000_000)
			p.s.RunUntil(sim.Time(time.Hour))
			pkts = p.net.Stats().Packets
		})
		if allocs > 200 {
			t.Errorf("traced=%v: %.0f allocations for %d packets, want at most 200", traced, allocs, pkts)
		}
	}
}
