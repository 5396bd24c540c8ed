package experiments

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"testing"

	"github.com/connsim/connsim/internal/benchutil"
)

// BenchmarkSink3000 is the serial part of connsim run over the 3,000-run
// sweep, without the simulations: the results of every run, made once,
// written in run order as connsim run's sink writes them (results,
// requests, the summary streamed and spilled), to io.Discard. At
// --workers 2 this work shares the two cores with the runs.
func BenchmarkSink3000(b *testing.B) {
	s := mustLoad(b, benchutil.Sweep3000())
	plan, err := s.Plan()
	if err != nil {
		b.Fatal(err)
	}
	var results []Result
	var rcs []RunConfig
	if err := RunPlan(plan, RunOptions{Workers: 2}, func(rc RunConfig, r Result) error {
		results = append(results, r)
		rcs = append(rcs, rc)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	spill, err := os.CreateTemp(b.TempDir(), "spill")
	if err != nil {
		b.Fatal(err)
	}
	defer spill.Close()
	cpu0, cpuOK := benchutil.ProcessCPU()
	for b.Loop() {
		bufs := [3]*bufio.Writer{}
		for i := range bufs {
			bufs[i] = bufio.NewWriterSize(io.Discard, 64<<10)
		}
		rw, err := NewResultsWriter(bufs[0], s, CSV)
		if err != nil {
			b.Fatal(err)
		}
		qw, err := NewRequestsWriter(bufs[1], s, CSV)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := spill.Seek(0, io.SeekStart); err != nil {
			b.Fatal(err)
		}
		var sum Summarizer
		sum.Spill(spill)
		if err := sum.Stream(bufs[2], s, CSV); err != nil {
			b.Fatal(err)
		}
		for _, r := range results {
			if err := rw.Write(r.Row); err != nil {
				b.Fatal(err)
			}
			for _, q := range r.Requests {
				if err := qw.Write(q); err != nil {
					b.Fatal(err)
				}
			}
			if err := sum.Add(r.Row); err != nil {
				b.Fatal(err)
			}
		}
		if err := rw.Close(); err != nil {
			b.Fatal(err)
		}
		if err := qw.Close(); err != nil {
			b.Fatal(err)
		}
		if ok, err := sum.EndStream(); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(results)), "ns/run")
	if cpu1, ok := benchutil.ProcessCPU(); ok && cpuOK {
		b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkRunPlan3000 is the parallel part of connsim run over the
// 3,000-run sweep: every run simulated by RunPlan's workers, handed in
// order to a sink that keeps nothing, at the command's GOGC of 400. The
// wall time of workers=2 against workers=1 is how the simulations alone
// scale on two cores, the ceiling for the whole command's scaling
// (BenchmarkRunSweep3000 in cmd/connsim adds the sink, the files and
// the command's start and end).
func BenchmarkRunPlan3000(b *testing.B) {
	s := mustLoad(b, benchutil.Sweep3000())
	plan, err := s.Plan()
	if err != nil {
		b.Fatal(err)
	}
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			cpu0, cpuOK := benchutil.ProcessCPU()
			runs := 0
			for b.Loop() {
				if err := RunPlan(plan, RunOptions{Workers: workers}, func(RunConfig, Result) error {
					runs++
					return nil
				}); err != nil {
					b.Fatal(err)
				}
			}
			if runs != plan.Len()*b.N {
				b.Fatalf("%d runs delivered, want %d", runs, plan.Len()*b.N)
			}
			b.ReportMetric(float64(runs)/b.Elapsed().Seconds(), "runs/s")
			if cpu1, ok := benchutil.ProcessCPU(); ok && cpuOK {
				b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
		})
	}
}
