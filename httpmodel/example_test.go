package httpmodel_test

import (
	"fmt"
	"time"

	"github.com/connsim/connsim/httpmodel"
	"github.com/connsim/connsim/sim/link"
	"github.com/connsim/connsim/tcp"
)

// ExampleRun loads a small page (a 5 KB HTML document and four 2 KB
// images) over a 10 Mbit/s path with a 100 ms round trip, once with one
// persistent connection and once with pipelining. Persistent pays one
// round trip per image after the handshake and the HTML (about 6 RTT);
// pipelining sends the four requests together and gets the four
// responses in one round trip (about 3 RTT). The rest is serialization at
// 10 Mbit/s (about 14 ms of packets on the critical path).
func ExampleRun() {
	page := httpmodel.Page{HTML: 5000}
	for range 4 {
		page.Objects = append(page.Objects, httpmodel.Object{Size: 2000})
	}
	for _, kind := range []httpmodel.Kind{httpmodel.Persistent, httpmodel.Pipelined} {
		res := httpmodel.Run(httpmodel.Config{
			ResponseHeaderBytes: 300, // 0 would be none
			Network:             httpmodel.Network{RTT: 100 * time.Millisecond, Bandwidth: 10 * link.Mbps},
			TCP:                 tcp.DefaultConfig(),
			Page:                page,
			Model:               httpmodel.Model{Kind: kind},
		}, 1)
		m := res.Metrics
		fmt.Printf("%-10s PLT %6.1f ms  connections %d  packets %d\n",
			kind, httpmodel.Milliseconds(m.PLT), m.Connections, m.Packets)
	}
	// Output:
	// persistent PLT  614.2 ms  connections 1  packets 32
	// pipelined  PLT  313.9 ms  connections 1  packets 30
}
