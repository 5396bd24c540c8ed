package capture

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket/layers"

	"github.com/connsim/connsim/httpmodel"
	"github.com/connsim/connsim/sim/link"
)

// TestTopologyVantages captures a world of several servers (a Topology:
// a core router, then each site's node) at the client, at the server
// and at the bottleneck, and checks that each packet is written once per vantage point
// (the core router and the sites' links forward it: they are not end
// hosts), that every HTTP request of every client is in the client file
// and in the server file, and that each request goes to the address of
// the node that serves its Host (the one HAR output gives as
// serverIPAddress).
func TestTopologyVantages(t *testing.T) {
	page := httpmodel.Page{HTML: 5000}
	for i := range 6 {
		host := ""
		if i%2 == 0 {
			host = "img.example.net"
		}
		page.Objects = append(page.Objects, httpmodel.Object{Host: host, Size: 4000})
	}
	const clients = 3
	cfg := httpmodel.DefaultConfig()
	cfg.Network = httpmodel.Network{RTT: 40 * time.Millisecond, Bandwidth: 100 * link.Mbps}
	cfg.Clients = []httpmodel.Population{{Name: "user", Count: clients, Page: page,
		Arrival: httpmodel.Arrival{Kind: httpmodel.Interval, Interval: 300 * time.Millisecond},
		Model:   httpmodel.Model{Kind: httpmodel.Persistent}}}
	cfg.Topology = httpmodel.Topology{Servers: []httpmodel.ServerSite{
		{Name: "origin", Hosts: []string{"example.com"}},
		{Name: "cdn", Hosts: []string{"img.example.net"}, Link: httpmodel.Access{RTT: 30 * time.Millisecond}},
	}}
	var bufs [3]bytes.Buffer
	recs := []*Recorder{New(&bufs[0], Options{Vantage: Client}), New(&bufs[1], Options{Vantage: Server}), New(&bufs[2], Options{Vantage: Bottleneck})}
	nodeOf := map[string]string{} // site name -> capture address
	cfg.Tap = func(tw httpmodel.TapWorld) link.Tracer {
		for _, n := range tw.Network.Nodes() {
			nodeOf[n.Name] = IP(n.ID)
		}
		return multi{recs[0].Tap(tw), recs[1].Tap(tw), recs[2].Tap(tw)}
	}
	res := httpmodel.Run(cfg, 1)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	serves := map[string]string{"example.com": nodeOf["origin"], "img.example.net": nodeOf["cdn"]}
	if serves["example.com"] == "" || serves["img.example.net"] == "" || serves["example.com"] == serves["img.example.net"] {
		t.Fatalf("site addresses %v", serves)
	}
	for i, v := range []Vantage{Client, Server, Bottleneck} {
		if err := recs[i].Close(); err != nil {
			t.Fatal(err)
		}
		seen := map[uint16]int{}
		requests := 0
		for _, p := range frames(t, bufs[i].Bytes(), PCAPNG) {
			ip := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
			seen[ip.Id]++
			if seen[ip.Id] == 2 {
				t.Errorf("%s: packet %d (%s -> %s) written twice", v, ip.Id, ip.SrcIP, ip.DstIP)
			}
			tcpl := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
			if !bytes.HasPrefix(tcpl.Payload, []byte("GET ")) {
				continue
			}
			requests++
			var host string
			for _, line := range strings.Split(string(tcpl.Payload), "\r\n") {
				if h, ok := strings.CutPrefix(line, "Host:"); ok {
					host = strings.TrimSpace(h)
				}
			}
			if want := serves[host]; ip.DstIP.String() != want {
				t.Errorf("%s: request for %q sent to %s, want %s (the node serving it)", v, host, ip.DstIP, want)
			}
		}
		if want := clients * (1 + len(page.Objects)); requests != want {
			t.Errorf("%s: %d HTTP requests, want %d (%d clients, %d each)", v, requests, want, clients, 1+len(page.Objects))
		}
	}
}
