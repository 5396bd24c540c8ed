package tcp_test

import (
	"fmt"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
	"github.com/connsim/connsim/tcp"
)

// ExampleReno drives NewReno by hand for five round trips: the sender
// fills its window every round and the receiver acknowledges every second
// segment. Slow start doubles the window (byte counting, L = 2); a loss at
// the end of the third round halves it; congestion avoidance then adds one
// segment per round.
func ExampleReno() {
	const mss = 1460
	r := tcp.NewReno(tcp.CCConfig{MSS: mss, InitialWindow: 10 * mss})
	now := sim.Time(0)
	for rtt := 1; rtt <= 5; rtt++ {
		w := r.Window()
		for acked := tcp.Bytes(0); acked < w; acked += 2 * mss {
			r.OnAck(tcp.Ack{Now: now, Acked: min(2*mss, w-acked), PriorInFlight: w - acked,
				MaxInFlight: w, WindowLimited: true})
		}
		if rtt == 3 {
			r.OnCongestionEvent(now, r.Window())
			r.OnRecoveryExit(now)
		}
		state := "slow start"
		if !r.InSlowStart() {
			state = fmt.Sprintf("congestion avoidance, ssthresh %d", r.SSThresh()/mss)
		}
		fmt.Printf("after RTT %d: cwnd %3d segments (%s)\n", rtt, r.Window()/mss, state)
		now = now.Add(50 * time.Millisecond)
	}
	// Output:
	// after RTT 1: cwnd  20 segments (slow start)
	// after RTT 2: cwnd  40 segments (slow start)
	// after RTT 3: cwnd  40 segments (congestion avoidance, ssthresh 40)
	// after RTT 4: cwnd  41 segments (congestion avoidance, ssthresh 40)
	// after RTT 5: cwnd  42 segments (congestion avoidance, ssthresh 40)
}

// handler is the smallest tcp.Handler: it runs functions, if set, on
// Connected and Delivered.
type handler struct {
	connected func(c *tcp.Conn)
	delivered func(c *tcp.Conn, tag any)
}

func (h handler) Connected(c *tcp.Conn) {
	if h.connected != nil {
		h.connected(c)
	}
}

func (h handler) Delivered(c *tcp.Conn, tag any) {
	if h.delivered != nil {
		h.delivered(c, tag)
	}
}

func (handler) Closed(*tcp.Conn, tcp.CloseReason) {}

// ExampleEndpoint_Dial fetches 100 KB over a 10 Mbit/s path with a 50 ms
// round trip: one round trip of handshake (plus the SYN's and SYN-ACK's
// 32 us each on the wire), then the request, and the response in slow
// start from 10 segments (10, 20, 39 segments: three more round trips),
// plus the time the bytes take on the wire (1.2 ms a segment).
func ExampleEndpoint_Dial() {
	s := sim.New(1)
	net := link.New(s)
	client, server := net.AddNode("client"), net.AddNode("server")
	cfg := link.Config{Rate: 10 * link.Mbps, Delay: 25 * time.Millisecond}
	net.Connect(client, server, cfg, cfg)
	stack := tcp.NewStack(net)

	stack.Endpoint(server).Listen(80, tcp.DefaultConfig(), func(*tcp.Conn) tcp.Handler {
		return handler{delivered: func(c *tcp.Conn, tag any) { c.Send(100_000, "response") }}
	})
	stack.Endpoint(client).Dial(server.ID, 80, tcp.DefaultConfig(), handler{
		connected: func(c *tcp.Conn) {
			fmt.Printf("%v connected\n", s.Now())
			c.Send(400, "request")
		},
		delivered: func(c *tcp.Conn, tag any) {
			fmt.Printf("%v %v delivered (%d bytes)\n", s.Now(), tag, c.Stats().BytesDelivered)
			c.Close()
		},
	})
	s.Run()
	// Output:
	// 0.050083200s connected
	// 0.249923200s response delivered (100000 bytes)
}
