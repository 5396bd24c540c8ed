package experiments

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"sort"
	"strconv"
	"unicode/utf8"

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
// JSON array of objects whose keys are the header, in column order. A
// row's cells are appended to a buffer reused from row to row (numbers
// by strconv.Append*, without a string each) and the row goes to the
// file in one write: the same bytes as encoding/csv and encoding/json
// would write.
type tableWriter struct {
	format Format
	bw     *bufio.Writer
	keys   []string // JSON: the header, quoted
	rows   int
	b      []byte // the row being made
	col    int    // cells in it
	quote  *csv.Writer
	quoted bytes.Buffer // quote's output
}

func newTableWriter(w io.Writer, header []string, f Format) (*tableWriter, error) {
	t := &tableWriter{format: f, bw: bufio.NewWriter(w)}
	if f == CSV {
		cw := csv.NewWriter(t.bw)
		if err := cw.Write(header); err != nil {
			return nil, err
		}
		cw.Flush()
		return t, cw.Error()
	}
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

// start begins a row.
func (t *tableWriter) start() {
	t.b, t.col = t.b[:0], 0
	if t.format == JSON {
		if t.rows > 0 {
			t.b = append(t.b, ',')
		}
		t.b = append(t.b, "\n  {"...)
	}
}

// next begins a cell.
func (t *tableWriter) next() {
	if t.format == CSV {
		if t.col > 0 {
			t.b = append(t.b, ',')
		}
	} else {
		if t.col > 0 {
			t.b = append(t.b, ", "...)
		}
		t.b = append(t.b, t.keys[t.col]...)
		t.b = append(t.b, ": "...)
	}
	t.col++
}

// str appends a text cell.
func (t *tableWriter) str(s string) error {
	t.next()
	if t.format == JSON {
		v, err := json.Marshal(s)
		if err != nil {
			return err
		}
		t.b = append(t.b, v...)
		return nil
	}
	if !csvNeedsQuotes(s) {
		t.b = append(t.b, s...)
		return nil
	}
	// Rare (a message with a comma, say): encoding/csv quotes it.
	if t.quote == nil {
		t.quote = csv.NewWriter(&t.quoted)
	}
	t.quoted.Reset()
	if err := t.quote.Write([]string{s}); err != nil {
		return err
	}
	t.quote.Flush()
	if err := t.quote.Error(); err != nil {
		return err
	}
	q := t.quoted.Bytes()
	t.b = append(t.b, q[:len(q)-1]...) // less the line's end
	return nil
}

// csvNeedsQuotes reports whether encoding/csv may quote s (it quotes a
// field with a comma, a quote, a line end, a leading space, or `\.`);
// those cells go through it.
func csvNeedsQuotes(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ',', '"', '\n', '\r', '\\':
			return true
		default:
			if c >= utf8.RuneSelf {
				return true
			}
		}
	}
	return s[0] == ' ' || s[0] == '\t' || s[0] == '\v' || s[0] == '\f'
}

// num appends a number cell already formatted; empty is a missing value.
func (t *tableWriter) num(s string) {
	t.next()
	if s == "" && t.format == JSON {
		t.b = append(t.b, "null"...)
		return
	}
	t.b = append(t.b, s...)
}

// int appends an integer cell.
func (t *tableWriter) int(i int64) {
	t.next()
	t.b = appendInt(t.b, i)
}

// uint appends an unsigned integer cell.
func (t *tableWriter) uint(u uint64) {
	t.next()
	t.b = appendUint(t.b, u)
}

// ms appends a cell of v rounded to 6 decimal places (fmtRounded).
func (t *tableWriter) ms(v float64) {
	// The rounded value r/1e6 of a count r of millionths under 1e14 in
	// magnitude is under 1e8, where exact writes it from r again:
	// Round(r/1e6*1e6) is r (the product is within 0.03 of it). Written
	// from r at once, without the second rounding; the same digits.
	if r := math.Round(v * 1e6); math.Abs(r) < 1e14 {
		t.next()
		t.b = appendMillionths(t.b, int64(r))
		return
	}
	if !math.IsNaN(v) && math.Abs(v) < 1e15 {
		v = math.Round(v*1e6) / 1e6
	}
	t.exact(v)
}

// exact appends a cell of v exact (fmtExact).
func (t *tableWriter) exact(v float64) {
	t.next()
	switch {
	case math.IsNaN(v):
		if t.format == JSON {
			t.b = append(t.b, "null"...)
		}
		return
	case v == 0:
		v = 0 // no "-0"
	}
	t.b = appendExact(t.b, v)
}

