package plots

import (
	"image/color"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"
)

// TestLadderDataOnTop (audit of issue 14): a short-lived server's FIN
// and ACK travel with its response, along the same path; the response's
// arrow is drawn after them so its colour shows (before, the short-lived
// ladder showed no response arrow at all, only the legend's).
func TestLadderDataOnTop(t *testing.T) {
	tr := ladderTrace(t, "short-lived", nil, 3)
	p, err := Ladder(tr, LadderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder.Canvas{}
	p.Draw(draw.Canvas{Canvas: rec, Rectangle: vg.Rectangle{Max: vg.Point{X: 8 * vg.Inch, Y: 6 * vg.Inch}}})
	same := func(a, b color.Color) bool {
		if a == nil || b == nil {
			return false
		}
		r1, g1, b1, a1 := a.RGBA()
		r2, g2, b2, a2 := b.RGBA()
		return r1 == r2 && g1 == g2 && b1 == b2 && a1 == a2
	}
	data := []color.Color{ladderColor(KindRequest), ladderColor(KindResponse)}
	other := []color.Color{ladderColor(KindFIN), ladderColor(KindACK)}
	var cur color.Color
	var width vg.Length
	firstData, lastOther, n := -1, -1, 0
	for _, a := range rec.Actions {
		switch a := a.(type) {
		case *recorder.SetColor:
			cur = a.Color
		case *recorder.SetLineWidth:
			width = a.Width
		case *recorder.Stroke:
			if width != vg.Points(1.2) { // arrows only, not the time lines or the legend
				continue
			}
			n++
			for _, c := range data {
				if same(cur, c) && firstData < 0 {
					firstData = n
				}
			}
			for _, c := range other {
				if same(cur, c) {
					lastOther = n
				}
			}
		}
	}
	if firstData < 0 || lastOther < 0 {
		t.Fatalf("arrows: first data stroke %d, last FIN/ACK stroke %d: want both", firstData, lastOther)
	}
	if lastOther > firstData {
		t.Errorf("a FIN or ACK arrow (stroke %d) drawn after a data arrow (stroke %d): it can hide the response", lastOther, firstData)
	}
}
