package experiments

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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
	var groups []*summaryGroup
	byKey := map[string]*summaryGroup{}
	for _, r := range sorted {
		k := groupKey(r.Model, r.Point)
		g := byKey[k]
		if g == nil {
			g = newSummaryGroup(r)
			byKey[k] = g
			groups = append(groups, g)
		}
		g.add(r)
	}
	out := make([]SummaryRow, len(groups))
	for i, g := range groups {
		out[i] = g.finish()
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

// checkPoint checks a row's swept values against the keys.
//
// what names the row in messages; it is called only on an error, so
// that a writer does not format a name for every row it writes.
func checkPoint(keys []string, point []AxisValue, what func() string) error {
	if len(point) != len(keys) {
		return fmt.Errorf("experiments: %s has %d swept values, the spec sweeps %d keys", what(), len(point), len(keys))
	}
	for i, a := range point {
		if a.Key != keys[i] {
			return fmt.Errorf("experiments: %s: swept key %d is %q, the spec says %q", what(), i, a.Key, keys[i])
		}
	}
	return nil
}

// ResultsHeader returns the columns of results.csv: model, one column per
// swept key, run, seed, the metrics in MetricNames order (with clients:,
// then PopulationMetricNames), and the extension column error.
func ResultsHeader(spec *Spec) []string {
	h := append([]string{"model"}, sweepKeys(spec)...)
	h = append(h, "run", "seed")
	h = append(h, spec.MetricNames()...)
	return append(h, "error")
}

// byIndex returns rows sorted by Index (run order).
func byIndex(rows []Row) []Row {
	sorted := slices.Clone(rows)
	slices.SortStableFunc(sorted, func(a, b Row) int { return cmp.Compare(a.Index, b.Index) })
	return sorted
}

func writeResults(w io.Writer, spec *Spec, rows []Row, f Format) error {
	rw, err := NewResultsWriter(w, spec, f)
	if err != nil {
		return err
	}
	for _, r := range byIndex(rows) {
		if err := rw.Write(r); err != nil {
			return err
		}
	}
	return rw.Close()
}

// WriteResultsCSV writes results.csv: one row per run, in Index order. A
// failed run has empty metric cells and its message in error.
func WriteResultsCSV(w io.Writer, spec *Spec, rows []Row) error {
	return writeResults(w, spec, rows, CSV)
}

// WriteResultsJSON writes results.json: the rows of results.csv as an
// array of objects with the same field names.
func WriteResultsJSON(w io.Writer, spec *Spec, rows []Row) error {
	return writeResults(w, spec, rows, JSON)
}

// SummaryHeader returns the columns of summary.csv: the swept keys,
// model, runs, <metric>_median, <metric>_p25, <metric>_p75 for each
// metric, and the extension column failed.
func SummaryHeader(spec *Spec) []string {
	h := append(sweepKeys(spec), "model", "runs")
	for _, m := range spec.MetricNames() {
		h = append(h, m+"_median", m+"_p25", m+"_p75")
	}
	return append(h, "failed")
}

// WriteSummaryCSV writes summary.csv: one row per point and model (see
// Summarize). When some runs did not run (a partial run), failed counts
// only the runs that failed and a last column, not_run, the others.
func WriteSummaryCSV(w io.Writer, spec *Spec, rows []Row) error {
	return WriteSummary(w, spec, Summarize(rows), CSV)
}

// WriteSummaryJSON writes summary.json, the JSON form of summary.csv.
func WriteSummaryJSON(w io.Writer, spec *Spec, rows []Row) error {
	return WriteSummary(w, spec, Summarize(rows), JSON)
}

// RequestsHeader returns the columns of requests.csv: model, the swept
// keys, run, request, host, connection, bytes, the HAR-like times in ms,
// and the extension columns visit and queued_ms; with clients:, then
// client, refusals and replayed.
func RequestsHeader(spec *Spec) []string {
	h := append([]string{"model"}, sweepKeys(spec)...)
	h = append(h, "run", "request", "host", "connection", "bytes",
		"start_ms", "dns_ms", "connect_ms", "tls_ms", "send_ms", "wait_ms", "receive_ms", "end_ms",
		"visit", "queued_ms")
	if spec.HasClients() {
		h = append(h, populationRequestColumns...)
	}
	return h
}

// populationRequestColumns are the extension columns of requests.csv
// with clients:.
var populationRequestColumns = []string{"client", "refusals", "replayed"}

func writeRequests(w io.Writer, spec *Spec, rows []RequestRow, f Format) error {
	rw, err := NewRequestsWriter(w, spec, f)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := rw.Write(r); err != nil {
			return err
		}
	}
	return rw.Close()
}

// WriteRequestsCSV writes requests.csv: one row per request, in the order given.
func WriteRequestsCSV(w io.Writer, spec *Spec, rows []RequestRow) error {
	return writeRequests(w, spec, rows, CSV)
}

// WriteRequestsJSON writes requests.json, the JSON form of requests.csv.
func WriteRequestsJSON(w io.Writer, spec *Spec, rows []RequestRow) error {
	return writeRequests(w, spec, rows, JSON)
}

// csvTable reads a CSV file with a header into column lookups.
type csvTable struct {
	header []string
	col    map[string]int
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

// optional lists the extension columns a file may lack: a file of a spec
// without clients: has no population columns.
var optional = func() map[string]bool {
	m := map[string]bool{"error": true, "visit": true, "queued_ms": true}
	for _, c := range slices.Concat(PopulationMetricNames, PipeliningMetricNames, ProxyMetricNames, RequestMetricNames, populationRequestColumns) {
		m[c] = true
	}
	return m
}()

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
	rr, err := NewResultsReader(r)
	if err != nil {
		return nil, err
	}
	return readAll(rr.Read)
}

// ReadRequestsCSV parses a requests.csv written by WriteRequestsCSV.
func ReadRequestsCSV(r io.Reader) ([]RequestRow, error) {
	rr, err := NewRequestsReader(r)
	if err != nil {
		return nil, err
	}
	return readAll(rr.Read)
}

// readAll reads rows with read until io.EOF.
func readAll[T any](read func() (T, error)) ([]T, error) {
	var rows []T
	for {
		row, err := read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
}

func parseSeed(s string) (uint64, error) { return strconv.ParseUint(s, 10, 64) }

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
