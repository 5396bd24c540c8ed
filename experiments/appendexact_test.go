package experiments

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// appendExact writes what strconv's shortest 'f' form writes, for the
// values of its fast path (millionths) and the rest.
func TestAppendExactMatchesStrconv(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(v float64) {
		if math.IsNaN(v) || v == 0 {
			return
		}
		want := strconv.FormatFloat(v, 'f', -1, 64)
		if got := string(appendExact(nil, v)); got != want {
			t.Fatalf("appendExact(%v) = %q, strconv %q", v, got, want)
		}
	}
	for _, v := range []float64{1e-6, -1e-6, 0.5, 1, 99999999.999999, -99999999.999999, 1e8, 1e8 - 1e-6,
		123.4565, 0.1 + 0.2, 1e15, 1e300, 5e-324, math.Inf(1), math.Inf(-1), 2.5e-7, -4.9999e-7} {
		check(v)
		check(math.Round(v*1e6) / 1e6)
	}
	for range 300_000 {
		var v float64
		switch rng.IntN(4) {
		case 0: // a rounded time in ms
			v = math.Round(rng.Float64()*math.Pow(10, float64(rng.IntN(10)))*1e6) / 1e6
		case 1: // integer millionths
			v = float64(rng.Int64N(2e14)-1e14) / 1e6
		case 2: // anything
			v = math.Float64frombits(rng.Uint64())
		default: // near 1e8, where the fast path ends
			v = 1e8 + (rng.Float64()-0.5)*10
			v = math.Round(v*1e6) / 1e6
		}
		check(v)
		check(-v)
	}
}

// The cells of ms, int and uint are those of fmtRounded and strconv: ms
// writes a count of millionths under 1e14 without rounding twice, and
// the rest as before.
func TestTableCellsMatchStrconv(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	tw := &tableWriter{format: CSV}
	cell := func(f func()) string {
		tw.b, tw.col = tw.b[:0], 0
		f()
		return string(tw.b)
	}
	checkMS := func(v float64) {
		if got, want := cell(func() { tw.ms(v) }), fmtRounded(v); got != want {
			t.Fatalf("ms(%v) = %q, fmtRounded %q", v, got, want)
		}
	}
	checkInt := func(i int64) {
		if got, want := cell(func() { tw.int(i) }), strconv.FormatInt(i, 10); got != want {
			t.Fatalf("int(%d) = %q", i, got)
		}
		u := uint64(i)
		if got, want := cell(func() { tw.uint(u) }), strconv.FormatUint(u, 10); got != want {
			t.Fatalf("uint(%d) = %q", u, got)
		}
	}
	for _, v := range []float64{0, math.Copysign(0, -1), 1e-7, -1e-7, 4.9e-7, 5e-7, -5e-7, 1e-6, 0.5, 1, 10.0832,
		99999999.999999, 99999999.9999994, 99999999.9999996, -99999999.9999996, 1e8, 1e8 + 0.5, 1e14, 1e15, 1e16,
		math.NaN(), math.Inf(1), math.Inf(-1), 5e-324, math.MaxFloat64} {
		checkMS(v)
		checkMS(-v)
	}
	for _, i := range []int64{0, 1, 9, 10, 99, 100, 101, 999, 1000, 1e9, 1e18, math.MaxInt64, math.MinInt64, -1, -10} {
		checkInt(i)
	}
	for range 300_000 {
		var v float64
		switch rng.IntN(4) {
		case 0: // a time in ms
			v = rng.Float64() * math.Pow(10, float64(rng.IntN(10)))
		case 1: // integer millionths, and half-way
			v = float64(rng.Int64N(2e14)-1e14) / 1e6
			if rng.IntN(2) == 0 {
				v += 5e-7
			}
		case 2: // anything
			v = math.Float64frombits(rng.Uint64())
		default: // near 1e8, where the millionths end
			v = 1e8 + (rng.Float64()-0.5)*10
		}
		checkMS(v)
		checkMS(-v)
		checkInt(int64(rng.Uint64()) >> rng.IntN(64))
	}
}
