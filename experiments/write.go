package experiments

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat"
)

// This file writes and reads the output files of experiment-format.md.
//
// Numbers are written so that the same rows give the same bytes on every
// machine: integers in decimal; measured floats (the _ms metrics and
// columns, server_conn_s, and the summary statistics) rounded to 6 decimal
// places (nanoseconds, for milliseconds) and then written with
// strconv.FormatFloat(v, 'f', -1, 64), the shortest decimal that reads
// back as the same float and never in exponent form; axis values written
// the same way without rounding (they are exact conversions of the spec's
// values). NaN is an empty cell in CSV and null in JSON.

// Quartiles are the 25th, 50th and 75th percentiles of a metric.
type Quartiles struct {
	P25, Median, P75 float64
}

// SummaryRow is one point and model of summary.csv.
type SummaryRow struct {
	Point  []AxisValue
	Model  string
	Runs   int         // successful runs summarized
	Failed int         // runs that failed, left out of Stats
	NotRun int         // runs that did not run (NotRun, Interrupted): a partial run
	Stats  []Quartiles // one per MetricNames entry; NaN when no run has a value
}

// Summarize groups rows by point and model, in order of their first run
// (rows are ordered by Index first), and computes each metric's quartiles
// over the successful runs. A quantile is gonum's stat.Quantile with
// stat.Empirical on the sorted values: the smallest observed value x such
// that at least a fraction p of the values are <= x, so the median of an
// even number of runs is the lower middle value. NaN values (e.g.
// revisit_plt_ms with one visit) are left out.
func Summarize(rows []Row) []SummaryRow {
	sorted := slices.Clone(rows)
	slices.SortStableFunc(sorted, func(a, b Row) int { return cmp.Compare(a.Index, b.Index) })
	type group struct {
		row  SummaryRow
		vals [][]float64
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, r := range sorted {
		k := groupKey(r.Model, r.Point)
		g := byKey[k]
		if g == nil {
			g = &group{row: SummaryRow{Point: r.Point, Model: r.Model}, vals: make([][]float64, len(MetricNames))}
			byKey[k] = g
			groups = append(groups, g)
		}
		if r.Err == NotRun || r.Err == Interrupted {
			g.row.NotRun++
			continue
		}
		if r.Err != "" {
			g.row.Failed++
			continue
		}
		g.row.Runs++
		for i, v := range r.Metrics.values() {
			if !math.IsNaN(v) {
				g.vals[i] = append(g.vals[i], v)
			}
		}
	}
	out := make([]SummaryRow, len(groups))
	for i, g := range groups {
		g.row.Stats = make([]Quartiles, len(MetricNames))
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
		out[i] = g.row
	}
	return out
}

func groupKey(model string, point []AxisValue) string {
	var b strings.Builder
	b.WriteString(model)
	for _, a := range point {
		b.WriteString("\x00" + a.Key + "\x00" + fmtExact(a.Value))
	}
	return b.String()
}

// values returns the metrics in MetricNames order.
func (m Metrics) values() []float64 {
	v := make([]float64, len(metricTable))
	for i, mt := range metricTable {
		v[i] = mt.get(&m)
	}
	return v
}

// cells returns the metric cells in MetricNames order.
func (m Metrics) cells() []cell {
	c := make([]cell, len(metricTable))
	for i, mt := range metricTable {
		if mt.Integer {
			c[i] = intCell(int64(mt.get(&m)))
		} else {
			c[i] = msCell(mt.get(&m))
		}
	}
	return c
}

// cell is one value of a table: text, or a number written as text (empty
// for NaN).
type cell struct {
	s   string
	num bool
}

func strCell(s string) cell      { return cell{s: s} }
func intCell(i int64) cell       { return cell{s: strconv.FormatInt(i, 10), num: true} }
func uintCell(u uint64) cell     { return cell{s: strconv.FormatUint(u, 10), num: true} }
func msCell(v float64) cell      { return cell{s: fmtRounded(v), num: true} }
func axisCell(v float64) cell    { return cell{s: fmtExact(v), num: true} }
func emptyNumCell() cell         { return cell{num: true} }
func emptyNumCells(n int) []cell { return slices.Repeat([]cell{emptyNumCell()}, n) }

// fmtRounded rounds v to 6 decimal places and formats it.
func fmtRounded(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	if math.Abs(v) < 1e15 {
		v = math.Round(v*1e6) / 1e6
	}
	return fmtExact(v)
}

// fmtExact formats v as the shortest decimal that reads back as v.
func fmtExact(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	if v == 0 {
		v = 0 // no "-0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

type table struct {
	header []string
	rows   [][]cell
}

func (t *table) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(t.header); err != nil {
		return err
	}
	rec := make([]string, len(t.header))
	for _, r := range t.rows {
		for i, c := range r {
			rec[i] = c.s
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeJSON writes the table as a JSON array of objects, one per line,
// keys in column order.
func (t *table) writeJSON(w io.Writer) error {
	bw := bufio.NewWriter(w)
	keys := make([]string, len(t.header))
	for i, h := range t.header {
		k, err := json.Marshal(h)
		if err != nil {
			return err
		}
		keys[i] = string(k)
	}
	bw.WriteString("[")
	for ri, r := range t.rows {
		if ri > 0 {
			bw.WriteString(",")
		}
		bw.WriteString("\n  {")
		for i, c := range r {
			if i > 0 {
				bw.WriteString(", ")
			}
			bw.WriteString(keys[i] + ": ")
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
		bw.WriteString("}")
	}
	if len(t.rows) > 0 {
		bw.WriteString("\n")
	}
	bw.WriteString("]\n")
	return bw.Flush()
}

// sweepKeys returns the spec's swept keys in order.
func sweepKeys(spec *Spec) []string {
	if spec == nil {
		return nil
	}
	var ks []string
	for _, a := range spec.Sweep {
		ks = append(ks, a.Key)
	}
	return ks
}

// pointCells returns the axis cells of a row, checking them against the keys.
func pointCells(keys []string, point []AxisValue, what string) ([]cell, error) {
	if len(point) != len(keys) {
		return nil, fmt.Errorf("experiments: %s has %d swept values, the spec sweeps %d keys", what, len(point), len(keys))
	}
	cs := make([]cell, len(keys))
	for i, a := range point {
		if a.Key != keys[i] {
			return nil, fmt.Errorf("experiments: %s: swept key %d is %q, the spec says %q", what, i, a.Key, keys[i])
		}
		cs[i] = axisCell(a.Value)
	}
	return cs, nil
}

// ResultsHeader returns the columns of results.csv: model, one column per
// swept key, run, seed, the metrics in MetricNames order, and the
// extension column error.
func ResultsHeader(spec *Spec) []string {
	h := append([]string{"model"}, sweepKeys(spec)...)
	h = append(h, "run", "seed")
	h = append(h, MetricNames...)
	return append(h, "error")
}

func resultsTable(spec *Spec, rows []Row) (*table, error) {
	t := &table{header: ResultsHeader(spec)}
	keys := sweepKeys(spec)
	sorted := slices.Clone(rows)
	slices.SortStableFunc(sorted, func(a, b Row) int { return cmp.Compare(a.Index, b.Index) })
	for _, r := range sorted {
		pc, err := pointCells(keys, r.Point, fmt.Sprintf("run %d", r.Index))
		if err != nil {
			return nil, err
		}
		c := append([]cell{strCell(r.Model)}, pc...)
		c = append(c, intCell(int64(r.Run)), uintCell(r.Seed))
		if r.Err != "" {
			c = append(c, emptyNumCells(len(MetricNames))...)
		} else {
			c = append(c, r.Metrics.cells()...)
		}
		t.rows = append(t.rows, append(c, strCell(r.Err)))
	}
	return t, nil
}

// WriteResultsCSV writes results.csv: one row per run, in Index order. A
// failed run has empty metric cells and its message in error.
func WriteResultsCSV(w io.Writer, spec *Spec, rows []Row) error {
	t, err := resultsTable(spec, rows)
	if err != nil {
		return err
	}
	return t.writeCSV(w)
}

// WriteResultsJSON writes results.json: the rows of results.csv as an
// array of objects with the same field names.
func WriteResultsJSON(w io.Writer, spec *Spec, rows []Row) error {
	t, err := resultsTable(spec, rows)
	if err != nil {
		return err
	}
	return t.writeJSON(w)
}

// SummaryHeader returns the columns of summary.csv: the swept keys,
// model, runs, <metric>_median, <metric>_p25, <metric>_p75 for each
// metric, and the extension column failed.
func SummaryHeader(spec *Spec) []string {
	h := append(sweepKeys(spec), "model", "runs")
	for _, m := range MetricNames {
		h = append(h, m+"_median", m+"_p25", m+"_p75")
	}
	return append(h, "failed")
}

func summaryTable(spec *Spec, rows []Row) (*table, error) {
	t := &table{header: SummaryHeader(spec)}
	keys := sweepKeys(spec)
	sum := Summarize(rows)
	// A partial run (some runs did not run) has one more column,
	// not_run, so that its summary cannot pass for a whole run's; a
	// whole run's summary is as it always was.
	partial := slices.ContainsFunc(sum, func(s SummaryRow) bool { return s.NotRun > 0 })
	if partial {
		t.header = append(t.header, "not_run")
	}
	for _, s := range sum {
		c, err := pointCells(keys, s.Point, "model "+s.Model)
		if err != nil {
			return nil, err
		}
		c = append(c, strCell(s.Model), intCell(int64(s.Runs)))
		for _, q := range s.Stats {
			c = append(c, msCell(q.Median), msCell(q.P25), msCell(q.P75))
		}
		c = append(c, intCell(int64(s.Failed)))
		if partial {
			c = append(c, intCell(int64(s.NotRun)))
		}
		t.rows = append(t.rows, c)
	}
	return t, nil
}

// WriteSummaryCSV writes summary.csv: one row per point and model (see
// Summarize). When some runs did not run (a partial run), failed counts
// only the runs that failed and a last column, not_run, the others.
func WriteSummaryCSV(w io.Writer, spec *Spec, rows []Row) error {
	t, err := summaryTable(spec, rows)
	if err != nil {
		return err
	}
	return t.writeCSV(w)
}

// WriteSummaryJSON writes summary.json, the JSON form of summary.csv.
func WriteSummaryJSON(w io.Writer, spec *Spec, rows []Row) error {
	t, err := summaryTable(spec, rows)
	if err != nil {
		return err
	}
	return t.writeJSON(w)
}

// RequestsHeader returns the columns of requests.csv: model, the swept
// keys, run, request, host, connection, bytes, the HAR-like times in ms,
// and the extension columns visit and queued_ms.
func RequestsHeader(spec *Spec) []string {
	h := append([]string{"model"}, sweepKeys(spec)...)
	return append(h, "run", "request", "host", "connection", "bytes",
		"start_ms", "dns_ms", "connect_ms", "tls_ms", "send_ms", "wait_ms", "receive_ms", "end_ms",
		"visit", "queued_ms")
}

func requestsTable(spec *Spec, rows []RequestRow) (*table, error) {
	t := &table{header: RequestsHeader(spec)}
	keys := sweepKeys(spec)
	for i, r := range rows {
		pc, err := pointCells(keys, r.Point, fmt.Sprintf("request row %d", i))
		if err != nil {
			return nil, err
		}
		c := append([]cell{strCell(r.Model)}, pc...)
		c = append(c, intCell(int64(r.Run)), intCell(int64(r.Request)), strCell(r.Host),
			intCell(int64(r.Connection)), intCell(r.Bytes),
			msCell(r.StartMS), msCell(r.DNSms), msCell(r.ConnectMS), msCell(r.TLSms),
			msCell(r.SendMS), msCell(r.WaitMS), msCell(r.ReceiveMS), msCell(r.EndMS),
			intCell(int64(r.Visit)), msCell(r.QueuedMS))
		t.rows = append(t.rows, c)
	}
	return t, nil
}

// WriteRequestsCSV writes requests.csv: one row per request, in the order given.
func WriteRequestsCSV(w io.Writer, spec *Spec, rows []RequestRow) error {
	t, err := requestsTable(spec, rows)
	if err != nil {
		return err
	}
	return t.writeCSV(w)
}

// WriteRequestsJSON writes requests.json, the JSON form of requests.csv.
func WriteRequestsJSON(w io.Writer, spec *Spec, rows []RequestRow) error {
	t, err := requestsTable(spec, rows)
	if err != nil {
		return err
	}
	return t.writeJSON(w)
}

// csvTable reads a CSV file with a header into column lookups.
type csvTable struct {
	header []string
	col    map[string]int
	recs   [][]string
}

func readCSV(r io.Reader, what string) (*csvTable, error) {
	cr := csv.NewReader(r)
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("experiments: %s: %w", what, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("experiments: %s: empty file, no header", what)
	}
	t := &csvTable{header: recs[0], col: map[string]int{}, recs: recs[1:]}
	for i, h := range t.header {
		if _, dup := t.col[h]; dup {
			return nil, fmt.Errorf("experiments: %s: column %q appears twice", what, h)
		}
		t.col[h] = i
	}
	return t, nil
}

// axes returns the swept keys: the columns between first and "run".
func (t *csvTable) axes(what, first string) ([]string, error) {
	if len(t.header) == 0 || t.header[0] != first {
		return nil, fmt.Errorf("experiments: %s: the first column must be %s", what, first)
	}
	run, ok := t.col["run"]
	if !ok {
		return nil, fmt.Errorf("experiments: %s: no run column", what)
	}
	return t.header[1:run], nil
}

type cellReader struct {
	t    *csvTable
	rec  []string
	line int
	what string
	err  error
}

// optional lists the extension columns a file may lack.
var optional = map[string]bool{"error": true, "visit": true, "queued_ms": true}

func (c *cellReader) get(col string) string {
	i, ok := c.t.col[col]
	if !ok && optional[col] {
		return ""
	}
	if !ok {
		if c.err == nil {
			c.err = fmt.Errorf("experiments: %s: no %s column", c.what, col)
		}
		return ""
	}
	return c.rec[i]
}

func (c *cellReader) float(col string) float64 {
	s := c.get(col)
	if s == "" {
		return math.NaN()
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil && c.err == nil {
		c.err = fmt.Errorf("experiments: %s:%d: %s: %q is not a number", c.what, c.line, col, s)
	}
	return v
}

func (c *cellReader) int(col string) int64 {
	s := c.get(col)
	if s == "" {
		return 0
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil && c.err == nil {
		c.err = fmt.Errorf("experiments: %s:%d: %s: %q is not a whole number", c.what, c.line, col, s)
	}
	return v
}

func (c *cellReader) point(keys []string) []AxisValue {
	var p []AxisValue
	for _, k := range keys {
		p = append(p, AxisValue{Key: k, Value: c.float(k), Text: c.get(k)})
	}
	return p
}

// ReadResultsCSV parses a results.csv written by WriteResultsCSV. Each
// row's Index is its position in the file, AxisValue.Text is the number
// as written, and a failed run's metrics are NaN and 0. Writing the rows
// again with the same spec gives the same bytes.
func ReadResultsCSV(r io.Reader) ([]Row, error) {
	const what = "results.csv"
	t, err := readCSV(r, what)
	if err != nil {
		return nil, err
	}
	keys, err := t.axes(what, "model")
	if err != nil {
		return nil, err
	}
	rows := make([]Row, 0, len(t.recs))
	for i, rec := range t.recs {
		c := &cellReader{t: t, rec: rec, line: i + 2, what: what}
		row := Row{Index: i, Model: c.get("model"), Point: c.point(keys), Run: int(c.int("run")), Err: c.get("error")}
		if s := c.get("seed"); s != "" {
			row.Seed, err = strconv.ParseUint(s, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("experiments: %s:%d: seed: %q is not a seed", what, i+2, s)
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
			return nil, c.err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// ReadRequestsCSV parses a requests.csv written by WriteRequestsCSV.
func ReadRequestsCSV(r io.Reader) ([]RequestRow, error) {
	const what = "requests.csv"
	t, err := readCSV(r, what)
	if err != nil {
		return nil, err
	}
	keys, err := t.axes(what, "model")
	if err != nil {
		return nil, err
	}
	rows := make([]RequestRow, 0, len(t.recs))
	for i, rec := range t.recs {
		c := &cellReader{t: t, rec: rec, line: i + 2, what: what}
		rows = append(rows, RequestRow{
			Model: c.get("model"), Point: c.point(keys), Run: int(c.int("run")),
			Request: int(c.int("request")), Visit: int(c.int("visit")), Host: c.get("host"),
			Connection: int(c.int("connection")), Bytes: c.int("bytes"),
			StartMS: c.float("start_ms"), DNSms: c.float("dns_ms"), ConnectMS: c.float("connect_ms"),
			TLSms: c.float("tls_ms"), SendMS: c.float("send_ms"), WaitMS: c.float("wait_ms"),
			ReceiveMS: c.float("receive_ms"), EndMS: c.float("end_ms"), QueuedMS: c.float("queued_ms"),
		})
		if c.err != nil {
			return nil, c.err
		}
	}
	return rows, nil
}

// runKeys maps each run of s to its index, keyed like groupKey plus the
// repetition.
func (s *Spec) runKeys() (map[string]int, error) {
	runs, err := s.Runs()
	if err != nil {
		return nil, err
	}
	idx := make(map[string]int, len(runs))
	for _, r := range runs {
		var pt []AxisValue
		for _, a := range r.Point.Axes {
			pt = append(pt, AxisValue{Key: a.Key, Value: a.Value})
		}
		idx[groupKey(r.Model.Label, pt)+"\x00"+strconv.Itoa(r.Rep)] = r.Index
	}
	return idx, nil
}

// IndexRows sets each row's Index to its run's index in s.Runs(), matching
// rows by model label, swept values and repetition, and sorts the rows by
// it: how rows read back from shard folders are put in the order one
// whole run writes them. A row that matches no run, or a run matched
// twice, is an error.
func (s *Spec) IndexRows(rows []Row) error {
	idx, err := s.runKeys()
	if err != nil {
		return err
	}
	seen := map[int]bool{}
	for i := range rows {
		r := &rows[i]
		k := groupKey(r.Model, r.Point) + "\x00" + strconv.Itoa(r.Run)
		j, ok := idx[k]
		if !ok {
			return fmt.Errorf("experiments: row %d (model %s, run %d) matches no run of %s", i, r.Model, r.Run, s.Name)
		}
		if seen[j] {
			return fmt.Errorf("experiments: row %d (model %s, run %d) repeats a run", i, r.Model, r.Run)
		}
		seen[j] = true
		r.Index = j
	}
	slices.SortStableFunc(rows, func(a, b Row) int { return cmp.Compare(a.Index, b.Index) })
	return nil
}

// SortRequestRows sorts request rows into run order (see IndexRows),
// keeping the order of the requests within each run.
func (s *Spec) SortRequestRows(rows []RequestRow) error {
	idx, err := s.runKeys()
	if err != nil {
		return err
	}
	at := make([]int, len(rows))
	for i, r := range rows {
		j, ok := idx[groupKey(r.Model, r.Point)+"\x00"+strconv.Itoa(r.Run)]
		if !ok {
			return fmt.Errorf("experiments: request row %d (model %s, run %d) matches no run of %s", i, r.Model, r.Run, s.Name)
		}
		at[i] = j
	}
	perm := make([]int, len(rows))
	for i := range perm {
		perm[i] = i
	}
	slices.SortStableFunc(perm, func(a, b int) int { return cmp.Compare(at[a], at[b]) })
	sorted := make([]RequestRow, len(rows))
	for i, p := range perm {
		sorted[i] = rows[p]
	}
	copy(rows, sorted)
	return nil
}

// WriteFileAtomic writes a file through write so that path never holds a
// partial file: the data goes to a temporary file in the same directory,
// which is synced and then renamed over path. On any error (or a panic in
// write) the temporary file is removed and path is left as it was.
func WriteFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriter(f)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	done = true
	// Make the rename durable; not every system can sync a directory.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
