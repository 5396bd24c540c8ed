package main

import (
	"bufio"
	"bytes"
	"container/heap"
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
OUT/<name>/ folder holding results.csv, requests.csv and experiment.yaml,
hops.csv with proxies:, servers.csv with servers:) into OUT/<name>/,
with the same files, byte for byte, that one whole run writes: results,
summary, requests, hops, servers, plots and report. The runs that plots
need traces of are simulated again (runs are deterministic). Run the
shards with CSV output (the default); --format json writes the merged
results as JSON.

Each shard is checked: before anything is read, every file against the
shard's manifest.json (size and SHA-256) and the shards against each
other (one experiment, one spec, one connsim version, one K/N split,
complete, not partial); then, as the rows are read (a row at a time,
in run order across the shards, so memory does not grow with the
number of runs), no run twice and the values (finite numbers, none
negative, each run's seed the one the spec gives it, one results row
per run and one requests row per request). A shard that fails a check
is named, with exit code 2, and nothing is written. The merged folder
is written as a transaction, as connsim run writes one.

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
	sh, err := openShards(dirs)
	if err != nil {
		fmt.Fprintf(stderr, "connsim merge: %v\n", err)
		return exitBadUse
	}
	defer sh.close()
	s := sh.spec
	if total := sh.total(); total < sh.plan.Len() {
		fmt.Fprintf(stderr, "connsim merge: the folders hold %d of the %d runs of %s; a shard is missing\n", total, sh.plan.Len(), s.Name)
		return exitBadUse
	}
	od, err := openOutDir(*out, s.Name, nil)
	if err != nil {
		fmt.Fprintf(stderr, "connsim merge: %v\n", err)
		return exitFor(err)
	}
	defer od.Close()
	o := outputOpts{format: *format, plots: !*noPlots}
	so := newStreamOut(od, s, sh.plan, o)
	var w written
	err = sh.merge(so.add)
	if err != nil {
		so.abort()
	} else {
		w, err = so.finish()
	}
	for _, m := range od.warnings {
		fmt.Fprintf(stderr, "connsim merge: warning: %s\n", m)
	}
	var bad *shardError
	if errors.As(err, &bad) {
		fmt.Fprintf(stderr, "connsim merge: %v\n", err)
		return exitBadUse
	}
	if err != nil {
		fmt.Fprintf(stderr, "connsim merge: %v (%s is as it was)\n", err, od.target())
		return exitFor(err)
	}
	if w.plotErr != nil {
		fmt.Fprintf(stderr, "connsim merge: %v; %s holds the merged results without plots or report\n", w.plotErr, w.dir)
		return exitRunFail
	}
	fmt.Fprintf(stdout, "merged %d folders, %d runs -> %s\n", len(dirs), so.counts.Total, w.dir)
	if so.counts.Failed > 0 || so.counts.NotRun > 0 {
		return exitRunFail
	}
	return exitOK
}

// shardError is a shard that fails a check while merge reads it: bad
// input (exit 2), found after the output was begun in a staging folder,
// which is removed.
type shardError struct{ err error }

func (e *shardError) Error() string { return e.err.Error() }

// shards are the shard folders being merged: their manifests checked,
// their results.csv and requests.csv open for reading a row at a time.
type shards struct {
	spec *experiments.Spec
	plan *experiments.Plan // every run of the spec, built as rows name them
	in   []*shardIn
}

// shardIn is one shard folder being read. Its rows are in its own run
// order (the order connsim run writes them); head is the next results
// row, reqHead the next requests row.
type shardIn struct {
	dir              string
	m                *manifest
	resPath, reqPath string
	files            []*os.File
	res              *experiments.ResultsReader
	req              *experiments.RequestsReader
	rows             int // results rows read

	head     experiments.Row
	headPos  int // its run's position in the plan; -1 at the end of the file
	headLine int
	prevPos  int // the run before head, for the order check

	reqHead    experiments.RequestRow
	reqPos     int  // reqHead's run's position in the plan
	reqLine    int  // reqHead's line
	reqPending bool // reqHead is read and not yet taken
	reqEOF     bool

	// hops.csv (a spec with proxies) and servers.csv (with servers:);
	// nil without (mergeside.go).
	hops                *sideFile[experiments.HopRow]
	servers             *sideFile[experiments.ServerRow]
	hopPath, serverPath string // "" when the spec has none
}

