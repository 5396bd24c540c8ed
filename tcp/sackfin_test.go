package tcp

import (
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// TestSACKTagsALoneFIN: the first of five data segments is lost; the
// other four and then the FIN, sent alone 1 ms later, arrive out of
// order, so the receiver's last SACK block grows by the FIN's one
// sequence number only. The sender must tag that FIN SACKed: the highest
// SACKed sequence reaches the FIN's end before the hole is repaired.
// (Audit of issue 9's performance work: processSACK skips the part of a
// block the previous ACK tagged, and a rule that took a one-byte new
// part for nothing new went uncaught.)
func TestSACKTagsALoneFIN(t *testing.T) {
	p := newPath(pathConfig{rate: 10 * link.Mbps, rtt: 40 * time.Millisecond, queue: 1 << 20})
	p.down.SetLoss(link.DropFunc(func(_ sim.Time, q *link.Packet) bool { return q.Len > 0 && q.Seq == 1 && !q.Retransmit }))
	cfg := DefaultConfig()
	var sc *Conn
	srv := newRecorder(p.s)
	srv.onConnected = func(c *Conn) {
		c.Send(5*c.smss, "body")
		p.s.After(time.Millisecond, func() { c.Close() })
	}
	p.sep.Listen(80, cfg, func(c *Conn) Handler { sc = c; return srv })
	cli := newRecorder(p.s)
	cli.onDelivered = func(c *Conn, _ any) { c.Close() }
	p.cep.Dial(p.server.ID, 80, cfg, cli)
	var highest int64
	var watch func()
	watch = func() {
		if sc != nil && sc.sb.highSacked > highest {
			highest = sc.sb.highSacked
		}
		if p.s.Now() < sim.Time(2*time.Second) {
			p.s.After(50*time.Microsecond, watch)
		}
	}
	p.s.After(0, watch)
	p.s.Run()
	if len(cli.delivered) != 1 || sc == nil {
		t.Fatalf("delivered %v", cli.delivered)
	}
	if want := 1 + 5*int64(sc.smss) + 1; highest != want {
		t.Errorf("highest SACKed sequence %d, want the FIN's end %d", highest, want)
	}
}
