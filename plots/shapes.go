package plots

import (
	"image/color"
	"math"

	xfont "golang.org/x/image/font"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// dataRect is an axis-aligned rectangle in data coordinates.
type dataRect struct {
	x0, x1, y0, y1 float64
	fill           color.Color
}

// rects draws filled rectangles in data coordinates (bars, waterfall
// phases), with an optional outline.
type rects struct {
	rs      []dataRect
	outline draw.LineStyle
	// minWidth widens narrower rectangles to it (to the right), so a
	// phase too short for the time scale stays visible.
	minWidth vg.Length
}

func (r *rects) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, d := range r.rs {
		x0, x1, y0, y1 := trX(d.x0), trX(d.x1), trY(d.y0), trY(d.y1)
		if x1-x0 < r.minWidth {
			x1 = x0 + r.minWidth
		}
		pts := []vg.Point{{X: x0, Y: y0}, {X: x0, Y: y1}, {X: x1, Y: y1}, {X: x1, Y: y0}}
		if poly := c.ClipPolygonXY(pts); len(poly) > 0 && d.fill != nil {
			c.FillPolygon(d.fill, poly)
		}
		if r.outline.Width > 0 {
			c.StrokeLines(r.outline, c.ClipLinesXY(append(pts, pts[0]))...)
		}
	}
}

func (r *rects) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, d := range r.rs {
		xmin = math.Min(xmin, math.Min(d.x0, d.x1))
		xmax = math.Max(xmax, math.Max(d.x0, d.x1))
		ymin = math.Min(ymin, math.Min(d.y0, d.y1))
		ymax = math.Max(ymax, math.Max(d.y0, d.y1))
	}
	return
}

// vsegs draws vertical segments (x, y0..y1) in data coordinates, e.g. the
// byte range of a TCP segment in a time-sequence plot, or error bars.
type vsegs struct {
	segs  [][3]float64 // x, y0, y1
	style draw.LineStyle
	cap   vg.Length // half-width of horizontal caps; 0 for none
}

func (v *vsegs) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, s := range v.segs {
		x, y0, y1 := trX(s[0]), trY(s[1]), trY(s[2])
		c.StrokeLines(v.style, c.ClipLinesXY([]vg.Point{{X: x, Y: y0}, {X: x, Y: y1}})...)
		if v.cap > 0 {
			for _, y := range []vg.Length{y0, y1} {
				c.StrokeLines(v.style, c.ClipLinesXY([]vg.Point{{X: x - v.cap, Y: y}, {X: x + v.cap, Y: y}})...)
			}
		}
	}
}

func (v *vsegs) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, s := range v.segs {
		xmin, xmax = math.Min(xmin, s[0]), math.Max(xmax, s[0])
		ymin = math.Min(ymin, math.Min(s[1], s[2]))
		ymax = math.Max(ymax, math.Max(s[1], s[2]))
	}
	return
}

// vtickGlyph is a short vertical bar, used to mark instants on a line
// (e.g. a response completing on a cwnd trace). Its stroke is width
// wide, 2 points when width is 0.
type vtickGlyph struct{ width vg.Length }

func (g vtickGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	w := g.width
	if w <= 0 {
		w = vg.Points(2)
	}
	ls := draw.LineStyle{Color: sty.Color, Width: w}
	c.StrokeLine2(ls, pt.X, pt.Y-sty.Radius, pt.X, pt.Y+sty.Radius)
}

// scatter returns gonum's scatter plotter with the given marker style.
func scatter(xys plotter.XYs, gs draw.GlyphStyle) (*plotter.Scatter, error) {
	s, err := plotter.NewScatter(xys)
	if err != nil {
		return nil, err
	}
	s.GlyphStyle = gs
	return s, nil
}

// newLine returns gonum's line plotter with the given style.
func newLine(xys plotter.XYs, ls draw.LineStyle, step plotter.StepKind) (*plotter.Line, error) {
	l, err := plotter.NewLine(xys)
	if err != nil {
		return nil, err
	}
	l.LineStyle = ls
	l.StepStyle = step
	return l, nil
}