// appendExact appends v as fmtExact formats it (not NaN, not -0): the
// shortest decimal that reads back as v. A value of at most 6 decimal
// places under 1e8 in magnitude, as the milliseconds of the tables are,
// is written from its integer count of millionths, about 5 times faster
// than strconv's shortest search and the same digits: the decimal
// n/1e6 reads back as v (v is the double nearest it), and any other
// decimal of no more digits is at least 1e-6 from it, while the doubles
// there are less than 1.5e-8 apart, so it does not read back as v.
func appendExact(b []byte, v float64) []byte {
	if !(math.Abs(v) < 1e8) {
		return strconv.AppendFloat(b, v, 'f', -1, 64)
	}
	r := math.Round(v * 1e6)
	if r/1e6 != v {
		return strconv.AppendFloat(b, v, 'f', -1, 64)
	}
	return appendMillionths(b, int64(r))
}

// appendMillionths appends n/1e6 in decimal, for |n| < 1e14: the
// integer part, and the fraction without its trailing zeros, as
// strconv's shortest form writes n/1e6. The digits are written in place,
// two at a time, in room grown once, rather than formatted apart and
// copied.
func appendMillionths(b []byte, n int64) []byte {
	if n == 0 {
		return append(b, '0')
	}
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	u := uint64(n)
	ip, frac := u/1e6, u%1e6
	w := decimalDigits(ip)
	l := len(b)
	b = slices.Grow(b, w+8)[:l+w]
	putDigits(b[l:], ip)
	if frac == 0 {
		return b
	}
	// '.' and the six digits of the fraction, as the bytes of a word
	// (the last one spare); the fraction ends at its last digit that is
	// not '0'.
	hi, lo := frac/1e4, frac%1e4
	d := '.' | uint64(digitPair(hi))<<8 | uint64(digitPair(lo/100))<<24 | uint64(digitPair(lo%100))<<40
	x := (d - 0x0030_3030_3030_3000) >> 8 // the digits' values
	k := (bits.Len64(x) + 7) >> 3         // digits up to the last that is not 0
	binary.LittleEndian.PutUint64(b[l+w:l+w+8], d)
	return b[:l+w+1+k]
}

// digitPair is the two digits of v < 100 as the bytes of a little-endian
// word: the tens first.
func digitPair(v uint64) uint16 {
	return uint16(digitPairs[2*v]) | uint16(digitPairs[2*v+1])<<8
}

// digitPairs holds "00" to "99".
const digitPairs = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// decimalDigits is the number of digits of u in decimal.
func decimalDigits(u uint64) int {
	n := 1
	for u >= 100 {
		u /= 100
		n += 2
	}
	if u >= 10 {
		n++
	}
	return n
}

// putDigits writes u in decimal into d, which has its number of digits.
func putDigits(d []byte, u uint64) {
	i := len(d)
	for u >= 100 {
		q := u / 100
		r := u - 100*q
		i -= 2
		d[i], d[i+1] = digitPairs[2*r], digitPairs[2*r+1]
		u = q
	}
	if u >= 10 {
		d[i-2], d[i-1] = digitPairs[2*u], digitPairs[2*u+1]
		return
	}
	d[i-1] = byte('0' + u)
}

// appendUint appends u in decimal: strconv.AppendUint's digits, written
// in place.
func appendUint(b []byte, u uint64) []byte {
	w := decimalDigits(u)
	l := len(b)
	b = slices.Grow(b, w)[:l+w]
	putDigits(b[l:], u)
	return b
}

// appendInt appends i in decimal, as strconv.AppendInt does.
func appendInt(b []byte, i int64) []byte {
	if i < 0 {
		b = append(b, '-')
		return appendUint(b, -uint64(i))
	}
	return appendUint(b, uint64(i))
}

// end ends the row and writes it.
func (t *tableWriter) end() error {
	if t.format == CSV {
		t.b = append(t.b, '\n')
	} else {
		t.b = append(t.b, '}')
	}
	t.rows++
	_, err := t.bw.Write(t.b)
	return err
}

// close ends the table and flushes it.
func (t *tableWriter) close() error {
	if t.format == JSON {
		if t.rows > 0 {
			t.bw.WriteString("\n")
		}
		t.bw.WriteString("]\n")
	}
	return t.bw.Flush()
}

// ResultsWriter writes results.csv (or .json) a row at a time, in the
// order the rows are given: run order, for the file a whole run writes.
type ResultsWriter struct {
	t       *tableWriter
	keys    []string
	metrics []Metric // metricsOf(spec)
	m       *Metrics // the row's metrics, read through Metric.get (a row passed to it would escape)
}

