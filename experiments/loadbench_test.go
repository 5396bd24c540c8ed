package experiments

import (
	"fmt"
	"strings"
	"testing"
)

// sweepYAML returns an experiment with the given numbers of values on
// network.rtt and (when bw > 0) network.bandwidth: the shape of the
// sweeps of issue 10.
func sweepYAML(rtts, bws int) []byte {
	var b strings.Builder
	b.WriteString("name: big\nnetwork: {rtt: 20ms, bandwidth: 10Mbps}\npage:\n  html: 10KB\n  objects:\n    - {count: 2, size: 5KB}\nmodels: [persistent]\nsweep:\n  network.rtt: [")
	for i := range rtts {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%dus", 1000+i)
	}
	b.WriteString("]\n")
	if bws > 0 {
		b.WriteString("  network.bandwidth: [")
		for i := range bws {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%dKbps", 1000+i)
		}
		b.WriteString("]\n")
	}
	return []byte(b.String())
}

// BenchmarkLoad loads a sweep and expands it into runs: what connsim run
// does before the first run starts.
func BenchmarkLoad(b *testing.B) {
	for _, c := range []struct {
		name     string
		rtt, bws int
	}{{"1x1000", 1000, 0}, {"1x10000", 10000, 0}, {"100x100", 100, 100}} {
		data := sweepYAML(c.rtt, c.bws)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				s, err := Load("big.yaml", data)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.Runs(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
