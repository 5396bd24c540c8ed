package plots

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/connsim/connsim/experiments"
)

// Realistic-looking result sets made by hand for tests and previews. The
// numbers only need the shapes of real results; they are not simulated.

var fixtureModels = []string{
	"short-lived", "persistent", "pipelined",
	"parallel(connections=6)", "sharded(shards=3,connections=6)", "http2",
}

// fixtureLineRows is 6 models x RTT 20..200 ms x repeat runs, with page
// load times from about 300 ms to 8000 ms and some spread.
func fixtureLineRows(repeat int) []experiments.Row {
	rng := rand.New(rand.NewPCG(1, 2))
	rtts := []float64{20, 50, 100, 150, 200}
	rounds := []float64{38, 21, 6, 9, 7, 5} // RTTs per load, per model
	var rows []experiments.Row
	idx := 0
	for _, rtt := range rtts {
		for m, model := range fixtureModels {
			for run := range repeat {
				noise := 1.0
				if repeat > 1 {
					noise = 1 + 0.08*rng.NormFloat64()
				}
				plt := (rounds[m]*rtt + 250) * noise
				rows = append(rows, experiments.Row{
					Index: idx, Model: model, Run: run, Seed: uint64(run + 1),
					Point: []experiments.AxisValue{{Key: "network.rtt", Value: rtt, Text: fmt.Sprintf("%gms", rtt)}},
					Metrics: experiments.Metrics{
						PLTMS: plt, Connections: int64([]int{41, 1, 1, 6, 18, 1}[m]),
						HandshakesMS: rtt * float64([]int{41, 1, 1, 6, 18, 1}[m]),
						Packets:      int64(900 + 20*m), Bytes: 440_000 + int64(m)*1000,
						ServerConnS: plt / 1000 * float64([]int{1, 1, 1, 6, 18, 1}[m]),
						Events:      12345, RevisitPLTMS: math.NaN(),
					},
				})
				idx++
			}
		}
	}
	return rows
}

// fixtureWaterfall is one browser-like load: a 20 KB HTML page, then 40
// objects of about 10 KB on up to 6 persistent connections (41 requests).
func fixtureWaterfall() []experiments.RequestRow {
	const rtt = 100.0
	point := []experiments.AxisValue{{Key: "network.rtt", Value: rtt, Text: "100ms"}}
	var reqs []experiments.RequestRow
	add := func(r experiments.RequestRow) {
		r.Model, r.Point, r.Run = "parallel(connections=6)", point, 0
		r.Host = "www.example.com"
		r.EndMS = r.StartMS + r.QueuedMS + r.DNSMS + r.ConnectMS + r.TLSMS + r.SendMS + r.WaitMS + r.ReceiveMS
		reqs = append(reqs, r)
	}
	add(experiments.RequestRow{Request: 0, Connection: 1, Bytes: 20_300, StartMS: 0, DNSMS: 20, ConnectMS: rtt, SendMS: 0.3, WaitMS: rtt, ReceiveMS: 45})
	htmlEnd := reqs[0].EndMS
	free := []float64{htmlEnd} // connection 1 is free when the HTML is in
	for i := 1; i <= 40; i++ {
		size := int64(10_300 + (i%7)*1500)
		// Take the connection that frees first, or open a new one.
		best := -1
		for c := range free {
			if best < 0 || free[c] < free[best] {
				best = c
			}
		}
		r := experiments.RequestRow{Request: i, Bytes: size, StartMS: htmlEnd, SendMS: 0.3, WaitMS: rtt, ReceiveMS: 8 + float64(size)/1300}
		switch {
		case free[best] <= htmlEnd:
			r.Connection = best + 1
			free[best] = math.Inf(1)
		case len(free) < 6:
			free = append(free, 0)
			best = len(free) - 1
			r.Connection = best + 1
			r.ConnectMS = rtt
		default:
			r.Connection = best + 1
			r.QueuedMS = free[best] - htmlEnd
		}
		r.EndMS = r.StartMS + r.QueuedMS + r.ConnectMS + r.SendMS + r.WaitMS + r.ReceiveMS
		free[best] = r.EndMS
		add(r)
	}
	return reqs
}

