package plots

import (
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// gonum (v0.17) draws an axis label at the middle of its axis, but lays
// the figure out as if the label were centred on the data value halfway
// between the axis's ends: the axis's GlyphBoxes put the label's box, as
// long as the label, at Norm((Min+Max)/2), and padX/padY shrink the data
// area until that box fits in the figure. On a linear axis that is the
// middle; on a log axis it is near the far end (200..100000 ms: 89% of
// the way up), so the box sticks out past the end of the axis and the
// data area shrinks for a label that is not there. With a log y axis that
// left up to 100 pt blank between the title and the data area.
//
// centreLogAxisLabels gives the labels of p's log axes (x, y) no length
// for gonum's layout (lengthless), so the misplaced box constrains
// nothing: the same as gonum's box at the middle of a linear axis, which
// constrains nothing while the label is shorter than the axis. (A longer
// label is beyond gonum's layout on a linear axis too: it turns the data
// area upside down. Here it runs past the end of the axis instead.)
// Labels are drawn as before, at the middle of their axes. Call it once
// the labels are set.
func centreLogAxisLabels(p *plot.Plot, x, y bool) {
	for _, a := range []struct {
		ax  *plot.Axis
		log bool
	}{{&p.X, x}, {&p.Y, y}} {
		ax := a.ax
		if !a.log || ax.Label.Text == "" || ax.Label.Position != draw.PosCenter {
			continue
		}
		if _, ok := ax.Label.TextStyle.Handler.(lengthless); ok {
			continue
		}
		ax.Label.TextStyle.Handler = lengthless{Handler: ax.Label.TextStyle.Handler, text: ax.Label.Text}
	}
}

// lengthless is a text handler that measures the lines of one text, an
// axis label, as having no width (their length along the axis), and
// measures every other text and draws every text as the handler it wraps
// does: gonum draws a label with the real width (text.Plain.Draw aligns
// each line by the font's own measure), and measures other texts, such
// as the space it puts after the y tick labels, with the label's style.
type lengthless struct {
	text.Handler
	text string
}

func (h lengthless) Box(txt string, fnt font.Font) (width, height, depth vg.Length) {
	width, height, depth = h.Handler.Box(txt, fnt)
	if slices.Contains(h.Lines(h.text), txt) {
		width = 0
	}
	return width, height, depth
}