// openShards checks every shard folder's manifest, files and spec (one
// experiment, one spec, one connsim version, one K/N split, complete,
// not partial, no shard twice) and opens its files.
func openShards(dirs []string) (*shards, error) {
	sh := &shards{}
	var specBytes []byte
	seenShard := map[string]string{} // "K/N" -> folder
	var first *manifest
	for _, d := range dirs {
		m, err := readManifest(d)
		if errors.Is(err, fs.ErrNotExist) {
			if _, serr := os.Stat(filepath.Join(d, "experiment.yaml")); serr != nil {
				return nil, fmt.Errorf("%s: not a shard folder: no experiment.yaml", d)
			}
			return nil, fmt.Errorf("%s: no %s, so its files cannot be checked (written by a connsim before 15, or not by connsim): run the shard again", d, manifestName)
		}
		if err != nil {
			return nil, err
		}
		if err := checkShardManifest(d, m); err != nil {
			return nil, err
		}
		if prev, dup := seenShard[m.Shard]; dup && m.Shard != "" {
			return nil, fmt.Errorf("%s: shard %s again (also %s)", d, m.Shard, prev)
		}
		seenShard[m.Shard] = d
		if first == nil {
			first = m
		} else if err := sameSweep(first, m); err != nil {
			return nil, fmt.Errorf("%s: %v than %s", filepath.Join(d, manifestName), err, dirs[0])
		}
		path := filepath.Join(d, "experiment.yaml")
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("%s: not a shard folder: %v", d, errors.Unwrap(err))
		}
		if sh.spec == nil {
			s, err := experiments.Load(path, data)
			if err != nil {
				return nil, err
			}
			if sh.plan, err = s.Plan(); err != nil {
				return nil, err
			}
			sh.spec, specBytes = s, data
		} else if !bytes.Equal(data, specBytes) {
			return nil, fmt.Errorf("%s: a different experiment (or version of it) than %s", d, dirs[0])
		}
		in := &shardIn{dir: d, m: m, resPath: filepath.Join(d, "results.csv"), reqPath: filepath.Join(d, "requests.csv"), prevPos: -1}
		if sh.spec.WantsHops() {
			in.hopPath = filepath.Join(d, "hops.csv")
		}
		if sh.spec.WantsServers() {
			in.serverPath = filepath.Join(d, "servers.csv")
		}
		sh.in = append(sh.in, in)
	}
	if sh.plan != nil {
		// The merge reads the shards' runs in turn, a point of each at
		// a time: keep a point per shard, and some to spare.
		sh.plan.SetCache(len(sh.in) + 8)
	}
	for _, in := range sh.in {
		if err := in.open(sh.spec); err != nil {
			sh.close()
			return nil, err
		}
	}
	return sh, nil
}

func (in *shardIn) open(spec *experiments.Spec) error {
	paths := []string{in.resPath, in.reqPath}
	for _, p := range []string{in.hopPath, in.serverPath} {
		if p != "" {
			paths = append(paths, p)
		}
	}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("%s: %v (merge reads the CSV files: run the shards with --format csv)", p, errors.Unwrap(err))
		}
		in.files = append(in.files, f)
	}
	buf := func(i int) *bufio.Reader { return bufio.NewReaderSize(in.files[i], 64<<10) }
	var err error
	if in.res, err = experiments.NewResultsReader(buf(0)); err != nil {
		return fmt.Errorf("%s: %w", in.resPath, err)
	}
	if in.req, err = experiments.NewRequestsReader(buf(1)); err != nil {
		return fmt.Errorf("%s: %w", in.reqPath, err)
	}
	next := 2
	if in.hopPath != "" {
		r, err := experiments.NewHopsReader(buf(next))
		if err != nil {
			return fmt.Errorf("%s: %w", in.hopPath, err)
		}
		in.hops, next = hopsFile(in.hopPath, r), next+1
	}
	if in.serverPath != "" {
		r, err := experiments.NewServersReader(buf(next))
		if err != nil {
			return fmt.Errorf("%s: %w", in.serverPath, err)
		}
		in.servers = serversFile(in.serverPath, r, spec)
	}
	return nil
}

