package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/connsim/connsim/experiments"
	"github.com/connsim/connsim/har"
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
	// workers bounds the figures drawn at once; < 1 means GOMAXPROCS.
	workers int
}

// written is what writeOutputs wrote.
type written struct {
	dir     string // the folder the run is in now
	partial bool   // some runs did not finish (manifest status partial)
	kept    string // with partial: the folder of the complete run kept, or ""
	plotErr error  // a plot failed: the folder has no plots and no report
}

// writeOutputs writes the files of results held in memory, those of every
// run of s in run order (tests; connsim run streams them through
// streamOut), as one transaction into OUT/NAME.
func writeOutputs(od *outDir, s *experiments.Spec, results []experiments.Result, o outputOpts) (written, error) {
	plan, err := s.Plan()
	if err != nil {
		return written{}, err
	}
	so := newStreamOut(od, s, plan, o)
	for i, r := range results {
		rc := plan.Run(i)
		if err := so.add(&rc, r); err != nil {
			so.abort()
			return written{}, err
		}
	}
	return so.finish()
}

// streamOut writes an experiment's folder as its runs finish, in run
// order: the rows of results and requests go to files in a staging
// folder at once, the summary keeps one point and model at a time, and
// only what the figures draw is kept (the rows of the line and bar
// charts, the requests and traces of the runs a per-run figure shows;
// nothing under --no-plots). finish writes the summary, the figures, the
// report and the manifest and commits the folder (see outdir.go); abort
// removes the staging folder. The staging folder is made when the first
// result comes, so that nothing is written while the first runs go on.
type streamOut struct {
	od   *outDir
	s    *experiments.Spec
	plan *experiments.Plan // the runs, for the figures that show one
	o    outputOpts

	staging string
	files   []*os.File
	names   []string // the files' names in the staging folder
	bufs    []*bufio.Writer
	// sums are the streamed files' sizes and SHA-256, taken as they are
	// closed, for the manifest (not read again after the last run).
	sums       map[string]manifestFile
	results    *experiments.ResultsWriter
	requests   *experiments.RequestsWriter
	hops       *experiments.HopsWriter    // hops.csv: with proxies
	servers    *experiments.ServersWriter // servers.csv: with servers:
	summarizer experiments.Summarizer
	spill      *os.File // the summary's finished rows, in the staging folder until finish
	// summaryStreamed: summary.csv was written whole as the points
	// finished (no run was cut short), so finish need not write it.
	summaryStreamed bool
	counts          manifestRuns

	needs  figureNeeds
	rows   []experiments.Row        // the rows the figures draw
	reqs   []experiments.RequestRow // the requests of the runs per-run figures show
	traces map[int]*experiments.Trace
	first  bool // the first row is kept: the charts learn the swept keys from it

	failures []string // "run N (ID) failed: ...", for the command to print; at most maxFailureLines
}

func newStreamOut(od *outDir, s *experiments.Spec, plan *experiments.Plan, o outputOpts) *streamOut {
	so := &streamOut{od: od, s: s, plan: plan, o: o, traces: map[int]*experiments.Trace{}}
	if o.plots {
		so.needs = newFigureNeeds(s)
	}
	return so
}

func (so *streamOut) format() experiments.Format {
	if so.o.format == "json" {
		return experiments.JSON
	}
	return experiments.CSV
}

