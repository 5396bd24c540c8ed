package main

import (
	"bytes"
	"testing"

	"github.com/connsim/connsim/experiments"
)

// TestValueChecksAcceptLibraryRuns: the checks merge makes of a shard's
// values accept what connsim itself writes, for every model and setting
// of the built-in experiments (HTTP/1.0 and HTTP/2 headers, TLS, visits,
// sharding, loss): the runs at the first and last point, written to CSV
// and read back as merge reads them.
func TestValueChecksAcceptLibraryRuns(t *testing.T) {
	for _, e := range experiments.Library() {
		t.Run(e.Name, func(t *testing.T) {
			s, err := loadOne(e.Name)
			if err != nil {
				t.Fatal(err)
			}
			all, err := s.Runs()
			if err != nil {
				t.Fatal(err)
			}
			last := all[len(all)-1].Point.Index
			var runs []experiments.RunConfig
			for _, r := range all {
				if r.Point.Index == 0 || r.Point.Index == last {
					runs = append(runs, r)
				}
			}
			if testing.Short() {
				runs = runs[:min(len(runs), 8)]
			}
			results := experiments.RunAll(runs, experiments.RunOptions{})
			var rows []experiments.Row
			var reqs []experiments.RequestRow
			for _, r := range results {
				rows = append(rows, r.Row)
				reqs = append(reqs, r.Requests...)
			}
			var rb, qb bytes.Buffer
			if err := experiments.WriteResultsCSV(&rb, s, rows); err != nil {
				t.Fatal(err)
			}
			if err := experiments.WriteRequestsCSV(&qb, s, reqs); err != nil {
				t.Fatal(err)
			}
			rows, err = experiments.ReadResultsCSV(&rb)
			if err != nil {
				t.Fatal(err)
			}
			reqs, err = experiments.ReadRequestsCSV(&qb)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := s.Plan()
			if err != nil {
				t.Fatal(err)
			}
			if err := checkShardValues(s, "library/"+e.Name, plan, rows, reqs); err != nil {
				t.Errorf("%v", err)
			}
		})
	}
}
