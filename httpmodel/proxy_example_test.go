package httpmodel_test

import (
	"fmt"
	"time"

	"github.com/connsim/connsim/httpmodel"
	"github.com/connsim/connsim/sim/link"
)

// ExampleProxySite puts an edge (a reverse proxy) 20 ms from ten users
// and 100 ms from the origin, and lets it keep its connections to the
// origin open (persistent) or not (short-lived). The users' own
// connections, six each, end at the edge either way; what the edge does
// on its hop decides whether the later users find warm connections to
// the origin: with reuse the edge opens 13 connections for the 70
// requests (the first users' at once), without it one per request, each
// a connect of 100 ms more on the upstream hop (200 ms a request
// against 116), and the median page takes 200 ms longer.
func ExampleProxySite() {
	for _, up := range []httpmodel.Kind{httpmodel.Persistent, httpmodel.ShortLived} {
		cfg := httpmodel.DefaultConfig()
		cfg.Network = httpmodel.Network{Bandwidth: 100 * link.Mbps}
		cfg.Clients = []httpmodel.Population{{Name: "user", Count: 10,
			Arrival: httpmodel.Arrival{Kind: httpmodel.Interval, Interval: 200 * time.Millisecond},
			Page:    httpmodel.Page{HTML: 10_000, Objects: []httpmodel.Object{{Size: 5000}, {Size: 5000}, {Size: 5000}, {Size: 5000}, {Size: 5000}, {Size: 5000}}},
			Model:   httpmodel.Model{Kind: httpmodel.Parallel},
			Access:  httpmodel.Access{RTT: 20 * time.Millisecond}}}
		cfg.Topology = httpmodel.Topology{
			Servers: []httpmodel.ServerSite{{Name: "origin", Hosts: []string{"example.com"}, Link: httpmodel.Access{RTT: 100 * time.Millisecond}}},
			Proxies: []httpmodel.ProxySite{{Name: "edge", Hosts: []string{"example.com"}, Model: httpmodel.Model{Kind: up, Connections: 16}}},
		}
		m := httpmodel.Run(cfg, 1).Metrics
		p := m.Proxies[0]
		fmt.Printf("%-11v upstream: median PLT %5.1f ms, user connections %d, edge connections %2d (%.1f requests each), %5.1f ms upstream per request\n",
			up, httpmodel.Milliseconds(m.PLT), m.Connections, p.Connections, p.ReusePerConnection(), httpmodel.Milliseconds(p.Upstream))
	}
	// Output:
	// persistent  upstream: median PLT 283.2 ms, user connections 60, edge connections 13 (5.4 requests each), 116.0 ms upstream per request
	// short-lived upstream: median PLT 483.7 ms, user connections 60, edge connections 70 (1.0 requests each), 200.0 ms upstream per request
}
