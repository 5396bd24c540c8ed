package plots

import (
	"image/color"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"

	"github.com/connsim/connsim/experiments"
)

// Tests added by the stranger audit of issue 14: what the waterfall's
// data says must also reach the drawing.

// recordColour draws p and returns the width of each fill made in the
// colour want and the number of strokes in it.
func recordColour(t *testing.T, p *plot.Plot, want color.Color) (fillWidths []vg.Length, strokes int) {
	t.Helper()
	rec := &recorder.Canvas{}
	p.Draw(draw.Canvas{Canvas: rec, Rectangle: vg.Rectangle{Max: vg.Point{X: 8 * vg.Inch, Y: 10 * vg.Inch}}})
	wr, wg, wb, wa := want.RGBA()
	same := func(c color.Color) bool {
		if c == nil {
			return false
		}
		r, g, b, a := c.RGBA()
		return r == wr && g == wg && b == wb && a == wa
	}
	var cur color.Color
	for _, a := range rec.Actions {
		switch a := a.(type) {
		case *recorder.SetColor:
			cur = a.Color
		case *recorder.Fill:
			if !same(cur) {
				continue
			}
			lo, hi := vg.Length(1e9), vg.Length(-1e9)
			for _, c := range a.Path {
				if c.Type == vg.MoveComp || c.Type == vg.LineComp {
					lo, hi = min(lo, c.Pos.X), max(hi, c.Pos.X)
				}
			}
			fillWidths = append(fillWidths, hi-lo)
		case *recorder.Stroke:
			if same(cur) {
				strokes++
			}
		}
	}
	return fillWidths, strokes
}

// TestWaterfallSendDrawnWide: the send phase (0.3 ms of a load of over a
// second) is drawn sendMinWidth points wide, as the legend says, not
// only at its true sub-point width.
func TestWaterfallSendDrawnWide(t *testing.T) {
	reqs := fixtureWaterfall()
	p, err := Waterfall(reqs, WaterfallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	widths, _ := recordColour(t, p, Phases[4].Color)
	if len(widths) < len(reqs) {
		t.Fatalf("%d send fills drawn, want one per request (%d) and the legend's", len(widths), len(reqs))
	}
	// Each send is filled twice: at its true width among the phases,
	// then widened over the start of the wait.
	clamped := 0
	for _, w := range widths {
		if w > vg.Points(sendMinWidth)-0.01 && w < vg.Points(sendMinWidth)+0.01 {
			clamped++
		}
	}
	if clamped < len(reqs) {
		t.Errorf("%d send phases drawn %d pt wide, want every request's 0.3 ms send (%d) widened to it", clamped, sendMinWidth, len(reqs))
	}
}

// TestWaterfallLossesDrawnOnRows: the retransmissions waterfallData finds
// are drawn on the rows (a line and a bar each), not only named in the
// legend: a second retransmission adds strokes in the loss colour.
func TestWaterfallLossesDrawnOnRows(t *testing.T) {
	strokes := func(n int) int {
		tr, reqs := fixtureVisits(1000)
		c := &tr.Conns[0]
		off := c.ResponseEndsMS[5] - reqs[5].EndMS
		r6 := reqs[6]
		for k := range n {
			at := off + r6.StartMS + 30 + 10*float64(k)
			seq := int64(5000 + 2000*k)
			c.Segments = append(c.Segments,
				experiments.SegmentSample{TimeMS: at, Seq: seq, Len: 1448},
				experiments.SegmentSample{TimeMS: at + 40, Seq: seq, Len: 1448, Retransmit: true})
		}
		p, err := Waterfall(reqs, WaterfallOptions{Visit: 1, Trace: &tr})
		if err != nil {
			t.Fatal(err)
		}
		_, s := recordColour(t, p, lossColor)
		return s
	}
	one, two := strokes(1), strokes(2)
	if one < 3 { // the legend's line and bar, and at least one on the row
		t.Errorf("%d strokes in the loss colour with one retransmission, want the legend's and the row's", one)
	}
	if two < one+2 {
		t.Errorf("strokes in the loss colour: %d with one retransmission, %d with two; want a line and a bar more", one, two)
	}
}
