package plots

import (
	"image/color"
	"strings"

	xfont "golang.org/x/image/font"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// sideLegend is a legend drawn to the right of the data area, where it can
// never hide data. It is a plot.Plotter: its GlyphBoxes reserve its width,
// so gonum shrinks the data area (and the x axis with it) to make room,
// and its Plot draws just outside the right edge of the data canvas.
type sideLegend struct {
	title   string
	entries []legendEntry
	sty     text.Style
	// thumbW and thumbH size the sample drawn before each label.
	thumbW, thumbH vg.Length
}

type legendEntry struct {
	label  string
	thumbs []plot.Thumbnailer
}

const legendGap = 14 // points between the data area and the legend

func newSideLegend(title string) *sideLegend {
	return &sideLegend{
		title:  title,
		sty:    textStyle(legendSize),
		thumbW: vg.Points(40),
		thumbH: vg.Points(11),
	}
}

// add appends an entry. Long labels are wrapped at commas and opening
// parentheses so the legend stays narrow.
func (l *sideLegend) add(label string, thumbs ...plot.Thumbnailer) {
	l.entries = append(l.entries, legendEntry{label: wrapLabel(label, 22), thumbs: thumbs})
}

func (l *sideLegend) titleStyle() text.Style {
	s := l.sty
	s.Font.Weight = xfont.WeightBold
	return s
}

func (l *sideLegend) lineHeight() vg.Length {
	e := l.sty.FontExtents()
	return e.Height
}

// width is the horizontal room the legend needs, gap included.
func (l *sideLegend) width() vg.Length {
	w := vg.Length(0)
	if l.title != "" {
		w = l.titleStyle().Width(l.title)
	}
	for _, e := range l.entries {
		for _, line := range strings.Split(e.label, "\n") {
			w = max(w, l.thumbW+vg.Points(6)+l.sty.Width(line))
		}
	}
	return w + vg.Points(legendGap) + vg.Points(4)
}

// GlyphBoxes reserves the legend's width at the right edge (X = 1). The
// box has no height, so it does not change the vertical layout.
func (l *sideLegend) GlyphBoxes(*plot.Plot) []plot.GlyphBox {
	if len(l.entries) == 0 {
		return nil
	}
	return []plot.GlyphBox{{
		X: 1, Y: 0.5,
		Rectangle: vg.Rectangle{Max: vg.Point{X: l.width()}},
	}}
}

// Plot draws the legend to the right of the data canvas c, top-aligned.
func (l *sideLegend) Plot(c draw.Canvas, _ *plot.Plot) {
	if len(l.entries) == 0 {
		return
	}
	x := c.Max.X + vg.Points(legendGap)
	y := c.Max.Y
	lh := l.lineHeight()
	desc := l.sty.FontExtents().Descent
	if l.title != "" {
		ts := l.titleStyle()
		c.FillText(ts, vg.Point{X: x, Y: y - lh + desc}, l.title)
		y -= lh * 1.3
	}
	for _, e := range l.entries {
		lines := strings.Split(e.label, "\n")
		h := lh * vg.Length(len(lines))
		// The sample sits beside the first line.
		mid := y - lh/2
		thumb := &draw.Canvas{
			Canvas: c.Canvas,
			Rectangle: vg.Rectangle{
				Min: vg.Point{X: x, Y: mid - l.thumbH/2},
				Max: vg.Point{X: x + l.thumbW, Y: mid + l.thumbH/2},
			},
		}
		for _, t := range e.thumbs {
			t.Thumbnail(thumb)
		}
		for i, line := range lines {
			base := y - lh*vg.Length(i+1) + desc
			c.FillText(l.sty, vg.Point{X: x + l.thumbW + vg.Points(6), Y: base}, line)
		}
		y -= h + lh*0.35
	}
}

// wrapLabel breaks a label longer than width characters before an opening
// parenthesis or after a comma, e.g. "sharded(shards=3,connections=6)"
// becomes "sharded\n(shards=3,connections=6)".
func wrapLabel(s string, width int) string {
	var out []string
	for len(s) > width {
		cut := -1
		for i := min(width, len(s)-1); i > 0; i-- {
			if s[i] == '(' {
				cut = i
				break
			}
			if s[i-1] == ',' {
				cut = i
				break
			}
		}
		if cut <= 0 {
			break
		}
		out = append(out, strings.TrimSpace(s[:cut]))
		s = strings.TrimSpace(s[cut:])
	}
	return strings.Join(append(out, s), "\n")
}

// thumbFunc adapts a function to plot.Thumbnailer.
type thumbFunc func(c *draw.Canvas)

func (f thumbFunc) Thumbnail(c *draw.Canvas) { f(c) }

// lineThumb draws a horizontal line sample, with an optional glyph.
func lineThumb(ls draw.LineStyle, gs *draw.GlyphStyle) plot.Thumbnailer {
	return thumbFunc(func(c *draw.Canvas) {
		y := c.Center().Y
		if ls.Width > 0 {
			c.StrokeLine2(ls, c.Min.X, y, c.Max.X, y)
		}
		if gs != nil {
			c.DrawGlyphNoClip(*gs, c.Center())
		}
	})
}

// boxThumb draws a filled rectangle sample with an optional outline.
func boxThumb(fill color.Color, outline draw.LineStyle) plot.Thumbnailer {
	return thumbFunc(func(c *draw.Canvas) {
		pts := []vg.Point{
			{X: c.Min.X, Y: c.Min.Y}, {X: c.Min.X, Y: c.Max.Y},
			{X: c.Max.X, Y: c.Max.Y}, {X: c.Max.X, Y: c.Min.Y},
		}
		c.FillPolygon(fill, pts)
		if outline.Width > 0 {
			c.StrokeLines(outline, append(pts, pts[0]))
		}
	})
}

// bandThumb draws a translucent band with the series line across it.
func bandThumb(band color.Color, ls draw.LineStyle, gs *draw.GlyphStyle) plot.Thumbnailer {
	return thumbFunc(func(c *draw.Canvas) {
		pts := []vg.Point{
			{X: c.Min.X, Y: c.Min.Y}, {X: c.Min.X, Y: c.Max.Y},
			{X: c.Max.X, Y: c.Max.Y}, {X: c.Max.X, Y: c.Min.Y},
		}
		c.FillPolygon(band, pts)
		lineThumb(ls, gs).Thumbnail(c)
	})
}
