package experiments

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// writerSpec sweeps one duration and one text key, with two models and
// two repetitions.
const writerSpec = `name: writers
repeat: 2
models: [persistent, {pipelined: {label: "pipe, deep"}}]
sweep:
  network.rtt: [20ms, 100ms]
  tcp.cc: [newreno, cubic]
`

// handRows builds result rows by hand for writerSpec: every run of the
// first point and of the last; the last point's pipelined run 1 failed.
func handRows(t *testing.T, s *Spec) []Row {
	t.Helper()
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	var rows []Row
	for _, r := range runs {
		if r.Point.Index != 0 && r.Point.Index != 3 {
			continue
		}
		k := float64(r.Index)
		row := Row{
			Index: r.Index, Model: r.Model.Label, Point: r.Point.Axes, Run: r.Rep, Seed: r.Seed,
			Metrics: Metrics{
				PLTMS: 100 + k/3, Connections: int64(1 + r.ModelIndex), HandshakesMS: 20.0000004,
				Packets: 50 + int64(r.Index), Bytes: 1 << 40, Retransmits: int64(r.Rep),
				ServerConnS: 0.1 + 0.2, Events: 12345678901, RevisitPLTMS: math.NaN(),
			},
		}
		if r.Rep == 1 {
			row.RevisitPLTMS = -0.0000001 // rounds to 0, written without a sign
		}
		if r.Point.Index == 3 && r.ModelIndex == 1 && r.Rep == 1 {
			row.Err = "max_sim_time 10m exceeded"
		}
		rows = append(rows, row)
	}
	// Writers order by Index whatever order the rows come in.
	rows[0], rows[len(rows)-1] = rows[len(rows)-1], rows[0]
	return rows
}

func handRequests(s *Spec) []RequestRow {
	pts, _ := s.Points()
	return []RequestRow{
		{Model: "persistent", Point: pts[0].Axes, Run: 0, Request: 0, Host: "example.com", Connection: 1, Bytes: 20300,
			StartMS: 0, DNSMS: 0, ConnectMS: 20, SendMS: 0.032, WaitMS: 20, ReceiveMS: 16.123456789, EndMS: 56.155456789},
		{Model: "pipe, deep", Point: pts[3].Axes, Run: 1, Request: 1, Visit: 1, Host: "a,b.example.com", Connection: 2, Bytes: 10300,
			StartMS: 1e6 / 3, TLSMS: 200, WaitMS: math.NaN(), QueuedMS: 1.5},
	}
}

// TestWritersGolden compares every writer's output for hand-built rows
// with the golden files in testdata (go test -update rewrites them).
func TestWritersGolden(t *testing.T) {
	s := mustLoad(t, writerSpec)
	rows := handRows(t, s)
	reqs := handRequests(s)
	for _, tc := range []struct {
		file  string
		write func(io.Writer) error
	}{
		{"writers.results.csv", func(w io.Writer) error { return WriteResultsCSV(w, s, rows) }},
		{"writers.results.json", func(w io.Writer) error { return WriteResultsJSON(w, s, rows) }},
		{"writers.summary.csv", func(w io.Writer) error { return WriteSummaryCSV(w, s, rows) }},
		{"writers.summary.json", func(w io.Writer) error { return WriteSummaryJSON(w, s, rows) }},
		{"writers.requests.csv", func(w io.Writer) error { return WriteRequestsCSV(w, s, reqs) }},
		{"writers.requests.json", func(w io.Writer) error { return WriteRequestsJSON(w, s, reqs) }},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.write(&buf); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.file, buf.Bytes())
		})
	}
}

