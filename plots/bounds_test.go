package plots

import (
	"fmt"
	"strings"
	"testing"

	"github.com/connsim/connsim/experiments"
)

// TestWaterfallBounded: a page of more requests than a waterfall can
// show draws its first MaxWaterfallRows and says so in the title, so the
// work of one figure does not grow with the page (issue 15: 10,000
// requests took 87 s and 2.8 GB to draw).
func TestWaterfallBounded(t *testing.T) {
	const n = 1000
	reqs := make([]experiments.RequestRow, n)
	for i := range reqs {
		reqs[i] = experiments.RequestRow{Model: "pipelined", Request: i, Connection: 1, Bytes: 1000,
			StartMS: float64(i), WaitMS: 10, ReceiveMS: 1, EndMS: float64(i) + 11}
	}
	p, err := Waterfall(reqs, WaterfallOptions{Title: "big page"})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("big page (first %d of %d requests)", MaxWaterfallRows, n)
	if p.Title.Text != want {
		t.Errorf("title %q, want %q", p.Title.Text, want)
	}
	if max := p.Y.Max; max > MaxWaterfallRows+1 {
		t.Errorf("y axis reaches %v: more than %d rows drawn", max, MaxWaterfallRows)
	}
}

// TestSequenceBounded: a connection with more packets than a
// time-sequence plot draws shows its first MaxSequenceSegments.
func TestSequenceBounded(t *testing.T) {
	n := MaxSequenceSegments + 100
	c := experiments.ConnTrace{Connection: 1}
	for i := range n {
		at := float64(i) / 10 // the first ones within 5 s
		if i >= MaxSequenceSegments {
			at = 100_000 + float64(i) // the rest at 100 s: drawn, they would stretch the axis
		}
		c.Segments = append(c.Segments, experiments.SegmentSample{TimeMS: at, Seq: int64(i) * 1448, Len: 1448})
	}
	p, err := Sequence(experiments.Trace{Model: "persistent", Conns: []experiments.ConnTrace{c}}, 1, SequenceOptions{Title: "long"})
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("(first %d of %d packets)", MaxSequenceSegments, n); !strings.HasSuffix(p.Title.Text, want) {
		t.Errorf("title %q, want it to end in %q", p.Title.Text, want)
	}
	if p.X.Max > 50_000 {
		t.Errorf("x axis reaches %v ms: packets past the first %d drawn", p.X.Max, MaxSequenceSegments)
	}
}
