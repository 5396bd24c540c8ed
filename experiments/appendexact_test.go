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
