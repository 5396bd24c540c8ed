package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/connsim/connsim/experiments"
)

// maxRunsWithoutYes is the sweep size above which run asks for --yes.
const maxRunsWithoutYes = 100_000

const runHelp = `Usage: connsim run FILE.yaml|NAME... [flags]

Runs every run of each experiment (points x models x repeat) and writes
OUT/<name>/: results.csv, summary.csv, requests.csv, experiment.yaml,
plots/*.png and *.svg, report.html and manifest.json. NAME is a built-in
experiment (connsim list). Results are identical for any number of
workers.

The folder is replaced as a whole, in one step, once every file is
written: it holds one complete run, never a mix of two (files connsim did
not write are kept). A second connsim writing the same folder stops at
once with a message. SIGINT or SIGTERM stops the runs within a second and
writes those that finished as a partial run (marked in manifest.json,
PARTIAL and report.html); a partial run goes to OUT/<name>.partial/ when
OUT/<name>/ holds a complete run, unless --replace-partial. A second
signal exits at once, writing nothing.

Flags:
  --out DIR        output folder (default out)
  --workers N      parallel runs (default: the number of CPUs)
  --format F       csv (default) or json: results.json, summary.json, requests.json (and hops.json with proxies, servers.json with servers:)
  --no-plots       write no plots and no report
  --quiet          print nothing on stderr but bad-input errors (failed
                   runs still say so in their rows and the exit code)
  --shard K/N      run only the K-th of N disjoint slices of the points
                   (1 <= K <= N); join the folders with connsim merge
  --yes            run sweeps of more than 100,000 runs
  --replace-partial
                   let an interrupted (partial) run replace a complete
                   earlier run in OUT/<name>/

Exit codes: 0 ok; 1 a run or a plot failed (the others still ran and were
written); 2 bad input (or the folder is in use); 130 stopped by SIGINT,
143 by SIGTERM (the finished runs written as a partial run).

Examples:
  connsim run connection-models
  connsim run my.yaml --out results --workers 2
  connsim run big.yaml --shard 3/10 --out shards/3 --no-plots
`

// testStep, set only by tests, is called before every change to the file
// system while a run's output is written (outDir.step); an error stops
// the change and everything after it, as a crash would.
var testStep func(op, path string) error

type runFlags struct {
	out     string
	workers int
	format  string
	noPlots bool
	quiet   bool
	shardK  int
	shardN  int
	yes     bool
	// replacePartial: see --replace-partial.
	replacePartial bool
	// step and noExchange are outDir's (tests).
	step       func(op, path string) error
	noExchange bool
}

func cmdRun(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, runHelp) }
	rf := runFlags{step: testStep}
	var shard string
	fs.StringVar(&rf.out, "out", "out", "output folder")
	fs.IntVar(&rf.workers, "workers", runtime.NumCPU(), "parallel runs")
	fs.StringVar(&rf.format, "format", "csv", "csv or json")
	fs.BoolVar(&rf.noPlots, "no-plots", false, "no plots or report")
	fs.BoolVar(&rf.quiet, "quiet", false, "nothing on stderr")
	fs.StringVar(&shard, "shard", "", "K/N")
	fs.BoolVar(&rf.yes, "yes", false, "allow huge sweeps")
	fs.BoolVar(&rf.replacePartial, "replace-partial", false, "a partial run may replace a complete one")
	flags, files := splitArgs(args, map[string]bool{"no-plots": true, "quiet": true, "yes": true, "replace-partial": true, "help": true, "h": true})
	if err := fs.Parse(flags); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitBadUse
	}
	if rf.format != "csv" && rf.format != "json" {
		fmt.Fprintf(stderr, "connsim run: --format %q: want csv or json\n", rf.format)
		return exitBadUse
	}
	if rf.out == "" {
		fmt.Fprint(stderr, "connsim run: --out is empty: name an output folder (--out . for this one)\n")
		return exitBadUse
	}
	if rf.workers < 1 {
		fmt.Fprintf(stderr, "connsim run: --workers %d: want at least 1\n", rf.workers)
		return exitBadUse
	}
	if shard != "" {
		k, n, err := parseShard(shard)
		if err != nil {
			fmt.Fprintf(stderr, "connsim run: --shard %q: %v\n", shard, err)
			return exitBadUse
		}
		rf.shardK, rf.shardN = k, n
	}
	if len(files) == 0 {
		fmt.Fprint(stderr, "connsim run: no experiment given\n\n"+runHelp)
		return exitBadUse
	}
	specs, ok := loadAll(files, stderr)
	if !ok {
		return exitBadUse
	}
	// Each experiment writes OUT/<name>/: two with one name would
	// overwrite each other.
	for i, s := range specs {
		for _, t := range specs[:i] {
			if s.Name == t.Name {
				fmt.Fprintf(stderr, "connsim run: %s and %s are both named %q and would write to the same folder %s; rename one\n",
					files[slices.IndexFunc(specs, func(x *experiments.Spec) bool { return x == t })], files[i], s.Name, filepath.Join(rf.out, s.Name))
				return exitBadUse
			}
		}
	}
	sig := watchSignals()
	defer sig.close()
	return runSpecs(sig, specs, rf, stdout, stderr)
}

