package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"

	"github.com/connsim/connsim/internal/benchutil"
)

// BenchmarkRunSweep3000 runs the whole command (connsim run --no-plots)
// on the 3,000-run sweep with 1 and 2 workers, at the command's GOGC of
// 400: the wall time of --workers 2 against --workers 1 is the runner's
// and the writer's scaling (issue 10 asks for 1.7x on two cores).
func BenchmarkRunSweep3000(b *testing.B) {
	dir := b.TempDir()
	spec := filepath.Join(dir, "s3000cm.yaml")
	if err := os.WriteFile(spec, []byte(benchutil.Sweep3000()), 0o644); err != nil {
		b.Fatal(err)
	}
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			out := filepath.Join(dir, fmt.Sprintf("out%d", workers))
			cpu0, cpuOK := benchutil.ProcessCPU()
			for b.Loop() {
				if code := run([]string{"run", spec, "--workers", fmt.Sprint(workers), "--no-plots", "--quiet", "--out", out}, io.Discard, io.Discard); code != exitOK {
					b.Fatalf("exit %d", code)
				}
			}
			b.ReportMetric(float64(3000*b.N)/b.Elapsed().Seconds(), "runs/s")
			if cpu1, ok := benchutil.ProcessCPU(); ok && cpuOK {
				b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
		})
	}
}
