package experiments

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// TestGoldenPipeliningBreakers runs the built-in pipelining-breakers in
// full (5 servers x 2 fallback settings x 2 models, one run each) and
// compares its results.csv and summary.csv byte for byte with the golden
// files, as TestGoldenTinyExperiment does for tiny.yaml: a change to the
// breakers, the detection or the fallback that moves any number shows up
// here; -update rewrites the files after the change has been reviewed.
func TestGoldenPipeliningBreakers(t *testing.T) {
	data, err := LibraryYAML("pipelining-breakers")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Load("library/pipelining-breakers.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	results, summary, _ := csvOf(t, s, runs, 2)
	golden(t, "pipelining-breakers.results.golden.csv", results)
	golden(t, "pipelining-breakers.summary.golden.csv", summary)
}

// TestPipeliningColumns: pipelining_fallbacks is a column only of files
// whose server breaks pipelining (server.pipelining set to other than ok,
// or swept), last among the metrics, after the population columns when
// there are clients; other files keep their columns.
func TestPipeliningColumns(t *testing.T) {
	const base = "name: x\nmodels: [pipelined]\n"
	const pop = "clients: [{name: u}]\n"
	for _, c := range []struct {
		spec string
		want []string
	}{
		{base, MetricNames},
		{base + "server: {pipelining: ok}\n", MetricNames},
		{base + pop, append(slices.Clone(MetricNames), PopulationMetricNames...)},
		{base + "server: {pipelining: serial}\n", append(slices.Clone(MetricNames), "pipelining_fallbacks")},
		{base + "sweep: {server.pipelining: [ok, out-of-order]}\n", append(slices.Clone(MetricNames), "pipelining_fallbacks")},
		{base + pop + "server: {pipelining: drop-after-first}\n", slices.Concat(MetricNames, PopulationMetricNames, []string{"pipelining_fallbacks"})},
	} {
		s := mustLoad(t, c.spec)
		if got := s.MetricNames(); !slices.Equal(got, c.want) {
			t.Errorf("%q: columns %v, want %v", c.spec, got, c.want)
		}
		var cols []string
		for _, m := range s.MetricColumns() {
			cols = append(cols, m.Name)
		}
		if !slices.Equal(cols, c.want) {
			t.Errorf("%q: MetricColumns %v, want %v", c.spec, cols, c.want)
		}
		runs, err := s.Runs()
		if err != nil {
			t.Fatal(err)
		}
		results, summary, _ := csvOf(t, s, runs[:1], 1)
		header, _, _ := strings.Cut(string(results), "\n")
		if want := strings.Join(c.want, ","); !strings.Contains(header, ","+want+",") {
			t.Errorf("%q: results.csv header %q does not hold the metric columns %q in order", c.spec, header, want)
		}
		sh, _, _ := strings.Cut(string(summary), "\n")
		last := c.want[len(c.want)-1]
		if !strings.Contains(sh, ","+last+"_p75,failed") {
			t.Errorf("%q: summary.csv header %q: want %s last among the metrics", c.spec, sh, last)
		}
		if n := strings.Count(sh, ","); n != strings.Count(strings.SplitN(string(summary), "\n", 3)[1], ",") {
			t.Errorf("%q: summary.csv rows and header differ in columns:\n%s", c.spec, summary)
		}
	}
}

// TestPipeliningColumnValues: a single-client file whose server breaks
// pipelining writes the run's fallback count in results.csv and its
// statistics in summary.csv, under their own columns.
func TestPipeliningColumnValues(t *testing.T) {
	s := mustLoad(t, "name: x\nmodels: [pipelined]\nserver: {pipelining: close-after-first}\npage: {objects: [{size: 1KB, count: 6}]}\n")
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	results, summary, _ := csvOf(t, s, runs, 1)
	for _, c := range []struct {
		file, col string
		data      []byte
	}{{"results.csv", "pipelining_fallbacks", results}, {"summary.csv", "pipelining_fallbacks_median", summary}} {
		lines := strings.Split(string(c.data), "\n")
		header, row := strings.Split(lines[0], ","), strings.Split(lines[1], ",")
		i := slices.Index(header, c.col)
		if i < 0 || len(row) != len(header) || row[i] != "1" {
			t.Errorf("%s: %s = %q, want 1 (header %v, row %v)", c.file, c.col, row[min(max(i, 0), len(row)-1)], header, row)
		}
	}
}

// TestPipeliningKeys: the keys load, are checked (an unknown behaviour,
// a fallback that is not true or false, a timeout of 0 name file, line,
// column and key), reach the run's configuration, and resolve: written
// only when set, so that a file without them resolves as before, and
// loaded back equal. A swept fallback is a 1/0 column.
func TestPipeliningKeys(t *testing.T) {
	s := mustLoad(t, "name: x\nmodels: [pipelined]\nserver: {pipelining: close-after-first}\nclient: {pipelining_fallback: false, pipelining_timeout: 300ms}\n")
	cfg, err := ModelConfig(s, s.Models[0])
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Pipelining.String() != "close-after-first" || !cfg.NoPipeliningFallback || cfg.PipeliningTimeout.String() != "300ms" {
		t.Errorf("config: pipelining %v, no fallback %v, timeout %v", cfg.Server.Pipelining, cfg.NoPipeliningFallback, cfg.PipeliningTimeout)
	}
	out, err := s.MarshalResolved()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"pipelining: close-after-first", "pipelining_fallback: false", "pipelining_timeout: 300ms"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("resolved spec has no %q:\n%s", want, out)
		}
	}
	again := mustLoad(t, string(out))
	if again.Server.Pipelining != s.Server.Pipelining || again.Client != s.Client {
		t.Errorf("reloaded: server.pipelining %q, client %+v; want %q, %+v", again.Server.Pipelining, again.Client, s.Server.Pipelining, s.Client)
	}

	plain := mustLoad(t, "name: x\nmodels: [pipelined]\n")
	if out, _ := plain.MarshalResolved(); bytes.Contains(out, []byte("pipelining")) {
		t.Errorf("a spec without the keys resolves with them:\n%s", out)
	}
	cfg, _ = ModelConfig(plain, plain.Models[0])
	if cfg.NoPipeliningFallback || cfg.PipeliningTimeout != 0 || cfg.Server.Pipelining.String() != "ok" {
		t.Errorf("defaults: no fallback %v, timeout %v, pipelining %v; want false, 0 (1.5 s), ok", cfg.NoPipeliningFallback, cfg.PipeliningTimeout, cfg.Server.Pipelining)
	}

	swept := mustLoad(t, "name: x\nmodels: [pipelined]\nsweep: {client.pipelining_fallback: [true, false]}\n")
	a, _ := swept.Sweep.Axis("client.pipelining_fallback")
	if len(a.Values) != 2 || a.Values[0].Value != 1 || a.Values[1].Value != 0 {
		t.Errorf("swept fallback values %+v, want 1 and 0", a.Values)
	}

	for _, c := range []struct{ spec, want string }{
		{"name: x\nserver: {pipelining: sometimes}\n", `test.yaml:2:22: server.pipelining: "sometimes" is not allowed`},
		{"name: x\nclient: {pipelining_fallback: maybe}\n", `test.yaml:2:31: client.pipelining_fallback: "maybe" is not true or false`},
		{"name: x\nclient: {pipelining_timeout: 0s}\n", `test.yaml:2:30: client.pipelining_timeout: 0s is out of range 1ms..1h`},
		{"name: x\nsweep: {server.pipelining: [ok, bad]}\n", `server.pipelining: "bad" is not allowed`},
	} {
		if got := loadErr(t, c.spec); !strings.Contains(got, c.want) {
			t.Errorf("%q: error %q, want it to contain %q", c.spec, got, c.want)
		}
	}
}
