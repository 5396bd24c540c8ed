package plots_test

import (
	"fmt"

	"github.com/connsim/connsim/experiments"
	"github.com/connsim/connsim/plots"
)

// ExampleSeriesFromRows groups three runs of one model at two bandwidths
// and prints the median and quartiles in display units (Mbit/s and KB).
func ExampleSeriesFromRows() {
	at := func(bps float64, text string) []experiments.AxisValue {
		return []experiments.AxisValue{{Key: "network.bandwidth", Value: bps, Text: text}}
	}
	rows := []experiments.Row{
		{Index: 0, Model: "persistent", Point: at(10e6, "10Mbps"), Run: 0, Metrics: experiments.Metrics{Bytes: 450_000}},
		{Index: 1, Model: "persistent", Point: at(10e6, "10Mbps"), Run: 1, Metrics: experiments.Metrics{Bytes: 470_000}},
		{Index: 2, Model: "persistent", Point: at(10e6, "10Mbps"), Run: 2, Metrics: experiments.Metrics{Bytes: 520_000}},
		{Index: 3, Model: "persistent", Point: at(1e6, "1Mbps"), Run: 0, Metrics: experiments.Metrics{Bytes: 440_000}},
	}
	series, err := plots.SeriesFromRows(rows, plots.Query{X: "network.bandwidth", Y: "bytes"})
	if err != nil {
		fmt.Println(err)
		return
	}
	yu, _ := plots.MetricUnit("bytes")
	fmt.Printf("x: %s, y: %s\n", plots.KeyUnit("network.bandwidth").Label(), yu.Label())
	for _, s := range series {
		for _, p := range s.Points {
			fmt.Printf("%s at %g (%s): n=%d median=%g p25=%g p75=%g\n", s.Label, p.X, p.XText, p.N, p.Median, p.P25, p.P75)
		}
	}
	// Output:
	// x: bandwidth (Mbit/s), y: bytes on the wire (KB)
	// persistent at 1 (1Mbps): n=1 median=440 p25=440 p75=440
	// persistent at 10 (10Mbps): n=3 median=470 p25=450 p75=520
}
