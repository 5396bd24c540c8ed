package experiments

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

const pristineYAML = `name: p
page:
  html: 10KB
  objects: [{count: 2, size: 5KB}]
models: [persistent, parallel]
sweep:
  network.rtt: [10ms, 20ms]
`

// TestPlanSkipsOnlyAnUnchangedCheck: a Plan of a spec as Load returned
// it does not check its points again, and any change since (through
// Set, a field, or an element of a slice the spec holds) makes it check
// them: a change that makes a point invalid is reported by ShardPlan.
func TestPlanSkipsOnlyAnUnchangedCheck(t *testing.T) {
	if s := mustLoad(t, pristineYAML); !s.checkedAtLoad() {
		t.Fatal("a spec as Load returned it is not known as checked")
	}
	for _, c := range []struct {
		name   string
		change func(s *Spec) error
		want   string // in ShardPlan's error; "" = no error
	}{
		{"Set", func(s *Spec) error { return s.Set("network.bandwidth", "2Mbps") }, ""},
		{"field", func(s *Spec) error { s.Network.Loss = 0.5; return nil }, ""},
		{"slice element", func(s *Spec) error { s.Page.Objects[0].Count = 3; return nil }, ""},
		{"sweep value", func(s *Spec) error { s.Sweep[0].Values[1].Text = "30ms"; return nil }, ""},
		// min_rto above initial_rto: a rule checked on each point.
		{"invalid point", func(s *Spec) error {
			s.TCP.MinRTO = Duration(5 * time.Second)
			s.TCP.InitialRTO = Duration(time.Second)
			return nil
		}, "min_rto"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := mustLoad(t, pristineYAML)
			if err := c.change(s); err != nil {
				t.Fatal(err)
			}
			if s.checkedAtLoad() {
				t.Fatal("the changed spec still passes as checked at load")
			}
			_, err := s.ShardPlan(1, 1)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("ShardPlan: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("ShardPlan error %v, want one naming %s", err, c.want)
			}
		})
	}
}

// TestSnapshotIsDeep: no change to a spec shows in its snapshot.
func TestSnapshotIsDeep(t *testing.T) {
	s := mustLoad(t, pristineYAML)
	c := snapshot(s)
	s.Page.Objects[0].Size = 1
	s.Models[0].Label = "x"
	s.Sweep[0].Values[0].Value = 99
	if c.Page.Objects[0].Size == 1 || c.Models[0].Label == "x" || c.Sweep[0].Values[0].Value == 99 {
		t.Fatal("the snapshot shares memory with the spec")
	}
}

// TestPlainWithUnitIsAString: every text plainWithUnit lets valueNode
// write without parsing reads back in YAML as a plain string, so the fast
// path gives the node parsing would.
func TestPlainWithUnitIsAString(t *testing.T) {
	texts := []string{"50ms", "1.5Mbps", "20KB", "0x1f", "0o17", "0b1", "1e3", "1e", "10", "0.5", "2s", "1_000ms",
		"100 packets", "3h", "0x", "9Z", "1.0E", "12e", "0B", "0Xz", "7b", "1h30m", "5%", "1/s"}
	for i := range 2000 {
		texts = append(texts, fmt.Sprintf("%dms", i), fmt.Sprintf("%d.%de%d", i, i%7, i%3), fmt.Sprintf("0%c%d", "xob"[i%3], i))
	}
	fast := 0
	for _, text := range texts {
		if !plainWithUnit(text) {
			continue
		}
		fast++
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if c := doc.Content[0]; c.Kind != yaml.ScalarNode || c.ShortTag() != "!!str" || c.Value != text || c.Style != 0 {
			t.Errorf("%q takes the fast path but reads back as %s %q (style %v)", text, c.ShortTag(), c.Value, c.Style)
		}
	}
	if fast < 2000 {
		t.Fatalf("only %d texts took the fast path", fast)
	}
}
