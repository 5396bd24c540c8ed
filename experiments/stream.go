package experiments

import (
	"bufio"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/stat"
)

// This file writes and reads the output tables one row at a time, so that
// an experiment's files are written as its runs finish and read back
// (connsim merge) without holding them: memory does not grow with the
// number of runs. The whole-table functions of write.go are these
// writers over rows held in memory, so both give the same bytes.

// Format is the form of the output tables.
type Format uint8

const (
	CSV  Format = iota // results.csv, summary.csv, requests.csv
	JSON               // results.json, ...: an array of objects, one per line
)

// tableWriter writes a table row by row: CSV with a header line, or a
// JSON array of objects whose keys are the header, in column order.
type tableWriter struct {
	format Format
	cw     *csv.Writer   // CSV
	bw     *bufio.Writer // JSON
	keys   []string      // JSON: the header, quoted
	rec    []string
	rows   int
}

func newTableWriter(w io.Writer, header []string, f Format) (*tableWriter, error) {
	t := &tableWriter{format: f, rec: make([]string, len(header))}
	if f == CSV {
		t.cw = csv.NewWriter(w)
		return t, t.cw.Write(header)
	}
	t.bw = bufio.NewWriter(w)
	t.keys = make([]string, len(header))
	for i, h := range header {
		k, err := json.Marshal(h)
		if err != nil {
			return nil, err
		}
		t.keys[i] = string(k)
	}
	_, err := t.bw.WriteString("[")
	return t, err
}

// write writes one row; its cells are in header order.
func (t *tableWriter) write(r []cell) error {
	t.rows++
	if t.format == CSV {
		for i, c := range r {
			t.rec[i] = c.s
		}
		return t.cw.Write(t.rec)
	}
	bw := t.bw
	if t.rows > 1 {
		bw.WriteString(",")
	}
	bw.WriteString("\n  {")
	for i, c := range r {
		if i > 0 {
			bw.WriteString(", ")
		}
		bw.WriteString(t.keys[i])
		bw.WriteString(": ")
		switch {
		case c.num && c.s == "":
			bw.WriteString("null")
		case c.num:
			bw.WriteString(c.s)
		default:
			v, err := json.Marshal(c.s)
			if err != nil {
				return err
			}
			bw.Write(v)
		}
	}
	_, err := bw.WriteString("}")
	return err
}

// close ends the table and flushes it.
func (t *tableWriter) close() error {
	if t.format == CSV {
		t.cw.Flush()
		return t.cw.Error()
	}
	if t.rows > 0 {
		t.bw.WriteString("\n")
	}
	t.bw.WriteString("]\n")
	return t.bw.Flush()
}

// ResultsWriter writes results.csv (or .json) a row at a time, in the
// order the rows are given: run order, for the file a whole run writes.
type ResultsWriter struct {
	t       *tableWriter
	keys    []string
	metrics []Metric // metricsOf(spec)
}

// NewResultsWriter writes the header (CSV) or the opening bracket (JSON).
func NewResultsWriter(w io.Writer, spec *Spec, f Format) (*ResultsWriter, error) {
	t, err := newTableWriter(w, ResultsHeader(spec), f)
	if err != nil {
		return nil, err
	}
	return &ResultsWriter{t: t, keys: sweepKeys(spec), metrics: metricsOf(spec)}, nil
}

// Write writes one run's row. A failed run has empty metric cells and its
// message in error.
func (w *ResultsWriter) Write(r Row) error {
	c, err := resultCells(w.keys, w.metrics, r)
	if err != nil {
		return err
	}
	return w.t.write(c)
}

// Close ends the table and flushes it; it does not close the io.Writer.
func (w *ResultsWriter) Close() error { return w.t.close() }

func resultCells(keys []string, mts []Metric, r Row) ([]cell, error) {
	pc, err := pointCells(keys, r.Point, func() string { return fmt.Sprintf("run %d", r.Index) })
	if err != nil {
		return nil, err
	}
	c := make([]cell, 0, len(keys)+4+len(mts))
	c = append(c, strCell(r.Model))
	c = append(c, pc...)
	c = append(c, intCell(int64(r.Run)), uintCell(r.Seed))
	if r.Err != "" {
		c = append(c, emptyNumCells(len(mts))...)
	} else {
		c = append(c, r.Metrics.cells(mts)...)
	}
	return append(c, strCell(r.Err)), nil
}

