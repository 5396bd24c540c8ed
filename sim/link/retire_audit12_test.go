package link

import (
	"slices"
	"testing"
	"time"

	"github.com/connsim/connsim/sim"
)

// TestRetiringPipeRemovedOnce (audit 12): with no propagation delay, a
// packet of no bytes queued behind a lost one arrives at the instant the
// drop is due; its arrival's timer runs first (armed when the packet
// joined the queue, before the drop's timer was re-armed for that
// instant) and announces the drop itself, then, the pipe's node being
// removed, removes the idle pipe. The drop's timer, still armed for
// that instant, must not remove it again: it did, counting its counters
// twice in the network's and clearing the slot the pipe had held in the
// network's list after the first removal had compacted it, which by
// then was another pipe's (here ij's, which Pipes and Stats lost).
func TestRetiringPipeRemovedOnce(t *testing.T) {
	s := sim.New(1)
	n := New(s)
	nd := map[string]*Node{}
	for _, name := range []string{"c", "d", "a", "b", "e", "f", "g", "h", "i", "j"} {
		nd[name] = n.AddNode(name)
	}
	n.Connect(nd["c"], nd["d"], Config{}, Config{})
	cfg := Config{Rate: 8 * Mbps, Loss: DropFunc(func(_ sim.Time, p *Packet) bool { return p.Seq < 2 })}
	ab, _ := n.Connect(nd["a"], nd["b"], cfg, Config{})
	ef, fe := n.Connect(nd["e"], nd["f"], Config{}, Config{})
	n.Connect(nd["g"], nd["h"], Config{}, Config{})
	ij, ji := n.Connect(nd["i"], nd["j"], Config{Delay: time.Millisecond}, Config{})
	n.RemoveNode(nd["c"]) // idle: cd and dc go at once
	n.RemoveNode(nd["g"])
	nd["a"].Send(Packet{Dst: nd["b"].ID, Seq: 0, Size: 1000}) // lost, ends at 1 ms
	nd["a"].Send(Packet{Dst: nd["b"].ID, Seq: 1, Size: 1000}) // lost, ends at 2 ms
	nd["a"].Send(Packet{Dst: nd["b"].ID, Seq: 2, Size: 0})    // kept, ends and arrives at 2 ms
	nd["i"].Send(Packet{Dst: nd["j"].ID, Seq: 9, Size: 100})  // arrives at 1 ms on ij
	n.RemoveNode(nd["b"])
	s.Run()
	if !ab.removed {
		t.Fatal("ab not removed after the run")
	}
	if got := n.Pipes(); !slices.Equal(got, []*Pipe{ef, fe, ij, ji}) {
		var names []string
		for _, p := range got {
			names = append(names, p.From().Name+p.To().Name)
		}
		t.Errorf("pipes after the run %v, want [ef fe ij ji]", names)
	}
	want := PipeStats{Packets: 4, Bytes: 2100, Delivered: 2, LossDrops: 2, MaxQueueBytes: 1000, MaxQueuePackets: 2}
	if got := n.Stats(); got != want {
		t.Errorf("network counters %+v, want %+v", got, want)
	}
}
