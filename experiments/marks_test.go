package experiments

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// A single client is refused too (server.max_connections: 2 against six
// parallel connections, as httpmodel's TestConnectionsCountsDials): its
// request rows carry the refusals for the figures, and the run's trace
// lists them as marks, while requests.csv keeps the columns of a spec
// without clients: (no client, refusals or replayed).
func TestSingleClientRequestMarks(t *testing.T) {
	s := mustLoad(t, `
name: refused
network: {rtt: 50ms, bandwidth: 1Gbps}
server: {max_connections: 2}
page: {html: 1000, objects: [{size: 1000, count: 10}]}
models: [parallel]
`)
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	res := Run(runs[0], true)
	if res.Row.Err != "" {
		t.Fatal(res.Row.Err)
	}
	refused := 0
	var want []RequestMark
	for _, r := range res.Requests {
		refused += r.Refusals
		if r.Refusals > 0 || r.Replayed {
			want = append(want, RequestMark{Request: r.Request, Refusals: r.Refusals, Replayed: r.Replayed})
		}
	}
	if refused == 0 {
		t.Fatalf("no request counts a refusal; the scenario refuses 4 connections")
	}
	if got := res.Trace.Marks; !slices.Equal(got, want) {
		t.Errorf("Trace.Marks = %v, want %v", got, want)
	}
	var buf bytes.Buffer
	if err := WriteRequestsCSV(&buf, s, res.Requests); err != nil {
		t.Fatal(err)
	}
	if h := strings.SplitN(buf.String(), "\n", 2)[0]; !strings.HasSuffix(h, ",visit,queued_ms") {
		t.Errorf("requests header %s: want no population columns without clients:", h)
	}
}
