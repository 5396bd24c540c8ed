package main

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
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

// runKey identifies a run by model label, swept values and repetition.
func runKey(model string, point []experiments.AxisValue, rep int) string {
	var b strings.Builder
	b.WriteString(model)
	b.WriteString("\x00")
	b.WriteString(strconv.Itoa(rep))
	for _, a := range point {
		fmt.Fprintf(&b, "\x00%s=%s", a.Key, strconv.FormatFloat(a.Value, 'g', -1, 64))
	}
	return b.String()
}

// runIndex maps each run of the spec by runKey.
func runIndex(runs []experiments.RunConfig) map[string]*experiments.RunConfig {
	m := make(map[string]*experiments.RunConfig, len(runs))
	for i := range runs {
		r := &runs[i]
		m[runKey(r.Model.Label, r.Point.Axes, r.Rep)] = r
	}
	return m
}

// finiteNonNeg reports whether v is a finite number >= 0.
func finiteNonNeg(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) && v >= 0 }

// headerSlack bounds the response bytes beyond an object's body that a
// requests row may count: the response header of the spec, HTTP/2 frame
// headers (9 bytes per 16 KiB frame) and a margin.
func headerSlack(spec *experiments.Spec, body int64) int64 {
	return int64(spec.HTTP.ResponseHeaderBytes) + 9*(body/16384+1) + 4096
}

// checkShardValues checks the rows read from one shard folder: each
// results row is a run of the spec with its seed and sane metrics, and
// requests.csv holds one row per request of each run, no more and no
// fewer, with sane times and sizes.
func checkShardValues(dir string, runs []experiments.RunConfig, rows []experiments.Row, reqs []experiments.RequestRow) error {
	byKey := runIndex(runs)
	resPath := filepath.Join(dir, "results.csv")
	reqPath := filepath.Join(dir, "requests.csv")
	type runState struct {
		rc   *experiments.RunConfig
		ok   bool           // the run succeeded: every request has a row
		seen map[[2]int]int // (visit, request) -> line
	}
	inShard := map[string]*runState{}
	var order []*runState
	for i, r := range rows {
		line := i + 2
		k := runKey(r.Model, r.Point, r.Run)
		rc := byKey[k]
		if rc == nil {
			return fmt.Errorf("%s:%d: model %s, run %d: no such run in experiment.yaml", resPath, line, r.Model, r.Run)
		}
		if inShard[k] != nil {
			return fmt.Errorf("%s:%d: run %s appears twice", resPath, line, rc.ID)
		}
		if r.Seed != rc.Seed {
			return fmt.Errorf("%s:%d: run %s: seed %d, experiment.yaml gives it %d", resPath, line, rc.ID, r.Seed, rc.Seed)
		}
		if r.Err == experiments.NotRun || r.Err == experiments.Interrupted {
			return fmt.Errorf("%s:%d: run %s says %q: a partial shard; run it again", resPath, line, rc.ID, r.Err)
		}
		inShard[k] = &runState{rc: rc, ok: r.Err == "", seen: map[[2]int]int{}}
		order = append(order, inShard[k])
		if r.Err != "" {
			continue
		}
		m := r.Metrics
		for _, f := range []struct {
			name string
			v    float64
		}{{"plt_ms", m.PLTms}, {"handshakes_ms", m.HandshakesMS}, {"server_conn_s", m.ServerConnS}} {
			if !finiteNonNeg(f.v) {
				return fmt.Errorf("%s:%d: run %s: %s %v: want a finite number >= 0", resPath, line, rc.ID, f.name, f.v)
			}
		}
		if !math.IsNaN(m.RevisitPLTms) && !finiteNonNeg(m.RevisitPLTms) {
			return fmt.Errorf("%s:%d: run %s: revisit_plt_ms %v: want empty or a finite number >= 0", resPath, line, rc.ID, m.RevisitPLTms)
		}
		for _, f := range []struct {
			name string
			v    int64
		}{{"connections", m.Connections}, {"packets", m.Packets}, {"bytes", m.Bytes}, {"retransmits", m.Retransmits},
			{"drops", m.Drops}, {"events", m.Events}} {
			if f.v < 0 {
				return fmt.Errorf("%s:%d: run %s: %s %d: want >= 0", resPath, line, rc.ID, f.name, f.v)
			}
		}
	}
	for i, q := range reqs {
		line := i + 2
		st := inShard[runKey(q.Model, q.Point, q.Run)]
		if st == nil {
			return fmt.Errorf("%s:%d: model %s, run %d: a request of a run not in results.csv", reqPath, line, q.Model, q.Run)
		}
		spec := st.rc.Point.Spec
		sizes := objectSizes(spec)
		visits := max(spec.Client.Visits, 1)
		// Requests are numbered across visits: visit v's are v*n .. v*n+n-1.
		n := len(sizes)
		if q.Request < 0 || q.Request >= n*visits || q.Visit != q.Request/n {
			return fmt.Errorf("%s:%d: run %s: request %d of visit %d: the page has %d requests and %d visits",
				reqPath, line, st.rc.ID, q.Request, q.Visit, n, visits)
		}
		id := [2]int{q.Visit, q.Request}
		if prev, dup := st.seen[id]; dup {
			return fmt.Errorf("%s:%d: run %s: request %d of visit %d again (also line %d)", reqPath, line, st.rc.ID, q.Request, q.Visit, prev)
		}
		st.seen[id] = line
		for _, f := range []struct {
			name string
			v    float64
		}{{"start_ms", q.StartMS}, {"dns_ms", q.DNSms}, {"connect_ms", q.ConnectMS}, {"tls_ms", q.TLSms}, {"send_ms", q.SendMS},
			{"wait_ms", q.WaitMS}, {"receive_ms", q.ReceiveMS}, {"end_ms", q.EndMS}, {"queued_ms", q.QueuedMS}} {
			if math.IsNaN(f.v) && !st.ok {
				continue // a failed run's unfinished request
			}
			if !finiteNonNeg(f.v) {
				return fmt.Errorf("%s:%d: run %s: %s %v: want a finite number >= 0", reqPath, line, st.rc.ID, f.name, f.v)
			}
		}
		if st.ok && q.EndMS < q.StartMS {
			return fmt.Errorf("%s:%d: run %s: end_ms %v before start_ms %v", reqPath, line, st.rc.ID, q.EndMS, q.StartMS)
		}
		if body := sizes[q.Request%n]; q.Bytes < 0 || st.ok && (q.Bytes < body || q.Bytes > body+headerSlack(spec, body)) {
			return fmt.Errorf("%s:%d: run %s: request %d: bytes %d, the object is %d bytes plus headers", reqPath, line, st.rc.ID, q.Request, q.Bytes, body)
		}
	}
	for _, st := range order {
		if !st.ok {
			continue
		}
		want := len(objectSizes(st.rc.Point.Spec)) * max(st.rc.Point.Spec.Client.Visits, 1)
		if len(st.seen) != want {
			return fmt.Errorf("%s: run %s has %d request rows, its page loads make %d: rows dropped", reqPath, st.rc.ID, len(st.seen), want)
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
