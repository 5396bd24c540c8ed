package httpmodel

import (
	"slices"
	"testing"
	"time"

	"github.com/connsim/connsim/sim/link"
	"github.com/connsim/connsim/tcp"
)

// TestBindOnDial loads a 10-object page with six parallel connections
// over 100 ms / 10 Mbit/s. The HTML's connection answers object 1 and is
// free again (about 8 ms of serialization after its response) just before
// the five new connections finish their handshakes, whose SYN-ACKs queued
// behind that response. Binding late (the default), it takes object 2,
// the first waiting request. With BindOnDial, objects 2-6 wait for the
// connections dialled for them, and the HTML's connection takes object 7,
// as a client whose workers each take an object before they connect.
func TestBindOnDial(t *testing.T) {
	page := Page{HTML: 20 << 10, Objects: objects(10, 10<<10)}
	for _, tt := range []struct {
		bind bool
		want []int // objects on connection 1, in order (0 = the HTML)
	}{
		{false, []int{0, 1, 2}},
		{true, []int{0, 1, 7}},
	} {
		cfg := Config{
			ResponseHeaderBytes: 300, // 0 would be none
			Network:             Network{RTT: 100 * time.Millisecond, Bandwidth: 10 * link.Mbps},
			TCP:                 tcp.DefaultConfig(),
			Page:                page,
			Model:               Model{Kind: Parallel, BindOnDial: tt.bind},
		}
		res := Run(cfg, 1)
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		first := map[int]int{} // connection -> first object sent on it (requests are in issue order)
		for _, r := range res.Requests {
			if _, ok := first[r.Connection]; !ok {
				first[r.Connection] = r.Index
			}
		}
		// Connection 1's objects in send order.
		var got []int
		for len(got) < len(tt.want) {
			next, at := -1, time.Duration(-1)
			for _, r := range res.Requests {
				if r.Connection != 1 || slices.Contains(got, r.Index) {
					continue
				}
				if next < 0 || r.SentAt < at {
					next, at = r.Index, r.SentAt
				}
			}
			if next < 0 {
				break
			}
			got = append(got, next)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("BindOnDial=%v: connection 1 served objects %v first, want %v", tt.bind, got, tt.want)
		}
		if tt.bind {
			for c := 2; c <= 6; c++ {
				if first[c] != c {
					t.Errorf("BindOnDial: connection %d served object %d first, want %d (the one it was dialled for)", c, first[c], c)
				}
			}
		}
	}
}
