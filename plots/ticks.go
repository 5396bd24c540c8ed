package plots

import (
	"cmp"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
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
	return stepTicks(lo, hi, niceStep(hi-lo, 6))
}

// stepTicks labels the multiples of step in [lo, hi] and puts unlabelled
// minor ticks between them (a fifth, quarter or half of step).
func stepTicks(lo, hi, step float64) []plot.Tick {
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

// axisLengthGuess is the length of a default figure's x axis in points
// (8 inches less the y axis and a side legend). Tickers do not know the
// real length; they use this to keep labels from overlapping, so it errs
// on the short side.
const axisLengthGuess = 360

// labelGap is the least room between two tick labels, in points.
const labelGap = 8

// thinLabels turns labelled ticks into unlabelled (minor) ones where
// their labels would overlap a label kept before them or one of the
// blocked spans. pos maps a value to its place along the axis (0..1);
// blocked lists spans of the axis (in the same 0..1 units) that no
// label may cover. Labels are kept from left to right, except that the
// last one is kept in preference to its left neighbour when keepLast is
// set.
func thinLabels(ticks []plot.Tick, pos func(float64) float64, blocked [][2]float64, keepLast bool) []plot.Tick {
	sty := textStyle(tickSize)
	half := func(t plot.Tick) float64 {
		return (float64(sty.Width(t.Label)) + labelGap) / 2 / axisLengthGuess
	}
	var major []int
	for i, t := range ticks {
		if !t.IsMinor() {
			major = append(major, i)
		}
	}
	slices.SortStableFunc(major, func(a, b int) int { return cmp.Compare(ticks[a].Value, ticks[b].Value) })
	free := func(c, h float64, taken [][2]float64) bool {
		for _, s := range taken {
			if c+h > s[0] && c-h < s[1] {
				return false
			}
		}
		return true
	}
	taken := slices.Clone(blocked)
	var kept []int
	for k, i := range major {
		c, h := pos(ticks[i].Value), half(ticks[i])
		if free(c, h, taken) {
			taken = append(taken, [2]float64{c - h, c + h})
			kept = append(kept, i)
			continue
		}
		if keepLast && k == len(major)-1 && len(kept) > 0 {
			// Drop the previous label for the last one if that frees it.
			prev := kept[len(kept)-1]
			rest := taken[:len(taken)-1]
			if free(c, h, rest) {
				ticks[prev].Label = ""
				taken = append(rest, [2]float64{c - h, c + h})
				kept[len(kept)-1] = i
				continue
			}
		}
		ticks[i].Label = ""
	}
	return ticks
}

// valueTicks puts a tick exactly at each of a few x values of the data
// (a sweep's values), labelled unless the label would overlap its left
// neighbour's; the first and last values are always labelled.
type valueTicks struct {
	values []float64 // sorted, distinct
	log    bool
}

// maxValueTicks is the most distinct x values valueTicks is used for.
const maxValueTicks = 12

func (v valueTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for _, x := range v.values {
		if x < lo-1e-9*math.Abs(lo) || x > hi+1e-9*math.Abs(hi) {
			continue
		}
		ticks = append(ticks, plot.Tick{Value: x, Label: formatNumber(x, 6)})
	}
	if len(ticks) < 2 || !(hi > lo) {
		return ticks
	}
	pos := func(x float64) float64 { return (x - lo) / (hi - lo) }
	if v.log && lo > 0 {
		pos = func(x float64) float64 { return math.Log(x/lo) / math.Log(hi/lo) }
	}
	return thinLabels(ticks, pos, nil, true)
}

// brokenAxis is a linear axis with gaps cut out: each gap, however long,
// takes the same small share of the axis, so the parts either side of a
// long idle time keep their detail. It is both the axis's scale and its
// ticker, whose labels stay true: they are the times at the ticks. A
// plotter made by breakMarks draws "//" where the axis is broken.
type brokenAxis struct {
	gaps [][2]float64 // sorted, disjoint, each from < to
	frac float64      // share of the axis each gap takes (0..1)
}

// clipped returns the gaps inside [lo, hi] and the room left for data.
func (b brokenAxis) clipped(lo, hi float64) ([][2]float64, float64, float64) {
	var gs [][2]float64
	shown := hi - lo
	for _, g := range b.gaps {
		g0, g1 := max(g[0], lo), min(g[1], hi)
		if g1 > g0 {
			gs = append(gs, [2]float64{g0, g1})
			shown -= g1 - g0
		}
	}
	frac := b.frac
	if n := float64(len(gs)); n*frac > 0.4 {
		frac = 0.4 / n
	}
	// Each gap is drawn as wide as gw data units of the shown parts.
	gw := 0.0
	if len(gs) > 0 {
		gw = frac * shown / (1 - float64(len(gs))*frac)
	}
	return gs, shown, gw
}

// Normalize maps x to its place along the axis, 0 at lo and 1 at hi.
// Values outside [lo, hi] extrapolate linearly, so lines crossing the
// edge are clipped where they should be.
func (b brokenAxis) Normalize(lo, hi, x float64) float64 {
	gs, shown, gw := b.clipped(lo, hi)
	total := shown + float64(len(gs))*gw
	if !(total > 0) {
		return 0.5
	}
	acc, cur := 0.0, lo
	for _, g := range gs {
		if x <= g[0] {
			break
		}
		if x < g[1] {
			return (acc + g[0] - cur + gw*(x-g[0])/(g[1]-g[0])) / total
		}
		acc += g[0] - cur + gw
		cur = g[1]
	}
	return (acc + x - cur) / total
}

// segments returns the parts of [lo, hi] that are not cut out.
func (b brokenAxis) segments(lo, hi float64) [][2]float64 {
	gs, _, _ := b.clipped(lo, hi)
	var segs [][2]float64
	cur := lo
	for _, g := range gs {
		segs = append(segs, [2]float64{cur, g[0]})
		cur = g[1]
	}
	return append(segs, [2]float64{cur, hi})
}

// Ticks labels nice values with one step over all the shown parts, and
// none inside a gap; labels that would touch a break mark or another
// label are left out.
func (b brokenAxis) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: formatNumber(lo, 6)}}
	}
	gs, shown, _ := b.clipped(lo, hi)
	step := niceStep(shown, 6)
	var ticks []plot.Tick
	for _, s := range b.segments(lo, hi) {
		if s[1] > s[0] {
			ticks = append(ticks, stepTicks(s[0], s[1], step)...)
		}
	}
	// Keep a label's width clear of each break mark.
	var blocked [][2]float64
	for _, g := range gs {
		c := b.Normalize(lo, hi, (g[0]+g[1])/2)
		w := float64(breakHalfWidth+2) / axisLengthGuess
		blocked = append(blocked, [2]float64{c - w, c + w})
	}
	return thinLabels(ticks, func(x float64) float64 { return b.Normalize(lo, hi, x) }, blocked, false)
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
