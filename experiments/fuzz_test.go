package experiments

import (
	"errors"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// FuzzLoadSpec feeds arbitrary bytes to Load. It must never panic; a
// failure must be an ErrorList whose every line names the file; and a
// spec that loads must survive MarshalResolved followed by Load
// unchanged, and expand into runs.
func FuzzLoadSpec(f *testing.F) {
	for _, name := range []string{"full.yaml", "sweeps.yaml", "errors.yaml"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"name: x\n",
		writerSpec,
		"name: a\nnetwork: {rtt: 1.5s, queue: 3 packets, loss: 0.5%}\nsweep: {network.rtt: [0, 1ms], tcp: [{cc: cubic}]}\n",
		"name: b\nmodels: [{sharded: {shards: 4}}, http2]\nsweep: {model.shards: [1, 2], model.start: [upgrade]}\nplots: [{kind: bar}, {kind: cwnd}]\n",
		"name: c\npage: {objects: [{size: 1KB, count: 3}, &o {size: 2MiB}]}\nsweep: {page.objects[1]: [*o, {size: 5}], page.html: [0, 1GB]}\n",
		"name: d\ndescription: \"tab\\there, \\\"quotes\\\" and unicode é\"\ntitle: '#1: yes'\n",
		// Issue 15's bounds: repeated and equal sweep values, keys that
		// overlap or set list entries, shards of swept sections.
		"name: e\nsweep: {network.rtt: [1ms, 1ms, 0.001s, 1000us, 1ms]}\n",
		"name: f\npage: {objects: [{size: 1}, {size: 2}]}\nsweep:\n  page.objects[1].size: [1, 2]\n  page.objects[0]: [{size: 3}]\n  tcp: [{cc: cubic}]\n  tcp.mss: [536]\n",
		"name: g\nrepeat: 3\nserver: {keep_alive_timeout: 0s}\nsweep:\n  page.objects: [[{size: 1, count: 2}], [{size: 2}]]\n  network: [{rtt: 1ms}, {loss: 0.01}]\n",
		// Issue 12: the pipelining breakers and the client's fallback.
		"name: h\nmodels: [pipelined]\nserver: {pipelining: drop-after-first}\nclient: {pipelining_fallback: no, pipelining_timeout: 200ms}\nsweep:\n  server.pipelining: [ok, serial, out-of-order]\n  client.pipelining_fallback: [true, false]\n",
	} {
		f.Add([]byte(s))
	}
	// Generated specs that load give the mutator valid sweeps and plots
	// to start from.
	r := rand.New(rand.NewPCG(3, 4))
	for added := 0; added < 12; {
		text := genSpec(r)
		if _, err := Load("seed.yaml", []byte(text)); err == nil {
			f.Add([]byte(text))
			added++
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Load("fuzz.yaml", data)
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("got %T %v, want a non-empty ErrorList", err, err)
			}
			for _, l := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(l, "fuzz.yaml") {
					t.Fatalf("problem without the file name: %q", l)
				}
			}
			return
		}
		out, err := s.MarshalResolved()
		if err != nil {
			t.Fatalf("MarshalResolved: %v", err)
		}
		back, err := Load("resolved.yaml", out)
		if err != nil {
			t.Fatalf("resolved spec does not load: %v\n--- input:\n%s\n--- resolved:\n%s", err, data, out)
		}
		if !specsEqual(s, back) {
			t.Fatalf("round trip changed the spec\n got %+v\nwant %+v\n--- input:\n%s\n--- resolved:\n%s", back, s, data, out)
		}
		if out2, _ := back.MarshalResolved(); string(out2) != string(out) {
			t.Fatalf("resolving twice differs:\n%s", lineDiff(string(out2), string(out)))
		}
		points := 1
		for _, a := range s.Sweep {
			points *= len(a.Values)
		}
		if points <= 64 {
			if _, err := s.Runs(); err != nil {
				t.Fatalf("Runs after a successful Load: %v", err)
			}
		}
	})
}