// vguide is a vertical guide line across the data area at x, with a note
// written at its top (e.g. "page loaded at 1234 ms").
type vguide struct {
	x     float64
	style draw.LineStyle
	note  string
	sty   text.Style
	// noRange keeps the guide from widening the x axis; a guide outside
	// the data's range is then not drawn.
	noRange bool
	// noteRight writes the note right of the line (left of it by
	// default); either way it moves to the other side when it would
	// leave the data area.
	noteRight bool
}

func (g *vguide) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	x := trX(g.x)
	if !c.ContainsX(x) {
		return
	}
	if g.style.Width > 0 {
		c.StrokeLine2(g.style, x, c.Min.Y, x, c.Max.Y)
	}
	if g.note != "" {
		sty := g.sty
		sty.YAlign = draw.YTop
		w := sty.Width(g.note)
		right := g.noteRight
		if right && x+w+vg.Points(4) > c.Max.X {
			right = false
		} else if !right && x-w-vg.Points(4) < c.Min.X {
			right = true
		}
		pt := vg.Point{X: x - vg.Points(4), Y: c.Max.Y - vg.Points(2)}
		sty.XAlign = draw.XRight
		if right {
			sty.XAlign = draw.XLeft
			pt.X = x + vg.Points(4)
		}
		c.FillText(sty, pt, g.note)
	}
}

func (g *vguide) DataRange() (xmin, xmax, ymin, ymax float64) {
	if g.noRange {
		return math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	}
	return g.x, g.x, math.Inf(1), math.Inf(-1)
}

// leftStripes draws a coloured stripe at the left edge of the data area
// for each row y (waterfall rows), in the gap between the y axis and the
// data. Rows share a colour when they share a connection.
type leftStripes struct {
	ys     []float64
	colors []color.Color
	half   float64 // half the stripe height in data units
	width  vg.Length
}

func (s *leftStripes) Plot(c draw.Canvas, p *plot.Plot) {
	_, trY := p.Transforms(&c)
	x1 := c.Min.X - vg.Points(2)
	x0 := x1 - s.width
	for i, y := range s.ys {
		y0, y1 := trY(y-s.half), trY(y+s.half)
		c.FillPolygon(s.colors[i], []vg.Point{{X: x0, Y: y0}, {X: x0, Y: y1}, {X: x1, Y: y1}, {X: x1, Y: y0}})
	}
}

// breakHalfWidth is half the width of a "//" axis-break mark, in points.
const breakHalfWidth = 5

// gapBands shades the cut-out parts of a broken x axis across the data
// area, so the eye sees where time is not to scale. Add it before the
// data.
type gapBands struct {
	axis *brokenAxis
	fill color.Color
}

func (g *gapBands) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	gs, _, _ := g.axis.clipped(p.X.Min, p.X.Max)
	for _, gap := range gs {
		x0, x1 := trX(gap[0]), trX(gap[1])
		c.FillPolygon(g.fill, []vg.Point{{X: x0, Y: c.Min.Y}, {X: x0, Y: c.Max.Y}, {X: x1, Y: c.Max.Y}, {X: x1, Y: c.Min.Y}})
	}
}

// breakMarks draws "//" across the x axis line at the middle of each gap
// of a broken axis. Add it last.
type breakMarks struct {
	axis  *brokenAxis
	style draw.LineStyle
}

func (b *breakMarks) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	gs, _, _ := b.axis.clipped(p.X.Min, p.X.Max)
	// The x axis line lies Padding below the data area, which gonum may
	// have raised to make room for glyphs below the lowest value.
	base := c.Min.Y
	for _, gb := range p.GlyphBoxes(p) {
		if gb.Size().Y > 0 && gb.Y >= 0 {
			base = min(base, c.Y(gb.Y)+gb.Min.Y)
		}
	}
	axisY := base - p.X.Padding - p.X.LineStyle.Width/2
	hw := vg.Points(breakHalfWidth)
	gap := vg.Points(2.5)
	for _, g := range gs {
		x := trX((g[0] + g[1]) / 2)
		// Cut the line, then draw two parallel slashes at its ends.
		y := axisY
		c.FillPolygon(color.White, []vg.Point{
			{X: x - gap, Y: y - hw}, {X: x - gap, Y: y + hw}, {X: x + gap, Y: y + hw}, {X: x + gap, Y: y - hw},
		})
		for _, dx := range []vg.Length{-gap, gap} {
			c.StrokeLine2(b.style, x+dx-hw/2, y-hw, x+dx+hw/2, y+hw)
		}
	}
}

