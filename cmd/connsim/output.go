package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"

	"gonum.org/v1/plot"

	"github.com/connsim/connsim/experiments"
	"github.com/connsim/connsim/plots"
)

type outputOpts struct {
	format string // csv or json
	plots  bool   // plots and report.html
	shard  string // "K/N" for a shard's folder (results, requests and the spec only); "" otherwise
	// replacePartial lets a partial run replace a complete one at
	// OUT/NAME; otherwise it goes to OUT/NAME.partial.
	replacePartial bool
	// why says what stopped a partial run ("SIGINT"), for its notices.
	why string
	// step is outDir.step (tests).
	step func(op, path string) error
	// stop, when set, means a signal came: figures not yet drawn are
	// left out and the folder is marked partial, so that the command
	// ends within a second even while it draws.
	stop *atomic.Bool
}

// written is what writeOutputs wrote.
type written struct {
	dir     string // the folder the run is in now
	partial bool   // some runs did not finish (manifest status partial)
	kept    string // with partial: the folder of the complete run kept, or ""
	plotErr error  // a plot failed: the folder has no plots and no report
}

// writeOutputs writes an experiment's files as one transaction (see
// outdir.go) into OUT/NAME, and returns where they went.
func writeOutputs(od *outDir, s *experiments.Spec, results []experiments.Result, runs []experiments.RunConfig, o outputOpts) (written, error) {
	rows := make([]experiments.Row, len(results))
	var reqs []experiments.RequestRow
	traces := map[int]*experiments.Trace{}
	for i, r := range results {
		rows[i] = r.Row
		reqs = append(reqs, r.Requests...)
		if r.Trace != nil {
			traces[r.Row.Index] = r.Trace
		}
	}
	return writeRows(od, s, rows, reqs, traces, runs, o)
}

// countRuns counts rows by outcome, for the manifest.
func countRuns(rows []experiments.Row) manifestRuns {
	n := manifestRuns{Total: len(rows)}
	for _, r := range rows {
		switch r.Err {
		case "":
			n.Done++
		case experiments.NotRun, experiments.Interrupted:
			n.NotRun++
		default:
			n.Failed++
		}
	}
	return n
}

// writeRows writes the files into a staging folder and commits it: to
// OUT/NAME, or, for a partial run beside a complete one (without
// replacePartial), to OUT/NAME.partial.
func writeRows(od *outDir, s *experiments.Spec, rows []experiments.Row, reqs []experiments.RequestRow,
	traces map[int]*experiments.Trace, runs []experiments.RunConfig, o outputOpts) (written, error) {
	staging, err := od.newStaging()
	if err != nil {
		return written{}, err
	}
	w := written{dir: od.target()}
	plotErr, cut, err := writeFiles(s, staging, rows, reqs, traces, runs, o)
	if err == nil {
		m := &manifest{Format: manifestFormat, Connsim: version, Experiment: s.Name, Status: statusComplete,
			Seed: s.Seed, Shard: o.shard, Runs: countRuns(rows)}
		if m.Runs.NotRun > 0 || cut {
			m.Status = statusPartial
		}
		_, m.SpecSHA256, err = hashFile(filepath.Join(staging, "experiment.yaml"))
		if err == nil {
			err = od.do("write", manifestName)
		}
		if err == nil {
			err = writeManifest(staging, m)
		}
		w.partial = m.Status == statusPartial
	}
	if err == nil && w.partial && !o.replacePartial && holdsComplete(od.target()) {
		w.kept, w.dir = od.target(), od.partialTarget()
	}
	if err == nil {
		err = od.commit(staging, w.dir)
	}
	if err != nil {
		if od.do("removeall", staging) == nil {
			os.RemoveAll(staging)
		}
		return written{}, err
	}
	w.plotErr = plotErr
	if !w.partial {
		od.removePartial()
	}
	return w, nil
}

