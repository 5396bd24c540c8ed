package main

import (
	"fmt"
	"io"

	"github.com/connsim/connsim/experiments"
)

// sideFile is a shard's per-run file beside results.csv whose rows name
// their run and come in run order, several per run: hops.csv (a spec
// with proxies) and servers.csv (a spec with servers:). merge reads it
// as it reads requests.csv: head is the next row, read ahead of the run
// it names.
type sideFile[R any] struct {
	path string
	what string // "hop", "server": a row in messages
	read func() (R, error)
	line func() int
	// run names a row's run; setPoint gives it the swept values as the
	// spec writes them.
	run      func(*R) (model string, point []experiments.AxisValue, run int)
	setPoint func(*R, []experiments.AxisValue)
	// check says what is wrong with row r read after have rows of its
	// run ("" if nothing).
	check func(r *R, have int) string

	head    R
	pos     int // head's run's position in the plan
	lineNo  int
	pending bool // head is read and not yet taken
	eof     bool
}

// peek reads the next row unless one is waiting or the file has ended.
func (f *sideFile[R]) peek(plan *experiments.Plan) error {
	if f == nil || f.pending || f.eof {
		return nil
	}
	r, err := f.read()
	if err == io.EOF {
		f.eof = true
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", f.path, err)
	}
	f.lineNo = f.line()
	p := plan.Find(f.run(&r))
	if p < 0 {
		return f.stray(&r)
	}
	f.head, f.pos, f.pending = r, p, true
	return nil
}

// stray is the error of row r, which names a run results.csv does not
// hold (here).
func (f *sideFile[R]) stray(r *R) error {
	model, _, run := f.run(r)
	return fmt.Errorf("%s:%d: model %s, run %d: a %s of a run not in results.csv", f.path, f.lineNo, model, run, f.what)
}

// rowsOf reads the rows of run p, the shard's head: those that follow
// and name run p, each checked in turn.
func (f *sideFile[R]) rowsOf(plan *experiments.Plan, p int) ([]R, error) {
	if f == nil {
		return nil, nil
	}
	rc := plan.Run(p)
	var rows []R
	for {
		if err := f.peek(plan); err != nil {
			return nil, err
		}
		if !f.pending || f.pos != p {
			break
		}
		r := f.head
		if bad := f.check(&r, len(rows)); bad != "" {
			model, _, run := f.run(&r)
			return nil, fmt.Errorf("%s:%d: model %s, run %d: %s: not a file connsim wrote", f.path, f.lineNo, model, run, bad)
		}
		f.setPoint(&r, rc.Point.Axes)
		rows = append(rows, r)
		f.pending = false
	}
	if f.pending && f.pos < p {
		return nil, f.stray(&f.head)
	}
	return rows, nil
}

// end checks, at the end of results.csv, that no row is left.
func (f *sideFile[R]) end(plan *experiments.Plan) error {
	if f == nil {
		return nil
	}
	if err := f.peek(plan); err != nil {
		return err
	}
	if f.pending {
		return f.stray(&f.head)
	}
	return nil
}

// hopsFile reads a shard's hops.csv: a run's hops numbered 1, 2, ...
func hopsFile(path string, r *experiments.HopsReader) *sideFile[experiments.HopRow] {
	return &sideFile[experiments.HopRow]{
		path: path, what: "hop", read: r.Read, line: r.Line,
		run:      func(q *experiments.HopRow) (string, []experiments.AxisValue, int) { return q.Model, q.Point, q.Run },
		setPoint: func(q *experiments.HopRow, a []experiments.AxisValue) { q.Point = a },
		check: func(q *experiments.HopRow, have int) string {
			if q.Hop != have+1 {
				return fmt.Sprintf("hop %d, want %d", q.Hop, have+1)
			}
			return ""
		},
	}
}

// serversFile reads a shard's servers.csv: a run's sites in the order
// of the spec's servers:.
func serversFile(path string, r *experiments.ServersReader, spec *experiments.Spec) *sideFile[experiments.ServerRow] {
	return &sideFile[experiments.ServerRow]{
		path: path, what: "server", read: r.Read, line: r.Line,
		run:      func(q *experiments.ServerRow) (string, []experiments.AxisValue, int) { return q.Model, q.Point, q.Run },
		setPoint: func(q *experiments.ServerRow, a []experiments.AxisValue) { q.Point = a },
		check: func(q *experiments.ServerRow, have int) string {
			if have >= len(spec.Servers) || q.Server != spec.Servers[have].Name {
				return fmt.Sprintf("server %q is not site %d of servers:", q.Server, have+1)
			}
			return ""
		},
	}
}