// RequestsWriter writes requests.csv (or .json) a row at a time.
type RequestsWriter struct {
	t    *tableWriter
	keys []string
	n    int  // rows written, for messages
	pop  bool // the spec has clients: the population columns

	point      []AxisValue // the point of the last row written
	pointCells []cell      // and its cells
}

// NewRequestsWriter writes the header (CSV) or the opening bracket (JSON).
func NewRequestsWriter(w io.Writer, spec *Spec, f Format) (*RequestsWriter, error) {
	t, err := newTableWriter(w, RequestsHeader(spec), f)
	if err != nil {
		return nil, err
	}
	return &RequestsWriter{t: t, keys: sweepKeys(spec), pop: spec.HasClients()}, nil
}

// Write writes one request's row.
func (w *RequestsWriter) Write(r RequestRow) error {
	// The requests of one run share their point: its cells are made
	// once.
	if len(r.Point) == 0 || len(w.point) == 0 || &r.Point[0] != &w.point[0] {
		pc, err := pointCells(w.keys, r.Point, func() string { return fmt.Sprintf("request row %d", w.n) })
		if err != nil {
			return err
		}
		w.point, w.pointCells = r.Point, pc
	}
	pc := w.pointCells
	w.n++
	c := make([]cell, 0, len(w.keys)+16)
	c = append(c, strCell(r.Model))
	c = append(c, pc...)
	c = append(c, intCell(int64(r.Run)), intCell(int64(r.Request)), strCell(r.Host),
		intCell(int64(r.Connection)), intCell(r.Bytes),
		msCell(r.StartMS), msCell(r.DNSMS), msCell(r.ConnectMS), msCell(r.TLSMS),
		msCell(r.SendMS), msCell(r.WaitMS), msCell(r.ReceiveMS), msCell(r.EndMS),
		intCell(int64(r.Visit)), msCell(r.QueuedMS))
	if w.pop {
		c = append(c, populationRequestCells(r)...)
	}
	return w.t.write(c)
}

// Close ends the table and flushes it; it does not close the io.Writer.
func (w *RequestsWriter) Close() error { return w.t.close() }

// summaryGroup gathers one point and model's runs for its statistics.
type summaryGroup struct {
	row  SummaryRow
	vals [][]float64 // per metric, the successful runs' non-NaN values
}

func newSummaryGroup(r Row) *summaryGroup {
	return &summaryGroup{row: SummaryRow{Point: r.Point, Model: r.Model}, vals: make([][]float64, len(metricTable))}
}

func (g *summaryGroup) add(r Row) {
	switch {
	case r.Err == NotRun || r.Err == Interrupted:
		g.row.NotRun++
		return
	case r.Err != "":
		g.row.Failed++
		return
	}
	g.row.Runs++
	for i, mt := range metricTable {
		if v := mt.get(&r.Metrics); !math.IsNaN(v) {
			g.vals[i] = append(g.vals[i], v)
		}
	}
}

// finish computes the quartiles (see Summarize).
func (g *summaryGroup) finish() SummaryRow {
	g.row.Stats = make([]Quartiles, len(metricTable))
	for m, vs := range g.vals {
		if len(vs) == 0 {
			g.row.Stats[m] = Quartiles{math.NaN(), math.NaN(), math.NaN()}
			continue
		}
		sort.Float64s(vs)
		g.row.Stats[m] = Quartiles{
			P25:    stat.Quantile(0.25, stat.Empirical, vs, nil),
			Median: stat.Quantile(0.5, stat.Empirical, vs, nil),
			P75:    stat.Quantile(0.75, stat.Empirical, vs, nil),
		}
	}
	return g.row
}

// Summarizer computes summary.csv's rows from result rows given in run
// order, keeping the values of one point and model at a time: a run's
// point and model change only between groups (Runs expands point by
// point, model by model), so a group is finished when the next begins.
//
// The finished rows are kept in memory, or, after Spill, in a file, so
// that a sweep of a million points does not hold a million rows.
type Summarizer struct {
	cur     *summaryGroup
	key     string
	seen    map[string]bool // groups finished, to catch rows out of order (not after Spill)
	rows    []SummaryRow
	partial bool // a row did not run (NotRun, Interrupted)

	// After Spill: the finished rows go to spill, and rows must come in
	// strictly increasing Index.
	spill     *bufio.Writer
	spillFile io.ReadWriteSeeker
	spilled   int
	last      int // Index of the last row added
	added     bool
}

