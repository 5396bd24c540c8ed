package experiments

import (
	"fmt"
	"io"

	"github.com/connsim/connsim/httpmodel"
)

// This file holds hops.csv (issue 12): the page load time split by hop,
// and the connections and requests of each hop, for a spec with
// proxies:. httpmodel measures it (Metrics.Hops, HopMetrics); a run's
// rows are one per hop, ordered from the clients outward.

// HopRow is one hop of one run: the hop between From and To, its number
// in the run (1 = the clients' hop to the first proxy, ..., the last =
// the hop to a server site, on a single chain), the connections opened
// on it, the requests answered on it, their ratio, and the mean time a
// request spent on it. A request's hops add up to its time at the
// client: see httpmodel.HopMetrics.
type HopRow struct {
	Model       string
	Point       []AxisValue
	Run         int
	Hop         int
	From, To    string // "clients" or a proxy's name; a proxy's or a server site's name
	Connections int
	Requests    int
	Reuse       float64 // Requests / Connections; 0 without connections
	TimeMS      float64 // mean time a request spent on the hop (ms); 0 without requests
}

// hopRows returns run row's hops as rows (none without proxies).
func hopRows(row Row, hops []httpmodel.HopMetrics) []HopRow {
	if len(hops) == 0 {
		return nil
	}
	out := make([]HopRow, len(hops))
	for i, h := range hops {
		out[i] = HopRow{Model: row.Model, Point: row.Point, Run: row.Run, Hop: i + 1, From: h.From, To: h.To,
			Connections: h.Connections, Requests: h.Requests, Reuse: round6(h.Reuse()), TimeMS: ms(h.Time)}
	}
	return out
}

// HopsHeader returns the columns of hops.csv: model, the swept keys,
// run, then the hop's.
func HopsHeader(spec *Spec) []string {
	h := append([]string{"model"}, sweepKeys(spec)...)
	return append(h, "run", "hop", "from", "to", "connections", "requests", "reuse", "time_ms")
}

// WantsHops reports whether the spec's output has hops.csv: it has
// proxies.
func (s *Spec) WantsHops() bool { return s.HasProxies() }

// HopsWriter writes hops.csv (or .json) a row at a time, in the order
// the rows are given: run order, then the run's hops in order.
type HopsWriter struct{ runTable }

// NewHopsWriter writes the header (CSV) or the opening bracket (JSON).
func NewHopsWriter(w io.Writer, spec *Spec, f Format) (*HopsWriter, error) {
	t, err := newRunTable(w, spec, f, "hop row", HopsHeader(spec))
	if err != nil {
		return nil, err
	}
	return &HopsWriter{t}, nil
}

// Write writes one hop's row.
func (w *HopsWriter) Write(r HopRow) error {
	t, err := w.begin(r.Model, r.Point, r.Run)
	if err != nil {
		return err
	}
	t.int(int64(r.Hop))
	if err := t.str(r.From); err != nil {
		return err
	}
	if err := t.str(r.To); err != nil {
		return err
	}
	t.int(int64(r.Connections))
	t.int(int64(r.Requests))
	t.ms(r.Reuse)
	t.ms(r.TimeMS)
	return t.end()
}

// WriteHops writes rows as hops.csv (or .json): the whole table at once.
func WriteHops(w io.Writer, spec *Spec, rows []HopRow, f Format) error {
	hw, err := NewHopsWriter(w, spec, f)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := hw.Write(r); err != nil {
			return err
		}
	}
	return hw.Close()
}

// HopsReader reads a hops.csv written by HopsWriter a row at a time
// (connsim merge joins the shards' hops files with it).
type HopsReader struct{ rowReader }

// NewHopsReader reads the header.
func NewHopsReader(r io.Reader) (*HopsReader, error) {
	rr, err := newRowReader(r, "hops.csv")
	if err != nil {
		return nil, err
	}
	return &HopsReader{rr}, nil
}

// Read returns the next row, or io.EOF. Every cell is required; the
// numbers are checked for what a hop can hold (none negative, a hop
// number from 1, reuse the requests per connection).
func (hr *HopsReader) Read() (HopRow, error) {
	c, err := hr.s.next()
	if err != nil {
		return HopRow{}, err
	}
	r := HopRow{
		Model: c.get("model"), Point: c.point(hr.keys), Run: int(c.int("run")), Hop: int(c.int("hop")),
		From: c.get("from"), To: c.get("to"), Connections: int(c.int("connections")), Requests: int(c.int("requests")),
		Reuse: c.float("reuse"), TimeMS: c.float("time_ms"),
	}
	if c.err != nil {
		return HopRow{}, c.err
	}
	bad := ""
	switch {
	case r.Hop < 1:
		bad = "hop"
	case r.From == "" || r.To == "":
		bad = "from, to"
	case r.Connections < 0 || r.Requests < 0:
		bad = "connections, requests"
	case !(r.TimeMS >= 0) || r.TimeMS > 1e15:
		bad = "time_ms"
	case r.Connections == 0 && r.Reuse != 0, r.Connections > 0 && r.Reuse != round6(float64(r.Requests)/float64(r.Connections)):
		bad = "reuse"
	}
	if bad != "" {
		return HopRow{}, fmt.Errorf("experiments: hops.csv:%d: %s: not what connsim writes", c.line, bad)
	}
	return r, nil
}
