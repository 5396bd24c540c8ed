package experiments

import (
	"fmt"
	"strings"
	"testing"
)

// TestPlanChecksPointsLoadLeftOut (audit of issue 10): Load checks at
// most maxLoadCheckedPoints points; a Plan of a larger sweep must check
// the others, so a point past that bound that breaks a rule between two
// keys (min_rto at most initial_rto) is still refused, by Plan and
// ShardPlan. No test caught Load keeping its snapshot (the pristine
// skip of a Plan's check) for a sweep larger than it checked.
func TestPlanChecksPointsLoadLeftOut(t *testing.T) {
	// 3 x 4100 points. initial_rto 30s and 31s take any min_rto; with
	// 100ms the first 4000 min_rto values (1ms to 80.98ms) are valid
	// and the next ones (from 200ms) are not: the first bad point is
	// past the 12000th, whatever the order of the axes.
	var vals []string
	for j := range 4000 {
		vals = append(vals, fmt.Sprintf("%.2fms", 1+0.02*float64(j)))
	}
	for j := range 100 {
		vals = append(vals, fmt.Sprintf("%dms", 200+j))
	}
	text := "name: big\npage: {html: 2KB}\nmodels: [persistent]\nsweep:\n  tcp.initial_rto: [30s, 31s, 100ms]\n  tcp.min_rto: [" +
		strings.Join(vals, ", ") + "]\n"
	s := mustLoad(t, text) // Load checks the first 10000 points only
	if s.RunCount() <= maxLoadCheckedPoints {
		t.Fatalf("%d points: the test needs more than Load checks", s.RunCount())
	}
	if s.checkedAtLoad() {
		t.Error("a spec whose points Load did not all check passes as checked at load")
	}
	if _, err := s.Plan(); err == nil || !strings.Contains(err.Error(), "min_rto") {
		t.Errorf("Plan: %v; want the error of the points with min_rto above initial_rto", err)
	}
	// The first axis varies slowest: the 100 bad points are
	// consecutive, and every one of three shards has some of them.
	for k := 1; k <= 3; k++ {
		if _, err := s.ShardPlan(k, 3); err == nil || !strings.Contains(err.Error(), "min_rto") {
			t.Errorf("ShardPlan(%d, 3): %v; want the min_rto error", k, err)
		}
	}
}