func (sh *shards) close() {
	for _, in := range sh.in {
		for _, f := range in.files {
			f.Close()
		}
		in.files = nil
	}
}

// total is the number of runs the shards' manifests say they hold.
func (sh *shards) total() int {
	n := 0
	for _, in := range sh.in {
		n += in.m.Runs.Total
	}
	return n
}

// merge reads the shards' rows in run order, a k-way merge by run over
// the shards' files (each in its own run order), checks them as it goes
// (see checkResultRow, requestCheck) and hands each run on to add, with
// its requests. Nothing is held beyond one row and one run's requests
// per shard. A shard that fails a check is a *shardError naming its file
// and line.
func (sh *shards) merge(add func(*experiments.RunConfig, experiments.Result) error) error {
	// Which runs a shard holds, a bit each (125 KB for a million runs);
	// which shard holds one is found again only for a run seen twice.
	owner := make(runSet, (sh.plan.Len()+63)/64)
	for _, in := range sh.in {
		if err := sh.advance(in, owner); err != nil {
			return &shardError{err}
		}
	}
	h := &shardHeap{}
	for _, in := range sh.in {
		if in.headPos >= 0 {
			heap.Push(h, in)
		}
	}
	emitted := 0
	for h.Len() > 0 {
		in := (*h)[0]
		p := in.headPos
		rc := sh.plan.Run(p)
		row := in.head
		row.Index, row.Point = rc.Index, rc.Point.Axes // the swept values as the spec writes them
		reqs, err := sh.requestsOf(in, p, row.Err == "")
		if err != nil {
			return &shardError{err}
		}
		hops, err := in.hops.rowsOf(sh.plan, p)
		if err != nil {
			return &shardError{err}
		}
		servers, err := in.servers.rowsOf(sh.plan, p)
		if err != nil {
			return &shardError{err}
		}
		if err := add(&rc, experiments.Result{Row: row, Requests: reqs, Hops: hops, Servers: servers}); err != nil {
			return err
		}
		emitted++
		if err := sh.advance(in, owner); err != nil {
			return &shardError{err}
		}
		if in.headPos >= 0 {
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
	}
	if emitted != sh.plan.Len() {
		return &shardError{fmt.Errorf("the folders hold %d of the %d runs of %s; a shard is missing", emitted, sh.plan.Len(), sh.spec.Name)}
	}
	return nil
}

// runSet is a set of run positions, a bit each.
type runSet []uint64

func (s runSet) has(p int) bool { return s[p/64]&(1<<(p%64)) != 0 }
func (s runSet) add(p int)      { s[p/64] |= 1 << (p % 64) }

// holder returns the shard that read run p among its first rows (in's
// rows before the one just read; every row read of the others), read
// again from its file: the shard that holds a run found twice. It is
// nil when none does (a file that changed since).
func (sh *shards) holder(in *shardIn, p int) (*shardIn, error) {
	for _, o := range sh.in {
		n := o.rows
		if o == in {
			n--
		}
		f, err := os.Open(o.resPath)
		if err != nil {
			return nil, err
		}
		found, err := func() (bool, error) {
			defer f.Close()
			rr, err := experiments.NewResultsReader(bufio.NewReaderSize(f, 64<<10))
			if err != nil {
				return false, fmt.Errorf("%s: %w", o.resPath, err)
			}
			for range n {
				row, err := rr.Read()
				if err != nil {
					return false, fmt.Errorf("%s: %w", o.resPath, err)
				}
				if sh.plan.Find(row.Model, row.Point, row.Run) == p {
					return true, nil
				}
			}
			return false, nil
		}()
		if err != nil || found {
			return o, err
		}
	}
	return nil, nil
}

// advance reads shard k's next results row into its head and checks it:
// a run of the spec, with its seed and sane metrics, after the shard's
// previous run, in no other shard. At the end of the file it checks the
// count of rows against the manifest and that no requests row is left.
func (sh *shards) advance(in *shardIn, owner runSet) error {
	row, err := in.res.Read()
	if err == io.EOF {
		in.headPos = -1
		if in.rows != in.m.Runs.Total {
			return fmt.Errorf("%s: %d rows, %s says the shard has %d runs", in.resPath, in.rows, manifestName, in.m.Runs.Total)
		}
		if err := sh.peekRequest(in); err != nil {
			return err
		}
		if in.reqPending {
			return fmt.Errorf("%s:%d: model %s, run %d: a request of a run not in results.csv", in.reqPath, in.reqLine, in.reqHead.Model, in.reqHead.Run)
		}
		if err := in.hops.end(sh.plan); err != nil {
			return err
		}
		return in.servers.end(sh.plan)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", in.resPath, err)
	}
	in.rows++
	line := in.res.Line()
	p := sh.plan.Find(row.Model, row.Point, row.Run)
	if p < 0 {
		return fmt.Errorf("%s:%d: model %s, run %d: no such run in experiment.yaml", in.resPath, line, row.Model, row.Run)
	}
	rc := new(sh.plan.Run(p))
	if owner.has(p) {
		o, err := sh.holder(in, p)
		switch {
		case err != nil:
			return err
		case o == in:
			return fmt.Errorf("%s:%d: run %s appears twice", in.resPath, line, rc.ID)
		case o != nil:
			// A run in two shards: one of them was edited (or is not a
			// slice of this split).
			return fmt.Errorf("%s:%d: model %s, run %d: this run again (also in %s)", in.resPath, line, row.Model, row.Run, o.resPath)
		}
		return fmt.Errorf("%s:%d: run %s again, in no file now: a shard changed while merge read it", in.resPath, line, rc.ID)
	}
	owner.add(p)
	if err := checkResultRow(sh.spec, in.resPath, line, rc, row); err != nil {
		return err
	}
	if p < in.prevPos {
		return fmt.Errorf("%s:%d: run %s: not in run order (after run %s): not a file connsim wrote", in.resPath, line, rc.ID, sh.plan.Run(in.prevPos).ID)
	}
	in.head, in.headPos, in.headLine, in.prevPos = row, p, line, p
	return nil
}

// peekRequest reads the shard's next requests row, if not read yet.
func (sh *shards) peekRequest(in *shardIn) error {
	if in.reqPending || in.reqEOF {
		return nil
	}
	q, err := in.req.Read()
	if err == io.EOF {
		in.reqEOF = true
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", in.reqPath, err)
	}
	in.reqLine = in.req.Line()
	p := sh.plan.Find(q.Model, q.Point, q.Run)
	if p < 0 {
		return fmt.Errorf("%s:%d: model %s, run %d: a request of a run not in results.csv", in.reqPath, in.reqLine, q.Model, q.Run)
	}
	in.reqHead, in.reqPos, in.reqPending = q, p, true
	return nil
}

// requestsOf reads and checks the requests rows of run p, the shard's
// head: the rows that follow in requests.csv and name run p.
func (sh *shards) requestsOf(in *shardIn, p int, ok bool) ([]experiments.RequestRow, error) {
	rc := new(sh.plan.Run(p))
	c := newRequestCheck(in.reqPath, rc, ok)
	var reqs []experiments.RequestRow
	for {
		if err := sh.peekRequest(in); err != nil {
			return nil, err
		}
		if !in.reqPending || in.reqPos != p {
			break
		}
		q := in.reqHead
		if err := c.row(in.reqLine, q); err != nil {
			return nil, err
		}
		q.Point = rc.Point.Axes
		reqs = append(reqs, q)
		in.reqPending = false
	}
	if in.reqPending && in.reqPos < p {
		// A run before this one: not in results.csv (or the file is
		// not in run order).
		q := in.reqHead
		return nil, fmt.Errorf("%s:%d: model %s, run %d: a request of a run not in results.csv", in.reqPath, in.reqLine, q.Model, q.Run)
	}
	if err := c.done(); err != nil {
		return nil, err
	}
	return reqs, nil
}

// shardHeap orders shards by the run of their next results row.
type shardHeap []*shardIn

func (h shardHeap) Len() int           { return len(h) }
func (h shardHeap) Less(i, j int) bool { return h[i].headPos < h[j].headPos }
func (h shardHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *shardHeap) Push(x any)        { *h = append(*h, x.(*shardIn)) }
func (h *shardHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
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