// specsInFlight is how many experiments of one command run at once: the
// next one simulates while the one before draws its figures, so that
// both cores stay busy through a list of experiments.
const specsInFlight = 2

// runSpecs runs the experiments in order, up to specsInFlight at a time
// when there are workers for it. Each experiment's folder is its own
// and its runs are deterministic, so its files do not depend on what runs
// beside it. What the command prints stays in the experiments' order:
// the oldest experiment under way prints as it goes, the others into a
// buffer printed once every experiment before them has ended. After a
// signal no further experiment starts.
func runSpecs(sig *signals, specs []*experiments.Spec, rf runFlags, stdout, stderr io.Writer) int {
	inFlight := 1
	if rf.workers >= 2 {
		inFlight = specsInFlight
	}
	type job struct {
		out  *orderedWriter
		err  *orderedWriter
		code int
		done chan struct{}
	}
	jobs := make([]*job, len(specs))
	slots := make(chan struct{}, inFlight)
	var mu sync.Mutex // orders the hand-over of the live outputs
	start := func(i int) {
		j := jobs[i]
		go func() {
			defer close(j.done)
			defer func() { <-slots }()
			j.code = runSpec(sig, specs[i], rf, j.out, j.err)
		}()
	}
	started := 0
	code := exitOK
	for i := range specs {
		// Start experiments up to i+inFlight-1 while their turn comes.
		for started < len(specs) && started < i+inFlight && !sig.stop.Load() {
			slots <- struct{}{}
			if sig.stop.Load() {
				<-slots
				break
			}
			jobs[started] = &job{out: newOrderedWriter(stdout, &mu), err: newOrderedWriter(stderr, &mu), done: make(chan struct{})}
			start(started)
			started++
		}
		if i >= started {
			break // stopped before experiment i began
		}
		j := jobs[i]
		// Experiment i is the oldest under way: what it printed so far
		// goes out now, and the rest as it prints it.
		j.out.goLive()
		j.err.goLive()
		<-j.done
		code = max(code, j.code)
		if sig.stop.Load() {
			// Let the experiments under way end (they stop within a
			// second and write their partial runs), in order.
			for k := i + 1; k < started; k++ {
				jobs[k].out.goLive()
				jobs[k].err.goLive()
				<-jobs[k].done
			}
			return sig.exitCode()
		}
	}
	return code
}

// orderedWriter buffers what an experiment prints until goLive, then
// writes through to w. mu serializes the writes of all of them.
type orderedWriter struct {
	w    io.Writer
	mu   *sync.Mutex
	live bool
	buf  bytes.Buffer
}

func newOrderedWriter(w io.Writer, mu *sync.Mutex) *orderedWriter {
	return &orderedWriter{w: w, mu: mu}
}

func (o *orderedWriter) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.live {
		return o.w.Write(p)
	}
	return o.buf.Write(p)
}

// isLive reports whether writes go straight through.
func (o *orderedWriter) isLive() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.live
}

// goLive writes what was buffered and lets later writes through.
func (o *orderedWriter) goLive() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.live {
		o.w.Write(o.buf.Bytes())
		o.buf = bytes.Buffer{}
		o.live = true
	}
}

// signals turns SIGINT and SIGTERM into a stop flag that the runs under
// way read between events (experiments.RunOptions.Stop). A second signal
// ends the process at once.
type signals struct {
	stop *atomic.Bool
	got  atomic.Value // the first signal, an os.Signal
	ch   chan os.Signal
	done chan struct{}
}

func watchSignals() *signals {
	s := &signals{stop: new(atomic.Bool), ch: make(chan os.Signal, 2), done: make(chan struct{})}
	signal.Notify(s.ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		for {
			select {
			case sig := <-s.ch:
				if s.stop.Load() {
					os.Exit(signalExit(sig)) // the second: at once, writing nothing
				}
				s.got.Store(sig)
				s.stop.Store(true)
			case <-s.done:
				return
			}
		}
	}()
	return s
}

func (s *signals) close() {
	signal.Stop(s.ch)
	close(s.done)
}