// writeFiles writes an experiment's files into the empty folder dir. A
// plot that fails leaves out the plots and the report (and is returned
// as plotErr, with err nil) so that the results are not lost; in a
// partial run a plot that cannot be drawn is only left out.
//
// cut reports that a signal stopped the drawing of figures: the folder
// holds every result but not every figure, and is marked partial.
func writeFiles(s *experiments.Spec, dir string, rows []experiments.Row, reqs []experiments.RequestRow,
	traces map[int]*experiments.Trace, runs []experiments.RunConfig, o outputOpts) (plotErr error, cut bool, err error) {
	type file struct {
		name  string
		write func(io.Writer) error
	}
	ext := "." + o.format
	files := []file{
		{"experiment.yaml", func(w io.Writer) error {
			b, err := s.MarshalResolved()
			if err == nil {
				_, err = w.Write(b)
			}
			return err
		}},
	}
	if o.format == "json" {
		files = append(files,
			file{"results" + ext, func(w io.Writer) error { return experiments.WriteResultsJSON(w, s, rows) }},
			file{"summary" + ext, func(w io.Writer) error { return experiments.WriteSummaryJSON(w, s, rows) }},
			file{"requests" + ext, func(w io.Writer) error { return experiments.WriteRequestsJSON(w, s, reqs) }})
	} else {
		files = append(files,
			file{"results" + ext, func(w io.Writer) error { return experiments.WriteResultsCSV(w, s, rows) }},
			file{"summary" + ext, func(w io.Writer) error { return experiments.WriteSummaryCSV(w, s, rows) }},
			file{"requests" + ext, func(w io.Writer) error { return experiments.WriteRequestsCSV(w, s, reqs) }})
	}
	n := countRuns(rows)
	partial := n.NotRun > 0
	notice := ""
	if partial {
		why := "interrupted"
		if o.why != "" {
			why = "interrupted by " + o.why
		}
		notice = fmt.Sprintf("PARTIAL RUN: %s; %d of %d runs finished, %d did not (their rows say %q or %q in the error column), %d failed.",
			why, n.Done+n.Failed, n.Total, n.NotRun, experiments.NotRun, experiments.Interrupted, n.Failed)
		files = append(files, file{partialName, func(w io.Writer) error {
			_, err := fmt.Fprintf(w, "%s\nThis folder does not hold a whole run of %s: do not read its summary as one.\nRun the experiment again for the whole run.\n", notice, s.Name)
			return err
		}})
	}
	for _, f := range files {
		if o.step != nil {
			if err := o.step("write", f.name); err != nil {
				return nil, false, err
			}
		}
		if err := experiments.WriteFileAtomic(filepath.Join(dir, f.name), f.write); err != nil {
			return nil, false, fmt.Errorf("writing %s: %w", f.name, err)
		}
	}
	if !o.plots {
		return nil, false, nil
	}
	if o.step != nil {
		if err := o.step("write", "plots"); err != nil {
			return nil, false, err
		}
	}
	figs, skipped, cut, err := makeFigures(s, dir, rows, reqs, traces, runs, partial, o.stop)
	if err != nil {
		// The results stand; plots of them could not be made. Leave no
		// plots and no report rather than some.
		if rerr := os.RemoveAll(filepath.Join(dir, "plots")); rerr != nil {
			return nil, false, rerr
		}
		return err, false, nil
	}
	if cut && !partial {
		// Every run finished, but a signal stopped the figures: say so
		// as a partial run does.
		partial = true
		why := "interrupted"
		if o.why != "" {
			why = "interrupted by " + o.why
		}
		notice = fmt.Sprintf("PARTIAL RUN: %s while drawing the figures; all %d runs finished and their files are whole, but some figures were not drawn.", why, n.Total)
		if err := experiments.WriteFileAtomic(filepath.Join(dir, partialName), func(w io.Writer) error {
			_, err := fmt.Fprintf(w, "%s\nRun the experiment again for every figure.\n", notice)
			return err
		}); err != nil {
			return nil, false, err
		}
	}
	var summary bytes.Buffer
	if err := experiments.WriteSummaryCSV(&summary, s, rows); err != nil {
		return nil, false, err
	}
	header, table := medianColumns(summary.Bytes())
	nameCells(s.Sweep, header, table)
	spec, err := s.MarshalResolved()
	if err != nil {
		return nil, false, err
	}
	title := s.Title
	if title == "" {
		title = s.Name
	}
	data := plots.ReportData{
		Title:         title,
		Description:   s.Description,
		Figures:       figs,
		SummaryHeader: header,
		Summary:       table,
		SpecYAML:      string(spec),
		Note:          fmt.Sprintf("Generated by connsim %s from %d runs. Medians shown; summary.csv has p25 and p75 too.", version, len(rows)),
	}
	if partial {
		data.Title = "PARTIAL: " + title
		data.Description = notice + " The figures and the table show only the runs that finished."
		if len(skipped) > 0 {
			data.Description += " Left out: " + strings.Join(skipped, "; ") + "."
		}
		if s.Description != "" {
			data.Description += "\n\n" + s.Description
		}
		data.Note = fmt.Sprintf("Generated by connsim %s from %d of %d runs (partial). Medians shown; summary.csv has p25 and p75 too.", version, n.Done+n.Failed, n.Total)
	}
	if o.step != nil {
		if err := o.step("write", "report.html"); err != nil {
			return nil, false, err
		}
	}
	if err := experiments.WriteFileAtomic(filepath.Join(dir, "report.html"), func(w io.Writer) error {
		return plots.Report(w, data)
	}); err != nil {
		return nil, false, err
	}
	return nil, cut, nil
}

