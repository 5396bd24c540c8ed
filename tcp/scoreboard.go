package tcp

import (
	"sync"

	"github.com/connsim/connsim/internal/ring"
	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// segFlags are the scoreboard's marks on a sent segment, as Linux's
// TCP_SKB_CB(skb)->sacked.
type segFlags uint8

const (
	segSacked      segFlags = 1 << iota // selectively acknowledged (TCPCB_SACKED_ACKED)
	segLost                             // presumed lost (TCPCB_LOST)
	segRetrans                          // a retransmission of it is in flight (TCPCB_SACKED_RETRANS)
	segEverRetrans                      // sent more than once (TCPCB_EVER_RETRANS): Karn, RACK ambiguity
	segFin                              // carries the FIN
)

// txSeg is one sent segment, from its first byte to the byte after its
// last (the SYN and the FIN take one sequence number each).
type txSeg struct {
	start, end int64
	sentAt     sim.Time // its last transmission
	flags      segFlags
}

func (s *txSeg) has(f segFlags) bool { return s.flags&f != 0 }

// scoreboard is the sender's record of every segment sent and not yet
// cumulatively acknowledged, in sequence order and contiguous (RFC 6675's
// scoreboard; Linux's retransmission queue with its sacked_out, lost_out
// and retrans_out counters, kept here in segments and in bytes).
type scoreboard struct {
	segs ring.Queue[txSeg]

	sackedOut, lostOut, retransOut       int
	sackedBytes, lostBytes, retransBytes Bytes
	highSacked                           int64 // end of the highest segment ever SACKed; 0 = none

	// sent holds every transmission in the order sent (Linux's
	// tsorted_sent_queue), for RACK to walk from the oldest and stop at
	// the first one sent after the most recently delivered segment. An
	// entry is stale once its segment is acknowledged, SACKed, marked
	// lost or sent again (a newer entry then stands for it); stale
	// entries are dropped when they reach the front.
	sent ring.Queue[sentEntry]

	// lostHint is at or below the first segment marked lost and not yet
	// resent (Linux retransmit_skb_hint): retransmission starts there.
	lostHint int64

	// sackCache holds the previous ACK's SACK blocks (Linux
	// recv_sack_cache): what a block covered then is tagged already, so
	// only what it has grown by is walked.
	sackCache  [link.MaxSackBlocks]link.SackBlock
	nsackCache int32

	// first is the ordinal of segs.At(0), counting segments from the
	// connection's first, modulo 2^32 (see sentSeg); beside nsackCache
	// in one word, as Conn has no room to spare (TestConnSize).
	first uint32
}

// compactSent drops the stale transmissions from the sent list, keeping
// the order: called when stale entries outnumber live ones, so the cost
// is paid once per entry.
func (b *scoreboard) compactSent() {
	n := b.sent.Len()
	kept := 0
	for i := 0; i < n; i++ {
		e := *b.sent.At(i)
		if s := b.sentSeg(&e); s != nil && s.sentAt == e.sentAt && !s.has(segSacked) && !(s.has(segLost) && !s.has(segRetrans)) {
			*b.sent.At(kept) = e
			kept++
		}
	}
	for kept < b.sent.Len() {
		b.sent.DropBack()
	}
}

// sentEntry is one transmission of the segment starting at start, the
// segment with ordinal ord (see sentSeg).
type sentEntry struct {
	start  int64
	sentAt sim.Time
	ord    uint32
}

// noteSent records a transmission of segment s, segs.At(i) or, for one
// about to be pushed, i = segs.Len(), for RACK.
func (b *scoreboard) noteSent(s *txSeg, i int) {
	b.sent.Push(sentEntry{start: s.start, sentAt: s.sentAt, ord: b.first + uint32(i)})
}

// sentSeg returns the segment of transmission e if it is still on the
// scoreboard and still starts where it did, else nil: at(e.start), found
// by its ordinal instead of a binary search, for RACK's walk of every
// transmission on every ACK. A segment keeps its ordinal from push to
// removal at the front, and only the front one changes its start (when
// acknowledged in part), so the two agree. Ordinals wrap at 2^32, and
// the difference below is taken modulo 2^32: a segment gone from the
// front gives 2^32 less the segments removed since, beyond the
// scoreboard's length while those and the length add up to less than
// 2^32 (entries of gone segments leave the list within a window or so,
// and a window of 2^31 segments would hold 3 TB).
func (b *scoreboard) sentSeg(e *sentEntry) *txSeg {
	i := e.ord - b.first
	if uint64(i) >= uint64(b.segs.Len()) {
		return nil
	}
	if s := b.segs.At(int(i)); s.start == e.start {
		return s
	}
	return nil
}

// popFront drops the front segment (it holds no pointers, so its slot is
// not cleared).
func (b *scoreboard) popFront() { b.dropFront(1) }

// dropFront drops the n front segments.
func (b *scoreboard) dropFront(n int) {
	b.segs.DiscardN(n)
	b.first += uint32(n)
}

// packetsOut is the number of segments sent and not cumulatively
// acknowledged (Linux packets_out).
func (b *scoreboard) packetsOut() int { return b.segs.Len() }

// inFlight is Linux's tcp_packets_in_flight: packets_out - (sacked_out +
// lost_out) + retrans_out.
func (b *scoreboard) inFlight() int {
	return b.segs.Len() - b.sackedOut - b.lostOut + b.retransOut
}

// inFlightBytes is inFlight in bytes, for the outstanding range [una, hi).
func (b *scoreboard) inFlightBytes(una, hi int64) Bytes {
	return hi - una - b.sackedBytes - b.lostBytes + b.retransBytes
}

func (s *txSeg) bytes() Bytes { return s.end - s.start }

// set adds flag f to segment s, keeping the counters.
func (b *scoreboard) set(s *txSeg, f segFlags) {
	if s.flags&f != 0 {
		return
	}
	s.flags |= f
	b.count(s, f, 1)
}

// clear removes flag f from segment s, keeping the counters.
func (b *scoreboard) clear(s *txSeg, f segFlags) {
	if s.flags&f == 0 {
		return
	}
	s.flags &^= f
	b.count(s, f, -1)
}

func (b *scoreboard) count(s *txSeg, f segFlags, d int) {
	n := Bytes(d) * s.bytes()
	switch f {
	case segSacked:
		b.sackedOut += d
		b.sackedBytes += n
	case segLost:
		b.lostOut += d
		b.lostBytes += n
	case segRetrans:
		b.retransOut += d
		b.retransBytes += n
	}
}

// index returns the position of the first segment that ends after seq:
// the segment holding seq, or Len() if none. Segments are contiguous and
// in order, so a binary search finds it, in whichever of the ring's two
// runs of storage holds it.
func (b *scoreboard) index(seq int64) int {
	x, y := b.segs.Slices()
	if len(y) == 0 || x[len(x)-1].end > seq {
		return endsAfter(x, seq)
	}
	return len(x) + endsAfter(y, seq)
}

// indexNearEnd is index for a sequence number that is likely near the
// end of the scoreboard, as the new part of a SACK block is (the
// receiver reports the highest data it holds first): it gallops back
// from the last segment, doubling its steps, and then searches the range
// it found, so a block a few segments from the end costs a few steps
// instead of a search of the whole scoreboard.
func (b *scoreboard) indexNearEnd(seq int64) int {
	n := b.segs.Len()
	if n == 0 || b.segs.At(n-1).end <= seq {
		return n
	}
	hi := n - 1 // segs[hi] ends after seq
	lo, step := hi-1, 1
	for lo >= 0 && b.segs.At(lo).end > seq {
		hi = lo
		step *= 2
		lo = hi - step
	}
	// The answer is in (lo, hi]: segs[lo] (if any) ends at or before seq.
	l, h := max(lo+1, 0), hi
	for l < h {
		m := int(uint(l+h) >> 1)
		if b.segs.At(m).end <= seq {
			l = m + 1
		} else {
			h = m
		}
	}
	return l
}

// endsAfter returns the index of the first of segs that ends after seq,
// len(segs) if none.
func endsAfter(segs []txSeg, seq int64) int {
	lo, hi := 0, len(segs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if segs[m].end <= seq {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// forget drops segment s's marks from the counters as it leaves the
// scoreboard.
func (b *scoreboard) forget(s *txSeg) {
	if s.flags&(segSacked|segLost|segRetrans) == 0 {
		return // the common case: nothing counted
	}
	b.clear(s, segSacked)
	b.clear(s, segLost)
	b.clear(s, segRetrans)
}

// markedLost notes that s was marked lost, for the retransmission hint.
func (b *scoreboard) markedLost(s *txSeg) {
	if b.lostOut == 1 || s.start < b.lostHint {
		b.lostHint = s.start
	}
}

// reset empties the scoreboard.
func (b *scoreboard) reset() { *b = scoreboard{} }

// keptArrays holds the ring arrays of closed connections' scoreboards
// (each pair in an *sbArrays) for new connections, in this run or a later
// one of the process: a run of many short connections, or a sweep of many
// short runs, otherwise grows both rings of each connection from nothing
// (8, 16, 32, ... entries), about 7 KB of garbage per 100 KB transfer.
// Reuse is invisible to a run: a ring's capacity changes nothing but when
// it grows.
var keptArrays sync.Pool

// sbArrays is a closed connection's pair of ring arrays in keptArrays.
type sbArrays struct {
	segs []txSeg
	sent []sentEntry
}

// maxKeptLen bounds the arrays kept: at most 1024 entries (32 KB of
// txSeg), so that one long transfer's arrays do not stay for every short
// one after it.
const maxKeptLen = 1024

// keepArrays hands the arrays of b, about to be reset, to keptArrays, in
// one of the stack's spare holders.
func (st *Stack) keepArrays(b *scoreboard) {
	segs, sent := b.segs.TakeStorage(), b.sent.TakeStorage()
	if len(segs) > maxKeptLen {
		segs = nil
	}
	if len(sent) > maxKeptLen {
		sent = nil
	}
	if segs == nil && sent == nil {
		return
	}
	var h *sbArrays
	if n := len(st.spareArrays); n > 0 {
		h = st.spareArrays[n-1]
		st.spareArrays[n-1] = nil
		st.spareArrays = st.spareArrays[:n-1]
	} else {
		h = new(sbArrays)
	}
	h.segs, h.sent = segs, sent
	keptArrays.Put(h)
}

// reuseArrays gives b, a new connection's empty scoreboard, arrays from
// keptArrays if it has some, and keeps their holder for keepArrays.
func (st *Stack) reuseArrays(b *scoreboard) {
	h, _ := keptArrays.Get().(*sbArrays)
	if h == nil {
		return
	}
	if h.segs != nil {
		b.segs.UseStorage(h.segs)
	}
	if h.sent != nil {
		b.sent.UseStorage(h.sent)
	}
	h.segs, h.sent = nil, nil
	if len(st.spareArrays) < maxSpareHolders {
		st.spareArrays = append(st.spareArrays, h)
	}
}

// maxSpareHolders bounds a stack's spare holders: a stack with more
// connections closing at once than this allocates a holder for each
// beyond.
const maxSpareHolders = 64
