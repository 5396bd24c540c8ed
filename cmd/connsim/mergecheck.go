package main

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/connsim/connsim/experiments"
)

// This file holds the checks connsim merge makes of each shard before it
// writes anything: the manifest, then the values of the rows.

// checkShardManifest checks a shard folder's manifest and its files.
func checkShardManifest(dir string, m *manifest) error {
	mpath := filepath.Join(dir, manifestName)
	if m.Format != manifestFormat {
		return fmt.Errorf("%s: format %d, this connsim reads %d", mpath, m.Format, manifestFormat)
	}
	if m.Status != statusComplete || m.Runs.NotRun > 0 {
		return fmt.Errorf("%s: a partial run (status %q, %d runs not run): run the shard again", mpath, m.Status, m.Runs.NotRun)
	}
	listed := map[string]manifestFile{}
	for _, f := range m.Files {
		listed[f.Name] = f
	}
	for _, need := range []string{"experiment.yaml", "results.csv", "requests.csv"} {
		if _, ok := listed[need]; !ok {
			if strings.HasSuffix(need, ".csv") {
				return fmt.Errorf("%s: not listed in %s (merge reads the CSV files: run the shards with --format csv)", filepath.Join(dir, need), manifestName)
			}
			return fmt.Errorf("%s: not listed in %s", filepath.Join(dir, need), manifestName)
		}
	}
	if listed["experiment.yaml"].SHA256 != m.SpecSHA256 {
		return fmt.Errorf("%s: spec_sha256 is not the SHA-256 of experiment.yaml", mpath)
	}
	return verifyManifest(dir, m)
}

// finiteNonNeg reports whether v is a finite number >= 0.
func finiteNonNeg(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) && v >= 0 }

// headerSlack bounds the response bytes beyond an object's body that a
// requests row may count: the response header of the spec, HTTP/2 frame
// headers (9 bytes per 16 KiB frame) and a margin.
func headerSlack(spec *experiments.Spec, body int64) int64 {
	return int64(spec.HTTP.ResponseHeaderBytes) + 9*(body/16384+1) + 4096
}

// checkResultRow checks one results row of a shard, found to be run rc:
// its seed is the one the spec gives it, it is not a partial shard's
// row, and its metrics are sane.
func checkResultRow(spec *experiments.Spec, resPath string, line int, rc *experiments.RunConfig, r experiments.Row) error {
	if r.Seed != rc.Seed {
		return fmt.Errorf("%s:%d: run %s: seed %d, experiment.yaml gives it %d", resPath, line, rc.ID, r.Seed, rc.Seed)
	}
	if r.Err == experiments.NotRun || r.Err == experiments.Interrupted {
		return fmt.Errorf("%s:%d: run %s says %q: a partial shard; run it again", resPath, line, rc.ID, r.Err)
	}
	if r.Err != "" {
		return nil
	}
	for _, mt := range spec.MetricColumns() {
		v := mt.Value(&r.Metrics)
		switch {
		case math.IsNaN(v) && mt.Optional:
		case mt.Integer && v < 0:
			return fmt.Errorf("%s:%d: run %s: %s %v: want >= 0", resPath, line, rc.ID, mt.Name, v)
		case !mt.Integer && !finiteNonNeg(v):
			want := "a finite number >= 0"
			if mt.Optional {
				want = "empty or " + want
			}
			return fmt.Errorf("%s:%d: run %s: %s %v: want %s", resPath, line, rc.ID, mt.Name, v, want)
		}
	}
	return nil
}

// requestCheck checks the requests rows of one run of a shard: one row
// per request of its page loads, no more and no fewer, with sane times
// and sizes.
type requestCheck struct {
	reqPath string
	rc      *experiments.RunConfig
	ok      bool           // the run succeeded: every request has a row
	seen    map[[2]int]int // (visit, request) -> line
	sizes   []int64
	visits  int
	// pop: a spec with clients: (issue 11): requests are numbered per
	// client, and pages and visits are the populations'; only their
	// uniqueness per client and their times are checked.
	pop     bool
	popSeen map[string]int // client, visit, request -> line
}

func newRequestCheck(reqPath string, rc *experiments.RunConfig, ok bool) *requestCheck {
	return &requestCheck{reqPath: reqPath, rc: rc, ok: ok, seen: map[[2]int]int{},
		sizes: objectSizes(rc.Point.Spec), visits: max(rc.Point.Spec.Client.Visits, 1),
		pop: rc.Point.Spec.HasClients(), popSeen: map[string]int{}}
}

