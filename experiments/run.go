package experiments

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/connsim/connsim/httpmodel"
)

// Result is what one run yields: its results.csv row, its requests.csv
// rows and, for the runs a cwnd or sequence plot shows, its trace.
type Result struct {
	Row      Row
	Requests []RequestRow
	Trace    *Trace
	Capture  *CaptureFile // the run's packet capture, when the spec's capture selects it
	Hops     []HopRow     // with proxies: the run's hops (hops.go)
	Servers  []ServerRow  // with servers: each site's measurements (servers.go)
}

// Run simulates one run. With trace set it also returns the run's
// per-connection trace. Run is a pure function of rc: the same rc gives
// the same Result on any machine.
func Run(rc RunConfig, trace bool) Result {
	return run(rc, trace, nil)
}

// run is Run with a stop flag (RunOptions.Stop): a run it ends early is
// reported with Row.Err "interrupted" and no measurements.
func run(rc RunConfig, trace bool, stop *atomic.Bool) Result {
	row := Row{Index: rc.Index, Model: rc.Model.Label, Point: rc.Point.Axes, Run: rc.Rep, Seed: rc.Seed}
	cfg, err := ModelConfig(rc.Point.Spec, rc.Model)
	if err == nil {
		err = cfg.Validate() // Load checks the same; a Spec built in code may not
	}
	if err != nil {
		row.Err = err.Error()
		row.Metrics = nanMetrics()
		return Result{Row: row}
	}
	pop := len(cfg.Clients) > 0
	// Populations keep no connection traces (httpmodel keeps them for
	// the single client only); their figures need the server series.
	cfg.Trace = trace && !pop
	cfg.ServerSeries = trace && pop
	cfg.Stop = stop
	finishCapture := startCapture(rc, &cfg)
	res := httpmodel.Run(cfg, rc.Seed)
	if errors.Is(res.Err, httpmodel.ErrInterrupted) {
		row.Err = Interrupted
		row.Metrics = nanMetrics()
		return Result{Row: row}
	}
	m := res.Metrics
	if pop {
		row.Metrics = fromRun(metricTable, &m)
	} else {
		row.Metrics = fromRun(singleClientMeasured, &m)
	}
	if res.Err != nil {
		row.Err = res.Err.Error()
	} else if m.Failed > 0 && !pop {
		// With populations failed requests are a measurement (the
		// failed column), not a failed run.
		row.Err = fmt.Sprintf("%d requests failed", m.Failed)
	}
	out := Result{Row: row, Hops: hopRows(row, m.Hops), Servers: serverRows(row, m.Servers)}
	out.Capture = finishCapture(&out.Row)
	if len(res.Requests) > 0 {
		out.Requests = make([]RequestRow, 0, len(res.Requests))
	}
	for _, t := range res.Requests {
		out.Requests = append(out.Requests, RequestRow{
			Model:      row.Model,
			Point:      row.Point,
			Run:        rc.Rep,
			Request:    t.Index,
			Visit:      t.Visit,
			Host:       t.Host,
			Connection: t.Connection,
			Bytes:      t.Bytes,
			StartMS:    ms(t.Start),
			DNSMS:      ms(t.DNS),
			ConnectMS:  ms(t.Connect),
			TLSMS:      ms(t.TLS),
			SendMS:     ms(t.Send),
			WaitMS:     ms(t.Wait),
			ReceiveMS:  ms(t.Receive),
			EndMS:      round6(httpmodel.Milliseconds(t.End)),
			QueuedMS:   ms(t.Queued),
			// Every world refuses and replays (server.max_connections,
			// keep-alive races); requests.csv has these columns only
			// with clients:, the figures use them always.
			Refusals:     t.Refusals,
			Replayed:     t.Replayed,
			VisitStartMS: t.VisitStart.Milliseconds(),
		})
		if pop {
			out.Requests[len(out.Requests)-1].Client = cfg.ClientName(t.Client)
		}
	}
	if trace {
		out.Trace = traceOf(row, res.Conns)
		out.Trace.Marks = requestMarks(out.Requests)
		if pop {
			populationTrace(out.Trace, res)
		}
	}
	return out
}