// open makes the staging folder and starts the files written as rows
// come: experiment.yaml, results and requests.
func (so *streamOut) open() error {
	staging, err := so.od.newStaging()
	if err != nil {
		return err
	}
	so.staging = staging
	// The summary's finished rows wait in a file of the staging folder,
	// removed before the folder is committed, so that a sweep of many
	// points does not hold its summary in memory.
	if err := so.step(spillName); err != nil {
		return err
	}
	if so.spill, err = os.OpenFile(filepath.Join(staging, spillName), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", spillName, err)
	}
	so.summarizer.Spill(so.spill)
	if err := so.step("experiment.yaml"); err != nil {
		return err
	}
	if err := experiments.WriteFileAtomic(filepath.Join(staging, "experiment.yaml"), func(w io.Writer) error {
		b, err := so.s.MarshalResolved()
		if err == nil {
			_, err = w.Write(b)
		}
		return err
	}); err != nil {
		return fmt.Errorf("writing experiment.yaml: %w", err)
	}
	ext := "." + so.o.format
	// summary.csv is written as the points finish too; a run that stops
	// early rewrites it at the end with its not_run column (writeRest).
	var bufs [3]*bufio.Writer
	for i, name := range []string{"results" + ext, "requests" + ext, "summary" + ext} {
		if bufs[i], err = so.create(name); err != nil {
			return err
		}
	}
	if so.results, err = experiments.NewResultsWriter(bufs[0], so.s, so.format()); err != nil {
		return err
	}
	if so.requests, err = experiments.NewRequestsWriter(bufs[1], so.s, so.format()); err != nil {
		return err
	}
	if so.s.WantsHops() { // a shard's folder too: merge joins the shards' hops files
		b, err := so.create("hops" + ext)
		if err != nil {
			return err
		}
		if so.hops, err = experiments.NewHopsWriter(b, so.s, so.format()); err != nil {
			return err
		}
	}
	if so.s.WantsServers() { // as hops
		b, err := so.create("servers" + ext)
		if err != nil {
			return err
		}
		if so.servers, err = experiments.NewServersWriter(b, so.s, so.format()); err != nil {
			return err
		}
	}
	return so.summarizer.Stream(bufs[2], so.s, so.format())
}

// create makes the streamed file name in the staging folder and returns
// its buffer; finishing the runs flushes, syncs and hashes it.
func (so *streamOut) create(name string) (*bufio.Writer, error) {
	if err := so.step(name); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(so.staging, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", name, err)
	}
	b := bufio.NewWriterSize(f, 64<<10)
	so.files = append(so.files, f)
	so.names = append(so.names, name)
	so.bufs = append(so.bufs, b)
	return b, nil
}

func (so *streamOut) step(name string) error {
	if so.o.step != nil {
		return so.o.step("write", name)
	}
	return nil
}

// add writes the result of run rc, the next in run order.
func (so *streamOut) add(rc *experiments.RunConfig, r experiments.Result) error {
	if so.staging == "" {
		if err := so.open(); err != nil {
			return err
		}
	}
	row := r.Row
	if err := so.results.Write(row); err != nil {
		return err
	}
	for _, q := range r.Requests {
		if err := so.requests.Write(q); err != nil {
			return err
		}
	}
	if so.hops != nil {
		for _, h := range r.Hops {
			if err := so.hops.Write(h); err != nil {
				return err
			}
		}
	}
	if so.servers != nil {
		for _, v := range r.Servers {
			if err := so.servers.Write(v); err != nil {
				return err
			}
		}
	}
	if err := so.summarizer.Add(row); err != nil {
		return err
	}
	if err := experiments.WriteCapture(so.staging, r.Capture); err != nil { // the spec's capture: (issue 13)
		return err
	}
	so.counts.Total++
	switch row.Err {
	case "":
		so.counts.Done++
	case experiments.NotRun, experiments.Interrupted:
		so.counts.NotRun++
	default:
		so.counts.Failed++
		// The first maxFailureLines are named; the count says the rest.
		if len(so.failures) < maxFailureLines {
			so.failures = append(so.failures, fmt.Sprintf("run %d (%s) failed: %s", row.Index, rc.ID, row.Err))
		}
	}
	if so.s.WantsHAR() && so.o.shard == "" && row.Err != experiments.NotRun && row.Err != experiments.Interrupted {
		if err := so.writeHAR(rc, r); err != nil {
			return err
		}
	}
	if !so.o.plots {
		return nil
	}
	perRun := so.needs.perRun(rc)
	if !so.first || perRun || so.needs.chart(row) {
		so.first = true
		so.rows = append(so.rows, row)
	}
	if perRun {
		so.reqs = append(so.reqs, r.Requests...)
		if r.Trace != nil {
			so.traces[row.Index] = r.Trace
		}
	}
	return nil
}

