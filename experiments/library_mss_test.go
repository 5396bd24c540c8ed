package experiments_test

import (
	"fmt"
	"testing"

	"github.com/connsim/connsim/experiments"
)

// mss-packing: the packets the client sends with data are a step
// function of the request size r, with p payload bytes per segment
// (mss less the 12-byte timestamp option). Persistent sends each request
// alone, after the previous response: ceil(r/p) segments per request.
// Pipelined sends the HTML request alone and then the object requests
// in one write, one byte stream that TCP cuts into full segments:
// ceil(r/p) + ceil(n·r/p). Below p about p/r requests share a segment,
// so pipelined sends fewer packets than requests; persistent never
// does.
func TestLibraryMSSPacking(t *testing.T) {
	s := libLoad(t, "mss-packing")
	p := int64(s.TCP.MSS)
	if s.TCP.Timestamps {
		p -= 12
	}
	if len(s.Page.Objects) != 1 || s.Page.Objects[0].Count < 2 {
		t.Fatalf("want one kind of object, many of them: %+v", s.Page.Objects)
	}
	n := int64(s.Page.Objects[0].Count)
	requests := float64(n + 1)
	ceil := func(a, b int64) int64 { return (a + b - 1) / b }
	res := libRun(t, s, libKeep{"http.request_bytes": {"100", "300", "1500", "3000"}}, 0)
	for _, r := range []int64{100, 300, 1500, 3000} {
		at := fmt.Sprintf("http.request_bytes=%d", r)
		pipe := libClientDataPackets(t, res, "pipelined", at)
		pers := libClientDataPackets(t, res, "persistent", at)
		if want := ceil(r, p) + ceil(n*r, p); pipe != want {
			t.Errorf("%d-byte requests: pipelined sent %d data packets, want ceil(%d/%d) + ceil(%d·%d/%d) = %d", r, pipe, r, p, n, r, p, want)
		}
		if want := (n + 1) * ceil(r, p); pers != want {
			t.Errorf("%d-byte requests: persistent sent %d data packets, want %d requests × ceil(%d/%d) = %d", r, pers, n+1, r, p, want)
		}
		if r < p {
			// About p/r requests per segment: the packing ratio.
			perPacket := requests / float64(pipe)
			if lo := float64(p/r) / 2; perPacket < lo {
				t.Errorf("%d-byte requests: pipelined packs %.1f requests per packet, want at least %.1f (about %d/%d)", r, perPacket, lo, p, r)
			}
			if pers != int64(requests) {
				t.Errorf("%d-byte requests: persistent sent %d packets for %v requests, want one each", r, pers, requests)
			}
		}
		if pipe >= pers {
			t.Errorf("%d-byte requests: pipelined %d data packets, persistent %d: want packing to save packets", r, pipe, pers)
		}
	}
}

// libClientDataPackets returns client_data_packets of the one run of
// model at a point.
func libClientDataPackets(t *testing.T, res []experiments.Result, model string, at ...string) int64 {
	t.Helper()
	for _, r := range res {
		if libAt(r.Row, model, at...) {
			return r.Row.Metrics.ClientDataPackets
		}
	}
	t.Fatalf("no run of %q at %v", model, at)
	return 0
}
