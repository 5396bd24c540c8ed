package linuxref

import (
	"testing"

	"github.com/connsim/connsim/tcp"
)

// TestMappingMatchesReference checks the instrument itself against what
// the reference recorded: the wire format's sizes (the lossless runs of
// the detail file carry 78-byte keep-alive and 73-byte short-lived
// requests, 66- and 61-byte response headers for 10 KiB bodies), every
// page's HTML and total bytes, and three runs per point.
func TestMappingMatchesReference(t *testing.T) {
	for _, c := range []struct {
		short     bool
		req, resp int64
	}{{false, 78, 66}, {true, 73, 61}} {
		if got := RequestBytes(10*KiB, c.short); got != c.req {
			t.Errorf("request for 10 KiB (short-lived %v): %d bytes, want %d", c.short, got, c.req)
		}
		if got := ResponseHeaderBytes(10*KiB, c.short); got != c.resp {
			t.Errorf("response header for 10 KiB (short-lived %v): %d bytes, want %d", c.short, got, c.resp)
		}
	}
	runs, err := ReadPageLoads("testdata/pageloads-reno.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 702 {
		t.Errorf("%d runs, want 702", len(runs))
	}
	for _, r := range runs {
		p := PageFor(r.Page)
		total := p.HTML
		for _, o := range p.Objects {
			total += o.Size
		}
		if p.HTML != r.HTMLBytes || total != r.TotalBytes {
			t.Fatalf("%s: html %d, total %d bytes; reference %d, %d", r.Page, p.HTML, total, r.HTMLBytes, r.TotalBytes)
		}
	}
	pts := PagePoints(runs)
	if len(pts) != 234 {
		t.Errorf("%d points, want 234", len(pts))
	}
	for _, p := range pts {
		if len(p.Runs) != 3 {
			t.Errorf("%s: %d runs, want 3", p.PageKey, len(p.Runs))
		}
		if cfg := PageConfig(p.PageKey); cfg.Network.QueuePackets != p.QueuePkts || cfg.TCP.SMSS() != 1448 || cfg.TCP.HeaderBytes+tcp.TimestampOptionBytes != 52 {
			t.Errorf("%s: queue %d packets, MSS %d, header %d bytes", p.PageKey, cfg.Network.QueuePackets, cfg.TCP.MSS, cfg.TCP.HeaderBytes)
		}
	}
	wc, err := ReadWarmCold("testdata/warm-cold.csv")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(WarmColdPoints(wc)); len(wc) != 720 || n != 240 {
		t.Errorf("%d warm-cold runs in %d points, want 720 in 240", len(wc), n)
	}
}
