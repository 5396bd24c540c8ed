package experiments

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func loadTestdata(t *testing.T, name string) (*Spec, []RunConfig) {
	t.Helper()
	s, err := LoadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("LoadFile(%s): %v", name, err)
	}
	runs, err := s.Runs()
	if err != nil {
		t.Fatalf("Runs: %v", err)
	}
	return s, runs
}

// csvOf runs the experiment and returns results.csv, summary.csv and
// requests.csv as bytes.
func csvOf(t *testing.T, s *Spec, runs []RunConfig, workers int) (results, summary, requests []byte) {
	t.Helper()
	res := RunAll(runs, RunOptions{Workers: workers, Trace: s.WantsTrace})
	rows := make([]Row, len(res))
	var reqs []RequestRow
	for i, r := range res {
		rows[i] = r.Row
		reqs = append(reqs, r.Requests...)
	}
	var a, b, c bytes.Buffer
	if err := WriteResultsCSV(&a, s, rows); err != nil {
		t.Fatal(err)
	}
	if err := WriteSummaryCSV(&b, s, rows); err != nil {
		t.Fatal(err)
	}
	if err := WriteRequestsCSV(&c, s, reqs); err != nil {
		t.Fatal(err)
	}
	return a.Bytes(), b.Bytes(), c.Bytes()
}

// TestGoldenTinyExperiment runs testdata/tiny.yaml (2 RTTs x 4 models x 3
// repetitions, with 1% loss so that seeds matter) and compares its
// results.csv and summary.csv byte for byte with the golden files. A
// change to the model that moves any number shows up here; -update
// rewrites the files after the change has been reviewed.
func TestGoldenTinyExperiment(t *testing.T) {
	s, runs := loadTestdata(t, "tiny.yaml")
	results, summary, _ := csvOf(t, s, runs, 2)
	golden(t, "tiny.results.golden.csv", results)
	golden(t, "tiny.summary.golden.csv", summary)
}

// TestParallelEqualsSerial runs the same experiment with 1 and 4 workers
// and requires byte-identical results, summary and requests files: the
// runner's parallelism must not reach the output.
func TestParallelEqualsSerial(t *testing.T) {
	s, runs := loadTestdata(t, "tiny.yaml")
	r1, s1, q1 := csvOf(t, s, runs, 1)
	r4, s4, q4 := csvOf(t, s, runs, 4)
	if !bytes.Equal(r1, r4) || !bytes.Equal(s1, s4) || !bytes.Equal(q1, q4) {
		t.Fatalf("1 and 4 workers differ:\nresults: %s\nsummary: %s\nrequests: %s",
			lineDiff(string(r4), string(r1)), lineDiff(string(s4), string(s1)), lineDiff(string(q4), string(q1)))
	}
}

// TestRunsDifferBySeedOnlyWithLoss checks that the repetitions of a lossy
// experiment differ (the seeds reach the loss streams) while the models
// of one repetition share their seed (common random numbers).
func TestRunsDifferBySeedOnlyWithLoss(t *testing.T) {
	s, runs := loadTestdata(t, "tiny.yaml")
	res := RunAll(runs, RunOptions{Workers: 2})
	seen := map[float64]bool{}
	for _, r := range res {
		if r.Row.Model == "persistent" && r.Row.Point[0].Value == 80 {
			seen[r.Row.PLTMS] = true
		}
		if r.Row.Seed != RunSeed(s.Seed, r.Row.Run) {
			t.Errorf("run %d: seed %d, want RunSeed(%d, %d) = %d", r.Row.Index, r.Row.Seed, s.Seed, r.Row.Run, RunSeed(s.Seed, r.Row.Run))
		}
	}
	if len(seen) < 2 {
		t.Errorf("3 lossy repetitions gave %d distinct page load times, want at least 2", len(seen))
	}
}

// TestRunLimitFailsThatRunOnly gives runs a tiny event budget: every row
// must carry the error and NaN metrics must not break the writers.
func TestRunLimitFailsThatRunOnly(t *testing.T) {
	s, err := Load("limit.yaml", []byte("name: limit\nlimits: {max_events: 20}\nmodels: [persistent]\n"))
	if err != nil {
		t.Fatal(err)
	}
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	res := RunAll(runs, RunOptions{Workers: 1})
	if len(res) != 1 || !strings.Contains(res[0].Row.Err, "max_events") {
		t.Fatalf("row error = %q, want one mentioning max_events", res[0].Row.Err)
	}
	var buf bytes.Buffer
	if err := WriteResultsCSV(&buf, s, []Row{res[0].Row}); err != nil {
		t.Fatalf("WriteResultsCSV of a failed run: %v", err)
	}
	if !strings.Contains(buf.String(), "max_events") {
		t.Errorf("results.csv does not carry the error:\n%s", buf.String())
	}
}
