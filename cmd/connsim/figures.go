package main

// This file draws an experiment's figures for its folder and report.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"gonum.org/v1/plot"

	"github.com/connsim/connsim/experiments"
	"github.com/connsim/connsim/plots"
)

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

func slug(s string) string {
	s = strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > 48 {
		s = strings.TrimRight(s[:48], "-")
	}
	return s
}

// makeFigures draws every plot of the spec into dir/plots and returns them
// for the report, in spec order.
//
// Up to workers figures are drawn at once (workers < 1 means GOMAXPROCS).
// Figures are claimed in spec order, so the output is the same for any
// number of workers: each figure is a pure function of the rows.
//
// In a partial run (partial set) a plot that cannot be drawn, or that
// shows one run that did not finish, is left out and named in skipped.
// Otherwise the first plot in spec order that fails is the error returned.
//
// When stop becomes set (a signal), the figures not yet drawn are left
// out, named in skipped, and cut is true.
func makeFigures(s *experiments.Spec, dir string, rows []experiments.Row, reqs []experiments.RequestRow,
	traces map[int]*experiments.Trace, plan *experiments.Plan, partial bool, stop *atomic.Bool, workers int) (figs []plots.Figure, skipped []string, cut bool, err error) {
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
	tc := &traceCache{m: traces}
	out := make([]figResult, len(s.Plots))
	drawn := claimAll(len(s.Plots), workers, stop, func(i int) bool {
		out[i] = drawFigure(s, i, pdir, rows, reqs, tc, plan, partial, finished)
		return out[i].err == nil || partial
	})
	for i := range drawn {
		r := out[i]
		switch {
		case r.skip != "":
			skipped = append(skipped, r.skip)
		case r.err != nil:
			return figs, skipped, false, r.err
		default:
			figs = append(figs, r.fig)
		}
	}
	if drawn < len(s.Plots) {
		skipped = append(skipped, fmt.Sprintf("plots %d to %d, not drawn: interrupted", drawn+1, len(s.Plots)))
		return figs, skipped, true, nil
	}
	return figs, skipped, false, nil
}

