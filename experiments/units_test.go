package experiments

import (
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// TestParseDuration checks Go-syntax durations, the bare-zero exception,
// and each kind of error: missing unit, bad syntax, empty text.
func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{in: "250us", want: 250 * time.Microsecond},
		{in: "250µs", want: 250 * time.Microsecond},
		{in: "40ms", want: 40 * time.Millisecond},
		{in: "1.5s", want: 1500 * time.Millisecond},
		{in: "10m", want: 10 * time.Minute},
		{in: "1m30s", want: 90 * time.Second},
		{in: "0", want: 0},
		{in: " 2h ", want: 2 * time.Hour},
		{in: "-1ms", want: -time.Millisecond}, // the range check rejects it later
		{in: "100", wantErr: `"100" needs a unit (e.g. 100ms)`},
		{in: "0.5", wantErr: `"0.5" needs a unit (e.g. 0.5ms)`},
		{in: "1d", wantErr: `"1d" is not a duration`},
		{in: "ms", wantErr: `"ms" is not a duration`},
		{in: "", wantErr: "missing value"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseDuration(tc.in)
			checkParse(t, time.Duration(got), err, tc.want, tc.wantErr)
		})
	}
}

// TestParseSize checks decimal and binary units, bare bytes, exact
// fractions, and the errors for unknown units, fractions of a byte and
// overflow.
func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Size
		wantErr string
	}{
		{in: "1460", want: 1460},
		{in: "0", want: 0},
		{in: "20B", want: 20},
		{in: "256KB", want: 256000},
		{in: "256kB", want: 256000},
		{in: "4MiB", want: 4 << 20},
		{in: "1.5KB", want: 1500},
		{in: "1.5KiB", want: 1536},
		{in: "10 GB", want: 10_000_000_000},
		{in: "1GiB", want: 1 << 30},
		{in: "2e3", want: 2000},
		{in: "1.5", wantErr: `"1.5" is not a whole number of bytes`},
		{in: "0.3B", wantErr: "not a whole number of bytes"},
		{in: "10kb", wantErr: `unknown unit "kb" (use B, KB, KiB, MB, MiB, GB or GiB)`},
		{in: "10 packets", wantErr: `unknown unit "packets"`},
		{in: "KB", wantErr: `"KB" is not a size`},
		{in: "99999999999GB", wantErr: "too large"},
		{in: "1e40GB", wantErr: "too large"},
		{in: "1e999", wantErr: "too large"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseSize(tc.in)
			checkParse(t, got, err, tc.want, tc.wantErr)
		})
	}
}

// TestParseRate checks bit rates in powers of 1000 and that a bare
// number is rejected with a hint.
func TestParseRate(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Rate
		wantErr string
	}{
		{in: "10Mbps", want: 10 * Mbps},
		{in: "1.5Mbps", want: 1_500_000},
		{in: "100 Kbps", want: 100 * Kbps},
		{in: "64kbps", want: 64 * Kbps},
		{in: "1Gbps", want: Gbps},
		{in: "9600bps", want: 9600},
		{in: "10", wantErr: `"10" needs a unit (e.g. 10Mbps)`},
		{in: "10MBps", wantErr: `unknown unit "MBps" (use bps, Kbps, Mbps or Gbps)`},
		{in: "0.5bps", wantErr: "not a whole number of bits per second"},
		{in: "fast", wantErr: `"fast" is not a rate`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseRate(tc.in)
			checkParse(t, got, err, tc.want, tc.wantErr)
		})
	}
}

// TestParseProbability checks numbers and percentages in [0, 1] and the
// errors outside it.
func TestParseProbability(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Probability
		wantErr string
	}{
		{in: "0", want: 0},
		{in: "0.01", want: 0.01},
		{in: "1", want: 1},
		{in: "1%", want: 0.01},
		{in: "-0", want: 0},
		{in: "1.5", wantErr: "1.5 is not a probability: out of range 0..1"},
		{in: "-0.1", wantErr: "out of range 0..1"},
		{in: "NaN", wantErr: "is not a probability"},
		{in: "often", wantErr: "is not a probability"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseProbability(tc.in)
			checkParse(t, got, err, tc.want, tc.wantErr)
		})
	}
}

