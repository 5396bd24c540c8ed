package experiments

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sync/atomic"
	"testing"
)

// streamFiles runs the experiment through RunStream and the row writers,
// as connsim run writes its folder, and returns results, summary and
// requests in the given format. With more than one worker the summary's
// rows go through a spill file (Summarizer.Spill), as connsim run's do.
func streamFiles(t testing.TB, s *Spec, runs []RunConfig, opt RunOptions, f Format) (results, summary, requests []byte) {
	t.Helper()
	var a, b, c bytes.Buffer
	rw, err := NewResultsWriter(&a, s, f)
	if err != nil {
		t.Fatal(err)
	}
	qw, err := NewRequestsWriter(&c, s, f)
	if err != nil {
		t.Fatal(err)
	}
	var sum Summarizer
	if opt.Workers != 1 {
		f, err := os.CreateTemp(t.TempDir(), "spill")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sum.Spill(f)
	}
	err = RunStream(runs, opt, func(r Result) error {
		if err := rw.Write(r.Row); err != nil {
			return err
		}
		for _, q := range r.Requests {
			if err := qw.Write(q); err != nil {
				return err
			}
		}
		return sum.Add(r.Row)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := rw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := qw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sum.WriteSummary(&b, s, f); err != nil {
		t.Fatal(err)
	}
	return a.Bytes(), b.Bytes(), c.Bytes()
}

// TestStreamEqualsWholeTables: the streaming path (RunStream with a
// reorder buffer of 1 and of 2, 1 and 3 workers, rows written as they
// come) writes the same bytes as the whole-table writers over RunAll's
// results, in CSV and JSON.
func TestStreamEqualsWholeTables(t *testing.T) {
	s, runs := loadTestdata(t, "tiny.yaml")
	res, sum, req := csvOf(t, s, runs, 2)
	for _, opt := range []RunOptions{{Workers: 1, Ahead: 1}, {Workers: 3, Ahead: 2}, {Workers: 3}} {
		a, b, c := streamFiles(t, s, runs, opt, CSV)
		name := fmt.Sprintf("workers %d, ahead %d", opt.Workers, opt.Ahead)
		for _, f := range []struct {
			name      string
			got, want []byte
		}{{"results", a, res}, {"summary", b, sum}, {"requests", c, req}} {
			if !bytes.Equal(f.got, f.want) {
				t.Errorf("%s: streamed %s.csv differs from the whole-table writer's:\n%s", name, f.name, lineDiff(string(f.got), string(f.want)))
			}
		}
	}
	whole := RunAll(runs, RunOptions{Workers: 2})
	var rows []Row
	var reqs []RequestRow
	for _, r := range whole {
		rows = append(rows, r.Row)
		reqs = append(reqs, r.Requests...)
	}
	var wa, wb, wc bytes.Buffer
	if err := WriteResultsJSON(&wa, s, rows); err != nil {
		t.Fatal(err)
	}
	if err := WriteSummaryJSON(&wb, s, rows); err != nil {
		t.Fatal(err)
	}
	if err := WriteRequestsJSON(&wc, s, reqs); err != nil {
		t.Fatal(err)
	}
	a, b, c := streamFiles(t, s, runs, RunOptions{Workers: 3, Ahead: 2}, JSON)
	if !bytes.Equal(a, wa.Bytes()) || !bytes.Equal(b, wb.Bytes()) || !bytes.Equal(c, wc.Bytes()) {
		t.Errorf("streamed JSON differs from the whole-table writers'")
	}
}

// TestRunStreamBoundsReorderBuffer: no run finishes more than Ahead runs
// after the first one not yet handed on, so the results waiting in
// memory are bounded whatever the number of runs; and they are handed on
// in order.
func TestRunStreamBoundsReorderBuffer(t *testing.T) {
	_, runs := loadTestdata(t, "tiny.yaml")
	for _, ahead := range []int{1, 2, 5} {
		var delivered atomic.Int64
		var worst atomic.Int64
		opt := RunOptions{Workers: 3, Ahead: ahead, OnResult: func(i int, _ Result) {
			// The run being handed on may not be counted yet: +1.
			if d := int64(i) - delivered.Load() - 1; d > worst.Load() {
				worst.Store(d)
			}
		}}
		next := 0
		err := RunStream(runs, opt, func(r Result) error {
			if r.Row.Index != runs[next].Index {
				return fmt.Errorf("got run %d, want %d", r.Row.Index, runs[next].Index)
			}
			next++
			delivered.Add(1)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if next != len(runs) {
			t.Errorf("ahead %d: %d results, want %d", ahead, next, len(runs))
		}
		if w := worst.Load(); w >= int64(ahead) {
			t.Errorf("ahead %d: a run finished %d past the first undelivered one", ahead, w)
		}
	}
}

// TestRunStreamSinkError: an error from the sink ends RunStream with that
// error; no more runs start and the sink is not called again.
func TestRunStreamSinkError(t *testing.T) {
	_, runs := loadTestdata(t, "tiny.yaml")
	boom := errors.New("disk full")
	var started atomic.Int64
	calls := 0
	err := RunStream(runs, RunOptions{Workers: 2, Ahead: 2, OnResult: func(int, Result) { started.Add(1) }},
		func(Result) error {
			calls++
			if calls == 3 {
				return boom
			}
			return nil
		})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want %v", err, boom)
	}
	if calls != 3 {
		t.Errorf("sink called %d times, want 3", calls)
	}
	if n := started.Load(); n >= int64(len(runs)) {
		t.Errorf("%d of %d runs ran after the error", n, len(runs))
	}
}

// TestRunStreamStopWritesNotRun: with Stop set before the start, every
// run is handed on as NotRun, in order.
func TestRunStreamStopWritesNotRun(t *testing.T) {
	_, runs := loadTestdata(t, "tiny.yaml")
	var stop atomic.Bool
	stop.Store(true)
	i := 0
	err := RunStream(runs, RunOptions{Workers: 2, Stop: &stop}, func(r Result) error {
		if r.Row.Err != NotRun || r.Row.Index != runs[i].Index {
			t.Errorf("result %d: run %d, %q; want run %d not run", i, r.Row.Index, r.Row.Err, runs[i].Index)
		}
		i++
		return nil
	})
	if err != nil || i != len(runs) {
		t.Errorf("got %d results, %v; want %d", i, err, len(runs))
	}
}

// TestSummarizerRejectsRowsOutOfOrder: the streaming summary keeps one
// group at a time, so a group's rows that are not together are an error
// rather than a second summary row.
func TestSummarizerRejectsRowsOutOfOrder(t *testing.T) {
	row := func(i int, model string) Row {
		return Row{Index: i, Model: model, Metrics: Metrics{PLTMS: 1, RevisitPLTMS: math.NaN()}}
	}
	var s Summarizer
	for _, r := range []Row{row(0, "a"), row(1, "b")} {
		if err := s.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Add(row(2, "a")); err == nil {
		t.Error("a row of a finished group was accepted")
	}
}

// TestReadersStreamRows: ResultsReader and RequestsReader read what the
// writers wrote, a row at a time, and report each row's line.
func TestReadersStreamRows(t *testing.T) {
	s := mustLoad(t, writerSpec)
	rows := handRows(t, s)
	var b bytes.Buffer
	if err := WriteResultsCSV(&b, s, rows); err != nil {
		t.Fatal(err)
	}
	rr, err := NewResultsReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		r, err := rr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if r.Index != n || rr.Line() != n+2 {
			t.Errorf("row %d: index %d, line %d", n, r.Index, rr.Line())
		}
		n++
	}
	if n != len(rows) {
		t.Errorf("read %d rows, want %d", n, len(rows))
	}
	if _, err := NewResultsReader(bytes.NewReader(nil)); err == nil {
		t.Error("an empty file was accepted")
	}
}

// BenchmarkRunAllStream runs a 200-run sweep of a small page through
// RunStream and the streaming writers (to io.Discard), with 1 and 2
// workers: the simulations plus all the serial work of connsim run
// outside them (ordering, formatting, summary).
func BenchmarkRunAllStream(b *testing.B) {
	s := mustLoad(b, `name: bench
network: {rtt: 20ms, bandwidth: 10Mbps}
page: {html: 10KB, objects: [{count: 2, size: 5KB}]}
repeat: 4
sweep:
  network.rtt: [1ms, 2ms, 3ms, 4ms, 5ms, 6ms, 7ms, 8ms, 9ms, 10ms, 11ms, 12ms, 13ms, 14ms, 15ms, 16ms, 17ms, 18ms, 19ms, 20ms,
    21ms, 22ms, 23ms, 24ms, 25ms, 26ms, 27ms, 28ms, 29ms, 30ms, 31ms, 32ms, 33ms, 34ms, 35ms, 36ms, 37ms, 38ms, 39ms, 40ms,
    41ms, 42ms, 43ms, 44ms, 45ms, 46ms, 47ms, 48ms, 49ms, 50ms]
`)
	runs, err := s.Runs()
	if err != nil {
		b.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			for b.Loop() {
				rw, _ := NewResultsWriter(io.Discard, s, CSV)
				qw, _ := NewRequestsWriter(io.Discard, s, CSV)
				var sum Summarizer
				err := RunStream(runs, RunOptions{Workers: workers}, func(r Result) error {
					rw.Write(r.Row)
					for _, q := range r.Requests {
						qw.Write(q)
					}
					return sum.Add(r.Row)
				})
				if err != nil {
					b.Fatal(err)
				}
				rw.Close()
				qw.Close()
				sum.WriteSummary(io.Discard, s, CSV)
			}
			b.ReportMetric(float64(len(runs)*b.N)/b.Elapsed().Seconds(), "runs/s")
		})
	}
}

// TestSummarizerSpill: a summarizer that spills its rows to a file gives
// the rows one in memory gives (swept values by key and value), and
// takes rows only in increasing Index, as it remembers no finished group.
func TestSummarizerSpill(t *testing.T) {
	s := mustLoad(t, writerSpec)
	rows := byIndex(handRows(t, s)) // in run order
	var mem, spilled Summarizer
	f, err := os.CreateTemp(t.TempDir(), "spill")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	spilled.Spill(f)
	for _, r := range rows {
		if err := mem.Add(r); err != nil {
			t.Fatal(err)
		}
		if err := spilled.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	want, err := mem.Rows()
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // read back twice: Each leaves the file as it was
		got, err := spilled.Rows()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) || len(got) == 0 {
			t.Fatalf("%d rows spilled, %d in memory", len(got), len(want))
		}
		for i := range want {
			w := want[i]
			w.Point = nil
			for _, a := range want[i].Point {
				w.Point = append(w.Point, AxisValue{Key: a.Key, Value: a.Value})
			}
			if fmt.Sprint(got[i]) != fmt.Sprint(w) {
				t.Errorf("row %d: spilled %v, want %v", i, got[i], w)
			}
		}
	}
	var a, b bytes.Buffer
	if err := mem.WriteSummary(&a, s, CSV); err != nil {
		t.Fatal(err)
	}
	if err := spilled.WriteSummary(&b, s, CSV); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Errorf("spilled summary.csv differs:\n%s", lineDiff(b.String(), a.String()))
	}
	last := rows[len(rows)-1]
	if err := spilled.Add(last); err == nil {
		t.Error("a row again (same Index) was accepted after Spill")
	}
}

