package experiments

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// This file holds the unit types of the YAML leaves. Each parses one scalar
// in UnmarshalYAML(*yaml.Node) and writes its canonical text in
// MarshalYAML. They never decode structs (go-yaml issue #460: a custom
// unmarshaler that calls node.Decode loses KnownFields), and their error
// messages carry no position: the decoder adds file, line, column and key.

var (
	_ yaml.Unmarshaler = (*Duration)(nil)
	_ yaml.Unmarshaler = (*Size)(nil)
	_ yaml.Unmarshaler = (*Rate)(nil)
	_ yaml.Unmarshaler = (*Probability)(nil)
	_ yaml.Unmarshaler = (*QueueSize)(nil)
	_ yaml.Marshaler   = Duration(0)
	_ yaml.Marshaler   = Size(0)
	_ yaml.Marshaler   = Rate(0)
	_ yaml.Marshaler   = Probability(0)
	_ yaml.Marshaler   = QueueSize{}
)

// Duration is a span of virtual time, written in Go syntax: "250us",
// "40ms", "1.5s", "10m". A bare "0" is allowed; any other bare number is
// an error, because "100" could mean 100ms or 100s.
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// MS returns d in milliseconds, the unit of the output files.
func (d Duration) MS() float64 { return float64(d) / float64(time.Millisecond) }

// String returns the canonical text of d: the largest of h, m, s, ms, us,
// ns that divides d exactly, e.g. "100ms", "1500ms", "10m", "0s".
func (d Duration) String() string {
	if d == 0 {
		return "0s"
	}
	sign, v := splitSign(int64(d))
	for _, u := range durationUnits {
		if v%u.n == 0 {
			return sign + strconv.FormatUint(v/u.n, 10) + u.name
		}
	}
	panic("experiments: unreachable") // the ns unit divides everything
}

var durationUnits = []struct {
	name string
	n    uint64
}{
	{"h", uint64(time.Hour)}, {"m", uint64(time.Minute)}, {"s", uint64(time.Second)},
	{"ms", uint64(time.Millisecond)}, {"us", uint64(time.Microsecond)}, {"ns", 1},
}

// UnmarshalYAML parses a duration scalar.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalarText(n, "a duration (e.g. 100ms)")
	if err != nil {
		return err
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalYAML writes the canonical text.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// ParseDuration parses the YAML text of a duration.
func ParseDuration(s string) (Duration, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, errors.New("missing value (e.g. 100ms)")
	}
	if t == "0" {
		return 0, nil
	}
	if bareNumber.MatchString(t) {
		return 0, fmt.Errorf("%q needs a unit (e.g. %sms)", s, t)
	}
	v, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (a number and a unit: ns, us, ms, s, m, h; e.g. 100ms or 1.5s)", s)
	}
	return Duration(v), nil
}

// Size is a number of bytes. In YAML: B, KB (1000), KiB (1024), MB, MiB,
// GB, GiB; a bare integer is bytes. A fraction is allowed when the result
// is a whole number of bytes ("1.5KB" is 1500).
type Size int64

// String returns the canonical text: the first of GB, GiB, MB, MiB, KB,
// KiB that divides the size exactly, or else the bare number of bytes,
// e.g. "256KB", "4MiB", "1460".
func (b Size) String() string {
	if b == 0 {
		return "0"
	}
	sign, v := splitSign(int64(b))
	for _, u := range sizeUnitsCanon {
		if v%u.n == 0 {
			return sign + strconv.FormatUint(v/u.n, 10) + u.name
		}
	}
	return sign + strconv.FormatUint(v, 10)
}

var sizeUnitsCanon = []struct {
	name string
	n    uint64
}{
	{"GB", 1e9}, {"GiB", 1 << 30}, {"MB", 1e6}, {"MiB", 1 << 20}, {"KB", 1e3}, {"KiB", 1 << 10},
}

var sizeUnits = map[string]int64{
	"": 1, "B": 1, "KB": 1e3, "kB": 1e3, "KiB": 1 << 10, "MB": 1e6, "MiB": 1 << 20, "GB": 1e9, "GiB": 1 << 30,
}

// UnmarshalYAML parses a size scalar.
func (b *Size) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalarText(n, "a size (e.g. 20KB)")
	if err != nil {
		return err
	}
	v, err := ParseSize(s)
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// MarshalYAML writes the canonical text; a size with no exact unit is
// written as a plain integer.
func (b Size) MarshalYAML() (any, error) {
	s := b.String()
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, nil
	}
	return s, nil
}