// requestMarks lists the requests that waited through refused
// connection attempts or were replayed (Trace.Marks).
func requestMarks(reqs []RequestRow) []RequestMark {
	var marks []RequestMark
	for _, r := range reqs {
		if r.Refusals > 0 || r.Replayed {
			marks = append(marks, RequestMark{Request: r.Request, Refusals: r.Refusals, Replayed: r.Replayed})
		}
	}
	return marks
}

// populationTrace adds what the server and cdf figures show to a
// population run's trace: the server series and the clients' PLTs.
func populationTrace(tr *Trace, res *httpmodel.Result) {
	for _, s := range res.ServerSeries {
		tr.Server = append(tr.Server, ServerSample{TimeMS: s.Time.Milliseconds(), Open: s.Open, Busy: s.Busy, Backlog: s.Backlog})
	}
	tr.ClientPLTsMS = make([]float64, len(res.Metrics.ClientPLTs))
	for i, d := range res.Metrics.ClientPLTs {
		tr.ClientPLTsMS[i] = math.NaN()
		if d >= 0 {
			tr.ClientPLTsMS[i] = ms(d)
		}
	}
}

func ms(d time.Duration) float64 { return round6(float64(d) / 1e6) }

// round6 rounds to the 6 decimals the files keep, so that statistics
// computed from a whole run's rows equal those computed from rows read
// back from shard files (connsim merge is byte-identical).
func round6(v float64) float64 {
	if math.IsNaN(v) || math.Abs(v) >= 1e15 {
		return v
	}
	return math.Round(v*1e6) / 1e6
}

// nanMetrics are the metrics of a run that measured nothing: NaN for
// every measurement (the counts stay 0; the files write the cells of such
// a run empty either way).
func nanMetrics() Metrics {
	var r Metrics
	for _, mt := range metricTable {
		if !mt.Integer {
			mt.set(&r, math.NaN())
		}
	}
	return r
}

func traceOf(row Row, conns []httpmodel.ConnTrace) *Trace {
	tr := &Trace{Model: row.Model, Point: row.Point, Run: row.Run}
	for _, c := range conns {
		ct := ConnTrace{Connection: c.Connection, Host: c.Host, OpenMS: c.Opened.Milliseconds(), CloseMS: math.NaN()}
		if c.Closed >= 0 {
			ct.CloseMS = c.Closed.Milliseconds()
		}
		for _, s := range c.Cwnd {
			ct.Cwnd = append(ct.Cwnd, CwndSample{TimeMS: s.At.Milliseconds(), Cwnd: s.Cwnd, SSThresh: s.SSThresh})
		}
		for _, s := range c.Segments {
			ct.Segments = append(ct.Segments, SegmentSample{TimeMS: s.At.Milliseconds(), Seq: s.Seq, Len: int64(s.Len),
				Ack: s.Ack, FromClient: s.FromClient, Retransmit: s.Retransmit, Dropped: s.Dropped,
				ArriveMS: math.NaN(), Flags: s.Flags})
			if s.Arrived >= 0 {
				ct.Segments[len(ct.Segments)-1].ArriveMS = s.Arrived.Milliseconds()
			}
		}
		for _, e := range c.ResponseEnds {
			ct.ResponseEndsMS = append(ct.ResponseEndsMS, e.Milliseconds())
		}
		tr.Conns = append(tr.Conns, ct)
	}
	return tr
}

// runSafely is run, with a panic inside the run (a bug in the model)
// reported as that run's failure rather than ending the process: the
// other runs go on and are written, and the row says what happened.
func runSafely(rc RunConfig, trace bool, stop *atomic.Bool) (r Result) {
	defer func() {
		if p := recover(); p != nil {
			r = Result{Row: Row{Index: rc.Index, Model: rc.Model.Label, Run: rc.Rep, Seed: rc.Seed,
				Metrics: nanMetrics(), Err: fmt.Sprintf("internal error, please report it: %v", p)}}
			if rc.Point != nil {
				r.Row.Point = rc.Point.Axes
			}
		}
	}()
	return run(rc, trace, stop)
}

