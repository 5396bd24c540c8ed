package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/connsim/connsim/experiments"
)

// TestFiguresSameForAnyWorkers draws the figures of testdata/small.yaml
// (one of each kind) and of the library's connection-models with one
// worker and with four, and requires every file to be byte-identical and
// the figures to come back in the same order: drawing in parallel must
// not change the output (issue 10).
func TestFiguresSameForAnyWorkers(t *testing.T) {
	for _, spec := range []string{"testdata/small.yaml", "connection-models"} {
		t.Run(filepath.Base(spec), func(t *testing.T) {
			if testing.Short() && spec == "connection-models" {
				t.Skip("-short")
			}
			s, err := loadOne(spec)
			if err != nil {
				t.Fatal(err)
			}
			runs, err := s.Runs()
			if err != nil {
				t.Fatal(err)
			}
			results := experiments.RunAll(runs, experiments.RunOptions{Workers: 2, Trace: s.WantsTrace})
			plan, err := s.Plan()
			if err != nil {
				t.Fatal(err)
			}
			var rows []experiments.Row
			var reqs []experiments.RequestRow
			traces := map[int]*experiments.Trace{}
			for _, r := range results {
				rows = append(rows, r.Row)
				reqs = append(reqs, r.Requests...)
				if r.Trace != nil {
					traces[r.Row.Index] = r.Trace
				}
			}
			draw := func(workers int) (string, []string) {
				dir := t.TempDir()
				figs, skipped, cut, err := makeFigures(s, dir, rows, reqs, traces, plan, false, nil, workers)
				if err != nil || cut || len(skipped) > 0 {
					t.Fatalf("workers %d: err %v, cut %v, skipped %q", workers, err, cut, skipped)
				}
				if len(figs) != len(s.Plots) {
					t.Fatalf("workers %d: %d figures, want %d", workers, len(figs), len(s.Plots))
				}
				var names []string
				for _, f := range figs {
					names = append(names, f.Name)
				}
				return filepath.Join(dir, "plots"), names
			}
			dir1, names1 := draw(1)
			dir4, names4 := draw(4)
			if !slices.Equal(names1, names4) {
				t.Fatalf("figure order: workers 1 gave %q, workers 4 gave %q", names1, names4)
			}
			files, err := os.ReadDir(dir1)
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != 2*len(s.Plots) {
				t.Errorf("%d files with workers 1, want %d (png and svg per plot)", len(files), 2*len(s.Plots))
			}
			for _, f := range files {
				a, err := os.ReadFile(filepath.Join(dir1, f.Name()))
				if err != nil {
					t.Fatal(err)
				}
				b, err := os.ReadFile(filepath.Join(dir4, f.Name()))
				if err != nil {
					t.Errorf("workers 4 did not write %s: %v", f.Name(), err)
					continue
				}
				if !bytes.Equal(a, b) {
					t.Errorf("%s differs between workers 1 (%d bytes) and 4 (%d bytes)", f.Name(), len(a), len(b))
				}
			}
		})
	}
}

// TestClaimAllPrefix: a stop (a signal) or a failed job ends the claims,
// and the jobs that ran are always a prefix of the indices, each run to
// its end, for any number of workers; so the report lists the figures
// drawn, in order, and then "plots k to n, not drawn".
func TestClaimAllPrefix(t *testing.T) {
	for _, workers := range []int{1, 2, 4} {
		for _, how := range []string{"stop", "fail"} {
			stop := new(atomic.Bool)
			done := make([]bool, 10)
			n := claimAll(10, workers, stop, func(i int) bool {
				done[i] = true
				if i == 3 && how == "stop" {
					stop.Store(true)
				}
				return !(i == 3 && how == "fail")
			})
			if n < 4 || n > 3+workers {
				t.Errorf("workers %d, %s: %d claimed, want 4 to %d", workers, how, n, 3+workers)
			}
			for i, d := range done {
				if d != (i < n) {
					t.Errorf("workers %d, %s: job %d ran = %v, want %v (%d claimed)", workers, how, i, d, i < n, n)
				}
			}
		}
	}
}