// breakThumb is the legend sample of a gap: a shaded band with "//".
func breakThumb(fill color.Color, ls draw.LineStyle) plot.Thumbnailer {
	return thumbFunc(func(c *draw.Canvas) {
		ctr := c.Center()
		w := vg.Points(10)
		c.FillPolygon(fill, []vg.Point{
			{X: ctr.X - w, Y: c.Min.Y}, {X: ctr.X - w, Y: c.Max.Y}, {X: ctr.X + w, Y: c.Max.Y}, {X: ctr.X + w, Y: c.Min.Y},
		})
		h := (c.Max.Y - c.Min.Y) / 2
		for _, dx := range []vg.Length{vg.Points(-2.5), vg.Points(2.5)} {
			c.StrokeLine2(ls, ctr.X+dx-h/2, ctr.Y-h, ctr.X+dx+h/2, ctr.Y+h)
		}
	})
}

// refusedHatch is the hatching of a waterfall's refused span: dark
// red diagonals over the queued phase's grey.
func refusedHatch() draw.LineStyle {
	return draw.LineStyle{Color: color.RGBA{R: 0xB0, G: 0x1C, B: 0x1C, A: 0xFF}, Width: vg.Points(0.8)}
}

// hatchSpacing is the horizontal distance between hatch lines, in points.
const hatchSpacing = 4

// hatches draws diagonal hatching over rectangles in data coordinates.
// It has no DataRange: it marks what other plotters have placed.
type hatches struct {
	rs    []dataRect
	style draw.LineStyle
}

func (h *hatches) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, d := range h.rs {
		x0, x1 := trX(d.x0), trX(d.x1)
		if x1-x0 < vg.Points(1.5) {
			// Too short to hatch: a short bar across the row instead.
			x0, x1 = x0-vg.Points(0.75), x0+vg.Points(0.75)
		}
		hatchRect(&c, h.style, x0, x1, trY(d.y0), trY(d.y1))
	}
}

// hatchRect draws 45-degree lines, hatchSpacing apart, clipped to the
// rectangle [x0, x1] x [y0, y1] of canvas c (and to c itself).
func hatchRect(c *draw.Canvas, ls draw.LineStyle, x0, x1, y0, y1 vg.Length) {
	if y1 < y0 {
		y0, y1 = y1, y0
	}
	hgt := y1 - y0
	for xs := x0 - hgt; xs < x1; xs += vg.Points(hatchSpacing) {
		// The line (xs+t, y0+t), t in [0, hgt], clipped to [x0, x1].
		t0, t1 := max(0, x0-xs), min(hgt, x1-xs)
		if t1 <= t0 {
			continue
		}
		c.StrokeLines(ls, c.ClipLinesXY([]vg.Point{{X: xs + t0, Y: y0 + t0}, {X: xs + t1, Y: y0 + t1}})...)
	}
}

// badges draws a small labelled disc at each point (data coordinates),
// e.g. the "R" of a replayed request. It has no DataRange.
type badges struct {
	pts  [][2]float64
	text string
}

func (b *badges) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, pt := range b.pts {
		at := vg.Point{X: trX(pt[0]), Y: trY(pt[1])}
		if c.Contains(at) {
			drawBadge(&c, at, b.text)
		}
	}
}

// drawBadge draws a white disc with a dark outline at pt and s in it.
func drawBadge(c *draw.Canvas, pt vg.Point, s string) {
	r := vg.Points(5)
	c.DrawGlyphNoClip(draw.GlyphStyle{Color: color.White, Radius: r, Shape: draw.CircleGlyph{}}, pt)
	c.DrawGlyphNoClip(draw.GlyphStyle{Color: color.Gray{Y: 40}, Radius: r, Shape: draw.RingGlyph{}}, pt)
	sty := textStyle(7)
	sty.Font.Weight = xfont.WeightBold
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
	c.FillText(sty, pt, s)
}