// The Row.Err of runs that RunAll did not finish because it was told to
// stop: NotRun for runs never started, Interrupted for runs stopped part
// way. Neither is a result; a folder holding either is partial.
const (
	NotRun      = "not run"
	Interrupted = "interrupted"
)

// RunOptions control RunAll and RunStream.
type RunOptions struct {
	Workers  int                     // goroutines; 0 = runtime.NumCPU()
	Trace    func(rc RunConfig) bool // which runs keep a trace; nil = none
	Progress func(done, total int)   // called after each run that finishes (not an interrupted one), from one goroutine at a time
	Context  context.Context         // cancelled: no new runs start; nil = never
	OnResult func(i int, r Result)   // optional: called as each run finishes (any order; not for interrupted runs)
	// Stop, when set to true (by a signal handler, say), ends the runs
	// under way within a few microseconds of simulation (their Row.Err is
	// Interrupted) and starts no more (NotRun). nil = never.
	Stop *atomic.Bool
	// Ahead bounds RunStream's reorder buffer: a run starts only when
	// fewer than Ahead results wait for an earlier run to finish, so
	// that memory does not grow with the number of runs. 0 = 32 per
	// worker: room for the sink to take results in batches (it is woken
	// once a quarter of the buffer is ready in order) while the workers
	// run on.
	Ahead int
}

// RunAll runs rcs on Workers goroutines and returns their results in the
// order of rcs, whatever the number of workers: the output is identical
// for any worker count. Each run is independent (its own scheduler and
// seed), so parallelism lives only here. When the context is cancelled,
// runs not yet started are left out: their Result has Row.Err set to
// NotRun. When Stop is set, the runs under way end early too (Interrupted).
// RunAll holds every result; RunStream hands them on instead.
func RunAll(rcs []RunConfig, opt RunOptions) []Result {
	results := make([]Result, 0, len(rcs))
	RunStream(rcs, opt, func(r Result) error {
		results = append(results, r)
		return nil
	})
	return results
}

// RunStream runs rcs as RunAll does and calls sink with each result in
// the order of rcs (runs not started, NotRun; runs stopped part way,
// Interrupted), from the calling goroutine, while later runs go on: the
// results are the same for any worker count. Results that finish before
// an earlier run wait in a reorder buffer of at most opt.Ahead; a worker
// that would run further ahead waits. When sink returns an error, no
// more runs start, the runs under way finish, and RunStream returns the
// error without calling sink again.
func RunStream(rcs []RunConfig, opt RunOptions, sink func(Result) error) error {
	return RunStreamAt(len(rcs), func(i int) RunConfig { return rcs[i] }, opt,
		func(_ RunConfig, r Result) error { return sink(r) })
}

// RunPlan runs the runs of plan as RunStream does, building each when a
// worker takes it, and hands sink each result with its run: memory does
// not grow with the number of runs.
func RunPlan(plan *Plan, opt RunOptions, sink func(RunConfig, Result) error) error {
	return RunStreamAt(plan.Len(), plan.Run, opt, sink)
}