// ParseSize parses the YAML text of a size.
func ParseSize(s string) (Size, error) {
	num, unit, ok := splitNumberUnit(s)
	if !ok {
		return 0, fmt.Errorf("%q is not a size (a number and a unit: B, KB, KiB, MB, MiB, GB, GiB; e.g. 20KB)", s)
	}
	scale, known := sizeUnits[unit]
	if !known {
		return 0, fmt.Errorf("%q: unknown unit %q (use B, KB, KiB, MB, MiB, GB or GiB)", s, unit)
	}
	v, err := scaleDecimal(num, scale)
	switch {
	case errors.Is(err, errFraction):
		return 0, fmt.Errorf("%q is not a whole number of bytes", s)
	case err != nil:
		return 0, fmt.Errorf("%q is too large for a size", s)
	}
	return Size(v), nil
}

// Rate is a bit rate in bits per second. In YAML: bps, Kbps, Mbps, Gbps
// (powers of 1000), e.g. "10Mbps" or "1.5Mbps"; a bare number is an error.
type Rate int64

// Common rates.
const (
	BitPerSecond Rate = 1
	Kbps              = 1000 * BitPerSecond
	Mbps              = 1000 * Kbps
	Gbps              = 1000 * Mbps
)

// String returns the canonical text: the largest of Gbps, Mbps, Kbps that
// divides the rate exactly, or else bps, e.g. "10Mbps", "1500Kbps".
func (r Rate) String() string {
	if r == 0 {
		return "0bps"
	}
	sign, v := splitSign(int64(r))
	for _, u := range rateUnitsCanon {
		if v%u.n == 0 {
			return sign + strconv.FormatUint(v/u.n, 10) + u.name
		}
	}
	panic("experiments: unreachable") // bps divides everything
}

var rateUnitsCanon = []struct {
	name string
	n    uint64
}{{"Gbps", 1e9}, {"Mbps", 1e6}, {"Kbps", 1e3}, {"bps", 1}}

var rateUnits = map[string]int64{"bps": 1, "Kbps": 1e3, "kbps": 1e3, "Mbps": 1e6, "Gbps": 1e9}

// UnmarshalYAML parses a rate scalar.
func (r *Rate) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalarText(n, "a rate (e.g. 10Mbps)")
	if err != nil {
		return err
	}
	v, err := ParseRate(s)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// MarshalYAML writes the canonical text.
func (r Rate) MarshalYAML() (any, error) { return r.String(), nil }

// ParseRate parses the YAML text of a rate.
func ParseRate(s string) (Rate, error) {
	num, unit, ok := splitNumberUnit(s)
	if !ok {
		return 0, fmt.Errorf("%q is not a rate (a number and a unit: bps, Kbps, Mbps, Gbps; e.g. 10Mbps)", s)
	}
	if unit == "" {
		return 0, fmt.Errorf("%q needs a unit (e.g. %sMbps)", s, num)
	}
	scale, known := rateUnits[unit]
	if !known {
		return 0, fmt.Errorf("%q: unknown unit %q (use bps, Kbps, Mbps or Gbps)", s, unit)
	}
	v, err := scaleDecimal(num, scale)
	switch {
	case errors.Is(err, errFraction):
		return 0, fmt.Errorf("%q is not a whole number of bits per second", s)
	case err != nil:
		return 0, fmt.Errorf("%q is too large for a rate", s)
	}
	return Rate(v), nil
}

// Probability is a number in [0, 1]. YAML also accepts a percentage,
// "0.5%" for 0.005.
type Probability float64

// String returns the shortest text that parses back to p.
func (p Probability) String() string { return strconv.FormatFloat(float64(p), 'g', -1, 64) }

// UnmarshalYAML parses a probability scalar.
func (p *Probability) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalarText(n, "a probability (e.g. 0.01)")
	if err != nil {
		return err
	}
	v, err := ParseProbability(s)
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// MarshalYAML writes p as a plain number.
func (p Probability) MarshalYAML() (any, error) { return float64(p), nil }

// ParseProbability parses the YAML text of a probability.
func ParseProbability(s string) (Probability, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	t = strings.TrimSpace(strings.TrimSuffix(t, "%"))
	if !bareNumber.MatchString(t) {
		return 0, fmt.Errorf("%q is not a probability (a number in [0, 1], e.g. 0.01, or a percentage, e.g. 1%%)", s)
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a probability (a number in [0, 1])", s)
	}
	if pct {
		v /= 100
	}
	if v < 0 || v > 1 {
		return 0, fmt.Errorf("%s is not a probability: out of range 0..1", strings.TrimSpace(s))
	}
	if v == 0 {
		v = 0 // no negative zero
	}
	return Probability(v), nil
}

