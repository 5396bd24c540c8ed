package experiments

import (
	"fmt"
	"io"
	"math"

	"github.com/connsim/connsim/httpmodel"
)

// This file holds servers.csv: each server site's own measurements, for
// a spec with servers: (populations of clients over several sites).
// results.csv holds their aggregates (the server_* columns, see the
// metrics table); httpmodel measures them per site (Metrics.Servers,
// ServerMetrics), and a run's rows are one per site, in the order of
// servers:.

// ServerRow is one server site of one run.
type ServerRow struct {
	Model          string
	Point          []AxisValue
	Run            int
	Server         string // the site's name (servers[].name)
	Accepted       int    // connection requests accepted (at once or into the backlog)
	Refused        int    // connection requests refused with a reset
	SYNDrops       int    // SYNs dropped unanswered, the backlog full
	Requests       int    // responses written in full
	OpenMax        int    // most connections held at once
	OpenMean       float64
	BusyWorkersMax int
	BacklogMax     int
	MemoryMax      int64   // bytes: OpenMax x the site's memory per connection
	ConnS          float64 // integral of its open connections over the run, seconds
}

// serverRows returns run row's server sites as rows (none without
// servers:).
func serverRows(row Row, sites []httpmodel.ServerMetrics) []ServerRow {
	if len(sites) == 0 {
		return nil
	}
	out := make([]ServerRow, len(sites))
	for i, m := range sites {
		out[i] = ServerRow{Model: row.Model, Point: row.Point, Run: row.Run, Server: m.Name,
			Accepted: m.Accepted, Refused: m.Refused, SYNDrops: m.SYNDrops, Requests: m.RequestsServed,
			OpenMax: m.ServerOpenMax, OpenMean: round6(m.ServerOpenMean), BusyWorkersMax: m.BusyWorkersMax,
			BacklogMax: m.BacklogMax, MemoryMax: m.ServerMemoryMax, ConnS: round6(m.ServerConnS)}
	}
	return out
}

// serverColumns are servers.csv's columns after run: the names of the
// results.csv columns they break down, where there is one.
var serverColumns = []string{"server", "accepted", "refused", "syn_drops", "requests_served",
	"server_open_max", "server_open_mean", "busy_workers_max", "backlog_max", "server_memory_max_bytes", "server_conn_s"}

// ServersHeader returns the columns of servers.csv: model, the swept
// keys, run, then the site's.
func ServersHeader(spec *Spec) []string {
	h := append([]string{"model"}, sweepKeys(spec)...)
	return append(append(h, "run"), serverColumns...)
}

// WantsServers reports whether the spec's output has servers.csv: it
// lists server sites (servers:).
func (s *Spec) WantsServers() bool { return s != nil && len(s.Servers) > 0 }

// ServersWriter writes servers.csv (or .json) a row at a time, in the
// order the rows are given: run order, then the run's sites in order.
type ServersWriter struct{ runTable }

// NewServersWriter writes the header (CSV) or the opening bracket (JSON).
func NewServersWriter(w io.Writer, spec *Spec, f Format) (*ServersWriter, error) {
	t, err := newRunTable(w, spec, f, "server row", ServersHeader(spec))
	if err != nil {
		return nil, err
	}
	return &ServersWriter{t}, nil
}

// Write writes one site's row.
func (w *ServersWriter) Write(r ServerRow) error {
	t, err := w.begin(r.Model, r.Point, r.Run)
	if err != nil {
		return err
	}
	if err := t.str(r.Server); err != nil {
		return err
	}
	for _, v := range []int64{int64(r.Accepted), int64(r.Refused), int64(r.SYNDrops), int64(r.Requests), int64(r.OpenMax)} {
		t.int(v)
	}
	t.ms(r.OpenMean)
	t.int(int64(r.BusyWorkersMax))
	t.int(int64(r.BacklogMax))
	t.int(r.MemoryMax)
	t.ms(r.ConnS)
	return t.end()
}

// runTable writes a table whose rows begin with model, the point's
// swept values and run (hops.csv, servers.csv).
type runTable struct {
	t    *tableWriter
	keys []string
	what string // "hop row": a row in messages
	n    int    // rows written
}

func newRunTable(w io.Writer, spec *Spec, f Format, what string, header []string) (runTable, error) {
	t, err := newTableWriter(w, header, f)
	if err != nil {
		return runTable{}, err
	}
	return runTable{t: t, keys: sweepKeys(spec), what: what}, nil
}

// begin checks the point against the spec's keys and starts a row with
// model, the point and run; the caller writes the rest and ends it.
func (rt *runTable) begin(model string, point []AxisValue, run int) (*tableWriter, error) {
	if err := checkPoint(rt.keys, point, func() string { return fmt.Sprintf("%s %d", rt.what, rt.n) }); err != nil {
		return nil, err
	}
	rt.n++
	t := rt.t
	t.start()
	if err := t.str(model); err != nil {
		return nil, err
	}
	for _, a := range point {
		t.exact(a.Value)
	}
	t.int(int64(run))
	return t, nil
}

// Close ends the table and flushes it; it does not close the io.Writer.
func (rt *runTable) Close() error { return rt.t.close() }

// ServersReader reads a servers.csv written by ServersWriter a row at a
// time (connsim merge joins the shards' servers files with it).
type ServersReader struct{ rowReader }

// NewServersReader reads the header.
func NewServersReader(r io.Reader) (*ServersReader, error) {
	rr, err := newRowReader(r, "servers.csv")
	if err != nil {
		return nil, err
	}
	return &ServersReader{rr}, nil
}

// Read returns the next row, or io.EOF. Every cell is required; the
// numbers are checked for what a site can hold (none negative, the mean
// of open connections at most their maximum).
func (sr *ServersReader) Read() (ServerRow, error) {
	c, err := sr.s.next()
	if err != nil {
		return ServerRow{}, err
	}
	r := ServerRow{
		Model: c.get("model"), Point: c.point(sr.keys), Run: int(c.int("run")), Server: c.get("server"),
		Accepted: int(c.int("accepted")), Refused: int(c.int("refused")), SYNDrops: int(c.int("syn_drops")),
		Requests: int(c.int("requests_served")), OpenMax: int(c.int("server_open_max")), OpenMean: c.float("server_open_mean"),
		BusyWorkersMax: int(c.int("busy_workers_max")), BacklogMax: int(c.int("backlog_max")),
		MemoryMax: c.int("server_memory_max_bytes"), ConnS: c.float("server_conn_s"),
	}
	if c.err != nil {
		return ServerRow{}, c.err
	}
	bad := ""
	switch {
	case r.Server == "":
		bad = "server"
	case r.Accepted < 0 || r.Refused < 0 || r.SYNDrops < 0 || r.Requests < 0 || r.OpenMax < 0 ||
		r.BusyWorkersMax < 0 || r.BacklogMax < 0 || r.MemoryMax < 0:
		bad = "a count"
	case !(r.OpenMean >= 0) || r.OpenMean > float64(r.OpenMax)+1e-6:
		bad = "server_open_mean"
	case !(r.ConnS >= 0) || math.IsInf(r.ConnS, 0):
		bad = "server_conn_s"
	}
	if bad != "" {
		return ServerRow{}, fmt.Errorf("experiments: servers.csv:%d: %s: not what connsim writes", c.line, bad)
	}
	return r, nil
}
