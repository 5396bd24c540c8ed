package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// sweep3000 is issue 10's 3,000-run sweep: a 41-object page, six models
// at 500 round-trip times.
func sweep3000() string {
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

// BenchmarkRunSweep3000 runs the whole command (connsim run --no-plots)
// on the 3,000-run sweep with 1 and 2 workers, at the command's GOGC of
// 400: the wall time of --workers 2 against --workers 1 is the runner's
// and the writer's scaling (issue 10 asks for 1.7x on two cores).
func BenchmarkRunSweep3000(b *testing.B) {
	dir := b.TempDir()
	spec := filepath.Join(dir, "s3000cm.yaml")
	if err := os.WriteFile(spec, []byte(sweep3000()), 0o644); err != nil {
		b.Fatal(err)
	}
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			out := filepath.Join(dir, fmt.Sprintf("out%d", workers))
			cpu0, cpuOK := processCPU()
			for b.Loop() {
				if code := run([]string{"run", spec, "--workers", fmt.Sprint(workers), "--no-plots", "--quiet", "--out", out}, io.Discard, io.Discard); code != exitOK {
					b.Fatalf("exit %d", code)
				}
			}
			b.ReportMetric(float64(3000*b.N)/b.Elapsed().Seconds(), "runs/s")
			if cpu1, ok := processCPU(); ok && cpuOK {
				b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
		})
	}
}
