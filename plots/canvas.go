package plots

import (
	"image"
	"sync"

	"git.sr.ht/~sbinet/gg"
	"golang.org/x/image/draw"
	"golang.org/x/image/math/f64"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgimg"
)

// newPNGCanvas returns a white canvas of w x h at DPI that draws exactly
// the pixels of vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI)),
// faster:
//
//   - vgimg.NewWith allocates the image, then gg copies it into one of
//     its own; here gg draws on the image it is given.
//   - gg draws every glyph of text through its interpolator (x/image's
//     BiLinear kernel) even when the glyph only moves by whole pixels,
//     as all unrotated text does; glyphInterp does that case directly,
//     with the kernel's arithmetic.
//
// vgimg takes a given image's size in points from its pixels, so this
// is only done when that gives back w and h exactly (every figure of
// the default size); otherwise it returns vgimg.NewWith's canvas.
func newPNGCanvas(w, h vg.Length) *vgimg.Canvas {
	// As vgimg.NewWith sizes its image, and as it reads a given one's size.
	px := int(w/vg.Inch*vg.Length(DPI) + 0.5)
	py := int(h/vg.Inch*vg.Length(DPI) + 0.5)
	if vg.Length(float64(px)/float64(DPI))*vg.Inch != w || vg.Length(float64(py)/float64(DPI))*vg.Inch != h {
		return vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))
	}
	img := rgbaPool.get(px, py)
	ctx := gg.NewContextForRGBA(img)
	// What vgimg.NewWith does to the context it makes.
	ctx.SetLineCapButt()
	ctx.InvertY()
	ctx.SetInterpolator(glyphInterp{})
	return vgimg.NewWith(vgimg.UseImageWithContext(img, ctx), vgimg.UseDPI(DPI))
}

// rgbaPool keeps the images of figures drawn, for the next figure of the
// same size: a 1200x750 figure is 3.6 MB, and a fresh one costs the page
// faults of memory the process has not touched yet. vgimg fills a given
// image white before drawing, so a reused image starts as a new one.
var rgbaPool imagePool

type imagePool struct {
	mu   sync.Mutex
	free []*image.RGBA
}

// get returns an image of px x py pixels, reused when one is free.
func (p *imagePool) get(px, py int) *image.RGBA {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, img := range p.free {
		if b := img.Bounds(); b.Dx() == px && b.Dy() == py {
			p.free = append(p.free[:i], p.free[i+1:]...)
			return img
		}
	}
	return image.NewRGBA(image.Rect(0, 0, px, py))
}

// put gives back an image no longer used; at most a few are kept.
func (p *imagePool) put(img *image.RGBA) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free) < 4 {
		p.free = append(p.free, img)
	}
}

// glyphInterp is gg's default interpolator, draw.BiLinear, with a fast
// path for what gg's text drawing asks of it most: a uniform colour
// drawn Over an RGBA image through an alpha mask (the glyph) moved by
// whole pixels.
type glyphInterp struct{}

func (glyphInterp) Scale(dst draw.Image, dr image.Rectangle, src image.Image, sr image.Rectangle, op draw.Op, opts *draw.Options) {
	draw.BiLinear.Scale(dst, dr, src, sr, op, opts)
}

func (glyphInterp) Transform(dst draw.Image, s2d f64.Aff3, src image.Image, sr image.Rectangle, op draw.Op, opts *draw.Options) {
	d, okDst := dst.(*image.RGBA)
	u, okSrc := src.(*image.Uniform)
	if okDst && okSrc && op == draw.Over && opts != nil && opts.DstMask == nil {
		if m, ok := opts.SrcMask.(*image.Alpha); ok {
			if t, ok := wholeShift(s2d); ok {
				shiftMask(d, t, u, sr, m, opts.SrcMaskP)
				return
			}
		}
	}
	draw.BiLinear.Transform(dst, s2d, src, sr, op, opts)
}

// wholeShift returns the move of s2d when it moves by whole pixels and
// does nothing else.
func wholeShift(s2d f64.Aff3) (image.Point, bool) {
	if s2d[0] != 1 || s2d[1] != 0 || s2d[3] != 0 || s2d[4] != 1 {
		return image.Point{}, false
	}
	t := image.Pt(int(s2d[2]), int(s2d[5]))
	// Far from any canvas, the kernel's float arithmetic is not exact.
	const far = 1 << 24
	if float64(t.X) != s2d[2] || float64(t.Y) != s2d[5] || max(t.X, -t.X, t.Y, -t.Y) > far {
		return image.Point{}, false
	}
	return t, true
}

// shiftMask draws src Over dst through mask, moved by t: what
// draw.BiLinear.Transform draws for that move. Each destination pixel
// samples exactly one source pixel with weight 1, so the kernel's result
// is the source colour scaled by the mask, in 16 bits, composited Over
// the destination as below (x/image/draw's transform_Image_Image_Over).
func shiftMask(dst *image.RGBA, t image.Point, src *image.Uniform, sr image.Rectangle, mask *image.Alpha, mp image.Point) {
	cr, cg, cb, ca := src.RGBA()
	r := sr.Add(t).Intersect(dst.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			m := mp.Add(image.Pt(x, y).Sub(t)) // the mask pixel of source pixel (x, y) - t
			if !m.In(mask.Rect) {
				continue // mask alpha 0: the kernel leaves the pixel as it is
			}
			ma := uint32(mask.Pix[mask.PixOffset(m.X, m.Y)])
			if ma == 0 {
				continue
			}
			ma |= ma << 8
			pa := ca * ma / 0xffff
			pa1 := 0xffff - pa
			i := dst.PixOffset(x, y)
			p := dst.Pix[i : i+4 : i+4]
			p[0] = uint8((uint32(p[0])*0x101*pa1/0xffff + cr*ma/0xffff) >> 8)
			p[1] = uint8((uint32(p[1])*0x101*pa1/0xffff + cg*ma/0xffff) >> 8)
			p[2] = uint8((uint32(p[2])*0x101*pa1/0xffff + cb*ma/0xffff) >> 8)
			p[3] = uint8((uint32(p[3])*0x101*pa1/0xffff + pa) >> 8)
		}
	}
}