// name is the first signal's name, "SIGINT" or "SIGTERM", or "".
func (s *signals) name() string {
	if sig, ok := s.got.Load().(os.Signal); ok {
		if sig == syscall.SIGTERM {
			return "SIGTERM"
		}
		return "SIGINT"
	}
	return ""
}

// exitCode is the conventional 128+signal code of the first signal.
func (s *signals) exitCode() int {
	if sig, ok := s.got.Load().(os.Signal); ok {
		return signalExit(sig)
	}
	return exitInterrupted
}

const (
	exitInterrupted = 130 // 128 + SIGINT
	exitTerminated  = 143 // 128 + SIGTERM
)

func signalExit(sig os.Signal) int {
	if sig == syscall.SIGTERM {
		return exitTerminated
	}
	return exitInterrupted
}

func parseShard(s string) (k, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, errors.New("want K/N, e.g. 2/8")
	}
	k, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || n < 1 || k < 1 || k > n {
		return 0, 0, errors.New("want K/N with 1 <= K <= N, e.g. 2/8")
	}
	return k, n, nil
}

// loadAll loads every file or built-in name, printing every problem of
// every file before giving up.
func loadAll(args []string, stderr io.Writer) ([]*experiments.Spec, bool) {
	var specs []*experiments.Spec
	ok := true
	for _, a := range args {
		s, err := loadOne(a)
		if err != nil {
			fmt.Fprintln(stderr, err)
			ok = false
			continue
		}
		specs = append(specs, s)
	}
	return specs, ok
}

func loadOne(arg string) (*experiments.Spec, error) {
	if _, err := os.Stat(arg); err == nil {
		return experiments.LoadFile(arg)
	} else if strings.ContainsAny(arg, "./\\") || strings.HasSuffix(arg, ".yaml") {
		return nil, fmt.Errorf("%s: %v", arg, errors.Unwrap(err))
	}
	data, err := experiments.LibraryYAML(arg)
	if err != nil {
		return nil, fmt.Errorf("%s: not a file, and %v", arg, err)
	}
	return experiments.Load("library/"+arg+".yaml", data)
}

// tracesFor says which runs record a trace: only those a figure draws,
// and none when no figures are drawn (--no-plots, a shard).
func tracesFor(s *experiments.Spec, o outputOpts) func(experiments.RunConfig) bool {
	if !o.plots {
		return nil
	}
	return s.WantsTrace
}

