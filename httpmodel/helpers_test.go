package httpmodel

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/connsim/connsim/sim/link"
	"github.com/connsim/connsim/tcp"
)

// Conventions of the acceptance tests.
//
// Most scenarios run on a "fast" path: 1 Gbit/s each way, no queue limit,
// no loss, default TCP (IW 10 segments of 1460 bytes, delayed ACKs, NewReno)
// and default HTTP sizes (400-byte requests, 300-byte response headers).
// There a page load is a chain of round trips, and its time is k·R plus
// the time packets spend being serialized or queued behind other packets.
//
// Serialization bound. Every step of the critical path is either instant
// (agents answer at once, callbacks run at the same virtual time) or one
// trip through a pipe: queueing + serialization + R/2 of propagation. The
// trips of one chain follow each other in time, so on each pipe their
// queueing and serialization lie in disjoint intervals during which that
// pipe was busy. The pipes are busy, in total, for the serialization time
// of every byte sent, Metrics.Bytes·8/rate. Hence
//
//	k·R <= time <= k·R + Metrics.Bytes·8/rate
//
// where k counts the round trips of the chain. Both sides are tight enough
// to tell k from k±1 (the bound is microseconds against milliseconds),
// and any timer on the path (a 40 ms delayed ACK, a 200 ms RTO) breaks
// the upper side: the tests also check that no such timer crept in.

const fastRate = link.Gbps

// fastConfig returns a run configuration on the fast path with round-trip
// time rtt.
func fastConfig(kind Kind, rtt time.Duration, page Page) Config {
	return Config{
		ResponseHeaderBytes: 300, // 0 would be none
		Network:             Network{RTT: rtt, Bandwidth: fastRate},
		TCP:                 tcp.DefaultConfig(),
		Page:                page,
		Model:               Model{Kind: kind},
	}
}

// objects returns n objects of size bytes on the page's host.
func objects(n int, size int64) []Object {
	o := make([]Object, n)
	for i := range o {
		o[i].Size = size
	}
	return o
}

// serialization is the bound above for a run on a path of the given rate
// (both directions).
func serialization(res *Result, rate link.Bandwidth) time.Duration {
	return rate.TxTime(res.Metrics.Bytes)
}

// rounds checks that got lies in [k·rtt, k·rtt + slack].
func rounds(t *testing.T, what string, got time.Duration, k float64, rtt, slack time.Duration) {
	t.Helper()
	want := time.Duration(k * float64(rtt))
	if got < want || got > want+slack {
		t.Errorf("%s = %v, want %v RTT = %v (+ at most %v of serialization)", what, got, k, want, slack)
	}
}

// within checks that got lies in [want, want + slack]: a chain of round
// trips and fixed delays (DNS, think time) whose sum is want, plus
// serialization.
func within(t *testing.T, what string, got, want, slack time.Duration) {
	t.Helper()
	if got < want || got > want+slack {
		t.Errorf("%s = %v, want %v (+ at most %v of serialization)", what, got, want, slack)
	}
}

// mustRun runs cfg and fails the test if the run reports an error or a
// request was not answered exactly once.
func mustRun(t *testing.T, cfg Config, seed uint64) *Result {
	t.Helper()
	res := Run(cfg, seed)
	if res.Err != nil {
		t.Fatalf("Run: Err = %v, want nil\n%s", res.Err, describe(res))
	}
	answeredOnce(t, res)
	return res
}

// answeredOnce checks that the timings hold each request index exactly
// once, and that every request finished (End >= 0) without failing.
func answeredOnce(t *testing.T, res *Result) {
	t.Helper()
	if err := checkRequests(res, false); err != nil {
		t.Fatalf("%v\n%s", err, describe(res))
	}
}

// checkRequests checks the request rows of res: each index 0..n-1 once,
// each row finished (End >= 0), failed rows allowed only if allowFailed
// and then counted in Metrics.Failed; answered rows have phases that add
// up to End-Start, and a first byte and a send time within their span.
func checkRequests(res *Result, allowFailed bool) error {
	seen := make([]bool, len(res.Requests))
	failed := 0
	for _, r := range res.Requests {
		if r.Index < 0 || r.Index >= len(seen) {
			return fmt.Errorf("request index %d out of range [0, %d)", r.Index, len(seen))
		}
		if seen[r.Index] {
			return fmt.Errorf("request %d appears twice", r.Index)
		}
		seen[r.Index] = true
		if r.End < 0 {
			return fmt.Errorf("request %d: End = %v, want >= 0 (never finished)", r.Index, r.End)
		}
		if r.Failed {
			if !allowFailed {
				return fmt.Errorf("request %d: Failed = true, want false", r.Index)
			}
			failed++
			continue
		}
		if err := phasesAddUp(r); err != nil {
			return err
		}
	}
	if failed != res.Metrics.Failed {
		return fmt.Errorf("%d request rows failed, Metrics.Failed = %d", failed, res.Metrics.Failed)
	}
	return nil
}

// phasesAddUp checks a HAR-like timeline: every phase >= 0 and
// queued+dns+connect+tls+send+wait+receive == end-start.
func phasesAddUp(r Timing) error {
	phases := []time.Duration{r.Queued, r.DNS, r.Connect, r.TLS, r.Send, r.Wait, r.Receive}
	var sum time.Duration
	for _, p := range phases {
		if p < 0 {
			return fmt.Errorf("request %d: negative phase in %+v", r.Index, r)
		}
		sum += p
	}
	if sum != r.End-r.Start {
		return fmt.Errorf("request %d: phases add up to %v, want End-Start = %v (%+v)", r.Index, sum, r.End-r.Start, r)
	}
	if r.SentAt < r.Start || r.FirstByte < r.SentAt || r.End < r.FirstByte {
		return fmt.Errorf("request %d: want Start <= SentAt <= FirstByte <= End, got %v %v %v %v",
			r.Index, r.Start, r.SentAt, r.FirstByte, r.End)
	}
	return nil
}

// describe prints a run's metrics and request rows, for failure messages.
func describe(res *Result) string {
	var b strings.Builder
	m := res.Metrics
	fmt.Fprintf(&b, "metrics: plt=%v revisit=%v conns=%d packets=%d bytes=%d retransmits=%d drops=%d refused=%d replayed=%d failed=%d err=%v\n",
		m.PLT, m.RevisitPLT, m.Connections, m.Packets, m.Bytes, m.Retransmits, m.Drops, m.Refused, m.Replayed, m.Failed, res.Err)
	for _, r := range res.Requests {
		fmt.Fprintf(&b, "  #%-3d v%d %-22s c%-2d %-4s start=%v sent=%v first=%v end=%v attempts=%d failed=%v\n",
			r.Index, r.Visit, r.Host, r.Connection, r.Method, r.Start, r.SentAt, r.FirstByte, r.End, r.Attempts, r.Failed)
	}
	return b.String()
}