// TestSummarizerStream: the summary streamed as groups finish is, byte
// for byte, the one WriteSummary writes after the last row, in both
// formats; a row that did not run makes EndStream refuse the streamed
// file (it lacks the not_run column).
func TestSummarizerStream(t *testing.T) {
	s := mustLoad(t, writerSpec)
	rows := byIndex(handRows(t, s))
	for _, f := range []Format{CSV, JSON} {
		var sum Summarizer
		var streamed, written bytes.Buffer
		if err := sum.Stream(&streamed, s, f); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if err := sum.Add(r); err != nil {
				t.Fatal(err)
			}
		}
		ok, err := sum.EndStream()
		if err != nil || !ok {
			t.Fatalf("EndStream: %v, %v", ok, err)
		}
		if err := sum.WriteSummary(&written, s, f); err != nil {
			t.Fatal(err)
		}
		if streamed.Len() == 0 || streamed.String() != written.String() {
			t.Errorf("format %v: streamed\n%s\nwritten\n%s", f, streamed.String(), written.String())
		}
	}
	var sum Summarizer
	var streamed bytes.Buffer
	if err := sum.Stream(&streamed, s, CSV); err != nil {
		t.Fatal(err)
	}
	cut := slices.Clone(rows)
	cut[len(cut)-1].Err = NotRun
	for _, r := range cut {
		if err := sum.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := sum.EndStream(); ok || err != nil {
		t.Fatalf("EndStream of a partial run: %v, %v; want false (WriteSummary writes its not_run column)", ok, err)
	}
}
