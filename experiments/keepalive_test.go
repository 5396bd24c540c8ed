package experiments

import (
	"fmt"
	"testing"
)

// TestKeepAliveZero checks that server.keep_alive_timeout: 0s means what
// experiment-format.md says, "close an idle connection at once": every
// model loads the page (none of its requests fails), with and without
// TLS. It used to close each connection before its first request
// arrived, and every model failed.
//
// A short timeout (1ms) that expires in every round trip between two
// requests works too for the HTTP/1.x models, pipelined included (which
// failed: its replayed requests lost the keep-alive race on every
// connection and ran out of retries). A timeout that short still bounds
// the wait for a new connection's first request (and TLS handshake), as
// every positive timeout does, so HTTP/2 and TLS, whose first request
// comes more than 1ms after the handshake, are not in that case.
func TestKeepAliveZero(t *testing.T) {
	const all = "[short-lived, persistent, pipelined, parallel, sharded, http2, {http2: {start: upgrade}}]"
	cases := []struct{ ka, tls, models string }{
		{"0s", "none", all},
		{"0s", "tls12", all},
		{"0s", "tls13", all},
		{"1ms", "none", "[short-lived, persistent, pipelined, parallel, sharded]"},
	}
	for _, c := range cases {
		ka, tls := c.ka, c.tls
		t.Run(fmt.Sprintf("keep_alive_timeout=%s/tls=%s", ka, tls), func(t *testing.T) {
			src := fmt.Sprintf(`name: ka
tls: %s
network: {rtt: 50ms, bandwidth: 10Mbps}
server: {keep_alive_timeout: %s}
page: {html: 20KB, objects: [{size: 10KB, count: 12}]}
models: %s
`, tls, ka, c.models)
			s, err := Load("ka.yaml", []byte(src))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			runs, err := s.Runs()
			if err != nil {
				t.Fatalf("Runs: %v", err)
			}
			for _, rc := range runs {
				res := Run(rc, false)
				if res.Row.Err != "" {
					t.Errorf("%s: error %q, want a complete page load", rc.Model.Label, res.Row.Err)
				}
			}
		})
	}
}