// NewResultsWriter writes the header (CSV) or the opening bracket (JSON).
func NewResultsWriter(w io.Writer, spec *Spec, f Format) (*ResultsWriter, error) {
	t, err := newTableWriter(w, ResultsHeader(spec), f)
	if err != nil {
		return nil, err
	}
	return &ResultsWriter{t: t, keys: sweepKeys(spec), metrics: metricsOf(spec), m: new(Metrics)}, nil
}

// Write writes one run's row. A failed run has empty metric cells and its
// message in error.
func (w *ResultsWriter) Write(r Row) error {
	index := r.Index
	if err := checkPoint(w.keys, r.Point, func() string { return fmt.Sprintf("run %d", index) }); err != nil {
		return err
	}
	t := w.t
	t.start()
	if err := t.str(r.Model); err != nil {
		return err
	}
	for _, a := range r.Point {
		t.exact(a.Value)
	}
	t.int(int64(r.Run))
	t.uint(r.Seed)
	*w.m = r.Metrics
	for _, mt := range w.metrics {
		switch {
		case r.Err != "":
			t.num("")
		case mt.Integer:
			t.int(int64(mt.get(w.m)))
		default:
			t.ms(mt.get(w.m))
		}
	}
	if err := t.str(r.Err); err != nil {
		return err
	}
	return t.end()
}

// Close ends the table and flushes it; it does not close the io.Writer.
func (w *ResultsWriter) Close() error { return w.t.close() }

// RequestsWriter writes requests.csv (or .json) a row at a time.
type RequestsWriter struct {
	t    *tableWriter
	keys []string
	n    int  // rows written, for messages
	pop  bool // the spec has clients: the population columns

	point []AxisValue // the point of the last row written, checked

	// The cells model to run of the last row written, and what they
	// were made of: the requests of a run share them, and they are
	// copied rather than made again.
	prefix      []byte
	prefixCols  int
	prefixModel string
	prefixRun   int
	prefixVals  []uint64 // the swept values' bits
	prefixOK    bool
}

// samePrefix reports whether r's cells model to run are those of the
// last row written: the same model, run and swept values (bit for bit).
func (w *RequestsWriter) samePrefix(r *RequestRow) bool {
	if !w.prefixOK || r.Run != w.prefixRun || r.Model != w.prefixModel || len(r.Point) != len(w.prefixVals) {
		return false
	}
	for i, a := range r.Point {
		if math.Float64bits(a.Value) != w.prefixVals[i] {
			return false
		}
	}
	return true
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
	// The requests of one run share their point: it is checked once.
	if len(r.Point) == 0 || len(w.point) == 0 || &r.Point[0] != &w.point[0] || len(r.Point) != len(w.point) {
		if err := checkPoint(w.keys, r.Point, func() string { return fmt.Sprintf("request row %d", w.n) }); err != nil {
			return err
		}
		w.point = r.Point
	}
	w.n++
	t := w.t
	t.start()
	if w.samePrefix(&r) {
		t.b = append(t.b, w.prefix...)
		t.col = w.prefixCols
	} else {
		w.prefixOK = false
		mark := len(t.b)
		if err := t.str(r.Model); err != nil {
			return err
		}
		for _, a := range r.Point {
			t.exact(a.Value)
		}
		t.int(int64(r.Run))
		w.prefix = append(w.prefix[:0], t.b[mark:]...)
		w.prefixCols = t.col
		w.prefixModel, w.prefixRun = r.Model, r.Run
		w.prefixVals = w.prefixVals[:0]
		for _, a := range r.Point {
			w.prefixVals = append(w.prefixVals, math.Float64bits(a.Value))
		}
		w.prefixOK = true
	}
	t.int(int64(r.Request))
	if err := t.str(r.Host); err != nil {
		return err
	}
	t.int(int64(r.Connection))
	t.int(r.Bytes)
	for _, v := range [...]float64{r.StartMS, r.DNSMS, r.ConnectMS, r.TLSMS, r.SendMS, r.WaitMS, r.ReceiveMS, r.EndMS} {
		t.ms(v)
	}
	t.int(int64(r.Visit))
	t.ms(r.QueuedMS)
	if w.pop {
		if err := t.str(r.Client); err != nil {
			return err
		}
		replayed := int64(0)
		if r.Replayed {
			replayed = 1
		}
		t.int(int64(r.Refusals))
		t.int(replayed)
	}
	return t.end()
}

// Close ends the table and flushes it; it does not close the io.Writer.
func (w *RequestsWriter) Close() error { return w.t.close() }

// summaryGroup gathers one point and model's runs for its statistics.
type summaryGroup struct {
	row  SummaryRow
	vals [][]float64 // per metric, the successful runs' non-NaN values
	m    Metrics     // the row added, read through Metric.get (a row passed to it would escape)
}

