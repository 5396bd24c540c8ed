package experiments

import (
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// genValues are the candidate values of each key, valid ones and a few
// invalid ones, in the spellings users write.
var genValues = map[string][]string{
	"title":                      {"Plain", `"quoted: colon"`, "'#hash'", `"tab\there"`, "yes", `"1.0"`, `" padded "`, "null"},
	"description":                {"|\n  one\n  two\n", ">\n  folded\n  text\n", `"a\nb\n\n"`, "|+\n  keep\n\n", "' lead'"},
	"seed":                       {"0", "1", "0x2a", "18446744073709551615", "-1"},
	"repeat":                     {"1", "3", "0"},
	"limits.max_sim_time":        {"10m", "1.5s", "90s", "1h30m"},
	"limits.max_events":          {"1e6", "500000000", "0"},
	"network.rtt":                {"0", "100ms", "1.5s", "250us", "0.1s", "100"},
	"network.bandwidth":          {"10Mbps", "1.5Mbps", "100 Kbps", "1Gbps", "10"},
	"network.uplink":             {"1Mbps", "64kbps"},
	"network.queue":              {"256KB", "100 packets", "1 packet", "0", "1.5MiB", "1KB"},
	"network.loss":               {"0", "0.01", "1%", "1e-7", "1"},
	"network.dns":                {"0ms", "20ms"},
	"tcp.cc":                     {"newreno", "CUBIC", "vegas"},
	"tcp.mss":                    {"1460", "536", "9000", "1.2KB"},
	"tcp.initial_window":         {"10", "1", "4"},
	"tcp.delayed_ack":            {"true", "no", "On"},
	"tcp.delayed_ack_timeout":    {"40ms", "200ms"},
	"tcp.idle_restart":           {"rfc5681", "linux"},
	"tcp.initial_rto":            {"1s", "3s", "100ms"},
	"tcp.min_rto":                {"200ms", "1ms"},
	"tcp.receive_window":         {"4MiB", "64KB", "1000"},
	"tcp.recovery":               {"sack", "newreno", "NewReno", "reno"},
	"tcp.cwnd_counting":          {"packets", "bytes"},
	"tcp.rto_estimator":          {"linux", "rfc6298"},
	"tcp.timestamps":             {"true", "false", "off"},
	"tcp.undo":                   {"true", "no"},
	"tcp.tlp":                    {"false", "true"},
	"tcp.quick_ack":              {"false", "yes"},
	"tcp.hystart":                {"false", "true", "maybe"},
	"tls":                        {"none", "tls12", "TLS13"},
	"http.version":               {`"1.1"`, "1.0", "'1.0'"},
	"http.request_bytes":         {"400", "1.5KB"},
	"http.response_header_bytes": {"0", "300"},
	"client.visits":              {"1", "3"},
	"client.reading_time":        {"0s", "30s"},
	"server.think_time":          {"0", "5ms"},
	"server.keep_alive_timeout":  {"5s", "0s"},
	"server.max_requests":        {"0", "100"},
	"server.max_connections":     {"0", "6"},
	"page.host":                  {"example.com", "www.example.org"},
	"page.html":                  {"20KB", "0", "1.5KiB"},
	"page.objects":               {"[{size: 10KB, count: 40}]", "[{size: 1KB, host: cdn.example.com, method: head}, {size: 0}]", "[]"},
	"models":                     {"[persistent]", "[short-lived, {parallel: {connections: 2}}]", "[{sharded: {shards: 3, label: \"a: b\"}}, {http2: {start: upgrade}}, {pipelined: {depth: 0x4}}]", "[{parallel: {label: 'yes'}}, {pipelined: {label: '#1'}}]"},
	"sweep.network.rtt":          {"[20ms, 100ms]", "[0, 1.5s, 250us]"},
	"sweep.network.loss":         {"[0, 1%]", "[0.001, 0.01, 0.1]"},
	"sweep.tcp.cc":               {"[newreno, cubic]"},
	"sweep.http.version":         {`["1.0", "1.1"]`},
	"sweep.network.queue":        {"[10 packets, 64KB]", "[100 packets]"},
	"sweep.model.connections":    {"[1, 6]"},
	"sweep.tcp":                  {"[{cc: cubic}, {mss: 536, initial_window: 4}]", "[{recovery: newreno, undo: false}, {cc: cubic, hystart: off, timestamps: false}]"},
	"sweep.page.objects":         {"[[{size: 1KB}], [{size: \"2KB\", count: 2, host: \"x.example.com\"}]]"},
	"sweep.page.objects[0].size": {"[1KB, 1MB]"},
	"sweep.tcp.delayed_ack":      {"[true, false]"},
	"sweep.tcp.recovery":         {"[sack, newreno]", "[NewReno]"},
	"sweep.tcp.undo":             {"[true, false]", "[off]"},
	"sweep.tcp.cwnd_counting":    {"[packets, bytes]"},
	"sweep.seed":                 {"[1, 2]"},
	"plots":                      {"[{}]", "[{kind: bar}]", "[{kind: waterfall}, {kind: cwnd, connection: 2}]", "[{kind: sequence, log_y: true, title: \"x: y\"}]"},
}

// genSpec writes a random spec from genValues.
func genSpec(r *rand.Rand) string {
	var b strings.Builder
	b.WriteString("name: gen\n")
	sections := map[string][]string{}
	var order []string
	var sweep []string
	for _, key := range slices.Sorted(maps.Keys(genValues)) {
		vals := genValues[key]
		if r.IntN(3) != 0 {
			continue
		}
		v := vals[r.IntN(len(vals))]
		switch {
		case strings.HasPrefix(key, "sweep."):
			sweep = append(sweep, "  "+strings.TrimPrefix(key, "sweep.")+": "+v+"\n")
		case strings.Contains(key, "."):
			sec, k, _ := strings.Cut(key, ".")
			if sections[sec] == nil {
				order = append(order, sec)
			}
			sections[sec] = append(sections[sec], "  "+k+": "+strings.ReplaceAll(v, "\n", "\n  ")+"\n")
		default:
			b.WriteString(key + ": " + v + "\n")
		}
	}
	for _, sec := range order {
		b.WriteString(sec + ":\n" + strings.Join(sections[sec], ""))
	}
	if len(sweep) > 0 {
		b.WriteString("sweep:\n" + strings.Join(sweep, ""))
	}
	return b.String()
}

// TestRoundTripGenerated loads many random specs built from valid and
// invalid values; each must load or fail cleanly, and each that loads
// must survive MarshalResolved and Load unchanged. It complements
// FuzzLoadSpec, whose byte mutations rarely produce a valid spec.
func TestRoundTripGenerated(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 1500
	if testing.Short() {
		n = 200
	}
	loaded := 0
	for range n {
		text := genSpec(r)
		s, err := Load("gen.yaml", []byte(text))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "gen.yaml:") {
				t.Fatalf("error without position: %v\n--- spec:\n%s", err, text)
			}
			continue
		}
		loaded++
		out, err := s.MarshalResolved()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Load("resolved.yaml", out)
		if err != nil {
			t.Fatalf("resolved spec does not load: %v\n--- spec:\n%s\n--- resolved:\n%s", err, text, out)
		}
		if !specsEqual(s, back) {
			t.Fatalf("round trip changed the spec\n got %+v\nwant %+v\n--- spec:\n%s\n--- resolved:\n%s", back, s, text, out)
		}
		if _, err := back.Runs(); err != nil {
			t.Fatalf("Runs: %v\n--- spec:\n%s", err, text)
		}
	}
	t.Logf("%d of %d generated specs loaded", loaded, n)
	if loaded < n/20 {
		t.Errorf("only %d of %d generated specs loaded; the generator is too hostile to test round trips", loaded, n)
	}
}
