package plots

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// DefaultSize returns the size Save uses when given zero: DefaultWidth x
// DefaultHeight, or taller for a waterfall with many requests, so every
// request row keeps a readable label.
func DefaultSize(p *plot.Plot) (w, h vg.Length) {
	w, h = DefaultWidth, DefaultHeight
	if wt, ok := p.Y.Tick.Marker.(waterfallTicks); ok {
		h = max(h, vg.Points(rowPitch)*vg.Length(wt.rows())+vg.Points(150))
	}
	return w, h
}

// Save writes the plot as dir/base.png (at DPI) and dir/base.svg, each
// atomically: the bytes go to a temporary file in dir that is renamed into
// place, so an interrupted run never leaves a half-written figure. A zero
// w or h means DefaultSize.
func Save(p *plot.Plot, dir, base string, w, h vg.Length) error {
	if base == "" || strings.ContainsAny(base, `/\`) {
		return fmt.Errorf("plots: bad figure name %q", base)
	}
	for _, format := range []string{"png", "svg"} {
		b, err := Encode(p, w, h, format)
		if err != nil {
			return err
		}
		if err := writeAtomic(filepath.Join(dir, base+"."+format), b); err != nil {
			return err
		}
	}
	return nil
}

// Encode renders the plot as "png" (at DPI) or "svg" and returns the
// bytes. A zero w or h means DefaultSize. The same plot always gives the
// same bytes. SVG text names the font "Liberation Sans" with Arial,
// Helvetica and sans-serif as fallbacks (Liberation Sans has Arial's
// metrics), so labels keep their size where Liberation is not installed.
func Encode(p *plot.Plot, w, h vg.Length, format string) (out []byte, err error) {
	if p == nil {
		return nil, errors.New("plots: nil plot")
	}
	if w <= 0 || h <= 0 {
		w, h = DefaultSize(p)
	}
	// gonum panics on some degenerate inputs (e.g. a log axis that
	// reaches 0); report those as errors.
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("plots: drawing %s: %v", format, r)
		}
	}()
	var buf bytes.Buffer
	switch format {
	case "png":
		c := newPNGCanvas(w, h)
		drawOnWhite(p, c)
		img, ok := c.Image().(*image.RGBA)
		if !ok {
			return nil, fmt.Errorf("plots: canvas image is a %T, want *image.RGBA", c.Image())
		}
		err := encodePNG(&buf, img)
		rgbaPool.put(img) // the bytes are encoded; the image can be drawn on again
		if err != nil {
			return nil, fmt.Errorf("plots: encoding png: %w", err)
		}
	case "svg":
		c := vgsvg.New(w, h)
		p.Draw(draw.New(c))
		if _, err := c.WriteTo(&buf); err != nil {
			return nil, fmt.Errorf("plots: encoding svg: %w", err)
		}
		return svgFontFallbacks(buf.Bytes()), nil
	default:
		return nil, fmt.Errorf("plots: unknown format %q (want png or svg)", format)
	}
	return buf.Bytes(), nil
}

// drawOnWhite draws p on c, a canvas vgimg has filled white. Plot.Draw
// first fills the whole figure with the plot's background colour: when
// that is opaque white too, the fill changes no pixel (white over white
// is white, edges included) but rasterizing it took about a fifth of the
// time of drawing and encoding a figure, so it is left out. The plot is
// drawn from a shallow copy; p itself is not changed. (The SVG keeps its
// background: an SVG canvas has none of its own.)
func drawOnWhite(p *plot.Plot, c *vgimg.Canvas) {
	q := *p
	if isOpaqueWhite(q.BackgroundColor) {
		q.BackgroundColor = nil
	}
	q.Draw(draw.New(c))
}

func isOpaqueWhite(c color.Color) bool {
	if c == nil {
		return false
	}
	r, g, b, a := c.RGBA()
	return r == 0xffff && g == 0xffff && b == 0xffff && a == 0xffff
}

var svgFamily = regexp.MustCompile(`font-family:Liberation (Sans|Serif|Mono);`)

// svgFontFallbacks adds metric-compatible fallbacks to gonum's
// font-family declarations.
func svgFontFallbacks(b []byte) []byte {
	return svgFamily.ReplaceAllFunc(b, func(m []byte) []byte {
		switch {
		case bytes.Contains(m, []byte("Sans")):
			return []byte(`font-family:'Liberation Sans',Arial,Helvetica,sans-serif;`)
		case bytes.Contains(m, []byte("Serif")):
			return []byte(`font-family:'Liberation Serif','Times New Roman',Times,serif;`)
		default:
			return []byte(`font-family:'Liberation Mono','Courier New',Courier,monospace;`)
		}
	})
}

// writeAtomic writes b to a temporary file beside path, syncs it and
// renames it to path.
func writeAtomic(path string, b []byte) (err error) {
	dir, name := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("plots: writing %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("plots: writing %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("plots: writing %s: %w", path, err)
	}
	if err = os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	return nil
}