// RunStreamAt is RunStream over n runs, run i being at(i), and hands
// sink each run with its result. at is called once for each run: by the
// worker that starts it (workers call it at once, so it must be safe for
// concurrent use, as a Plan's Run is), or, for a run never started
// (NotRun), from the calling goroutine at the end, in order.
func RunStreamAt(n int, at func(i int) RunConfig, opt RunOptions, sink func(RunConfig, Result) error) error {
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	workers = min(workers, max(1, n))
	ahead := opt.Ahead
	if ahead <= 0 {
		ahead = 32 * workers
	}
	ctx := opt.Context
	if ctx == nil {
		ctx = context.Background()
	}
	var (
		mu      sync.Mutex
		changed = sync.NewCond(&mu) // a result is ready, delivered, or a worker left
		buf     = make([]Result, ahead)
		bufRC   = make([]RunConfig, ahead)
		ready   = make([]bool, ahead)
		claimed int // runs started: [0, claimed)
		next    int // the next result to deliver
		done    int // runs finished (not interrupted), for Progress
		live    = workers
		abort   bool // sink failed
		// The sink sleeps until a batch of results is ready in order
		// (or a worker would wait, or the runs end), rather than being
		// woken for each: waking a parked goroutine costs a few
		// microseconds, as much as a small run's sink work.
		sinkWaiting  bool
		readyInOrder int // ready results from next on, without a gap
		batch        = max(1, ahead/4)
	)
	stopped := func() bool { return abort || ctx.Err() != nil || opt.Stop != nil && opt.Stop.Load() }
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mu.Lock()
			defer func() {
				live--
				changed.Broadcast()
				mu.Unlock()
			}()
			for {
				// Wait for room in the reorder buffer. The run at next
				// is under way (it was claimed, and is not delivered),
				// so room comes.
				for claimed < n && claimed >= next+ahead && !stopped() {
					if sinkWaiting {
						changed.Broadcast() // let the sink make room
					}
					changed.Wait()
				}
				if claimed >= n || stopped() {
					return
				}
				i := claimed
				claimed++
				mu.Unlock()
				rc := at(i)
				r := runSafely(rc, opt.Trace != nil && opt.Trace(rc), opt.Stop)
				mu.Lock()
				buf[i%ahead], bufRC[i%ahead], ready[i%ahead] = r, rc, true
				if i == next+readyInOrder {
					for readyInOrder < ahead && ready[(next+readyInOrder)%ahead] {
						readyInOrder++
					}
				}
				if sinkWaiting && readyInOrder > 0 && (readyInOrder >= batch || claimed >= n || stopped()) {
					changed.Broadcast()
				}
				if r.Row.Err == Interrupted {
					continue // not a finished run: no progress, no OnResult
				}
				done++
				if opt.OnResult != nil {
					opt.OnResult(i, r)
				}
				if opt.Progress != nil {
					opt.Progress(done, n)
				}
			}
		}()
	}
	var err error
	mu.Lock()
	for next < n {
		slot := next % ahead
		if !ready[slot] {
			if live > 0 {
				sinkWaiting = true
				changed.Wait()
				sinkWaiting = false
				continue
			}
			break // every worker has left: the runs from next on never started
		}
		r, rc := buf[slot], bufRC[slot]
		buf[slot], bufRC[slot], ready[slot] = Result{}, RunConfig{}, false
		next++
		readyInOrder--
		changed.Broadcast()
		mu.Unlock()
		err = sink(rc, r)
		mu.Lock()
		if err != nil {
			abort = true
			changed.Broadcast()
			break
		}
	}
	mu.Unlock()
	wg.Wait()
	if err != nil {
		return err
	}
	for i := next; i < n; i++ {
		rc := at(i)
		r := Result{Row: Row{Index: rc.Index, Model: rc.Model.Label, Point: rc.Point.Axes,
			Run: rc.Rep, Seed: rc.Seed, Metrics: nanMetrics(), Err: NotRun}}
		if err := sink(rc, r); err != nil {
			return err
		}
	}
	return nil
}

// WantsTrace reports whether a per-run plot of the spec (waterfall,
// cwnd, sequence, server, cdf) shows run rc, so that RunAll keeps its
// trace.
func (s *Spec) WantsTrace(rc RunConfig) bool {
	for _, p := range s.Plots {
		if p.Kind == PlotLine || p.Kind == PlotBar {
			continue
		}
		if PlotShows(p, rc) {
			return true
		}
	}
	return false
}

// PlotShows reports whether per-run plot p (waterfall, cwnd, sequence,
// server, cdf) shows run rc: same model label, repetition and point. A
// cdf plot without a model shows every model's run.
func PlotShows(p PlotSpec, rc RunConfig) bool {
	if (p.Model != rc.Model.Label && !(p.Kind == PlotCDF && p.Model == "")) || p.Run != rc.Rep {
		return false
	}
	for _, set := range p.Point {
		found := false
		for _, a := range rc.Point.Axes {
			if a.Key == set.Key {
				found = a.Value == set.Value
			}
		}
		if !found {
			return false
		}
	}
	return true
}
