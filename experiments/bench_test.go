package experiments

import (
	"fmt"
	"testing"
)

// BenchmarkRunConnectionModels runs every run of the built-in
// connection-models experiment (8 points x 6 models) with 1 and 2
// workers, and reports points and runs per wall second: the runner should
// keep both cores busy.
func BenchmarkRunConnectionModels(b *testing.B) {
	data, err := LibraryYAML("connection-models")
	if err != nil {
		b.Fatal(err)
	}
	s, err := Load("connection-models.yaml", data)
	if err != nil {
		b.Fatal(err)
	}
	runs, err := s.Runs()
	if err != nil {
		b.Fatal(err)
	}
	points := runs[len(runs)-1].Point.Index + 1
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			for b.Loop() {
				RunAll(runs, RunOptions{Workers: workers})
			}
			sec := b.Elapsed().Seconds()
			b.ReportMetric(float64(points*b.N)/sec, "points/s")
			b.ReportMetric(float64(len(runs)*b.N)/sec, "runs/s")
		})
	}
}
