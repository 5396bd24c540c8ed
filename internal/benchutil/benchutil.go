// Package benchutil holds what the benchmarks of several packages share:
// issue 10's 3,000-run sweep and the process CPU time that they report
// beside the wall time. Only tests import it.
package benchutil

import (
	"fmt"
	"strings"
)

// Sweep3000 is issue 10's 3,000-run sweep as an experiment file: a
// 41-object page, six models at 500 round-trip times (10 ms to 209.6 ms).
// experiments' BenchmarkSink3000 writes its rows without simulating;
// connsim's BenchmarkRunSweep3000 runs the whole command on it.
func Sweep3000() string {
	var rtts []string
	for i := range 500 {
		rtts = append(rtts, fmt.Sprintf("%gms", float64(100+4*i)/10))
	}
	return `name: s3000cm
seed: 1
network:
  rtt: 100ms
  bandwidth: 10Mbps
  queue: 256KB
page:
  html: 20KB
  objects:
    - count: 40
      size: 10KB
models: [short-lived, persistent, pipelined, parallel, sharded, http2]
sweep:
  network.rtt: [` + strings.Join(rtts, ", ") + `]
`
}
