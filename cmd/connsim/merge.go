package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/connsim/connsim/experiments"
)

const mergeHelp = `Usage: connsim merge DIR... [--out DIR] [--format csv|json] [--no-plots]

Joins the folders written by 'connsim run FILE --shard K/N' (each an
OUT/<name>/ folder holding results.csv, requests.csv and experiment.yaml)
into OUT/<name>/, with the same files, byte for byte, that one whole run
writes: results, summary, requests, plots and report. The runs that plots
need traces of are simulated again (runs are deterministic). Run the
shards with CSV output (the default); --format json writes the merged
results as JSON.

Each shard is checked before anything is written: every file against
the shard's manifest.json (size and SHA-256), the shards against each
other (one experiment, one spec, one connsim version, one K/N split,
complete, not partial, no run twice),
and the values (finite numbers, none negative, each run's seed the one
the spec gives it, one results row per run and one requests row per
request). A shard that fails a check is named, with exit code 2. The
merged folder is written as a transaction, as connsim run writes one.

Example (a sweep in 4 slices, e.g. a Slurm job array or a Kubernetes
Indexed Job with one slice per task):
  connsim run big.yaml --shard 1/4 --out shards/1
  ...
  connsim run big.yaml --shard 4/4 --out shards/4
  connsim merge shards/*/big --out out
`

func cmdMerge(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, mergeHelp) }
	out := fs.String("out", "out", "output folder")
	noPlots := fs.Bool("no-plots", false, "no plots or report")
	format := fs.String("format", "csv", "csv or json")
	flags, dirs := splitArgs(args, map[string]bool{"no-plots": true, "help": true, "h": true})
	if err := fs.Parse(flags); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitBadUse
	}
	if *format != "csv" && *format != "json" {
		fmt.Fprintf(stderr, "connsim merge: --format %q: want csv or json\n", *format)
		return exitBadUse
	}
	if len(dirs) == 0 {
		fmt.Fprint(stderr, "connsim merge: no folder given\n\n"+mergeHelp)
		return exitBadUse
	}
	if *out == "" {
		fmt.Fprint(stderr, "connsim merge: --out is empty: name an output folder (--out . for this one)\n")
		return exitBadUse
	}
	s, rows, reqs, err := readShards(dirs)
	if err != nil {
		fmt.Fprintf(stderr, "connsim merge: %v\n", err)
		return exitBadUse
	}
	runs, err := s.Runs()
	if err != nil {
		fmt.Fprintf(stderr, "connsim merge: %v\n", err)
		return exitBadUse
	}
	if err := s.IndexRows(rows); err != nil {
		fmt.Fprintf(stderr, "connsim merge: %v\n", err)
		return exitBadUse
	}
	if len(rows) != len(runs) {
		fmt.Fprintf(stderr, "connsim merge: the folders hold %d of the %d runs of %s; a shard is missing\n", len(rows), len(runs), s.Name)
		return exitBadUse
	}
	if err := s.SortRequestRows(reqs); err != nil {
		fmt.Fprintf(stderr, "connsim merge: %v\n", err)
		return exitBadUse
	}
	restoreAxisText(rows, reqs, runs)
	od, err := openOutDir(*out, s.Name, nil)
	if err != nil {
		fmt.Fprintf(stderr, "connsim merge: %v\n", err)
		return exitFor(err)
	}
	defer od.Close()
	o := outputOpts{format: *format, plots: !*noPlots}
	w, err := writeRows(od, s, rows, reqs, map[int]*experiments.Trace{}, runs, o)
	for _, m := range od.warnings {
		fmt.Fprintf(stderr, "connsim merge: warning: %s\n", m)
	}
	if err != nil {
		fmt.Fprintf(stderr, "connsim merge: %v (%s is as it was)\n", err, od.target())
		return exitFor(err)
	}
	if w.plotErr != nil {
		fmt.Fprintf(stderr, "connsim merge: %v; %s holds the merged results without plots or report\n", w.plotErr, w.dir)
		return exitRunFail
	}
	dir := w.dir
	fmt.Fprintf(stdout, "merged %d folders, %d runs -> %s\n", len(dirs), len(rows), dir)
	for _, r := range rows {
		if r.Err != "" {
			return exitRunFail
		}
	}
	return exitOK
}

