package httpmodel

import (
	"testing"
	"time"
)

// TestDoneClientAbandonsDials: clients all at once against a server
// whose backlog overflows, so SYNs are dropped and retried (1 s,
// doubling). A client whose page has loaded on the connections it got
// gives up the attempts still unanswered: they count as abandoned, not
// refused, and the run ends seconds after the last page load, not the
// 127 s of SYN retries later. Requests are all answered.
func TestDoneClientAbandonsDials(t *testing.T) {
	cfg := popConfig(Population{Name: "web", Count: 30, Page: popPage(10, 5000), Model: Model{Kind: Parallel}})
	cfg.Server = Server{MaxConnections: 12, Backlog: 4, KeepAliveTimeout: 200 * time.Millisecond}
	res := runObserved(t, cfg, 1, nil, nil)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	m := res.Metrics
	if m.SYNDrops == 0 || m.Abandoned == 0 {
		t.Fatalf("SYN drops %d, abandoned %d: the scenario abandons nothing", m.SYNDrops, m.Abandoned)
	}
	if m.Failed != 0 {
		t.Errorf("%d requests failed, want 0", m.Failed)
	}
	lastLoad := time.Duration(0)
	for _, r := range res.Requests {
		lastLoad = max(lastLoad, r.End) // all visits start at 0 (all at once)
	}
	// After the last load: the server's keep-alive and first-request
	// waits (5 s), not SYN retries.
	if end := time.Duration(m.EndOfRun); end > lastLoad+10*time.Second {
		t.Errorf("run ended at %v, last page load at %v: dials outlived the pages", end, lastLoad)
	}
	checkConservation(t, cfg, res)
	t.Logf("connections %d, refused %d, abandoned %d, SYN drops %d, end %v, last load %v",
		m.Connections, m.Refused, m.Abandoned, m.SYNDrops, m.EndOfRun, lastLoad)
}