// TestParseQueueSize checks both forms of a queue limit.
func TestParseQueueSize(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    QueueSize
		wantErr string
	}{
		{in: "256KB", want: QueueSize{Bytes: 256000}},
		{in: "100 packets", want: QueueSize{Packets: 100}},
		{in: "1 packet", want: QueueSize{Packets: 1}},
		{in: "64packets", want: QueueSize{Packets: 64}},
		{in: "0", want: QueueSize{}},
		{in: "12 pallets", wantErr: `unknown unit "pallets" (use B, KB, KiB, MB, MiB, GB or GiB), or a packet count (e.g. 100 packets)`},
		{in: "99999999999999999999 packets", wantErr: "too many packets"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseQueueSize(tc.in)
			checkParse(t, got, err, tc.want, tc.wantErr)
		})
	}
}

func checkParse[T comparable](t *testing.T, got T, err error, want T, wantErr string) {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("got %v, error %v; want error containing %q", got, err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatalf("got error %v, want %v", err, want)
	}
	if got != want {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestCanonicalText checks the text MarshalYAML writes for each unit type
// and that it parses back to the same value.
func TestCanonicalText(t *testing.T) {
	for _, tc := range []struct {
		v    yaml.Marshaler
		want string
	}{
		{Duration(0), "0s"},
		{Duration(100 * time.Millisecond), "100ms"},
		{Duration(1500 * time.Millisecond), "1500ms"},
		{Duration(10 * time.Minute), "10m"},
		{Duration(90 * time.Second), "90s"},
		{Duration(250 * time.Microsecond), "250us"},
		{Duration(7), "7ns"},
		{Size(256000), "256KB"},
		{Size(4 << 20), "4MiB"},
		{Size(1460), "1460"},
		{Size(0), "0"},
		{Size(10_000_000_000), "10GB"},
		{Rate(10 * Mbps), "10Mbps"},
		{Rate(1_500_000), "1500Kbps"},
		{Rate(9600), "9600bps"},
		{Probability(0.01), "0.01"},
		{QueueSize{Packets: 100}, "100 packets"},
		{QueueSize{Packets: 1}, "1 packet"},
		{QueueSize{Bytes: 256000}, "256KB"},
	} {
		out, err := yaml.Marshal(tc.v)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.TrimSpace(string(out))
		if got != tc.want {
			t.Errorf("%#v: got %q, want %q", tc.v, got, tc.want)
		}
		// Parse it back through the type's UnmarshalYAML.
		var n yaml.Node
		if err := yaml.Unmarshal(out, &n); err != nil {
			t.Fatal(err)
		}
		var back yaml.Marshaler
		switch tc.v.(type) {
		case Duration:
			var d Duration
			err, back = d.UnmarshalYAML(n.Content[0]), &d
		case Size:
			var s Size
			err, back = s.UnmarshalYAML(n.Content[0]), &s
		case Rate:
			var r Rate
			err, back = r.UnmarshalYAML(n.Content[0]), &r
		case Probability:
			var p Probability
			err, back = p.UnmarshalYAML(n.Content[0]), &p
		case QueueSize:
			var q QueueSize
			err, back = q.UnmarshalYAML(n.Content[0]), &q
		}
		if err != nil {
			t.Errorf("%q does not parse back: %v", got, err)
			continue
		}
		if b := derefMarshaler(back); b != tc.v {
			t.Errorf("%q parses back to %#v, want %#v", got, b, tc.v)
		}
	}
}

func derefMarshaler(m yaml.Marshaler) yaml.Marshaler {
	switch v := m.(type) {
	case *Duration:
		return *v
	case *Size:
		return *v
	case *Rate:
		return *v
	case *Probability:
		return *v
	case *QueueSize:
		return *v
	}
	return m
}

// TestUnitsRejectCollections checks that a leaf given a list or mapping
// says what it wanted instead.
func TestUnitsRejectCollections(t *testing.T) {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("[1, 2]"), &n); err != nil {
		t.Fatal(err)
	}
	var d Duration
	err := d.UnmarshalYAML(n.Content[0])
	if err == nil || err.Error() != "want a duration (e.g. 100ms), got a list" {
		t.Fatalf("got %v, want %q", err, "want a duration (e.g. 100ms), got a list")
	}
}
