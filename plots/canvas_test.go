package plots

import (
	"bytes"
	"image"
	"image/color"
	"math/rand/v2"
	"testing"

	"golang.org/x/image/draw"
	"golang.org/x/image/math/f64"
	"gonum.org/v1/plot/vg"
	pdraw "gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// TestGlyphInterpMatchesBiLinear: for random glyph masks, colours (some
// translucent), backgrounds and whole-pixel moves, partly off the image
// too, glyphInterp draws exactly the bytes draw.BiLinear draws; and so
// it does for moves it leaves to BiLinear.
func TestGlyphInterpMatchesBiLinear(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := range 500 {
		bg := image.NewRGBA(image.Rect(0, 0, 40, 30))
		for i := range bg.Pix {
			bg.Pix[i] = uint8(rng.IntN(256))
		}
		mask := image.NewAlpha(image.Rect(rng.IntN(5), rng.IntN(5), 5+rng.IntN(20), 5+rng.IntN(20)))
		for i := range mask.Pix {
			if rng.IntN(3) > 0 {
				mask.Pix[i] = uint8(rng.IntN(256))
			}
		}
		a := uint8(rng.IntN(256))
		if n%2 == 0 {
			a = 255
		}
		c := color.RGBA{uint8(rng.IntN(int(a) + 1)), uint8(rng.IntN(int(a) + 1)), uint8(rng.IntN(int(a) + 1)), a}
		sr := image.Rect(0, 0, 1+rng.IntN(20), 1+rng.IntN(20))
		mp := image.Pt(rng.IntN(10)-2, rng.IntN(10)-2)
		s2d := f64.Aff3{1, 0, float64(rng.IntN(60) - 15), 0, 1, float64(rng.IntN(50) - 15)}
		switch n % 10 {
		case 7:
			s2d[2] += 0.5 // not whole pixels
		case 8:
			s2d[0], s2d[4] = 1.5, 1.5 // scaled
		case 9:
			s2d[0], s2d[1], s2d[3], s2d[4] = 0, -1, 1, 0 // rotated, as the y axis label
		}
		opts := &draw.Options{SrcMask: mask, SrcMaskP: mp}
		want, got := image.NewRGBA(bg.Rect), image.NewRGBA(bg.Rect)
		copy(want.Pix, bg.Pix)
		copy(got.Pix, bg.Pix)
		draw.BiLinear.Transform(want, s2d, image.NewUniform(c), sr, draw.Over, opts)
		glyphInterp{}.Transform(got, s2d, image.NewUniform(c), sr, draw.Over, opts)
		if !bytes.Equal(got.Pix, want.Pix) {
			t.Fatalf("case %d: colour %v, sr %v, mask %v at %v, move %v: pixels differ from BiLinear's", n, c, sr, mask.Rect, mp, s2d)
		}
	}
}

// TestPNGCanvas: a default-size canvas is drawn on directly; a size that
// is not whole pixels at DPI gets vgimg's own canvas; both are the size
// vgimg.NewWith gives, and every sample figure draws the same pixels on
// them as on vgimg.NewWith's.
func TestPNGCanvas(t *testing.T) {
	for _, size := range [][2]vg.Length{{DefaultWidth, DefaultHeight}, {DefaultWidth, DefaultHeight + 0.3}} {
		got := newPNGCanvas(size[0], size[1])
		want := vgimg.NewWith(vgimg.UseWH(size[0], size[1]), vgimg.UseDPI(DPI))
		gw, gh := got.Size()
		if gw != size[0] || gh != size[1] || got.Image().Bounds() != want.Image().Bounds() {
			t.Errorf("size %v: canvas %v x %v, %v; want %v", size, gw, gh, got.Image().Bounds(), want.Image().Bounds())
		}
	}
	for _, f := range sampleFigures() {
		p, err := f.make()
		if err != nil {
			t.Fatal(err)
		}
		w, h := DefaultSize(p)
		want := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))
		p.Draw(pdraw.New(want))
		got := newPNGCanvas(w, h)
		p.Draw(pdraw.New(got))
		if !bytes.Equal(got.Image().(*image.RGBA).Pix, want.Image().(*image.RGBA).Pix) {
			t.Errorf("%s: pixels differ from vgimg.NewWith's canvas", f.name)
		}
	}
}
