package httpmodel_test

import (
	"fmt"
	"time"

	"github.com/connsim/connsim/httpmodel"
	"github.com/connsim/connsim/sim/link"
)

// ExampleTopology puts a page's images on a second server, 100 ms
// further away than the page's own, and lets four users load it with
// one persistent connection per hostname. Each server answers its own
// hostnames (per user, the HTML and two images from the origin, three
// images from the cdn), and the far server costs the page one extra
// round trip of 100 ms for the connect and one for each of its three
// images in turn: 400 ms.
func ExampleTopology() {
	page := httpmodel.Page{HTML: 5000}
	for i := range 5 {
		host := "" // the page's own host, example.com
		if i%2 == 0 {
			host = "img.example.net"
		}
		page.Objects = append(page.Objects, httpmodel.Object{Host: host, Size: 2000})
	}
	for _, far := range []time.Duration{0, 100 * time.Millisecond} {
		cfg := httpmodel.DefaultConfig()
		cfg.Network = httpmodel.Network{RTT: 40 * time.Millisecond, Bandwidth: 100 * link.Mbps}
		cfg.Clients = []httpmodel.Population{{Name: "user", Count: 4, Page: page,
			Arrival: httpmodel.Arrival{Kind: httpmodel.Interval, Interval: time.Second},
			Model:   httpmodel.Model{Kind: httpmodel.Persistent}}}
		cfg.Topology = httpmodel.Topology{Servers: []httpmodel.ServerSite{
			{Name: "origin", Hosts: []string{"example.com"}},
			{Name: "cdn", Hosts: []string{"img.example.net"}, Link: httpmodel.Access{RTT: far}},
		}}
		m := httpmodel.Run(cfg, 1).Metrics
		fmt.Printf("cdn %3d ms further: PLT %5.1f ms", far.Milliseconds(), httpmodel.Milliseconds(m.PLT))
		for _, s := range m.Servers {
			fmt.Printf("  %s served %d", s.Name, s.RequestsServed)
		}
		fmt.Println()
	}
	// Output:
	// cdn   0 ms further: PLT 241.2 ms  origin served 12  cdn served 12
	// cdn 100 ms further: PLT 641.2 ms  origin served 12  cdn served 12
}