// Spill makes the summarizer write each finished row to f (empty, and
// the caller's to remove) rather than keep it, and check that rows come
// in strictly increasing Index (run order, as RunPlan and connsim merge
// give them) rather than remember every finished group: its memory then
// does not grow with the number of points. Call it before the first
// Add. The rows read back have swept values with Key and Value only.
func (s *Summarizer) Spill(f io.ReadWriteSeeker) {
	s.spillFile, s.spill = f, bufio.NewWriterSize(f, 64<<10)
}

// Add adds the next row in run order. A row of a group already finished
// (rows not in run order) is an error.
func (s *Summarizer) Add(r Row) error {
	if r.Err == NotRun || r.Err == Interrupted {
		s.partial = true
	}
	if s.spill != nil {
		if s.added && r.Index <= s.last {
			return fmt.Errorf("experiments: run %d (model %s, run %d) after run %d: rows must come in run order", r.Index, r.Model, r.Run, s.last)
		}
		s.added, s.last = true, r.Index
	}
	k := groupKey(r.Model, r.Point)
	if s.cur == nil || k != s.key {
		if s.spill == nil {
			if s.seen == nil {
				s.seen = map[string]bool{}
			}
			if s.seen[k] {
				return fmt.Errorf("experiments: run %d (model %s, run %d): its point and model's runs are not together; rows must come in run order", r.Index, r.Model, r.Run)
			}
			s.seen[k] = true
		}
		if err := s.close(); err != nil {
			return err
		}
		s.cur, s.key = newSummaryGroup(r), k
	}
	s.cur.add(r)
	return nil
}

func (s *Summarizer) close() error {
	if s.cur == nil {
		return nil
	}
	row := s.cur.finish()
	s.cur = nil
	if s.spill == nil {
		s.rows = append(s.rows, row)
		return nil
	}
	s.spilled++
	return writeSpilled(s.spill, row)
}

// Rows finishes the last group and returns the summary rows, in run
// order (read back from the spill file after Spill).
func (s *Summarizer) Rows() ([]SummaryRow, error) {
	var rows []SummaryRow
	err := s.Each(func(r SummaryRow) error {
		rows = append(rows, r)
		return nil
	})
	return rows, err
}