// row checks the requests row at line.
func (c *requestCheck) row(line int, q experiments.RequestRow) error {
	spec := c.rc.Point.Spec
	// Requests are numbered across visits: visit v's are v*n .. v*n+n-1.
	n := len(c.sizes)
	if c.pop {
		key := fmt.Sprintf("%s/%d/%d", q.Client, q.Visit, q.Request)
		if prev, dup := c.popSeen[key]; dup {
			return fmt.Errorf("%s:%d: run %s: request %d of visit %d of %s again (also line %d)", c.reqPath, line, c.rc.ID, q.Request, q.Visit, q.Client, prev)
		}
		c.popSeen[key] = line
	} else {
		if q.Request < 0 || q.Request >= n*c.visits || q.Visit != q.Request/n {
			return fmt.Errorf("%s:%d: run %s: request %d of visit %d: the page has %d requests and %d visits",
				c.reqPath, line, c.rc.ID, q.Request, q.Visit, n, c.visits)
		}
		id := [2]int{q.Visit, q.Request}
		if prev, dup := c.seen[id]; dup {
			return fmt.Errorf("%s:%d: run %s: request %d of visit %d again (also line %d)", c.reqPath, line, c.rc.ID, q.Request, q.Visit, prev)
		}
		c.seen[id] = line
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"start_ms", q.StartMS}, {"dns_ms", q.DNSMS}, {"connect_ms", q.ConnectMS}, {"tls_ms", q.TLSMS}, {"send_ms", q.SendMS},
		{"wait_ms", q.WaitMS}, {"receive_ms", q.ReceiveMS}, {"end_ms", q.EndMS}, {"queued_ms", q.QueuedMS}} {
		if math.IsNaN(f.v) && !c.ok {
			continue // a failed run's unfinished request
		}
		if !finiteNonNeg(f.v) {
			return fmt.Errorf("%s:%d: run %s: %s %v: want a finite number >= 0", c.reqPath, line, c.rc.ID, f.name, f.v)
		}
	}
	if c.ok && q.EndMS < q.StartMS {
		return fmt.Errorf("%s:%d: run %s: end_ms %v before start_ms %v", c.reqPath, line, c.rc.ID, q.EndMS, q.StartMS)
	}
	if c.pop {
		return nil
	}
	if body := c.sizes[q.Request%n]; q.Bytes < 0 || c.ok && (q.Bytes < body || q.Bytes > body+headerSlack(spec, body)) {
		return fmt.Errorf("%s:%d: run %s: request %d: bytes %d, the object is %d bytes plus headers", c.reqPath, line, c.rc.ID, q.Request, q.Bytes, body)
	}
	return nil
}

// done checks, once the run's rows are read, that none is missing.
func (c *requestCheck) done() error {
	if !c.ok || c.pop {
		return nil
	}
	if want := len(c.sizes) * c.visits; len(c.seen) != want {
		return fmt.Errorf("%s: run %s has %d request rows, its page loads make %d: rows dropped", c.reqPath, c.rc.ID, len(c.seen), want)
	}
	return nil
}

// checkShardValues checks rows read from one shard folder with the
// checks merge makes as it reads: each results row is a run of the spec
// with its seed and sane metrics, and requests.csv holds one row per
// request of each run, no more and no fewer, with sane times and sizes.
func checkShardValues(spec *experiments.Spec, dir string, plan *experiments.Plan, rows []experiments.Row, reqs []experiments.RequestRow) error {
	resPath := filepath.Join(dir, "results.csv")
	reqPath := filepath.Join(dir, "requests.csv")
	checks := map[int]*requestCheck{}
	var order []int
	for i, r := range rows {
		line := i + 2
		p := plan.Find(r.Model, r.Point, r.Run)
		if p < 0 {
			return fmt.Errorf("%s:%d: model %s, run %d: no such run in experiment.yaml", resPath, line, r.Model, r.Run)
		}
		rc := new(plan.Run(p))
		if checks[p] != nil {
			return fmt.Errorf("%s:%d: run %s appears twice", resPath, line, rc.ID)
		}
		if err := checkResultRow(spec, resPath, line, rc, r); err != nil {
			return err
		}
		checks[p] = newRequestCheck(reqPath, rc, r.Err == "")
		order = append(order, p)
	}
	for i, q := range reqs {
		line := i + 2
		p := plan.Find(q.Model, q.Point, q.Run)
		if p < 0 || checks[p] == nil {
			return fmt.Errorf("%s:%d: model %s, run %d: a request of a run not in results.csv", reqPath, line, q.Model, q.Run)
		}
		if err := checks[p].row(line, q); err != nil {
			return err
		}
	}
	for _, p := range order {
		if err := checks[p].done(); err != nil {
			return err
		}
	}
	return nil
}

// objectSizes returns the body sizes of a page's requests in request
// order: the HTML, then each object.
func objectSizes(s *experiments.Spec) []int64 {
	sizes := []int64{int64(s.Page.HTML)}
	for _, o := range s.Page.Objects {
		for range o.Count {
			sizes = append(sizes, int64(o.Size))
		}
	}
	return sizes
}
