package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"

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
	figs, skipped, cut, err := makeFigures(s, dir, rows, reqs, traces, runs, partial, o.stop, o.workers)
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
