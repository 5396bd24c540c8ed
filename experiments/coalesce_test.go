package experiments_test

import (
	"strings"
	"testing"

	"github.com/connsim/connsim/experiments"
)

// TestCoalesceOption checks the http2 model option coalesce: its default
// (on), false, the label it gives, that http2 takes shards, that a
// resolved file writes either only when it differs from the default and
// reads back to the same models, and that a bad value or a model that
// does not coalesce is an error naming the file, line, column and key.
func TestCoalesceOption(t *testing.T) {
	for _, c := range []struct {
		name, models string
		noCoalesce   bool
		shards       int
		label        string
		resolved     string // in the resolved file; "" = neither coalesce nor shards written
	}{
		{"default", "[http2]", false, 1, "http2", ""},
		{"true", "[{http2: {coalesce: true}}]", false, 1, "http2(coalesce=true)", ""},
		{"false", "[{http2: {coalesce: false}}]", true, 1, "http2(coalesce=false)", "coalesce: false"},
		{"no", "[{http2: {coalesce: no}}]", true, 1, "http2(coalesce=no)", "coalesce: false"},
		{"shards", "[{http2: {shards: 4, coalesce: false}}]", true, 4, "http2(shards=4,coalesce=false)", "shards: 4, coalesce: false"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := experiments.Load("c.yaml", []byte("name: c\nmodels: "+c.models+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			m := s.Models[0]
			if m.NoCoalesce != c.noCoalesce || m.Shards != c.shards || m.Label != c.label {
				t.Errorf("model %+v: want NoCoalesce %v, Shards %d, label %q", m, c.noCoalesce, c.shards, c.label)
			}
			out, err := s.MarshalResolved()
			if err != nil {
				t.Fatal(err)
			}
			text := string(out)
			for _, k := range []string{"coalesce", "shards"} {
				if strings.Contains(text, k+":") != strings.Contains(c.resolved, k+":") {
					t.Errorf("resolved file writes %s: %v, want %v:\n%s", k, strings.Contains(text, k+":"), strings.Contains(c.resolved, k+":"), text)
				}
			}
			if c.resolved != "" && !strings.Contains(text, c.resolved) {
				t.Errorf("resolved file has no %q:\n%s", c.resolved, text)
			}
			back, err := experiments.Load("r.yaml", out)
			if err != nil {
				t.Fatalf("resolved file does not load: %v\n%s", err, text)
			}
			if back.Models[0] != m {
				t.Errorf("read back %+v, want %+v", back.Models[0], m)
			}
		})
	}
	for _, c := range []struct{ models, want string }{
		{"[{http2: {coalesce: maybe}}]", `c.yaml:2:29: models[0].coalesce: "maybe" is not true or false`},
		{"[{persistent: {coalesce: false}}]", "c.yaml:2:24: models[0].coalesce: persistent takes no coalesce option"},
		{"[{sharded: {coalesce: true}}]", "c.yaml:2:21: models[0].coalesce: sharded takes no coalesce option"},
		{"[{http2: {coalesce: [true]}}]", "c.yaml:2:29: models[0].coalesce:"},
	} {
		_, err := experiments.Load("c.yaml", []byte("name: c\nmodels: "+c.models+"\n"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("models: %s: error %v, want %q", c.models, err, c.want)
		}
	}
}

// FuzzCoalesceOption feeds the coalesce option any value: the file loads
// with NoCoalesce the negation of a boolean word, or fails with one
// problem that names the option, never a panic.
func FuzzCoalesceOption(f *testing.F) {
	for _, v := range []string{"true", "false", "yes", "off", "maybe", "1", "''", "[x]", "{a: b}", "\"no\"", "!!bool false"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if strings.ContainsAny(v, "\n\r") {
			return // one line of flow YAML
		}
		s, err := experiments.Load("f.yaml", []byte("name: f\nmodels: [{http2: {coalesce: "+v+"}}]\n"))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml:") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		word := strings.ToLower(strings.TrimSpace(s.Models[0].Label))
		if strings.Contains(word, "coalesce=") {
			val := word[strings.Index(word, "coalesce=")+len("coalesce=") : len(word)-1]
			switch val {
			case "true", "yes", "on":
				if s.Models[0].NoCoalesce {
					t.Fatalf("coalesce: %s gave NoCoalesce", v)
				}
			case "false", "no", "off":
				if !s.Models[0].NoCoalesce {
					t.Fatalf("coalesce: %s did not give NoCoalesce", v)
				}
			default:
				t.Fatalf("coalesce: %q loaded as %q", v, val)
			}
		}
	})
}