// Each finishes the last group and calls fn with each summary row, in
// run order, holding one at a time after Spill.
func (s *Summarizer) Each(fn func(SummaryRow) error) error {
	if err := s.close(); err != nil {
		return err
	}
	if s.spill == nil {
		for _, r := range s.rows {
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	}
	if err := s.spill.Flush(); err != nil {
		return err
	}
	if _, err := s.spillFile.Seek(0, io.SeekStart); err != nil {
		return err
	}
	br := bufio.NewReaderSize(s.spillFile, 64<<10)
	for range s.spilled {
		r, err := readSpilled(br)
		if err != nil {
			return fmt.Errorf("experiments: reading the summary back: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	// Later rows go after these.
	_, err := s.spillFile.Seek(0, io.SeekEnd)
	return err
}

// Partial reports whether a row added did not run: the summary then has
// the not_run column (see WriteSummary).
func (s *Summarizer) Partial() bool { return s.partial }

// WriteSummary writes summary.csv (or .json) of the rows added: what
// WriteSummary writes of Rows(), one row at a time.
func (s *Summarizer) WriteSummary(w io.Writer, spec *Spec, f Format) error {
	return writeSummary(w, spec, s.partial, s.Each, f)
}

// writeSpilled writes a summary row to a spill file: the model, the
// swept keys and values, the counts and the quartiles.
func writeSpilled(w *bufio.Writer, r SummaryRow) error {
	var b []byte
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	f64 := func(v float64) { b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v)) }
	str(r.Model)
	b = binary.AppendUvarint(b, uint64(len(r.Point)))
	for _, a := range r.Point {
		str(a.Key)
		f64(a.Value)
	}
	b = binary.AppendUvarint(b, uint64(r.Runs))
	b = binary.AppendUvarint(b, uint64(r.Failed))
	b = binary.AppendUvarint(b, uint64(r.NotRun))
	b = binary.AppendUvarint(b, uint64(len(r.Stats)))
	for _, q := range r.Stats {
		f64(q.Median)
		f64(q.P25)
		f64(q.P75)
	}
	_, err := w.Write(b)
	return err
}

// readSpilled reads a row writeSpilled wrote.
func readSpilled(r *bufio.Reader) (SummaryRow, error) {
	var err error
	uv := func() int {
		if err != nil {
			return 0
		}
		var v uint64
		v, err = binary.ReadUvarint(r)
		if err == nil && v > math.MaxInt32 {
			err = errors.New("bad count")
		}
		return int(v)
	}
	str := func() string {
		n := uv()
		if err != nil {
			return ""
		}
		b := make([]byte, n)
		_, err = io.ReadFull(r, b)
		return string(b)
	}
	f64 := func() float64 {
		if err != nil {
			return 0
		}
		var b [8]byte
		_, err = io.ReadFull(r, b[:])
		return math.Float64frombits(binary.LittleEndian.Uint64(b[:]))
	}
	var row SummaryRow
	row.Model = str()
	if n := uv(); err == nil && n > 0 {
		row.Point = make([]AxisValue, n)
		for i := range row.Point {
			row.Point[i].Key = str()
			row.Point[i].Value = f64()
		}
	}
	row.Runs, row.Failed, row.NotRun = uv(), uv(), uv()
	if n := uv(); err == nil && n > 0 {
		row.Stats = make([]Quartiles, n)
		for i := range row.Stats {
			row.Stats[i].Median = f64()
			row.Stats[i].P25 = f64()
			row.Stats[i].P75 = f64()
		}
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return row, err
}

// Partial reports whether some runs of the summary did not run: its
// table then has the not_run column.
func Partial(sum []SummaryRow) bool {
	return slices.ContainsFunc(sum, func(s SummaryRow) bool { return s.NotRun > 0 })
}

// WriteSummary writes summary.csv (or .json) from summary rows (see
// Summarize, Summarizer). When some runs did not run (a partial run),
// failed counts only the runs that failed and a last column, not_run,
// the others.
func WriteSummary(w io.Writer, spec *Spec, sum []SummaryRow, f Format) error {
	return writeSummary(w, spec, Partial(sum), func(fn func(SummaryRow) error) error {
		for _, r := range sum {
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	}, f)
}

// writeSummary writes summary.csv (or .json) of the rows each gives, with
// the not_run column when partial.
func writeSummary(w io.Writer, spec *Spec, partial bool, each func(func(SummaryRow) error) error, f Format) error {
	header := SummaryHeader(spec)
	if partial {
		header = append(header, "not_run")
	}
	t, err := newTableWriter(w, header, f)
	if err != nil {
		return err
	}
	keys := sweepKeys(spec)
	nm := len(metricsOf(spec))
	err = each(func(s SummaryRow) error {
		c, err := pointCells(keys, s.Point, func() string { return "model " + s.Model })
		if err != nil {
			return err
		}
		c = append(c, strCell(s.Model), intCell(int64(s.Runs)))
		for _, q := range s.Stats[:nm] {
			c = append(c, msCell(q.Median), msCell(q.P25), msCell(q.P75))
		}
		c = append(c, intCell(int64(s.Failed)))
		if partial {
			c = append(c, intCell(int64(s.NotRun)))
		}
		return t.write(c)
	})
	if err != nil {
		return err
	}
	return t.close()
}

// SummaryTable is summary.csv as the report shows it: the swept keys,
// model, runs, each metric's median (columns named after the metric) and
// failed (and not_run in a partial run); cells as in summary.csv.
func SummaryTable(spec *Spec, sum []SummaryRow) (header []string, rows [][]string) {
	header = append(sweepKeys(spec), "model", "runs")
	header = append(header, spec.MetricNames()...)
	header = append(header, "failed")
	partial := Partial(sum)
	if partial {
		header = append(header, "not_run")
	}
	for _, s := range sum {
		r := make([]string, 0, len(header))
		for _, a := range s.Point {
			r = append(r, fmtExact(a.Value))
		}
		r = append(r, s.Model, fmt.Sprint(s.Runs))
		for _, q := range s.Stats[:len(metricsOf(spec))] {
			r = append(r, fmtRounded(q.Median))
		}
		r = append(r, fmt.Sprint(s.Failed))
		if partial {
			r = append(r, fmt.Sprint(s.NotRun))
		}
		rows = append(rows, r)
	}
	return header, rows
}

// csvStream reads a CSV file with a header a record at a time.
type csvStream struct {
	t    *csvTable
	cr   *csv.Reader
	what string
	n    int // data records read
}

func newCSVStream(r io.Reader, what string) (*csvStream, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("experiments: %s: empty file, no header", what)
	}
	if err != nil {
		return nil, fmt.Errorf("experiments: %s: %w", what, err)
	}
	cr.ReuseRecord = true
	t := &csvTable{header: slices.Clone(header), col: map[string]int{}}
	for i, h := range t.header {
		if _, dup := t.col[h]; dup {
			return nil, fmt.Errorf("experiments: %s: column %q appears twice", what, h)
		}
		t.col[h] = i
	}
	return &csvStream{t: t, cr: cr, what: what}, nil
}

// next returns the next record's cells, or io.EOF.
func (s *csvStream) next() (*cellReader, error) {
	rec, err := s.cr.Read()
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("experiments: %s: %w", s.what, err)
	}
	s.n++
	return &cellReader{t: s.t, rec: rec, line: s.n + 1, what: s.what}, nil
}

// ResultsReader reads a results.csv written by ResultsWriter a row at a
// time (see ReadResultsCSV).
type ResultsReader struct {
	s    *csvStream
	keys []string
}

// NewResultsReader reads the header.
func NewResultsReader(r io.Reader) (*ResultsReader, error) {
	s, keys, err := newRowStream(r, "results.csv")
	if err != nil {
		return nil, err
	}
	return &ResultsReader{s: s, keys: keys}, nil
}

// newRowStream reads the header of a results or requests file: its
// columns, and the swept keys between model and run.
func newRowStream(r io.Reader, what string) (*csvStream, []string, error) {
	s, err := newCSVStream(r, what)
	if err != nil {
		return nil, nil, err
	}
	keys, err := s.t.axes(what, "model")
	if err != nil {
		return nil, nil, err
	}
	return s, keys, nil
}

// Line is the line of the row Read returned last (the header is line 1;
// a row is one line).
func (rr *ResultsReader) Line() int { return rr.s.n + 1 }

// Read returns the next row, or io.EOF. The row's Index is its position
// in the file; AxisValue.Text is the number as written; a failed run's
// metrics are NaN and 0.
func (rr *ResultsReader) Read() (Row, error) {
	c, err := rr.s.next()
	if err != nil {
		return Row{}, err
	}
	row := Row{Index: rr.s.n - 1, Model: c.get("model"), Point: c.point(rr.keys), Run: int(c.int("run")), Err: c.get("error")}
	if s := c.get("seed"); s != "" {
		var perr error
		row.Seed, perr = parseSeed(s)
		if perr != nil {
			return Row{}, fmt.Errorf("experiments: %s:%d: seed: %q is not a seed", rr.s.what, c.line, s)
		}
	}
	for _, mt := range metricTable {
		if mt.Integer {
			mt.set(&row.Metrics, float64(c.int(mt.Name)))
		} else {
			mt.set(&row.Metrics, c.float(mt.Name))
		}
	}
	if c.err != nil {
		return Row{}, c.err
	}
	return row, nil
}

// RequestsReader reads a requests.csv written by RequestsWriter a row at
// a time.
type RequestsReader struct {
	s    *csvStream
	keys []string
}

// NewRequestsReader reads the header.
func NewRequestsReader(r io.Reader) (*RequestsReader, error) {
	s, keys, err := newRowStream(r, "requests.csv")
	if err != nil {
		return nil, err
	}
	return &RequestsReader{s: s, keys: keys}, nil
}

// Line is the line of the row Read returned last.
func (rr *RequestsReader) Line() int { return rr.s.n + 1 }

// Read returns the next row, or io.EOF.
func (rr *RequestsReader) Read() (RequestRow, error) {
	c, err := rr.s.next()
	if err != nil {
		return RequestRow{}, err
	}
	r := RequestRow{
		Model: c.get("model"), Point: c.point(rr.keys), Run: int(c.int("run")),
		Request: int(c.int("request")), Visit: int(c.int("visit")), Host: c.get("host"),
		Connection: int(c.int("connection")), Bytes: c.int("bytes"),
		StartMS: c.float("start_ms"), DNSMS: c.float("dns_ms"), ConnectMS: c.float("connect_ms"),
		TLSMS: c.float("tls_ms"), SendMS: c.float("send_ms"), WaitMS: c.float("wait_ms"),
		ReceiveMS: c.float("receive_ms"), EndMS: c.float("end_ms"), QueuedMS: c.float("queued_ms"),
		Client: c.get("client"), Refusals: int(c.int("refusals")), Replayed: c.int("replayed") != 0,
	}
	if c.err != nil {
		return RequestRow{}, c.err
	}
	return r, nil
}
