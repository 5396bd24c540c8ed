package plots

import (
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Sizes of the figures: a 16:10 slide at 8 x 5 inches. PNGs are rendered
// at DPI dots per inch, so a default figure is 1200 x 750 pixels.
const (
	DefaultWidth  = 8 * vg.Inch
	DefaultHeight = 5 * vg.Inch
	DPI           = 150
)

// Font sizes in points. They are chosen for a figure shown on a slide or
// read in a report at 100% zoom.
const (
	titleSize  = 15
	labelSize  = 13
	tickSize   = 11
	legendSize = 11
	noteSize   = 10
)

// sansFont is Liberation Sans (metric-compatible with Arial), which gonum
// embeds, so text widths are the same on every machine.
func sansFont(size vg.Length) font.Font {
	return font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
}

// textHandler returns a plain-text handler over gonum's font cache. It
// reads the cache; it never changes plot.DefaultTextHandler.
func textHandler() text.Handler {
	return text.Plain{Fonts: font.DefaultCache}
}

// textStyle returns a black sans text style of the given size.
func textStyle(size vg.Length) text.Style {
	return text.Style{
		Color:   color.Black,
		Font:    sansFont(size),
		Handler: textHandler(),
	}
}

// newPlot returns a plot with connsim's look: sans fonts at slide sizes,
// labelled axes and a light grid. Every style is set on this plot; gonum's
// package-level defaults are read by plot.New but never written.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	h := textHandler()
	p.TextHandler = h
	p.BackgroundColor = color.White

	p.Title.Text = title
	p.Title.TextStyle = textStyle(titleSize)
	p.Title.TextStyle.XAlign = draw.XCenter
	p.Title.TextStyle.YAlign = draw.YTop
	p.Title.Padding = vg.Points(10)

	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = sansFont(labelSize)
		ax.Label.TextStyle.Handler = h
		ax.Label.Padding = vg.Points(4)
		ax.Tick.Label.Font = sansFont(tickSize)
		ax.Tick.Label.Handler = h
		ax.LineStyle = draw.LineStyle{Color: color.Black, Width: vg.Points(0.75)}
		ax.Tick.LineStyle = draw.LineStyle{Color: color.Black, Width: vg.Points(0.75)}
		ax.Tick.Length = vg.Points(5)
		ax.Padding = vg.Points(6)
	}
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.X.Tick.Marker = linearTicks{}
	p.Y.Tick.Marker = linearTicks{}

	// The built-in legend is not used: sideLegend draws outside the data
	// area. Keep it empty but styled, in case a caller adds to it.
	p.Legend.TextStyle = textStyle(legendSize)
	return p
}

// grid returns light grid lines at the labelled ticks of the chosen axes.
func grid(x, y bool) plot.Plotter {
	g := &plotter.Grid{}
	style := draw.LineStyle{Color: color.Gray{Y: 225}, Width: vg.Points(0.5)}
	if x {
		g.Vertical = style
	}
	if y {
		g.Horizontal = style
	}
	return g
}

// palette is Okabe and Ito's colour-blind-safe palette (black moved last
// and yellow darkened so it shows on white). Series also differ in marker
// shape and dash pattern, so figures read in greyscale.
var palette = [...]color.RGBA{
	{R: 0x00, G: 0x72, B: 0xB2, A: 0xFF}, // blue
	{R: 0xD5, G: 0x5E, B: 0x00, A: 0xFF}, // vermillion
	{R: 0x00, G: 0x9E, B: 0x73, A: 0xFF}, // bluish green
	{R: 0xCC, G: 0x79, B: 0xA7, A: 0xFF}, // reddish purple
	{R: 0xE6, G: 0x9F, B: 0x00, A: 0xFF}, // orange
	{R: 0x56, G: 0xB4, B: 0xE9, A: 0xFF}, // sky blue
	{R: 0x33, G: 0x33, B: 0x33, A: 0xFF}, // near black
	{R: 0xB8, G: 0xA2, B: 0x00, A: 0xFF}, // dark yellow
}

// seriesColor returns the i-th series colour.
func seriesColor(i int) color.RGBA { return palette[i%len(palette)] }

// fade returns c with the given alpha (0..255), premultiplied as
// color.RGBA requires.
func fade(c color.RGBA, alpha uint8) color.RGBA {
	a := uint32(alpha)
	return color.RGBA{
		R: uint8(uint32(c.R) * a / 255),
		G: uint8(uint32(c.G) * a / 255),
		B: uint8(uint32(c.B) * a / 255),
		A: alpha,
	}
}

// lighten mixes c with white; f = 0 keeps c, f = 1 gives white.
func lighten(c color.RGBA, f float64) color.RGBA {
	mix := func(v uint8) uint8 { return uint8(float64(v) + (255-float64(v))*f + 0.5) }
	return color.RGBA{R: mix(c.R), G: mix(c.G), B: mix(c.B), A: 0xFF}
}

// glyphShapes pairs with palette: filled and hollow shapes alternate.
var glyphShapes = [...]draw.GlyphDrawer{
	draw.CircleGlyph{},
	draw.BoxGlyph{},
	draw.PyramidGlyph{},
	draw.CrossGlyph{},
	draw.RingGlyph{},
	draw.SquareGlyph{},
	draw.TriangleGlyph{},
	draw.PlusGlyph{},
}

func seriesGlyph(i int) draw.GlyphDrawer { return glyphShapes[i%len(glyphShapes)] }

// seriesDashes returns the i-th dash pattern (nil is solid). None of them
// is the fine dotted pattern, which marks ssthresh and other guides.
func seriesDashes(i int) []vg.Length {
	switch i % 6 {
	case 0:
		return nil
	case 1:
		return []vg.Length{vg.Points(7), vg.Points(3)}
	case 2:
		return []vg.Length{vg.Points(10), vg.Points(3), vg.Points(2), vg.Points(3)}
	case 3:
		return []vg.Length{vg.Points(4), vg.Points(3)}
	case 4:
		return []vg.Length{vg.Points(12), vg.Points(4)}
	default:
		return []vg.Length{vg.Points(6), vg.Points(2), vg.Points(2), vg.Points(2), vg.Points(2), vg.Points(2)}
	}
}

// dotted is the dash pattern of guides (ssthresh, page-loaded line).
func dotted() []vg.Length { return []vg.Length{vg.Points(1.5), vg.Points(2.5)} }

// seriesLine returns the line style of series i.
func seriesLine(i int, width vg.Length) draw.LineStyle {
	return draw.LineStyle{Color: seriesColor(i), Width: width, Dashes: seriesDashes(i)}
}

// seriesGlyphStyle returns the marker style of series i.
func seriesGlyphStyle(i int) draw.GlyphStyle {
	return draw.GlyphStyle{Color: seriesColor(i), Radius: vg.Points(4), Shape: seriesGlyph(i)}
}
