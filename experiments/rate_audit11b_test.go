package experiments

import (
	"math"
	"testing"
)

// TestParsePerSecond (second audit of issue 11): a rate is per second
// unless written per minute. Parsing "30/min" as 30 per second passed
// every other test.
func TestParsePerSecond(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
	}{
		{"2/s", 2}, {"2", 2}, {"1.5/sec", 1.5}, {"30/min", 0.5}, {"120 / min", 2},
		{"0.001/s", 0.001}, {"6/min", 0.1}, {"1e3/s", 1000},
	} {
		got, err := ParsePerSecond(tc.in)
		if err != nil || math.Abs(float64(got)-tc.want) > 1e-12 {
			t.Errorf("ParsePerSecond(%q) = %v, %v; want %v per second", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "fast", "2/h", "/s", "NaN/s", "1e999/s", "2/s/s"} {
		if got, err := ParsePerSecond(bad); err == nil {
			t.Errorf("ParsePerSecond(%q) = %v, want an error", bad, got)
		}
	}
}
