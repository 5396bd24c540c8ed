package tcp

import (
	"testing"

	"github.com/connsim/connsim/sim/link"
)

// arrivalAudit checks a receiver against what actually reached it,
// independently of the receiver's own bookkeeping. It stands between a
// node and its endpoint (as the node's link.Receiver): it records the
// sequence range of every data segment that arrives, hands the packet to
// the endpoint, and then checks the receiving connection:
//
//   - its in-order point rcvNxt never moves back, and never passes a byte
//     that has not arrived: [1, rcvNxt) (data starts at 1, after the SYN)
//     must be covered by the union of the arrived ranges at every moment,
//     so a receiver that skipped a hole is caught when it skips it;
//   - BytesDelivered advances by exactly as much as rcvNxt does, so no
//     byte is counted twice.
//
// Delivered callbacks are checked by delivered: messages in the order
// sent, each once, and each only after all its bytes arrived.
type arrivalAudit struct {
	t       *testing.T
	ep      *Endpoint
	connID  int
	arrived []span // payload ranges that arrived, sorted and coalesced

	lastRcvNxt    int64
	lastDelivered int64
	errs          int

	// Messages the peer sends, in order, and how many were delivered.
	sizes     []Bytes
	ends      []int64 // sequence number after the last byte of each message
	delivered int
}

func newArrivalAudit(t *testing.T, node *link.Node, ep *Endpoint, connID int, sizes []Bytes) *arrivalAudit {
	a := &arrivalAudit{t: t, ep: ep, connID: connID, sizes: sizes}
	end := int64(1)
	for _, n := range sizes {
		end += n
		a.ends = append(a.ends, end)
	}
	node.SetReceiver(a)
	return a
}

func (a *arrivalAudit) errorf(format string, args ...any) {
	a.t.Helper()
	a.errs++
	if a.errs <= 10 {
		a.t.Errorf(format, args...)
	}
}

// add records the arrival of [start, end).
func (a *arrivalAudit) add(start, end int64) {
	a.arrived = append(a.arrived, span{start: start, end: end})
	// Insertion sort from the back (arrivals are mostly in order), then
	// coalesce.
	for i := len(a.arrived) - 1; i > 0 && a.arrived[i].start < a.arrived[i-1].start; i-- {
		a.arrived[i], a.arrived[i-1] = a.arrived[i-1], a.arrived[i]
	}
	out := a.arrived[:1]
	for _, s := range a.arrived[1:] {
		last := &out[len(out)-1]
		if s.start <= last.end {
			last.end = max(last.end, s.end)
			continue
		}
		out = append(out, s)
	}
	a.arrived = out
}

// coveredTo returns the end of the run of arrived bytes that starts at
// sequence number 1 (1 if byte 1 has not arrived).
func (a *arrivalAudit) coveredTo() int64 {
	if len(a.arrived) == 0 || a.arrived[0].start > 1 {
		return 1
	}
	return a.arrived[0].end
}

// Receive implements link.Receiver.
func (a *arrivalAudit) Receive(p *link.Packet) {
	if p.Len > 0 {
		a.add(p.Seq, p.Seq+int64(p.Len))
	}
	a.ep.Receive(p)
	conns := a.ep.Conns()
	if a.connID >= len(conns) {
		return
	}
	c := conns[a.connID]
	rcv := c.rcv.nxt
	if c.rcv.peerFin {
		rcv-- // the FIN's sequence number is not a data byte
	}
	if rcv < a.lastRcvNxt {
		a.errorf("at %v: rcvNxt went back from %d to %d", c.sched.Now(), a.lastRcvNxt, rcv)
	}
	if rcv > 1 {
		if got := a.coveredTo(); got < rcv {
			a.errorf("at %v: rcvNxt = %d, but only [1, %d) has arrived (a hole was skipped)", c.sched.Now(), rcv, got)
		}
		if rcv > 1 && a.lastRcvNxt >= 1 {
			if d, want := c.stats.BytesDelivered-a.lastDelivered, rcv-a.lastRcvNxt; d != want {
				a.errorf("at %v: BytesDelivered advanced by %d while rcvNxt advanced by %d", c.sched.Now(), d, want)
			}
		}
	}
	a.lastRcvNxt, a.lastDelivered = rcv, c.stats.BytesDelivered
}

// onDelivered checks one Delivered callback: tag must be the index of the
// next message, and all its bytes must have arrived.
func (a *arrivalAudit) onDelivered(tag any) {
	i, ok := tag.(int)
	if !ok || i != a.delivered {
		a.errorf("delivered %v, want message %d (each once, in order)", tag, a.delivered)
		return
	}
	if i >= len(a.ends) {
		a.errorf("delivered message %d, but only %d were sent", i, len(a.ends))
		return
	}
	if got := a.coveredTo(); got < a.ends[i] {
		a.errorf("message %d (bytes up to %d) delivered, but only [1, %d) has arrived", i, a.ends[i], got)
	}
	a.delivered++
}

// finish checks that every message was delivered and the bytes add up to
// total.
func (a *arrivalAudit) finish(total Bytes) {
	a.t.Helper()
	if a.delivered != len(a.sizes) {
		a.errorf("delivered %d messages, want %d", a.delivered, len(a.sizes))
	}
	var sum Bytes
	for _, n := range a.sizes[:a.delivered] {
		sum += n
	}
	if sum != total {
		a.errorf("delivered messages add up to %d bytes, want %d", sum, total)
	}
	if got := a.coveredTo(); got != 1+total {
		a.errorf("arrived bytes cover [1, %d), want [1, %d)", got, 1+total)
	}
	if a.lastDelivered != total {
		a.errorf("BytesDelivered = %d, want %d", a.lastDelivered, total)
	}
}

// messageSizes splits total into messages of assorted sizes (some
// smaller than, equal to and larger than an MSS), deterministically.
func messageSizes(total Bytes) []Bytes {
	pattern := []Bytes{1, 999, 1460, 1461, 7000, 65536, 300, 2920, 100_000, 17}
	var out []Bytes
	for i := 0; total > 0; i++ {
		n := min(pattern[i%len(pattern)], total)
		out = append(out, n)
		total -= n
	}
	return out
}

// TestArrivalAuditCatchesSkippedHole checks the audit itself: a receiver
// whose rcvNxt jumps over bytes that never arrived is reported.
func TestArrivalAuditCatchesSkippedHole(t *testing.T) {
	a := &arrivalAudit{}
	a.add(1, 1461)
	a.add(2921, 4381)
	if got := a.coveredTo(); got != 1461 {
		t.Fatalf("coveredTo = %d, want 1461", got)
	}
	a.add(1461, 2921)
	if got := a.coveredTo(); got != 4381 {
		t.Fatalf("coveredTo after filling the hole = %d, want 4381", got)
	}
	if want := (span{start: 1, end: 4381}); len(a.arrived) != 1 || a.arrived[0] != want {
		t.Errorf("arrived = %v, want [%v]", a.arrived, want)
	}
}