// fixtureTrace is one persistent connection: slow start from IW=10, a
// loss at about 600 ms (ssthresh set, cwnd halved), congestion avoidance,
// an idle gap of 1.5 s and a restart to the initial window; plus a second,
// short connection.
func fixtureTrace() experiments.Trace {
	const mss = 1460
	tr := experiments.Trace{
		Model: "persistent",
		Point: []experiments.AxisValue{{Key: "network.rtt", Value: 100, Text: "100ms"}, {Key: "network.bandwidth", Value: 10e6, Text: "10Mbps"}},
	}
	c := experiments.ConnTrace{Connection: 1, Host: "www.example.com", OpenMS: 0, CloseMS: math.NaN()}
	unset := int64(1) << 62
	cwnd, ss := float64(10*mss), unset
	sample := func(t float64) {
		c.Cwnd = append(c.Cwnd, experiments.CwndSample{TimeMS: t, Cwnd: int64(cwnd), SSThresh: ss})
	}
	t := 100.0
	for ; t < 450; t += 25 { // slow start: doubles per 100 ms RTT
		sample(t)
		cwnd *= 1.1892
	}
	ss = int64(cwnd / 2) // a loss: halve, set ssthresh
	cwnd = float64(ss)
	for ; t < 1500; t += 100 { // congestion avoidance: one MSS per RTT
		sample(t)
		cwnd += mss
	}
	c.ResponseEndsMS = []float64{320, 910, 1480}
	cwnd = 10 * mss // idle for 1.5 s: restart from the initial window
	for t = 3000; t < 3500; t += 25 {
		sample(t)
		if cwnd < float64(ss) {
			cwnd *= 1.1892
		} else {
			cwnd += mss / 4
		}
	}
	c.ResponseEndsMS = append(c.ResponseEndsMS, 3350)

	// Segments for the time-sequence plot: the first response (60 KB)
	// in slow start, with segment 12 lost and fast-retransmitted.
	seq, ack := int64(1), int64(1)
	send := func(at float64, drop bool) {
		c.Segments = append(c.Segments, experiments.SegmentSample{TimeMS: at, Seq: seq, Len: mss, Dropped: drop})
		seq += mss
	}
	for i := range 10 {
		send(100+float64(i)*1.2, false)
	}
	for i := range 10 {
		ack += mss
		c.Segments = append(c.Segments, experiments.SegmentSample{TimeMS: 200 + float64(i)*1.2, Ack: ack, FromClient: true})
		send(200+float64(i)*1.2, i == 1)
		if i%3 == 0 {
			send(200.6+float64(i)*1.2, false)
		}
	}
	lost := int64(1 + 11*mss)
	for i := range 6 {
		c.Segments = append(c.Segments, experiments.SegmentSample{TimeMS: 300 + float64(i)*1.2, Ack: lost, FromClient: true})
	}
	c.Segments = append(c.Segments, experiments.SegmentSample{TimeMS: 303.6, Seq: lost, Len: mss, Retransmit: true})
	c.Segments = append(c.Segments, experiments.SegmentSample{TimeMS: 404, Ack: seq, FromClient: true})
	c.Segments = append(c.Segments, experiments.SegmentSample{TimeMS: 405, Ack: seq, FromClient: true, Dropped: true})
	tr.Conns = append(tr.Conns, c)

	c2 := experiments.ConnTrace{Connection: 2, Host: "static.example.com", OpenMS: 700, CloseMS: 1400}
	w := int64(10 * mss)
	for t := 800.0; t < 1200; t += 50 {
		c2.Cwnd = append(c2.Cwnd, experiments.CwndSample{TimeMS: t, Cwnd: w, SSThresh: unset})
		w += w / 2
	}
	c2.ResponseEndsMS = []float64{1000, 1150}
	tr.Conns = append(tr.Conns, c2)
	return tr
}

// fixtureSummary is a small summary table for the report.
func fixtureSummary() ([]string, [][]string) {
	header := []string{"network.rtt", "model", "runs", "plt_ms_median", "plt_ms_p25", "plt_ms_p75"}
	var rows [][]string
	for _, m := range fixtureModels[:3] {
		rows = append(rows, []string{"100", m, "5", "1234.5", "1200", "1300"})
	}
	return header, rows
}

// fixtureVisits is a page of one 60 KB HTML and four 10 KB objects,
// loaded twice on one persistent connection with readingMS of idle time
// between the loads, as a trace and its request rows. Request rows count
// time from the start of their visit, the trace from the start of the
// run. The server closes the idle connection 5 s after the second load,
// so the trace runs on well past the last response.
func fixtureVisits(readingMS float64) (experiments.Trace, []experiments.RequestRow) {
	const mss, rtt = 1460, 100.0
	point := []experiments.AxisValue{{Key: "client.reading_time", Value: readingMS, Text: fmt.Sprintf("%gms", readingMS)}}
	tr := experiments.Trace{Model: "persistent", Point: point}
	c := experiments.ConnTrace{Connection: 1, Host: "www.example.com", OpenMS: 0}
	unset := int64(1) << 50
	var reqs []experiments.RequestRow
	cwnd := float64(10 * mss)
	visitStart := 0.0
	for v := range 2 {
		// The first visit opens the connection (one RTT), the second
		// reuses it after a restart to the initial window.
		t := 0.0
		if v == 0 {
			t = rtt
		}
		cwnd = 10 * mss
		for k := range 5 {
			size := int64(10_000)
			if k == 0 {
				size = 60_000
			}
			r := experiments.RequestRow{Model: "persistent", Point: point, Request: len(reqs), Visit: v,
				Host: c.Host, Connection: 1, Bytes: size, StartMS: t, SendMS: 0.2, WaitMS: rtt}
			if v == 0 && k == 0 {
				r.StartMS, r.ConnectMS = 0, rtt
			}
			// Slow start: the window doubles each round trip it is used.
			rounds := 1
			for sent := cwnd; sent < float64(size); sent += cwnd * math.Pow(2, float64(rounds)) {
				rounds++
			}
			for i := range rounds {
				at := visitStart + t + rtt*float64(i+1) - rtt/2
				c.Cwnd = append(c.Cwnd, experiments.CwndSample{TimeMS: at, Cwnd: int64(cwnd), SSThresh: unset})
				cwnd = min(cwnd*2, 200_000)
			}
			r.ReceiveMS = rtt * float64(rounds-1)
			r.EndMS = r.StartMS + r.ConnectMS + r.SendMS + r.WaitMS + r.ReceiveMS
			c.ResponseEndsMS = append(c.ResponseEndsMS, visitStart+r.EndMS)
			// The last ACKs reach the server half an RTT later.
			c.Cwnd = append(c.Cwnd, experiments.CwndSample{TimeMS: visitStart + r.EndMS + rtt/2, Cwnd: int64(cwnd), SSThresh: unset})
			t = r.EndMS
			reqs = append(reqs, r)
		}
		visitStart += t + readingMS
	}
	last := c.ResponseEndsMS[len(c.ResponseEndsMS)-1]
	c.CloseMS = last + 5000
	tr.Conns = append(tr.Conns, c)
	return tr, reqs
}
