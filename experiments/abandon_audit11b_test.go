package experiments

import (
	"testing"
	"time"

	"github.com/connsim/connsim/httpmodel"
)

// abandonYAML is an overloaded thread-per-connection origin (40
// workers, backlog 16, 5 s keep-alive) beside an event-driven CDN: SYNs
// are dropped and retried, and clients whose loads end give up the
// dials still waiting (Metrics.Abandoned).
const abandonYAML = `name: abandon
network: {rtt: 30ms, bandwidth: 200Mbps, queue: 512KB}
server: {workers: 40, backlog: 16, keep_alive_timeout: 5s}
page:
  html: 20KB
  objects:
    - {size: 15KB, count: 8}
    - {size: 30KB, count: 6, host: cdn.example.net}
models: [parallel]
clients:
  - name: user
    count: 60
    arrival: {poisson: {rate: 10/s}}
    access: {rtt: 20ms, bandwidth: 20Mbps, queue: 64KiB}
  - name: mobile
    count: 30
    arrival: {interval: 300ms}
    access: {rtt: 80ms, bandwidth: 5Mbps, queue: 32KiB, loss: 0.01}
servers:
  - name: origin
    hosts: [example.com]
  - name: cdn
    hosts: [cdn.example.net]
    link: {rtt: 60ms, bandwidth: 100Mbps}
    server: {workers: 0, max_connections_per_client: 4}
`

// TestAbandonedDialFreesWorker (second audit of issue 11): a dial that
// a client gives up as its last load ends, while its SYN is on its way,
// must not hold a server worker after the client has gone. The client
// host answers the SYN-ACK with a reset (tcp), so every connection
// closes within the keep-alive timeout and a few round trips of the
// last load. Before, the SYN-ACK was ignored and the origin kept a
// worker for the 127 s of its SYN-ACK retries: this run ended 77 s
// after its last load (server_conn_s and the server figure's tail
// counted a connection that never opened).
func TestAbandonedDialFreesWorker(t *testing.T) {
	s := mustLoad(t, abandonYAML)
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ModelConfig(runs[0].Point.Spec, runs[0].Model)
	if err != nil {
		t.Fatal(err)
	}
	res := httpmodel.Run(cfg, runs[0].Seed)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	m := res.Metrics
	if m.Abandoned == 0 || m.SYNDrops == 0 {
		t.Fatalf("abandoned %d, SYN drops %d: want both, or the run tests nothing", m.Abandoned, m.SYNDrops)
	}
	if tail := m.EndOfRun.Sub(m.LastLoadEnd); tail > 15*time.Second {
		t.Errorf("the run ended %v after the last page load; want at most the 5 s keep-alive and the closes (15 s)", tail)
	}
}