// runSpec runs one experiment and writes its files.
func runSpec(sig *signals, s *experiments.Spec, rf runFlags, stdout, stderr io.Writer) int {
	k, n := 1, 1
	if rf.shardN > 0 {
		k, n = rf.shardK, rf.shardN
	}
	// The guard counts the runs this command would run, before building
	// any: a shard of a huge sweep is what --shard is for.
	all := s.RunCount()
	if total := s.ShardRunCount(k, n); total > maxRunsWithoutYes && !rf.yes {
		what := fmt.Sprintf("%s has %d runs", s.Name, total)
		if rf.shardN > 0 {
			what = fmt.Sprintf("shard %d/%d of %s has %d runs (of %d)", rf.shardK, rf.shardN, s.Name, total, all)
		}
		fmt.Fprintf(stderr, "connsim run: %s (more than %d); run again with --yes, or split it with --shard K/N\n",
			what, maxRunsWithoutYes)
		return exitBadUse
	}
	// The plan checks every point of the shard and builds each run when
	// a worker takes it: memory does not grow with the number of runs.
	plan, err := s.ShardPlan(k, n)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitBadUse
	}
	var errw io.Writer = stderr
	if rf.quiet {
		errw = io.Discard
	}
	// Lock the folder before the runs, so that a second command fails
	// at once rather than after its runs.
	od, err := openOutDir(rf.out, s.Name, rf.step)
	if err != nil {
		fmt.Fprintf(stderr, "connsim run: %s: %v\n", s.Name, err)
		return exitFor(err)
	}
	defer od.Close()
	od.noExchange = rf.noExchange
	prog := newProgress(errw, s.Name, plan.Len(), plan.PerPoint())
	o := outputOpts{format: rf.format, plots: !rf.noPlots && rf.shardN == 0, replacePartial: rf.replacePartial,
		why: sig.name(), step: rf.step, stop: sig.stop, workers: rf.workers}
	if rf.shardN > 0 {
		o.shard = fmt.Sprintf("%d/%d", rf.shardK, rf.shardN)
	}
	trace := tracesFor(s, o)
	// The rows are written as the runs finish, in run order.
	so := newStreamOut(od, s, plan, o)
	start := time.Now()
	err = experiments.RunPlan(plan, experiments.RunOptions{
		Workers:  rf.workers,
		Trace:    trace,
		OnResult: func(i int, _ experiments.Result) { prog.finished(i) },
		Progress: prog.update,
		Stop:     sig.stop,
	}, func(rc experiments.RunConfig, r experiments.Result) error {
		return so.add(&rc, r)
	})
	prog.finish()
	elapsed := time.Since(start)
	o.why = sig.name() // the signal may have come during the runs
	so.o.why = o.why
	var w written
	if err != nil {
		so.abort()
	} else {
		w, err = so.finish()
	}
	for _, m := range od.warnings {
		fmt.Fprintf(stderr, "connsim run: %s: warning: %s\n", s.Name, m)
	}
	if err != nil {
		fmt.Fprintf(stderr, "connsim run: %s: %v (%s is as it was)\n", s.Name, err, od.target())
		return exitFor(err)
	}
	dir := w.dir
	cnt := so.counts
	if !rf.quiet {
		for _, m := range so.failures {
			fmt.Fprintf(stderr, "connsim run: %s: %s\n", s.Name, m)
		}
		if more := cnt.Failed - len(so.failures); more > 0 {
			fmt.Fprintf(stderr, "connsim run: %s: and %d more failed runs (their rows in results.csv say why)\n", s.Name, more)
		}
	}
	if w.plotErr != nil {
		fmt.Fprintf(stderr, "connsim run: %s: %v; %s holds this run's results without plots or report\n", s.Name, w.plotErr, dir)
	}
	if w.partial {
		kept := ""
		if w.kept != "" {
			kept = fmt.Sprintf("; %s still holds the complete earlier run (--replace-partial to replace it)", w.kept)
		}
		fmt.Fprintf(errw, "connsim run: %s: interrupted: PARTIAL, %d of %d runs finished, written to %s, marked partial%s\n",
			s.Name, cnt.Done+cnt.Failed, cnt.Total, dir, kept)
		if sig.stop.Load() {
			return sig.exitCode()
		}
		return exitRunFail
	}
	if sig.stop.Load() {
		// Every run had finished when the signal came: the folder is
		// complete, and the command still says it was stopped.
		return sig.exitCode()
	}
	if w.plotErr != nil {
		return exitRunFail
	}
	failed := cnt.Failed + cnt.NotRun
	if !rf.quiet {
		rate := float64(plan.Len()) / max(elapsed.Seconds(), 1e-9)
		fmt.Fprintf(stderr, "connsim: %s: %d runs in %v (%.0f runs/s), %d failed -> %s\n",
			s.Name, plan.Len(), elapsed.Round(time.Millisecond), rate, failed, dir)
	}
	if failed > 0 {
		return exitRunFail
	}
	return exitOK
}

const validateHelp = `Usage: connsim validate FILE.yaml|NAME...

Checks experiment files and prints every problem found, as
FILE:LINE:COLUMN: key.path: message. Runs nothing. Exit code 0 when every
file is valid, 2 otherwise.

Examples:
  connsim validate my.yaml
  connsim validate experiments/library/*.yaml
  connsim validate connection-models
`

func cmdValidate(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprint(stderr, validateHelp)
		if len(args) == 0 {
			return exitBadUse
		}
		return exitOK
	}
	specs, ok := loadAll(args, stderr)
	for _, s := range specs {
		plan, err := s.Plan()
		if err != nil {
			fmt.Fprintln(stderr, err)
			ok = false
			continue
		}
		fmt.Fprintf(stdout, "%s: ok (%d runs)\n", s.Name, plan.Len())
	}
	if !ok {
		return exitBadUse
	}
	return exitOK
}

func cmdList(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		const help = "Usage: connsim list\n\nLists the built-in experiments, a line each.\n\nExamples:\n  connsim list\n  connsim show warm-vs-cold     # its YAML, with what to look at\n  connsim run warm-vs-cold\n"
		if args[0] == "--help" || args[0] == "-h" {
			fmt.Fprint(stdout, help)
			return exitOK
		}
		fmt.Fprintf(stderr, "connsim list: unexpected argument %q\n\n%s", args[0], help)
		return exitBadUse
	}
	for _, e := range experiments.Library() {
		fmt.Fprintf(stdout, "%-20s %s\n", e.Name, e.Title)
	}
	return exitOK
}

func cmdShow(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprint(stderr, "Usage: connsim show NAME\n\nPrints a built-in experiment's YAML, e.g. to start your own:\n  connsim show connection-models > mine.yaml\n")
		if len(args) == 1 {
			return exitOK
		}
		return exitBadUse
	}
	data, err := experiments.LibraryYAML(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "connsim show: %v\n", err)
		return exitBadUse
	}
	stdout.Write(data)
	return exitOK
}
