package link

import (
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
)

// TestReleaseMidRun (audit 12): the counters stay readable after
// Release, and they are those of the instant of the release, as the
// network reads them mid-run: the packets whose serialization had
// started count as sent, though no event had marked their start. And a
// scheduler that runs on after it (Release's caller is to release it
// too) finds the pipes stopped: nothing more is traced, delivered or
// dropped, where the pipes' timers ran on over emptied lines.
func TestReleaseMidRun(t *testing.T) {
	s, a, b, ab, k := twoNodes(Config{Rate: 8 * Mbps, Delay: 10 * time.Millisecond})
	ab.SetLoss(DropFunc(func(_ sim.Time, p *Packet) bool { return p.Seq == 4 }))
	l := &traceLog{}
	ab.net.SetTracer(l)
	for i := range 6 {
		a.Send(Packet{Dst: b.ID, Seq: int64(i), Size: 1000}) // start at 0, 1, ... 5 ms
	}
	s.RunUntil(sim.Time(3500 * time.Microsecond))
	traced := len(l.evs)
	ab.net.Release()
	want := PipeStats{Packets: 4, Bytes: 4000, MaxQueueBytes: 5000, MaxQueuePackets: 5}
	if got := ab.Stats(); got != want {
		t.Errorf("pipe counters after the release %+v, want %+v", got, want)
	}
	if got := ab.net.Stats(); got != want {
		t.Errorf("network counters after the release %+v, want %+v", got, want)
	}
	func() {
		defer func() {
			if v := recover(); v != nil {
				t.Errorf("the scheduler ran on after the release: %v", v)
			}
		}()
		s.Run()
	}()
	if len(l.evs) != traced || len(k.got) != 0 {
		t.Errorf("after the release: traced %v, received %d packets; want nothing", l.evs[traced:], len(k.got))
	}
	if got := ab.Stats(); got != want {
		t.Errorf("pipe counters after the scheduler ran on %+v, want %+v", got, want)
	}
}
