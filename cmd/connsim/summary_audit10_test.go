package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connsim/connsim/experiments"
)

// summaryOfResults recomputes summary.csv from the results.csv of the
// folder dir with the in-memory path (experiments.Summarize of every row
// at once), which shares no state with the summarizer that streams or
// spills the command's summary.
func summaryOfResults(t *testing.T, dir string) []byte {
	t.Helper()
	spec, err := experiments.LoadFile(filepath.Join(dir, "experiment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rr, err := experiments.NewResultsReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var rows []experiments.Row
	for {
		r, err := rr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	var b bytes.Buffer
	if err := experiments.WriteSummary(&b, spec, experiments.Summarize(rows), experiments.CSV); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// audit10SummarySpec has three points, two models and two repetitions:
// six summary groups of two runs, first and last groups included.
const audit10SummarySpec = `name: sumcheck
seed: 5
network: {bandwidth: 5Mbps, loss: 0.02}
page:
  html: 10KB
  objects: [{size: 8KB, count: 6}]
models: [persistent, parallel]
repeat: 2
sweep:
  network.rtt: [20ms, 60ms, 100ms]
`

// TestSummaryFileIsSummaryOfResults (audit of issue 10): summary.csv,
// which the command streams as the points finish (and spills to a file
// for the report), has one row per point and model, each the quartiles
// of that group's rows in results.csv: the same bytes the whole-table
// Summarize writes from results.csv. It holds for a whole run, for a
// merge of shards and for a run of one worker or several. No test
// caught the streamed summary dropping its last group (EndStream not
// finishing it), its first, or joining two points of one model.
func TestSummaryFileIsSummaryOfResults(t *testing.T) {
	t.Run("two models", func(t *testing.T) { checkSummaryOfResults(t, audit10SummarySpec, 7) })
	// One model: consecutive groups differ only in their point.
	oneModel := strings.Replace(audit10SummarySpec, "models: [persistent, parallel]", "models: [parallel]", 1)
	t.Run("one model", func(t *testing.T) { checkSummaryOfResults(t, oneModel, 4) })
}

func checkSummaryOfResults(t *testing.T, text string, lines int) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "sumcheck.yaml")
	if err := os.WriteFile(spec, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	whole1, whole3, s1, s2, merged := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	for _, args := range [][]string{
		{"run", spec, "--out", whole1, "--quiet", "--no-plots", "--workers", "1"},
		{"run", spec, "--out", whole3, "--quiet", "--workers", "3"},
		{"run", spec, "--out", s1, "--shard", "1/2", "--quiet"},
		{"run", spec, "--out", s2, "--shard", "2/2", "--quiet"},
		{"merge", filepath.Join(s2, "sumcheck"), filepath.Join(s1, "sumcheck"), "--out", merged, "--no-plots"},
	} {
		if code, _, e := runCLI(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, e)
		}
	}
	for _, d := range []string{whole1, whole3, merged} {
		d = filepath.Join(d, "sumcheck")
		got, err := os.ReadFile(filepath.Join(d, "summary.csv"))
		if err != nil {
			t.Fatal(err)
		}
		want := summaryOfResults(t, d)
		if n := strings.Count(string(want), "\n"); n != lines {
			t.Fatalf("the recomputed summary has %d lines, want a header and %d groups:\n%s", n, lines-1, want)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: summary.csv is not the summary of results.csv:\n got:\n%s\nwant:\n%s", d, got, want)
		}
	}
}