// QueueSize is a drop-tail queue limit: either bytes ("256KB") or packets
// ("100 packets"). The zero value, written "0", means unlimited.
type QueueSize struct {
	Bytes   Size  // limit in bytes; 0 when Packets is set or the queue is unlimited
	Packets int64 // limit in packets; 0 when Bytes is set or the queue is unlimited
}

// Unlimited reports whether q sets no limit.
func (q QueueSize) Unlimited() bool { return q.Bytes == 0 && q.Packets == 0 }

// String returns the canonical text: "100 packets", "1 packet", "256KB".
func (q QueueSize) String() string {
	switch {
	case q.Packets == 1:
		return "1 packet"
	case q.Packets != 0:
		return strconv.FormatInt(q.Packets, 10) + " packets"
	}
	return q.Bytes.String()
}

// UnmarshalYAML parses a queue size scalar.
func (q *QueueSize) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalarText(n, "a queue size (e.g. 256KB or 100 packets)")
	if err != nil {
		return err
	}
	v, err := ParseQueueSize(s)
	if err != nil {
		return err
	}
	*q = v
	return nil
}

// MarshalYAML writes the canonical text.
func (q QueueSize) MarshalYAML() (any, error) {
	if q.Packets == 0 {
		return q.Bytes.MarshalYAML()
	}
	return q.String(), nil
}

var packetsRE = regexp.MustCompile(`^\s*([0-9]+)\s*packets?\s*$`)

// ParseQueueSize parses the YAML text of a queue size.
func ParseQueueSize(s string) (QueueSize, error) {
	if m := packetsRE.FindStringSubmatch(s); m != nil {
		v, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			return QueueSize{}, fmt.Errorf("%q is too many packets", s)
		}
		return QueueSize{Packets: v}, nil
	}
	v, err := ParseSize(s)
	if err != nil {
		return QueueSize{}, fmt.Errorf("%s, or a packet count (e.g. 100 packets)", err)
	}
	return QueueSize{Bytes: v}, nil
}

// bareNumber matches a plain decimal number with no unit.
var bareNumber = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// numberUnit splits "1.5 KiB" into "1.5" and "KiB".
var numberUnit = regexp.MustCompile(`^\s*([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)\s*$`)

func splitNumberUnit(s string) (num, unit string, ok bool) {
	m := numberUnit.FindStringSubmatch(s)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

var (
	errFraction = errors.New("not a whole number")
	errRange    = errors.New("too large")
)

// scaleDecimal returns num*scale exactly, where num is a decimal number
// matched by numberUnit. It fails with errFraction when the result is not
// an integer and errRange when it does not fit an int64. Exponents are
// bounded so that a hostile input cannot ask for a huge power of ten.
func scaleDecimal(num string, scale int64) (int64, error) {
	neg := false
	switch {
	case strings.HasPrefix(num, "-"):
		neg, num = true, num[1:]
	case strings.HasPrefix(num, "+"):
		num = num[1:]
	}
	exp := 0
	if i := strings.IndexAny(num, "eE"); i >= 0 {
		e, err := strconv.Atoi(num[i+1:])
		if err != nil || e > 40 || e < -40 {
			return 0, errRange
		}
		exp, num = e, num[:i]
	}
	intPart, frac, _ := strings.Cut(num, ".")
	digits := strings.TrimLeft(intPart+frac, "0")
	if len(digits) > 60 {
		return 0, errRange
	}
	exp -= len(frac)
	m := new(big.Int)
	if digits != "" {
		m.SetString(digits, 10)
	}
	m.Mul(m, big.NewInt(scale))
	ten := big.NewInt(10)
	if exp > 0 {
		m.Mul(m, new(big.Int).Exp(ten, big.NewInt(int64(exp)), nil))
	} else if exp < 0 {
		var r big.Int
		m.QuoRem(m, new(big.Int).Exp(ten, big.NewInt(int64(-exp)), nil), &r)
		if r.Sign() != 0 {
			return 0, errFraction
		}
	}
	if neg {
		m.Neg(m)
	}
	if !m.IsInt64() {
		return 0, errRange
	}
	return m.Int64(), nil
}

// splitSign returns the sign prefix and magnitude of v, also for MinInt64.
func splitSign(v int64) (string, uint64) {
	if v < 0 {
		return "-", uint64(-(v + 1)) + 1
	}
	return "", uint64(v)
}

// scalarText returns the text of a scalar node, or an error naming what
// was expected when n is missing, null or a collection.
func scalarText(n *yaml.Node, want string) (string, error) {
	if n == nil || isNull(n) {
		return "", fmt.Errorf("missing value: want %s", want)
	}
	if n.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("want %s, got %s", want, kindName(n))
	}
	return n.Value, nil
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		if isNull(n) {
			return "nothing"
		}
		return strconv.Quote(n.Value)
	}
	return "nothing"
}
