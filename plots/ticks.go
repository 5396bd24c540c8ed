package plots

import (
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg/draw"
)

// linearTicks labels about six "nice" values (1, 2, 2.5 or 5 times a power
// of ten) and puts unlabelled minor ticks between them. Labels never carry
// floating-point noise ("0.30000000000000004") or exponents below 10^9.
type linearTicks struct{}

// niceStep returns the nice step for about target intervals over span.
func niceStep(span float64, target int) float64 {
	if !(span > 0) || math.IsInf(span, 0) {
		return 1
	}
	raw := span / float64(target)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw*(1-1e-9) {
			return m * mag
		}
	}
	return 10 * mag
}

// stepDecimals is how many decimals a label at multiples of step needs.
func stepDecimals(step float64) int {
	d := 0
	for s := step; d < 12 && math.Abs(s-math.Round(s)) > 1e-9*math.Max(1, math.Abs(s)); s *= 10 {
		d++
	}
	return d
}

func (linearTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: formatNumber(lo, 6)}}
	}
	step := niceStep(hi-lo, 6)
	dec := stepDecimals(step)
	minor := step / 5
	if m := step / math.Pow(10, math.Floor(math.Log10(step))); m == 2.5 || m == 2 {
		minor = step / 2
		if m == 2 {
			minor = step / 4
		}
	}
	var ticks []plot.Tick
	first := math.Ceil(lo/step-1e-9) * step
	for i := 0; ; i++ {
		v := first + float64(i)*step
		if v > hi+step*1e-9 {
			break
		}
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', dec, 64)})
	}
	firstMinor := math.Ceil(lo/minor-1e-9) * minor
	for i := 0; ; i++ {
		v := firstMinor + float64(i)*minor
		if v > hi+minor*1e-9 {
			break
		}
		r := v / step
		if math.Abs(r-math.Round(r)) < 1e-6 {
			continue // a major tick
		}
		ticks = append(ticks, plot.Tick{Value: v})
	}
	return ticks
}

// niceRange widens [lo, hi] outwards to whole steps of the ticks, so the
// axis ends on a labelled value.
func niceRange(lo, hi float64) (float64, float64) {
	if !(hi > lo) {
		return lo, hi
	}
	step := niceStep(hi-lo, 6)
	return math.Floor(lo/step+1e-9) * step, math.Ceil(hi/step-1e-9) * step
}

// logTicks labels 1, 2 and 5 times powers of ten when the range spans less
// than three decades (1, 10, 100... otherwise), with minor ticks at the
// other integer multiples.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: formatNumber(lo, 6)}}
	}
	labelled := map[int]bool{1: true, 2: true, 5: true}
	if hi/lo > 1000 {
		labelled = map[int]bool{1: true}
	}
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		base := math.Pow(10, e)
		for m := 1; m <= 9; m++ {
			v := float64(m) * base
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if labelled[m] {
				t.Label = formatNumber(v, 6)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// niceLogRange widens [lo, hi] (both > 0) to the neighbouring 1-2-5 values.
func niceLogRange(lo, hi float64) (float64, float64) {
	down := func(v float64) float64 {
		base := math.Pow(10, math.Floor(math.Log10(v)+1e-12))
		for _, m := range []float64{5, 2, 1} {
			if m*base <= v*(1+1e-12) {
				return m * base
			}
		}
		return base
	}
	up := func(v float64) float64 {
		base := math.Pow(10, math.Floor(math.Log10(v)-1e-12))
		for _, m := range []float64{1, 2, 5, 10} {
			if m*base >= v*(1-1e-12) {
				return m * base
			}
		}
		return 10 * base
	}
	return down(lo), up(hi)
}

// formatNumber prints v with at most sig significant digits, without an
// exponent for everyday magnitudes and without trailing zeros.
func formatNumber(v float64, sig int) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	a := math.Abs(v)
	if a >= 1e9 || a < 1e-4 {
		return strconv.FormatFloat(v, 'g', sig, 64)
	}
	// Round to sig significant digits, then print the shortest form.
	mag := int(math.Floor(math.Log10(a)))
	dec := max(0, sig-1-mag)
	s := strconv.FormatFloat(v, 'f', dec, 64)
	f, _ := strconv.ParseFloat(s, 64)
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// gridLines draws thin lines at the labelled ticks of both axes.
type gridLines struct {
	style draw.LineStyle
	x, y  bool // which axes get lines
}

func (g *gridLines) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	if g.x && p.X.Tick.Marker != nil {
		for _, t := range p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max) {
			if t.IsMinor() || t.Value < p.X.Min || t.Value > p.X.Max {
				continue
			}
			x := trX(t.Value)
			c.StrokeLine2(g.style, x, c.Min.Y, x, c.Max.Y)
		}
	}
	if g.y && p.Y.Tick.Marker != nil {
		for _, t := range p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max) {
			if t.IsMinor() || t.Value < p.Y.Min || t.Value > p.Y.Max {
				continue
			}
			y := trY(t.Value)
			c.StrokeLine2(g.style, c.Min.X, y, c.Max.X, y)
		}
	}
}
