package experiments

import (
	"slices"
	"testing"
)

// TestGoModelsCheckedAsYAML (audit of issue 10): models built in Go are
// checked as the decoder checks the models of a file: an option out of
// its range and an unknown model name are the same problems, at the same
// key paths, as in YAML. TestGoSpecMatchesYAML had only valid models;
// no test caught checkModels skipping checkModelValues for a Spec built
// in Go (a model of 0 parallel connections then ran).
func TestGoModelsCheckedAsYAML(t *testing.T) {
	for _, c := range []struct {
		name  string
		yaml  string
		build func(s *Spec)
	}{
		{"connections out of range", "name: x\nmodels: [{parallel: {connections: 0}}]\n",
			func(s *Spec) {
				m, _ := NewModel(Parallel)
				m.Connections = 0
				s.Models = []ModelSpec{m}
			}},
		{"depth out of range", "name: x\nmodels: [{pipelined: {depth: 100000}}]\n",
			func(s *Spec) {
				m, _ := NewModel(Pipelined)
				m.Depth = 100000
				s.Models = []ModelSpec{m}
			}},
		{"unknown model", "name: x\nmodels: [spdy]\n",
			func(s *Spec) { s.Models = []ModelSpec{{Name: "spdy"}} }},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := NewSpec("x")
			c.build(g)
			_, gotErr := g.Points()
			_, wantErr := Load("test.yaml", []byte(c.yaml))
			if wantErr == nil {
				t.Fatal("the YAML loads: the case needs a problem")
			}
			if g, w := problems(t, gotErr, ""), problems(t, wantErr, "test.yaml"); !slices.Equal(g, w) {
				t.Fatalf("problems differ:\n got (Go)   %q\nwant (YAML) %q", g, w)
			}
			if _, err := g.Plan(); err == nil {
				t.Error("Plan of the Go spec: no error")
			}
		})
	}
}