func newSummaryGroup(r Row) *summaryGroup {
	return &summaryGroup{row: SummaryRow{Point: r.Point, Model: r.Model}, vals: make([][]float64, len(metricTable))}
}

// holds reports whether r is of g's point and model: what groupKey
// tells apart (the same swept keys, values equal as fmtExact writes
// them).
func (g *summaryGroup) holds(r Row) bool {
	if r.Model != g.row.Model || len(r.Point) != len(g.row.Point) {
		return false
	}
	for i, a := range r.Point {
		b := g.row.Point[i]
		if a.Key != b.Key || a.Value != b.Value && !(math.IsNaN(a.Value) && math.IsNaN(b.Value)) {
			return false
		}
	}
	return true
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
	g.m = r.Metrics
	for i, mt := range metricTable {
		if v := mt.get(&g.m); !math.IsNaN(v) {
			g.vals[i] = append(g.vals[i], v)
		}
	}
}

// finish computes the quartiles (see Summarize).
func (g *summaryGroup) finish() SummaryRow {
	return g.finishInto(nil)
}

// finishInto is finish, with the row's statistics in stats when it has
// room for them (a row not kept after it is written).
func (g *summaryGroup) finishInto(stats []Quartiles) SummaryRow {
	if cap(stats) >= len(metricTable) {
		g.row.Stats = stats[:len(metricTable)]
	} else {
		g.row.Stats = make([]Quartiles, len(metricTable))
	}
	for m, vs := range g.vals {
		switch len(vs) {
		case 0:
			g.row.Stats[m] = Quartiles{math.NaN(), math.NaN(), math.NaN()}
			continue
		case 1:
			// Every quantile of one value is that value (what
			// stat.Quantile returns, without its checks).
			g.row.Stats[m] = Quartiles{Median: vs[0], P25: vs[0], P75: vs[0]}
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
	spare   *summaryGroup   // the last group finished, whose lists the next reuses
	seen    map[string]bool // groups finished, to catch rows out of order (not after Spill)
	rows    []SummaryRow
	partial bool // a row did not run (NotRun, Interrupted)

	// After Spill: the finished rows go to spill, and rows must come in
	// strictly increasing Index.
	spill     *bufio.Writer
	spillFile io.ReadWriteSeeker
	spilled   int
	buf       []byte      // a spilled row, reused
	stats     []Quartiles // a spilled row's statistics, reused
	last      int         // Index of the last row added
	added     bool

	stream *summaryWriter // after Stream: finished rows written as they come
}

// Stream makes the summarizer also write summary.csv (or .json) to w as
// the groups finish, header first: the summary of a run that does not
// stop early, written while the runs go on rather than after them. Call
// it before the first Add, and EndStream after the last.
func (s *Summarizer) Stream(w io.Writer, spec *Spec, f Format) error {
	sw, err := newSummaryWriter(w, spec, false, f)
	s.stream = sw
	return err
}

// EndStream finishes the last group and the streamed summary. ok is
// false when the streamed file cannot stand as the summary: a row did not
// run (Partial), and the summary then needs the not_run column
// (WriteSummary writes it).
func (s *Summarizer) EndStream() (ok bool, err error) {
	if err := s.close(); err != nil {
		return false, err
	}
	if s.partial {
		return false, nil
	}
	return true, s.stream.t.close()
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
	if s.cur == nil || !s.cur.holds(r) {
		if s.spill == nil {
			k := groupKey(r.Model, r.Point)
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
		s.cur = s.newGroup(r)
	}
	s.cur.add(r)
	return nil
}

func (s *Summarizer) close() error {
	if s.cur == nil {
		return nil
	}
	var row SummaryRow
	if s.spill != nil {
		// The row is written, not kept: the next one reuses its
		// statistics.
		row = s.cur.finishInto(s.stats)
		s.stats = row.Stats
	} else {
		row = s.cur.finish()
	}
	s.spare, s.cur = s.cur, nil
	if s.stream != nil && !s.partial {
		if err := s.stream.write(row); err != nil {
			return err
		}
	}
	if s.spill == nil {
		s.rows = append(s.rows, row)
		return nil
	}
	s.spilled++
	var err error
	s.buf, err = writeSpilled(s.spill, s.buf[:0], row)
	return err
}

// newGroup starts the group of r, in the lists of the last group
// finished if there is one.
func (s *Summarizer) newGroup(r Row) *summaryGroup {
	g := s.spare
	if g == nil {
		return newSummaryGroup(r)
	}
	s.spare = nil
	g.row = SummaryRow{Point: r.Point, Model: r.Model}
	for i := range g.vals {
		g.vals[i] = g.vals[i][:0]
	}
	return g
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
	var prev SummaryRow
	for range s.spilled {
		r, err := readSpilled(br, &prev)
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
// It appends the row to b, writes it, and returns b.
func writeSpilled(w *bufio.Writer, b []byte, r SummaryRow) ([]byte, error) {
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
	return b, err
}

// readSpilled reads a row writeSpilled wrote. The strings equal to those
// of prev, the row read before (the model, the swept keys), are prev's,
// not made again; prev becomes the row read.
func readSpilled(r *bufio.Reader, prev *SummaryRow) (SummaryRow, error) {
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
	var scratch [64]byte
	str := func(same string) string {
		n := uv()
		if err != nil {
			return ""
		}
		b := scratch[:0]
		if n > len(scratch) {
			b = make([]byte, n)
		}
		b = b[:n]
		if _, err = io.ReadFull(r, b); err != nil {
			return ""
		}
		if string(b) == same {
			return same
		}
		return string(b)
	}
	f64 := func() float64 {
		if err != nil {
			return 0
		}
		b, perr := r.Peek(8)
		if perr != nil {
			err = perr
			return 0
		}
		r.Discard(8)
		return math.Float64frombits(binary.LittleEndian.Uint64(b))
	}
	var row SummaryRow
	row.Model = str(prev.Model)
	if n := uv(); err == nil && n > 0 {
		row.Point = make([]AxisValue, n)
		for i := range row.Point {
			same := ""
			if i < len(prev.Point) {
				same = prev.Point[i].Key
			}
			row.Point[i].Key = str(same)
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
	*prev = row
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
	sw, err := newSummaryWriter(w, spec, partial, f)
	if err != nil {
		return err
	}
	if err := each(sw.write); err != nil {
		return err
	}
	return sw.t.close()
}

// summaryWriter writes summary.csv (or .json) one row at a time.
type summaryWriter struct {
	t       *tableWriter
	spec    *Spec
	keys    []string
	partial bool
}

func newSummaryWriter(w io.Writer, spec *Spec, partial bool, f Format) (*summaryWriter, error) {
	header := SummaryHeader(spec)
	if partial {
		header = append(header, "not_run")
	}
	t, err := newTableWriter(w, header, f)
	if err != nil {
		return nil, err
	}
	return &summaryWriter{t: t, spec: spec, keys: sweepKeys(spec), partial: partial}, nil
}

func (sw *summaryWriter) write(s SummaryRow) error {
	t := sw.t
	if err := checkPoint(sw.keys, s.Point, func() string { return "model " + s.Model }); err != nil {
		return err
	}
	t.start()
	for _, a := range s.Point {
		t.exact(a.Value)
	}
	if err := t.str(s.Model); err != nil {
		return err
	}
	t.int(int64(s.Runs))
	for _, q := range statsOf(sw.spec, s.Stats) {
		t.ms(q.Median)
		t.ms(q.P25)
		t.ms(q.P75)
	}
	t.int(int64(s.Failed))
	if sw.partial {
		t.int(int64(s.NotRun))
	}
	return t.end()
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
		for _, q := range statsOf(spec, s.Stats) {
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
type ResultsReader struct{ rowReader }

// NewResultsReader reads the header.
func NewResultsReader(r io.Reader) (*ResultsReader, error) {
	rr, err := newRowReader(r, "results.csv")
	if err != nil {
		return nil, err
	}
	return &ResultsReader{rr}, nil
}

// rowReader reads a file of rows that begin with model, the swept keys
// and run (results, requests, hops, servers) a row at a time.
type rowReader struct {
	s    *csvStream
	keys []string // the swept keys, between model and run
}

// newRowReader reads the header of such a file: its columns, and the
// swept keys between model and run.
func newRowReader(r io.Reader, what string) (rowReader, error) {
	s, err := newCSVStream(r, what)
	if err != nil {
		return rowReader{}, err
	}
	keys, err := s.t.axes(what, "model")
	if err != nil {
		return rowReader{}, err
	}
	return rowReader{s: s, keys: keys}, nil
}

// Line is the line of the row Read returned last (the header is line 1;
// a row is one line).
func (rr *rowReader) Line() int { return rr.s.n + 1 }

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
type RequestsReader struct{ rowReader }

// NewRequestsReader reads the header.
func NewRequestsReader(r io.Reader) (*RequestsReader, error) {
	rr, err := newRowReader(r, "requests.csv")
	if err != nil {
		return nil, err
	}
	return &RequestsReader{rr}, nil
}

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
