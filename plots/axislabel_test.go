package plots

import (
	"fmt"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// logLabelData is a line chart whose axes span ranges where the value
// halfway between the ends lies far from the middle of a log axis:
// 200..100000 ms (89% of the way up) and 0.05..2 /s (82% of the way).
func logLabelData(logX, logY bool, xlabel, ylabel string) LineData {
	var pts []SeriesPoint
	for i, x := range []float64{0.05, 0.1, 0.2, 0.5, 1, 2} {
		y := []float64{226, 1100, 13000, 62000, 78000, 90000}[i]
		pts = append(pts, SeriesPoint{X: x, N: 1, Median: y, P25: y, P75: y, Min: y, Max: y})
	}
	return LineData{
		Title: "p95 PLT against arrival rate", XLabel: xlabel, YLabel: ylabel,
		LegendTitle: "model", Series: []Series{{Label: "keep-alive", Points: pts}},
		LogX: logX, LogY: logY,
	}
}

// dataArea returns the data area of a line chart of d in a w x h figure.
func dataArea(t *testing.T, d LineData, w, h vg.Length) vg.Rectangle {
	t.Helper()
	p, err := drawLine(d)
	if err != nil {
		t.Fatal(err)
	}
	return p.DataCanvas(draw.New(vgsvg.New(w, h))).Rectangle
}

// An axis label is drawn at the middle of its axis; on a log axis it
// must not take room at the axis's end. gonum reserved the room for the
// label around the value halfway between the axis's ends, near the top
// of a log y axis, which left a blank band under the title (the data
// area's top at 244 pt of 360 rather than 327).
func TestLogAxisLabelTakesNoRoomAtTheEnd(t *testing.T) {
	const xl, yl = "arrival rate (users/s)", "95th percentile PLT across clients (ms)"
	for _, c := range []struct{ logX, logY bool }{{false, true}, {true, true}, {true, false}, {false, false}} {
		t.Run(fmt.Sprintf("logX=%v,logY=%v", c.logX, c.logY), func(t *testing.T) {
			both := dataArea(t, logLabelData(c.logX, c.logY, xl, yl), DefaultWidth, DefaultHeight)
			// Without a y label the axis is narrower, but the data
			// area's top and bottom must be the same.
			noY := dataArea(t, logLabelData(c.logX, c.logY, xl, ""), DefaultWidth, DefaultHeight)
			if both.Min.Y != noY.Min.Y || both.Max.Y != noY.Max.Y {
				t.Errorf("data area from y=%.1f to %.1f pt with a y label, %.1f to %.1f without: the label takes vertical room",
					both.Min.Y, both.Max.Y, noY.Min.Y, noY.Max.Y)
			}
			// Likewise the x label and the data area's left and right.
			noX := dataArea(t, logLabelData(c.logX, c.logY, "", yl), DefaultWidth, DefaultHeight)
			if both.Min.X != noX.Min.X || both.Max.X != noX.Max.X {
				t.Errorf("data area from x=%.1f to %.1f pt with an x label, %.1f to %.1f without: the label takes horizontal room",
					both.Min.X, both.Max.X, noX.Min.X, noX.Max.X)
			}
		})
	}
}

func TestLengthlessMeasuresOnlyTheLabel(t *testing.T) {
	const label = "page load time (ms)"
	sty := textStyle(labelSize)
	real := sty
	sty.Handler = lengthless{Handler: sty.Handler, text: label}
	if w := sty.Width(label); w != 0 {
		t.Errorf("label width %v, want 0", w)
	}
	if got, want := sty.Height(label), real.Height(label); got != want {
		t.Errorf("label height %v, want %v", got, want)
	}
	// gonum spaces the y tick labels from the axis with the label's
	// style: a space keeps its width.
	for _, s := range []string{" ", "page load time", label + " "} {
		if got, want := sty.Width(s), real.Width(s); got != want {
			t.Errorf("width of %q: %v, want %v", s, got, want)
		}
	}
}