// readShards loads the spec and rows of every shard folder, checking that
// they come from the same experiment.
func readShards(dirs []string) (*experiments.Spec, []experiments.Row, []experiments.RequestRow, error) {
	var spec *experiments.Spec
	var specBytes []byte
	var rows []experiments.Row
	var reqs []experiments.RequestRow
	var runs []experiments.RunConfig
	shards := map[string]string{} // "K/N" -> folder
	seen := map[string]string{}   // runKey -> the results.csv that has it
	var first *manifest
	for _, d := range dirs {
		m, err := readManifest(d)
		if errors.Is(err, fs.ErrNotExist) {
			if _, serr := os.Stat(filepath.Join(d, "experiment.yaml")); serr != nil {
				return nil, nil, nil, fmt.Errorf("%s: not a shard folder: no experiment.yaml", d)
			}
			return nil, nil, nil, fmt.Errorf("%s: no %s, so its files cannot be checked (written by a connsim before 15, or not by connsim): run the shard again", d, manifestName)
		}
		if err != nil {
			return nil, nil, nil, err
		}
		if err := checkShardManifest(d, m); err != nil {
			return nil, nil, nil, err
		}
		if prev, dup := shards[m.Shard]; dup && m.Shard != "" {
			return nil, nil, nil, fmt.Errorf("%s: shard %s again (also %s)", d, m.Shard, prev)
		}
		shards[m.Shard] = d
		if first == nil {
			first = m
		} else if err := sameSweep(first, m); err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %v than %s", filepath.Join(d, manifestName), err, dirs[0])
		}
		path := filepath.Join(d, "experiment.yaml")
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: not a shard folder: %v", d, errors.Unwrap(err))
		}
		if spec == nil {
			s, err := experiments.Load(path, data)
			if err != nil {
				return nil, nil, nil, err
			}
			if runs, err = s.Runs(); err != nil {
				return nil, nil, nil, err
			}
			spec, specBytes = s, data
		} else if !bytes.Equal(data, specBytes) {
			return nil, nil, nil, fmt.Errorf("%s: a different experiment (or version of it) than %s", d, dirs[0])
		}
		r, err := readWith(filepath.Join(d, "results.csv"), experiments.ReadResultsCSV)
		if err != nil {
			return nil, nil, nil, err
		}
		q, err := readWith(filepath.Join(d, "requests.csv"), experiments.ReadRequestsCSV)
		if err != nil {
			return nil, nil, nil, err
		}
		if len(r) != m.Runs.Total {
			return nil, nil, nil, fmt.Errorf("%s: %d rows, %s says the shard has %d runs", filepath.Join(d, "results.csv"), len(r), manifestName, m.Runs.Total)
		}
		if err := checkShardValues(d, runs, r, q); err != nil {
			return nil, nil, nil, err
		}
		// A run in two shards: one of them was edited (or is not a
		// slice of this split). Name the file, as for the other checks.
		resPath := filepath.Join(d, "results.csv")
		for i, row := range r {
			k := runKey(row.Model, row.Point, row.Run)
			if prev, dup := seen[k]; dup {
				return nil, nil, nil, fmt.Errorf("%s:%d: model %s, run %d: this run again (also in %s)", resPath, i+2, row.Model, row.Run, prev)
			}
			seen[k] = resPath
		}
		rows = append(rows, r...)
		reqs = append(reqs, q...)
	}
	return spec, rows, reqs, nil
}

// sameSweep reports how two shards' manifests disagree on what they are
// slices of: the connsim version, the experiment, its seed and spec, the
// number of slices.
func sameSweep(a, b *manifest) error {
	_, an, _ := strings.Cut(a.Shard, "/")
	_, bn, _ := strings.Cut(b.Shard, "/")
	switch {
	case a.Connsim != b.Connsim:
		return fmt.Errorf("written by connsim %s, another version", b.Connsim)
	case a.Experiment != b.Experiment || a.SpecSHA256 != b.SpecSHA256 || a.Seed != b.Seed:
		return fmt.Errorf("a different experiment (or version of it)")
	case an != bn:
		return fmt.Errorf("shard %s: sliced in another number of shards", b.Shard)
	}
	return nil
}

func readWith[T any](path string, read func(io.Reader) ([]T, error)) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		if strings.HasSuffix(path, ".csv") {
			return nil, fmt.Errorf("%s: %v (merge reads the CSV files: run the shards with --format csv)", path, errors.Unwrap(err))
		}
		return nil, err
	}
	defer f.Close()
	out, err := read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// restoreAxisText gives rows read back from files the swept values as
// written in the spec ("60ms"), which the files do not keep (they hold
// plain numbers) and figure titles use.
func restoreAxisText(rows []experiments.Row, reqs []experiments.RequestRow, runs []experiments.RunConfig) {
	key := func(model string, point []experiments.AxisValue, rep int) string {
		var b strings.Builder
		fmt.Fprintf(&b, "%s\x00%d", model, rep)
		for _, a := range point {
			fmt.Fprintf(&b, "\x00%s=%v", a.Key, a.Value)
		}
		return b.String()
	}
	axes := make(map[string][]experiments.AxisValue, len(runs))
	for _, r := range runs {
		axes[key(r.Model.Label, r.Point.Axes, r.Rep)] = r.Point.Axes
	}
	for i := range rows {
		if a, ok := axes[key(rows[i].Model, rows[i].Point, rows[i].Run)]; ok {
			rows[i].Point = a
		}
	}
	for i := range reqs {
		if a, ok := axes[key(reqs[i].Model, reqs[i].Point, reqs[i].Run)]; ok {
			reqs[i].Point = a
		}
	}
}