// TestResultsHeader checks the exact column order of results.csv.
func TestResultsHeader(t *testing.T) {
	s := mustLoad(t, writerSpec)
	got := strings.Join(ResultsHeader(s), ",")
	want := "model,network.rtt,tcp.cc,run,seed,plt_ms,connections,handshakes_ms,packets,bytes,retransmits,drops,server_conn_s,events,revisit_plt_ms,error"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestSummarizeQuartiles checks the empirical quartiles on known data and
// that failed runs and NaN values are left out.
func TestSummarizeQuartiles(t *testing.T) {
	var rows []Row
	for i, v := range []float64{40, 10, 30, 20, 1000} {
		r := Row{Index: i, Model: "m", Metrics: Metrics{PLTMS: v, RevisitPLTMS: math.NaN()}}
		if v == 1000 {
			r.Err = "failed"
		}
		rows = append(rows, r)
	}
	sum := Summarize(rows)
	if len(sum) != 1 {
		t.Fatalf("got %d groups, want 1", len(sum))
	}
	if got, want := sum[0].Stats[0], (Quartiles{P25: 10, Median: 20, P75: 30}); got != want {
		t.Errorf("plt_ms: got %+v, want %+v", got, want)
	}
	if sum[0].Runs != 4 || sum[0].Failed != 1 {
		t.Errorf("got runs %d failed %d, want 4 and 1", sum[0].Runs, sum[0].Failed)
	}
	if q := sum[0].Stats[9]; !math.IsNaN(q.Median) {
		t.Errorf("revisit_plt_ms: got %+v, want NaN", q)
	}
}

// TestWritersRejectMismatchedPoint checks that rows whose swept keys do
// not match the spec are an error, not a misaligned file.
func TestWritersRejectMismatchedPoint(t *testing.T) {
	s := mustLoad(t, writerSpec)
	rows := []Row{{Model: "persistent", Point: []AxisValue{{Key: "network.rtt", Value: 20}}}}
	err := WriteResultsCSV(io.Discard, s, rows)
	if err == nil || !strings.Contains(err.Error(), "has 1 swept values, the spec sweeps 2 keys") {
		t.Errorf("got %v, want a swept-values mismatch", err)
	}
}

// TestReadResultsCSVRoundTrip checks that results.csv reads back to the
// rows that were written (failed runs' metrics aside) and writes again to
// the same bytes.
func TestReadResultsCSVRoundTrip(t *testing.T) {
	s := mustLoad(t, writerSpec)
	rows := handRows(t, s)
	var first bytes.Buffer
	if err := WriteResultsCSV(&first, s, rows); err != nil {
		t.Fatal(err)
	}
	back, err := ReadResultsCSV(bytes.NewReader(first.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(rows) {
		t.Fatalf("got %d rows, want %d", len(back), len(rows))
	}
	if err := s.IndexRows(back); err != nil {
		t.Fatal(err)
	}
	want := map[int]Row{}
	for _, r := range rows {
		want[r.Index] = r
	}
	for _, got := range back {
		w := want[got.Index]
		if got.Model != w.Model || got.Run != w.Run || got.Seed != w.Seed || got.Err != w.Err {
			t.Errorf("run %d: got %s/%d/%d/%q, want %s/%d/%d/%q", got.Index, got.Model, got.Run, got.Seed, got.Err, w.Model, w.Run, w.Seed, w.Err)
		}
		for i := range w.Point {
			if got.Point[i].Key != w.Point[i].Key || got.Point[i].Value != w.Point[i].Value {
				t.Errorf("run %d: axis %d got %+v, want %+v", got.Index, i, got.Point[i], w.Point[i])
			}
		}
		if w.Err == "" && (got.Connections != w.Connections || got.Bytes != w.Bytes || got.Events != w.Events ||
			math.Abs(got.PLTMS-w.PLTMS) > 5e-7) {
			t.Errorf("run %d: got metrics %+v, want %+v", got.Index, got.Metrics, w.Metrics)
		}
	}
	var second bytes.Buffer
	if err := WriteResultsCSV(&second, s, back); err != nil {
		t.Fatal(err)
	}
	if second.String() != first.String() {
		t.Errorf("rewritten file differs:\n%s", lineDiff(second.String(), first.String()))
	}
}

// TestReadRequestsCSVRoundTrip checks that requests.csv reads back and
// writes again to the same bytes, in run order after SortRequestRows.
func TestReadRequestsCSVRoundTrip(t *testing.T) {
	s := mustLoad(t, writerSpec)
	reqs := handRequests(s)
	var first bytes.Buffer
	if err := WriteRequestsCSV(&first, s, reqs); err != nil {
		t.Fatal(err)
	}
	back, err := ReadRequestsCSV(bytes.NewReader(first.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	// Shards may come in any order; sorting restores run order.
	back[0], back[1] = back[1], back[0]
	if err := s.SortRequestRows(back); err != nil {
		t.Fatal(err)
	}
	var second bytes.Buffer
	if err := WriteRequestsCSV(&second, s, back); err != nil {
		t.Fatal(err)
	}
	if second.String() != first.String() {
		t.Errorf("rewritten file differs:\n%s", lineDiff(second.String(), first.String()))
	}
}

// TestReadResultsCSVErrors checks that malformed files are reported and
// that a file without the extension column error still reads.
func TestReadResultsCSVErrors(t *testing.T) {
	header := "model,run,seed,plt_ms,connections,handshakes_ms,packets,bytes,retransmits,drops,server_conn_s,events,revisit_plt_ms"
	rows, err := ReadResultsCSV(strings.NewReader(header + "\nm,0,1,1,1,2,3,4,5,6,7,8,\n"))
	if err != nil || len(rows) != 1 || rows[0].Events != 8 || !math.IsNaN(rows[0].RevisitPLTMS) {
		t.Errorf("got %+v, %v; want one row with events 8 and no revisit time", rows, err)
	}
	for _, tc := range []struct{ in, want string }{
		{"", "empty file"},
		{"run,model\n", "the first column must be model"},
		{"model,x\n", "no run column"},
		{"model,run,seed,plt_ms\nm,0,1,5\n", "results.csv: no connections column"},
		{header + "\nm,0,1,fast,1,2,3,4,5,6,7,8,\n", `results.csv:2: plt_ms: "fast" is not a number`},
		{header + "\nm,0,1,1,1,2,3,4,5,6,7,8,nine\n", `results.csv:2: revisit_plt_ms: "nine" is not a number`},
		{header + "\nm,x,1,1,1,2,3,4,5,6,7,8,\n", `results.csv:2: run: "x" is not a whole number`},
		{header + "\nm,0,-1,1,1,2,3,4,5,6,7,8,\n", `results.csv:2: seed: "-1" is not a seed`},
		{"model,run,seed,plt_ms\nm,0,1\n", "wrong number of fields"},
	} {
		_, err := ReadResultsCSV(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}

// TestIndexRowsRejectsStrangers checks that a row matching no run, or a
// run twice, is an error.
func TestIndexRowsRejectsStrangers(t *testing.T) {
	s := mustLoad(t, writerSpec)
	rows := handRows(t, s)
	stranger := append([]Row(nil), rows...)
	stranger[0].Model = "nobody"
	if err := s.IndexRows(stranger); err == nil || !strings.Contains(err.Error(), "matches no run") {
		t.Errorf("got %v, want a matches-no-run error", err)
	}
	twice := append(append([]Row(nil), rows...), rows[0])
	if err := s.IndexRows(twice); err == nil || !strings.Contains(err.Error(), "repeats a run") {
		t.Errorf("got %v, want a repeats-a-run error", err)
	}
}

// TestWriteFileAtomicLeavesNoPartialFile checks that a failing or
// panicking writer leaves the old file and no temporary file, and that a
// successful write replaces the file.
func TestWriteFileAtomicLeavesNoPartialFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "results.csv")
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk on fire")
	err := WriteFileAtomic(path, func(w io.Writer) error {
		io.WriteString(w, strings.Repeat("partial,", 100000))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want the writer's error", err)
	}
	checkDir(t, dir, path, "old\n")

	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not pass through")
			}
		}()
		WriteFileAtomic(path, func(w io.Writer) error {
			io.WriteString(w, "partial")
			panic("writer bug")
		})
	}()
	checkDir(t, dir, path, "old\n")

	if err := WriteFileAtomic(path, func(w io.Writer) error {
		_, err := io.WriteString(w, "new\n")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	checkDir(t, dir, path, "new\n")
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("got mode %v (%v), want 0644", fi.Mode(), err)
	}

	if err := WriteFileAtomic(filepath.Join(dir, "no-dir", "x.csv"), func(io.Writer) error { return nil }); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

// checkDir checks that dir holds only path, with the given content.
func checkDir(t *testing.T, dir, path, want string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !reflect.DeepEqual(names, []string{filepath.Base(path)}) {
		t.Errorf("directory holds %v, want only %s", names, filepath.Base(path))
	}
	got, _ := os.ReadFile(path)
	if string(got) != want {
		t.Errorf("file holds %q, want %q", got, want)
	}
}

// TestSummaryMarksPartialRuns: runs that did not run ("not run",
// "interrupted") are counted apart from failed ones in a not_run column,
// which only a partial run's summary has; a whole run's summary keeps
// its columns.
func TestSummaryMarksPartialRuns(t *testing.T) {
	s := mustLoad(t, "name: p\n")
	row := func(i int, err string) Row {
		r := Row{Index: i, Model: "persistent", Metrics: Metrics{PLTMS: float64(10 * (i + 1)), RevisitPLTMS: math.NaN()}, Err: err}
		if err != "" {
			r.Metrics = nanMetrics()
		}
		return r
	}
	whole := []Row{row(0, ""), row(1, "boom")}
	var b strings.Builder
	if err := WriteSummaryCSV(&b, s, whole); err != nil {
		t.Fatal(err)
	}
	header, data, _ := strings.Cut(b.String(), "\n")
	if strings.Contains(header, "not_run") || !strings.HasSuffix(header, ",failed") || !strings.HasSuffix(data, ",1\n") {
		t.Errorf("whole run: got\n%s", b.String())
	}

	partial := []Row{row(0, ""), row(1, "boom"), row(2, NotRun), row(3, Interrupted)}
	b.Reset()
	if err := WriteSummaryCSV(&b, s, partial); err != nil {
		t.Fatal(err)
	}
	header, data, _ = strings.Cut(b.String(), "\n")
	if !strings.HasSuffix(header, ",failed,not_run") || !strings.HasSuffix(data, ",1,2\n") {
		t.Errorf("partial run: got\n%s\nwant failed 1 and not_run 2 at the end", b.String())
	}
	if sum := Summarize(partial); sum[0].Runs != 1 || sum[0].Failed != 1 || sum[0].NotRun != 2 {
		t.Errorf("got runs %d failed %d not run %d, want 1, 1, 2", sum[0].Runs, sum[0].Failed, sum[0].NotRun)
	}
}

// TestRequestsWriterRowPrefix: the requests writer copies the cells
// model to run from the row before when they are the same, and makes them
// again when the model, the run or a swept value changes, even in a point
// slice the caller reuses and changes: each row is written as a writer
// that has written nothing before writes it, in CSV and JSON.
func TestRequestsWriterRowPrefix(t *testing.T) {
	s := mustLoad(t, writerSpec)
	pts, err := s.Points()
	if err != nil {
		t.Fatal(err)
	}
	shared := slices.Clone(pts[0].Axes)
	var rows []RequestRow
	add := func(model string, point []AxisValue, run int) {
		rows = append(rows, RequestRow{Model: model, Point: point, Run: run, Request: len(rows), Host: "example.com",
			Connection: 1, Bytes: 100, StartMS: float64(len(rows)) / 3, EndMS: 10})
	}
	add("persistent", pts[0].Axes, 0)
	add("persistent", pts[0].Axes, 0)
	add("persistent", pts[0].Axes, 1) // the run changes
	add("pipe, deep", pts[0].Axes, 1) // the model
	add("pipe, deep", pts[1].Axes, 1) // a swept value
	add("pipe, deep", pts[1].Axes, 1)
	add("pipe, deep", shared, 1) // the values of pts[0], in another slice
	add("pipe, deep", shared, 1)
	shared2 := shared                      // the same slice, its value changed below
	rows = append(rows, rows[len(rows)-1]) // (the row is copied; its Point shares shared's array)
	rows[len(rows)-1].Point = shared2
	for _, f := range []Format{CSV, JSON} {
		// Each row's line as a fresh writer writes it; the slice's
		// value changes before the last row is written.
		var lines []string
		var header, tail string
		var all bytes.Buffer
		qw, err := NewRequestsWriter(&all, s, f)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			if i == len(rows)-1 {
				shared[0].Value = pts[3].Axes[0].Value
			}
			var one bytes.Buffer
			w, err := NewRequestsWriter(&one, s, f)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if err := qw.Write(r); err != nil {
				t.Fatal(err)
			}
			text := one.String()
			if f == CSV {
				h, line, _ := strings.Cut(text, "\n")
				header, tail = h+"\n", ""
				lines = append(lines, line)
			} else {
				header, tail = "[", "\n]\n"
				lines = append(lines, strings.TrimSuffix(strings.TrimPrefix(text, "["), "\n]\n"))
			}
		}
		if err := qw.Close(); err != nil {
			t.Fatal(err)
		}
		want := header + strings.Join(lines, map[Format]string{CSV: "", JSON: ","}[f]) + tail
		if all.String() != want {
			t.Errorf("format %d: rows written one after another:\n%s\nwant:\n%s", f, all.String(), want)
		}
		if !strings.Contains(all.String(), fmtExact(pts[3].Axes[0].Value)) {
			t.Errorf("format %d: the changed swept value %v is not written", f, pts[3].Axes[0].Value)
		}
		shared[0].Value = pts[0].Axes[0].Value
	}
}