// writeHAR writes run rc's page loads as HAR 1.2 (outputs: [har]) into
// har/ of the staging folder.
func (so *streamOut) writeHAR(rc *experiments.RunConfig, r experiments.Result) error {
	name := so.s.HARFileName(*rc)
	if err := so.step(name); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(so.staging, filepath.Dir(name)), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	h, err := experiments.HAROf(*rc, r, version)
	if err != nil {
		return err
	}
	if err := experiments.WriteFileAtomic(filepath.Join(so.staging, name), func(w io.Writer) error { return har.Write(w, h) }); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

// maxFailureLines bounds the failed runs the command names one by one,
// so that the messages kept do not grow with a sweep of failing runs.
const maxFailureLines = 20

// spillName is the file of the summary's rows in the staging folder.
const spillName = ".summary-rows"

// removeSpill removes the summary's rows from the staging folder, once
// summary.csv and the report are written.
func (so *streamOut) removeSpill() error {
	if so.spill == nil {
		return nil
	}
	so.spill.Close()
	so.spill = nil
	return os.Remove(filepath.Join(so.staging, spillName))
}

// abort removes the staging folder after an error.
func (so *streamOut) abort() {
	for _, f := range so.files {
		f.Close()
	}
	so.files = nil
	if so.spill != nil {
		so.spill.Close()
		so.spill = nil
	}
	if so.staging != "" && so.od.do("removeall", so.staging) == nil {
		os.RemoveAll(so.staging)
	}
	so.staging = ""
}

// closeFiles ends the streamed tables and makes their files durable.
func (so *streamOut) closeFiles() error {
	if err := so.results.Close(); err != nil {
		return err
	}
	var err error
	if so.summaryStreamed, err = so.summarizer.EndStream(); err != nil {
		return err
	}
	if err := so.requests.Close(); err != nil {
		return err
	}
	if so.hops != nil {
		if err := so.hops.Close(); err != nil {
			return err
		}
	}
	if so.servers != nil {
		if err := so.servers.Close(); err != nil {
			return err
		}
	}
	for i := range so.files {
		if err := so.bufs[i].Flush(); err != nil {
			return err
		}
	}
	// Each file is synced, and read back for the manifest's SHA-256,
	// at once: the reading (from the page cache) and the hashing go on
	// while the disk syncs, on the cores the runs have left.
	errs := make([]error, 2*len(so.files))
	sums := make([]manifestFile, len(so.files))
	var wg sync.WaitGroup
	for i, f := range so.files {
		wg.Add(2)
		go func() {
			defer wg.Done()
			errs[2*i] = syncClose(f)
		}()
		go func() {
			defer wg.Done()
			size, sum, err := hashFile(filepath.Join(so.staging, so.names[i]))
			sums[i], errs[2*i+1] = manifestFile{Name: so.names[i], Bytes: size, SHA256: sum}, err
		}()
	}
	wg.Wait()
	so.files = nil
	if err := errors.Join(errs...); err != nil {
		return err
	}
	so.sums = map[string]manifestFile{}
	for _, m := range sums {
		so.sums[m.Name] = m
	}
	return nil
}

// syncClose makes a written file's mode 0644, syncs and closes it.
func syncClose(f *os.File) error {
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// finish writes the rest of the folder and commits it: to OUT/NAME, or,
// for a partial run beside a complete one (without replacePartial), to
// OUT/NAME.partial. On an error the staging folder is removed and the
// output folder is as it was.
func (so *streamOut) finish() (written, error) {
	w, err := so.finishFiles()
	if err != nil {
		so.abort()
		return written{}, err
	}
	return w, nil
}

func (so *streamOut) finishFiles() (written, error) {
	od, o := so.od, so.o
	if so.staging == "" {
		if err := so.open(); err != nil {
			return written{}, err
		}
	}
	if err := so.closeFiles(); err != nil {
		return written{}, err
	}
	w := written{dir: od.target()}
	plotErr, cut, err := so.writeRest()
	if err != nil {
		return written{}, err
	}
	if err := so.removeSpill(); err != nil {
		return written{}, err
	}
	m := &manifest{Format: manifestFormat, Connsim: version, Experiment: so.s.Name, Status: statusComplete,
		Seed: so.s.Seed, Shard: o.shard, Runs: so.counts}
	if m.Runs.NotRun > 0 || cut {
		m.Status = statusPartial
	}
	if _, m.SpecSHA256, err = hashFile(filepath.Join(so.staging, "experiment.yaml")); err != nil {
		return written{}, err
	}
	if err := od.do("write", manifestName); err != nil {
		return written{}, err
	}
	if err := writeManifestKnown(so.staging, m, so.sums); err != nil {
		return written{}, err
	}
	w.partial = m.Status == statusPartial
	if w.partial && !o.replacePartial && holdsComplete(od.target()) {
		w.kept, w.dir = od.target(), od.partialTarget()
	}
	if err := od.commit(so.staging, w.dir); err != nil {
		return written{}, err
	}
	so.staging = ""
	w.plotErr = plotErr
	if !w.partial {
		od.removePartial()
	}
	return w, nil
}

// writeRest writes the summary, the PARTIAL notice, the figures and the
// report into the staging folder. A plot that fails leaves out the plots
// and the report (and is returned as plotErr, with err nil) so that the
// results are not lost; in a partial run a plot that cannot be drawn is
// only left out.
//
// cut reports that a signal stopped the drawing of figures: the folder
// holds every result but not every figure, and is marked partial.
func (so *streamOut) writeRest() (plotErr error, cut bool, err error) {
	s, dir, o, n := so.s, so.staging, so.o, so.counts
	write := func(name string, fn func(io.Writer) error) error {
		if err := so.step(name); err != nil {
			return err
		}
		if err := experiments.WriteFileAtomic(filepath.Join(dir, name), fn); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
		return nil
	}
	if !so.summaryStreamed {
		delete(so.sums, "summary."+o.format) // written again
		if err := write("summary."+o.format, func(w io.Writer) error { return so.summarizer.WriteSummary(w, s, so.format()) }); err != nil {
			return nil, false, err
		}
	}
	partial := n.NotRun > 0
	notice := ""
	if partial {
		why := "interrupted"
		if o.why != "" {
			why = "interrupted by " + o.why
		}
		notice = fmt.Sprintf("PARTIAL RUN: %s; %d of %d runs finished, %d did not (their rows say %q or %q in the error column), %d failed.",
			why, n.Done+n.Failed, n.Total, n.NotRun, experiments.NotRun, experiments.Interrupted, n.Failed)
		if err := write(partialName, func(w io.Writer) error {
			_, err := fmt.Fprintf(w, "%s\nThis folder does not hold a whole run of %s: do not read its summary as one.\nRun the experiment again for the whole run.\n", notice, s.Name)
			return err
		}); err != nil {
			return nil, false, err
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
	figs, skipped, cut, err := makeFigures(s, dir, so.rows, so.reqs, so.traces, so.plan, partial, o.stop, o.workers)
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
	// The report's table: summary.csv's medians, from the summary rows.
	sum, err := so.summarizer.Rows()
	if err != nil {
		return nil, false, err
	}
	header, table := experiments.SummaryTable(s, sum)
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
		Note:          fmt.Sprintf("Generated by connsim %s from %d runs. Medians shown; summary.csv has p25 and p75 too.", version, n.Total),
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
	if err := write("report.html", func(w io.Writer) error { return plots.Report(w, data) }); err != nil {
		return nil, false, err
	}
	return nil, cut, nil
}

// figureNeeds says which rows, requests and traces the spec's figures
// draw, so that only those are kept while the runs stream by.
type figureNeeds struct {
	charts  []experiments.PlotSpec // line and bar: the rows of their model at their point
	perRuns []experiments.PlotSpec // waterfall, cwnd, sequence: one run each
}

func newFigureNeeds(s *experiments.Spec) figureNeeds {
	var f figureNeeds
	for _, p := range s.Plots {
		if p.Kind == experiments.PlotLine || p.Kind == experiments.PlotBar {
			f.charts = append(f.charts, p)
		} else {
			f.perRuns = append(f.perRuns, p)
		}
	}
	return f
}

// perRun reports whether a per-run figure shows run rc: its row, requests
// and trace are kept.
func (f figureNeeds) perRun(rc *experiments.RunConfig) bool {
	for _, p := range f.perRuns {
		if experiments.PlotShows(p, *rc) {
			return true
		}
	}
	return false
}

// chart reports whether a line or bar chart draws row r: a chart draws
// the rows of its model (every model's, without one) whose point has the
// values of the chart's point, compared as package plots compares them.
func (f figureNeeds) chart(r experiments.Row) bool {
	for _, p := range f.charts {
		if p.Model != "" && p.Model != r.Model {
			continue
		}
		match := true
		for _, set := range p.Point {
			found := false
			for _, a := range r.Point {
				if a.Key == set.Key {
					found = math.Abs(a.Value-set.Value) <= 1e-9*math.Max(1, math.Abs(set.Value))
					break
				}
			}
			if !found {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
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
