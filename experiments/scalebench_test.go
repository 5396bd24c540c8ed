package experiments

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
)

// sweep3000Spec is issue 10's 3,000-run sweep: a 41-object page, six
// models at 500 round-trip times (connsim's BenchmarkRunSweep3000 runs it
// through the whole command).
func sweep3000Spec() string {
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

// BenchmarkSink3000 is the serial part of connsim run over the 3,000-run
// sweep, without the simulations: the results of every run, made once,
// written in run order as connsim run's sink writes them (results,
// requests, the summary streamed and spilled), to io.Discard. At
// --workers 2 this work shares the two cores with the runs.
func BenchmarkSink3000(b *testing.B) {
	s := mustLoad(b, sweep3000Spec())
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
	cpu0, cpuOK := processCPU()
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
	if cpu1, ok := processCPU(); ok && cpuOK {
		b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