// nameCells shows, in the report's summary table, the names the spec's
// labels give to swept values ("LAN" where summary.csv has the index 0).
func nameCells(sweep experiments.Sweep, header []string, table [][]string) {
	for col, h := range header {
		a, ok := sweep.Axis(h)
		if !ok {
			continue
		}
		for _, row := range table {
			if col >= len(row) {
				continue
			}
			v, err := strconv.ParseFloat(row[col], 64)
			if err != nil {
				continue
			}
			for _, sv := range a.Values {
				if sv.Label != "" && sv.Value == v {
					row[col] = sv.Label
				}
			}
		}
	}
}

// medianColumns keeps the point keys, model, runs and the _median columns
// of summary.csv, for the report's table.
func medianColumns(summary []byte) ([]string, [][]string) {
	recs, err := csv.NewReader(bytes.NewReader(summary)).ReadAll()
	if err != nil || len(recs) == 0 {
		return nil, nil
	}
	var keep []int
	var header []string
	for i, h := range recs[0] {
		if strings.HasSuffix(h, "_p25") || strings.HasSuffix(h, "_p75") {
			continue
		}
		keep = append(keep, i)
		header = append(header, strings.TrimSuffix(h, "_median"))
	}
	var out [][]string
	for _, r := range recs[1:] {
		var row []string
		for _, i := range keep {
			if i < len(r) {
				row = append(row, r[i])
			}
		}
		out = append(out, row)
	}
	return header, out
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

func slug(s string) string {
	s = strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > 48 {
		s = strings.TrimRight(s[:48], "-")
	}
	return s
}

// makeFigures draws every plot of the spec into dir/plots and returns them
// for the report.
//
// In a partial run (partial set) a plot that cannot be drawn, or that
// shows one run that did not finish, is left out and named in skipped.
//
// When stop becomes set (a signal), the figures not yet drawn are left
// out, named in skipped, and cut is true.
func makeFigures(s *experiments.Spec, dir string, rows []experiments.Row, reqs []experiments.RequestRow,
	traces map[int]*experiments.Trace, runs []experiments.RunConfig, partial bool, stop *atomic.Bool) (figs []plots.Figure, skipped []string, cut bool, err error) {
	pdir := filepath.Join(dir, "plots")
	if err := os.MkdirAll(pdir, 0o755); err != nil {
		return nil, nil, false, err
	}
	finished := map[int]bool{}
	for _, r := range rows {
		if r.Err != experiments.NotRun && r.Err != experiments.Interrupted {
			finished[r.Index] = true
		}
	}
	for i, ps := range s.Plots {
		if stop != nil && stop.Load() {
			skipped = append(skipped, fmt.Sprintf("plots %d to %d, not drawn: interrupted", i+1, len(s.Plots)))
			return figs, skipped, true, nil
		}
		if partial && ps.Kind != experiments.PlotLine && ps.Kind != experiments.PlotBar {
			// A per-run figure of a run that did not finish would run it
			// again (traceFor): leave it out.
			shown := false
			for _, rc := range runs {
				if experiments.PlotShows(ps, rc) {
					shown = finished[rc.Index]
					break
				}
			}
			if !shown {
				skipped = append(skipped, fmt.Sprintf("plot %d (%s), whose run did not finish", i+1, ps.Kind))
				continue
			}
		}
		p, caption, err := drawPlot(s, ps, rows, reqs, traces, runs)
		if err != nil && partial {
			skipped = append(skipped, fmt.Sprintf("plot %d (%s): %v", i+1, ps.Kind, err))
			continue
		}
		if err != nil {
			return figs, skipped, false, fmt.Errorf("plot %d (%s): %w", i+1, ps.Kind, err)
		}
		name := fmt.Sprintf("%02d-%s", i+1, ps.Kind)
		if t := slug(ps.Title); t != "" {
			name = fmt.Sprintf("%02d-%s", i+1, t)
		}
		w, h := plots.DefaultSize(p)
		if err := plots.Save(p, pdir, name, w, h); err != nil {
			return figs, skipped, false, err
		}
		png, err := os.ReadFile(filepath.Join(pdir, name+".png"))
		if err != nil {
			return figs, skipped, false, err
		}
		title := ps.Title
		if title == "" {
			title = p.Title.Text
		}
		figs = append(figs, plots.Figure{Name: name, Title: title, Caption: caption, PNG: png})
	}
	return figs, skipped, false, nil
}

func drawPlot(s *experiments.Spec, ps experiments.PlotSpec, rows []experiments.Row, reqs []experiments.RequestRow,
	traces map[int]*experiments.Trace, runs []experiments.RunConfig) (*plot.Plot, string, error) {
	switch ps.Kind {
	case experiments.PlotLine, experiments.PlotBar:
		sel := rows
		if ps.Model != "" {
			sel = nil
			for _, r := range rows {
				if r.Model == ps.Model {
					sel = append(sel, r)
				}
			}
		}
		spread := "the median of the runs"
		if s.Repeat > 1 {
			spread = fmt.Sprintf("the median of %d runs, with the 25th-75th percentile range", s.Repeat)
		}
		if ps.Kind == experiments.PlotLine {
			p, err := plots.Line(sel, plots.LineOptions{X: ps.X, Y: ps.Y, Series: ps.Series, Where: ps.Point.Where(),
				Title: ps.Title, LogX: ps.LogX, LogY: ps.LogY})
			return p, fmt.Sprintf("%s against %s, one line per %s; each point is %s.",
				capitalize(metricName(ps.Y)), plots.KeyUnit(ps.X).Name, seriesName(ps.Series), spread), err
		}
		x, series := ps.X, ps.Series
		if x == "model" {
			x = ""
		}
		if series == "none" {
			series = "" // one bar per model
		}
		p, err := plots.Bar(sel, plots.BarOptions{X: x, Y: ps.Y, Series: series, Where: ps.Point.Where(), Title: ps.Title})
		what := capitalize(metricName(ps.Y)) + " per model"
		if x != "" {
			what = fmt.Sprintf("%s by %s, one bar per %s", capitalize(metricName(ps.Y)), plots.KeyUnit(x).Name, seriesName(ps.Series))
		}
		return p, fmt.Sprintf("%s; each bar is %s.", what, spread), err
	}
	// Per-run figures: find the run.
	var rc *experiments.RunConfig
	for i := range runs {
		if experiments.PlotShows(ps, runs[i]) {
			rc = &runs[i]
			break
		}
	}
	if rc == nil {
		return nil, "", fmt.Errorf("no run of model %q at %s, run %d", ps.Model, pointText(s.Sweep, ps.Point), ps.Run)
	}
	where := fmt.Sprintf("model %s at %s, run %d", ps.Model, pointText(s.Sweep, ps.Point), ps.Run)
	switch ps.Kind {
	case experiments.PlotWaterfall:
		var sel []experiments.RequestRow
		for _, r := range reqs {
			if r.Model == rc.Model.Label && r.Run == rc.Rep && samePoint(r.Point, rc.Point.Axes) {
				sel = append(sel, r)
			}
		}
		p, err := plots.Waterfall(sel, plots.WaterfallOptions{Title: ps.Title})
		return p, "One page load, " + where + ": one row per request, split into its phases (queued, dns, connect, tls, send, wait, receive); c<N> in the row label names the connection that carried it, and the stripe at the left tells connections apart (hosts, when the page uses several).", err
	case experiments.PlotCwnd:
		tr, err := traceFor(traces, *rc)
		if err != nil {
			return nil, "", err
		}
		var conns []int
		if ps.Connection > 0 {
			conns = []int{ps.Connection}
		}
		var sel []experiments.RequestRow // the run's requests: visits and the x range
		for _, r := range reqs {
			if r.Model == rc.Model.Label && r.Run == rc.Rep && samePoint(r.Point, rc.Point.Axes) {
				sel = append(sel, r)
			}
		}
		p, err := plots.Cwnd(*tr, plots.CwndOptions{Title: ps.Title, Conns: conns, Requests: sel})
		return p, "The server's congestion window (and ssthresh, dotted, once a loss or an idle restart has set it) on each connection of one page load, " + where + "; ticks mark the end of each response.", err
	case experiments.PlotSequence:
		tr, err := traceFor(traces, *rc)
		if err != nil {
			return nil, "", err
		}
		conn := ps.Connection
		if conn == 0 {
			conn = 1
		}
		p, err := plots.Sequence(*tr, conn, plots.SequenceOptions{Title: ps.Title})
		return p, fmt.Sprintf("Time-sequence plot of connection %d, %s: the sequence number of each data segment against the time it was sent, with the client's ACKs; retransmissions and drops marked.", conn, where), err
	}
	return nil, "", fmt.Errorf("unknown plot kind %q", ps.Kind)
}

// traceFor returns the trace of run rc, running it again when the results
// came from files (merge): runs are deterministic, so this is the same run.
func traceFor(traces map[int]*experiments.Trace, rc experiments.RunConfig) (*experiments.Trace, error) {
	if tr, ok := traces[rc.Index]; ok {
		return tr, nil
	}
	r := experiments.Run(rc, true)
	if r.Trace == nil {
		return nil, fmt.Errorf("run %s has no trace", rc.ID)
	}
	traces[rc.Index] = r.Trace
	return r.Trace, nil
}

// seriesName names what a line or bar series stands for in a caption.
func seriesName(s string) string {
	if s == "" || s == "model" || s == "none" {
		return "model"
	}
	return plots.KeyUnit(s).Name
}

// metricName is a metric's name in words ("page load time"), or the
// column name when it has none.
func metricName(m string) string {
	if u, ok := plots.MetricUnit(m); ok {
		return u.Name
	}
	return m
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func pointText(sweep experiments.Sweep, p experiments.PlotPoint) string {
	if len(p) == 0 {
		return "the only point"
	}
	var parts []string
	for _, s := range p {
		text := s.Text
		if a, ok := sweep.Axis(s.Key); ok {
			for _, v := range a.Values {
				if v.Value == s.Value && v.Label != "" {
					text = v.Label // named in the spec's labels
				}
			}
		}
		parts = append(parts, s.Key+"="+text)
	}
	return strings.Join(parts, ", ")
}

func samePoint(a, b []experiments.AxisValue) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || a[i].Value != b[i].Value {
			return false
		}
	}
	return true
}