// claimAll calls job(i) for i = 0, 1, ... n-1 on up to workers goroutines
// and returns how many were claimed. Indices are claimed in order, under
// a lock that also checks stop and whether a job asked to end (job
// returns false), so the claimed ones are always a prefix 0..k-1 and
// each of them ran to its end.
func claimAll(n, workers int, stop *atomic.Bool, job func(i int) bool) int {
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	var (
		mu    sync.Mutex
		next  int
		ended bool
		wg    sync.WaitGroup
	)
	claim := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if ended || next >= n || (stop != nil && stop.Load()) {
			ended = true
			return 0, false
		}
		next++
		return next - 1, true
	}
	for range min(workers, n) {
		wg.Go(func() {
			for i, ok := claim(); ok; i, ok = claim() {
				if !job(i) {
					mu.Lock()
					ended = true
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return next
}

// figResult is the outcome of one plot of the spec: a figure, a reason it
// was left out (skip), or an error.
type figResult struct {
	fig  plots.Figure
	skip string
	err  error
}

// drawFigure draws plot i of the spec into pdir.
func drawFigure(s *experiments.Spec, i int, pdir string, rows []experiments.Row, reqs []experiments.RequestRow,
	tc *traceCache, plan *experiments.Plan, partial bool, finished map[int]bool) figResult {
	ps := s.Plots[i]
	if partial && ps.Kind != experiments.PlotLine && ps.Kind != experiments.PlotBar {
		// A per-run figure of a run that did not finish would run it
		// again (traceCache.get): leave it out.
		pos, shown := plan.Shows(ps)
		if !shown || !finished[plan.Index(pos)] {
			return figResult{skip: fmt.Sprintf("plot %d (%s), whose run did not finish", i+1, ps.Kind)}
		}
	}
	p, caption, err := drawPlot(s, ps, rows, reqs, tc, plan)
	if err != nil && partial {
		return figResult{skip: fmt.Sprintf("plot %d (%s): %v", i+1, ps.Kind, err)}
	}
	if err != nil {
		return figResult{err: fmt.Errorf("plot %d (%s): %w", i+1, ps.Kind, err)}
	}
	title := ps.Title
	if strings.Contains(title, "{") {
		// A waterfall title's {connections}, {requests} and
		// {loaded_ms} were replaced by the run's numbers: the file
		// and the report name the figure as it is drawn.
		title = p.Title.Text
	}
	name := fmt.Sprintf("%02d-%s", i+1, ps.Kind)
	if t := slug(title); t != "" {
		name = fmt.Sprintf("%02d-%s", i+1, t)
	}
	w, h := plots.DefaultSize(p)
	if err := plots.Save(p, pdir, name, w, h); err != nil {
		return figResult{err: err}
	}
	png, err := os.ReadFile(filepath.Join(pdir, name+".png"))
	if err != nil {
		return figResult{err: err}
	}
	if title == "" {
		title = p.Title.Text
	}
	return figResult{fig: plots.Figure{Name: name, Title: title, Caption: caption, PNG: png}}
}

func drawPlot(s *experiments.Spec, ps experiments.PlotSpec, rows []experiments.Row, reqs []experiments.RequestRow,
	tc *traceCache, plan *experiments.Plan) (*plot.Plot, string, error) {
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
			join, err := plots.ParseJoin(ps.Style)
			if err != nil {
				return nil, "", err
			}
			p, err := plots.Line(sel, plots.LineOptions{X: ps.X, Y: ps.Y, Series: ps.Series, Where: ps.Point.Where(),
				Title: ps.Title, LogX: ps.LogX, LogY: ps.LogY, Join: join})
			caption := fmt.Sprintf("%s against %s, one line per %s; each point is %s.",
				capitalize(metricName(ps.Y)), plots.KeyUnit(ps.X).Name, seriesName(ps.Series), spread)
			switch join {
			case plots.Steps:
				caption += " The value measured at a point is held until the next one: the metric changes in steps, somewhere between two measured values."
			case plots.Points:
				caption += " The points are not joined: nothing was measured between them."
			}
			return p, caption, err
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
	if ps.Kind == experiments.PlotCDF {
		return drawCDF(s, ps, tc, plan)
	}
	// Per-run figures: find the run.
	pos, ok := plan.Shows(ps)
	if !ok {
		return nil, "", fmt.Errorf("no run of model %q at %s, run %d", ps.Model, pointText(s.Sweep, ps.Point), ps.Run)
	}
	rc := new(plan.Run(pos))
	where := fmt.Sprintf("model %s at %s, run %d", ps.Model, pointText(s.Sweep, ps.Point), ps.Run)
	switch ps.Kind {
	case experiments.PlotWaterfall:
		sel := runRequests(reqs, rc)
		tr, err := tc.get(*rc)
		if err != nil {
			return nil, "", err
		}
		if !s.HasClients() {
			// Without clients: requests.csv has no refusals and
			// replayed columns, so the rows merge reads back lack
			// them: the run's trace has them (repeated by merge).
			setMarks(sel, tr.Marks)
		}
		opt := plots.WaterfallOptions{Title: ps.Title, Trace: tr, XMax: sharedEnd(s, ps, reqs, plan)}
		p, err := plots.Waterfall(sel, opt)
		caption := "One page load, " + where + ": one row per request, split into its phases (queued, dns, connect, tls, send, wait, receive); c<N> in the row label names the connection that carried it, and the stripe at the left tells connections apart (hosts, when the page uses several)."
		if err == nil {
			// Said only when drawn, so other captions stay as they were.
			refused, replayed := plots.WaterfallMarks(sel, opt)
			if refused {
				caption += " A hatched queued span is a request that waited through refused connection attempts."
			}
			if replayed {
				caption += " R marks a request replayed (sent again after its connection closed), where it was sent again."
			}
			if plots.WaterfallLost(sel, opt) {
				caption += " A red line on a row runs from a segment that was lost (on the row's connection, while the request was under way) to its retransmission, marked by a red bar; a long one is a stall until a loss probe or the retransmission timer fired."
			}
			if opt.XMax > 0 {
				caption += " Waterfalls of this experiment at the same point share this time axis."
			}
		}
		return p, caption, err
	case experiments.PlotCwnd:
		tr, err := tc.get(*rc)
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
		opt := plots.CwndOptions{Title: ps.Title, Conns: conns, Requests: sel}
		p, err := plots.Cwnd(*tr, opt)
		caption := "The server's congestion window on each connection of one page load, " + where
		if err == nil && plots.CwndSSThresh(*tr, opt) {
			caption += ", and its ssthresh (dotted) from when a loss or an idle restart set it"
		} else {
			caption += " (ssthresh was never set, by a loss or an idle restart, so none is drawn)"
		}
		caption += "; ticks mark when the client had each response in full, on the same clock (the client's end of a response comes about half a round trip after the server sent its last byte)."
		return p, caption, err
	case experiments.PlotSequence:
		tr, err := tc.get(*rc)
		if err != nil {
			return nil, "", err
		}
		conn := ps.Connection
		if conn == 0 {
			conn = 1
		}
		p, err := plots.Sequence(*tr, conn, plots.SequenceOptions{Title: ps.Title})
		return p, fmt.Sprintf("Time-sequence plot of connection %d, %s: the sequence number of each data segment against the time it was sent, with the client's ACKs; retransmissions and drops marked.", conn, where), err
	case experiments.PlotLadder:
		tr, err := tc.get(*rc)
		if err != nil {
			return nil, "", err
		}
		p, err := plots.Ladder(*tr, plots.LadderOptions{Title: ps.Title, Conn: ps.Connection})
		which := "every connection"
		if ps.Connection > 0 {
			which = fmt.Sprintf("connection %d", ps.Connection)
		}
		return p, fmt.Sprintf("Ladder diagram of the first packets of %s, %s: client and server time lines, each packet an arrow from when it left to when it arrived (handshake, requests, responses, ACKs, FIN); retransmissions dashed, lost packets end in an X.", which, where), err
	case experiments.PlotServer:
		tr, err := tc.get(*rc)
		if err != nil {
			return nil, "", err
		}
		p, err := plots.Server(*tr, plots.ServerOptions{Title: ps.Title})
		return p, "The server's open connections, busy workers and listen backlog against time, " + where + " (workers and backlog only when they are used).", err
	}
	return nil, "", fmt.Errorf("unknown plot kind %q", ps.Kind)
}

// runRequests returns the request rows of run rc.
func runRequests(reqs []experiments.RequestRow, rc *experiments.RunConfig) []experiments.RequestRow {
	var sel []experiments.RequestRow
	for _, r := range reqs {
		if r.Model == rc.Model.Label && r.Run == rc.Rep && samePoint(r.Point, rc.Point.Axes) {
			sel = append(sel, r)
		}
	}
	return sel
}

// sharedEnd returns where the time axis of waterfall plot ps ends when
// the spec has other waterfalls of the same point and run (of other
// models, or the same one): the latest end of their loads, so that
// waterfalls meant to be compared share one scale. 0 when ps is the
// only one.
func sharedEnd(s *experiments.Spec, ps experiments.PlotSpec, reqs []experiments.RequestRow, plan *experiments.Plan) float64 {
	end, others := 0.0, 0
	for _, o := range s.Plots {
		if o.Kind != experiments.PlotWaterfall || o.Run != ps.Run || !samePlotPoint(o.Point, ps.Point) {
			continue
		}
		pos, ok := plan.Shows(o)
		if !ok {
			continue
		}
		rc := plan.Run(pos)
		if e := plots.WaterfallEnd(runRequests(reqs, &rc), plots.WaterfallOptions{}); e > end {
			end = e
		}
		others++
	}
	if others < 2 {
		return 0
	}
	return end
}

// samePlotPoint reports whether two plots' points fix the same keys to
// the same values, in any order.
func samePlotPoint(a, b experiments.PlotPoint) bool {
	wa, wb := a.Where(), b.Where()
	if len(wa) != len(wb) {
		return false
	}
	for k, v := range wa {
		if w, ok := wb[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// traceCache holds the runs' traces. Figures drawn at once share it.
type traceCache struct {
	mu      sync.Mutex
	m       map[int]*experiments.Trace
	running map[int]*traceRun // runs being simulated again, by index
}

// traceRun is one run being simulated again for its trace.
type traceRun struct {
	done chan struct{}
	tr   *experiments.Trace
	err  error
}

// get returns the trace of run rc, running it again when the results
// came from files (merge): runs are deterministic, so this is the same
// run. Each run is repeated at most once; figures that need different
// runs repeat them at the same time.
func (c *traceCache) get(rc experiments.RunConfig) (*experiments.Trace, error) {
	c.mu.Lock()
	if tr, ok := c.m[rc.Index]; ok {
		c.mu.Unlock()
		return tr, nil
	}
	if r, ok := c.running[rc.Index]; ok {
		c.mu.Unlock()
		<-r.done
		return r.tr, r.err
	}
	r := &traceRun{done: make(chan struct{})}
	if c.running == nil {
		c.running = map[int]*traceRun{}
	}
	c.running[rc.Index] = r
	c.mu.Unlock()

	r.tr = experiments.Run(rc, true).Trace
	if r.tr == nil {
		r.err = fmt.Errorf("run %s has no trace", rc.ID)
	}
	c.mu.Lock()
	if r.err == nil {
		c.m[rc.Index] = r.tr
	}
	delete(c.running, rc.Index)
	c.mu.Unlock()
	close(r.done)
	return r.tr, r.err
}

// setMarks sets the refusals and replayed marks of a run's request rows
// from its trace's marks (by request index), clearing the others.
func setMarks(reqs []experiments.RequestRow, marks []experiments.RequestMark) {
	byReq := make(map[int]experiments.RequestMark, len(marks))
	for _, m := range marks {
		byReq[m.Request] = m
	}
	for i := range reqs {
		m := byReq[reqs[i].Request]
		reqs[i].Refusals, reqs[i].Replayed = m.Refusals, m.Replayed
	}
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

// drawCDF draws a cdf plot: the PLT CDF across clients of each model's
// run at the plot's point (or of its one model).
func drawCDF(s *experiments.Spec, ps experiments.PlotSpec, tc *traceCache, plan *experiments.Plan) (*plot.Plot, string, error) {
	var trs []experiments.Trace
	for _, m := range s.Models {
		if ps.Model != "" && m.Label != ps.Model {
			continue
		}
		one := ps
		one.Model = m.Label // the run of this model the figure shows
		pos, ok := plan.Shows(one)
		if !ok {
			continue
		}
		tr, err := tc.get(plan.Run(pos))
		if err != nil {
			return nil, "", err
		}
		trs = append(trs, *tr)
	}
	if len(trs) == 0 {
		return nil, "", fmt.Errorf("no run at %s, run %d", pointText(s.Sweep, ps.Point), ps.Run)
	}
	p, err := plots.CDF(trs, plots.CDFOptions{Title: ps.Title, LogX: ps.LogX})
	return p, fmt.Sprintf("Distribution of the page load time across clients (first visits, idle clients excluded), one line per model, at %s, run %d; a line that stays below 1 has clients that did not finish.", pointText(s.Sweep, ps.Point), ps.Run), err
}
