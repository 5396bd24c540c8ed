package plots

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"

	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// TestEncodePNGDecodes draws every sample figure on a canvas, encodes it
// with encodePNG and decodes it with image/png: every pixel must be the
// canvas's. It also checks that Encode, which leaves out the redundant
// white background fill (drawOnWhite), gives those same bytes, twice:
// the canvas here is drawn by Plot.Draw with the fill.
func TestEncodePNGDecodes(t *testing.T) {
	for _, f := range sampleFigures() {
		t.Run(f.name, func(t *testing.T) {
			p, err := f.make()
			if err != nil {
				t.Fatal(err)
			}
			w, h := DefaultSize(p)
			c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))
			p.Draw(draw.New(c))
			want := c.Image().(*image.RGBA)
			var buf bytes.Buffer
			if err := encodePNG(&buf, want); err != nil {
				t.Fatal(err)
			}
			samePixels(t, buf.Bytes(), want)
			for range 2 {
				b, err := Encode(p, w, h, "png")
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(b, buf.Bytes()) {
					t.Fatalf("Encode gave %d bytes, want the %d of encodePNG on a fresh canvas", len(b), buf.Len())
				}
			}
		})
	}
}

// TestEncodePNGTransparent: an image that is not opaque goes through
// image/png, and still decodes to its pixels.
func TestEncodePNGTransparent(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 7, 5))
	for y := range 5 {
		for x := range 7 {
			// Half of the pixels are transparent.
			c := color.NRGBA{byte(40 * x), byte(50 * y), byte(x * y), byte(255 * ((x + y) % 2))}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := encodePNG(&buf, img); err != nil {
		t.Fatal(err)
	}
	samePixels(t, buf.Bytes(), img)
}

// samePixels decodes b and compares it with want, pixel by pixel.
func samePixels(t *testing.T, b []byte, want *image.RGBA) {
	t.Helper()
	got, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decoding: %v", err)
	}
	if got.Bounds() != want.Bounds() {
		t.Fatalf("bounds %v, want %v", got.Bounds(), want.Bounds())
	}
	bad := 0
	for y := want.Rect.Min.Y; y < want.Rect.Max.Y; y++ {
		for x := want.Rect.Min.X; x < want.Rect.Max.X; x++ {
			gr, gg, gb, ga := got.At(x, y).RGBA()
			wr, wg, wb, wa := want.At(x, y).RGBA()
			if [4]uint32{gr, gg, gb, ga} != [4]uint32{wr, wg, wb, wa} {
				if bad++; bad <= 3 {
					t.Errorf("pixel (%d,%d): got %v, want %v", x, y, got.At(x, y), want.At(x, y))
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d pixels differ", bad)
	}
}

// TestEncodePNGBackground: a plot whose background is not white still
// has it in the PNG, and Encode leaves the plot's background as it was.
func TestEncodePNGBackground(t *testing.T) {
	p, err := sampleFigures()[0].make()
	if err != nil {
		t.Fatal(err)
	}
	grey := color.Gray{Y: 230}
	p.BackgroundColor = grey
	b, err := Encode(p, 0, 0, "png")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if got := color.GrayModel.Convert(img.At(0, 0)); got != grey {
		t.Errorf("corner pixel %v, want the background %v", got, grey)
	}
	p.BackgroundColor = color.White
	if _, err := Encode(p, 0, 0, "png"); err != nil {
		t.Fatal(err)
	}
	if p.BackgroundColor != color.White {
		t.Errorf("background %v after Encode, want white", p.BackgroundColor)
	}
}
