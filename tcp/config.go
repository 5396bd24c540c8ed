package tcp

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// IdleRestart selects how the window restarts after an idle period.
type IdleRestart uint8

// Restart-after-idle modes (RFC 5681 section 4.1; Linux tcp_cwnd_restart).
const (
	// RestartRFC5681 sets cwnd = min(cwnd, IW) once the sender has sent no
	// data for longer than the RTO.
	RestartRFC5681 IdleRestart = iota
	// RestartLinux halves cwnd once for every whole RTO by which the idle
	// time exceeds the RTO (idle in (RTO, 2 RTO]: once; (2 RTO, 3 RTO]:
	// twice; ...), down to min(cwnd, IW), and keeps ssthresh at least 3/4
	// of the old cwnd.
	RestartLinux
)

// String names the mode as in the experiment format.
func (m IdleRestart) String() string {
	if m == RestartLinux {
		return "linux"
	}
	return "rfc5681"
}

// RecoveryMode selects the loss-recovery machinery.
type RecoveryMode uint8

// Loss-recovery modes.
const (
	// RecoverySACK is Linux's: SACK and D-SACK (RFC 2018, 2883) with a
	// scoreboard, RACK loss detection and Tail Loss Probe (RFC 8985),
	// Proportional Rate Reduction (RFC 6937), and after a timeout the
	// retransmission of what the scoreboard says is lost.
	RecoverySACK RecoveryMode = iota
	// RecoveryNewReno is the textbook sender without SACK: three
	// duplicate ACKs, NewReno fast recovery with window inflation (RFC
	// 5681, RFC 6582, Impatient variant), go-back-N after a timeout.
	RecoveryNewReno
)

// String names the mode as in the experiment format.
func (r RecoveryMode) String() string {
	if r == RecoveryNewReno {
		return "newreno"
	}
	return "sack"
}

// Counting selects the unit in which the congestion window is counted.
type Counting uint8

// Window-counting modes.
const (
	// CountPackets is Linux's: cwnd is a number of segments; slow start
	// adds one segment per segment acknowledged whatever its size, and
	// the send test counts segments in flight (tcp_slow_start,
	// tcp_cong_avoid_ai, tcp_cwnd_test).
	CountPackets Counting = iota
	// CountBytes is RFC 5681 with appropriate byte counting (RFC 3465,
	// L = 2): cwnd in bytes, grown by the bytes acknowledged, and the
	// send test counts bytes in flight.
	CountBytes
)

// String names the mode as in the experiment format.
func (m Counting) String() string {
	if m == CountBytes {
		return "bytes"
	}
	return "packets"
}

// RTOEstimator selects how the retransmission timeout is computed.
type RTOEstimator uint8

// RTO estimators.
const (
	// RTOLinux is Linux's tcp_rtt_estimator and tcp_set_rto: RTO = SRTT
	// + rttvar, where rttvar tracks the largest mean deviation (times 4)
	// over the last window of data and is floored at MinRTO. The floor
	// applies to the variance term, not the whole RTO: a 20 ms path's
	// RTO is about 224 ms.
	RTOLinux RTOEstimator = iota
	// RTORFC6298 is RFC 6298 2.3: SRTT + max(G, 4 RTTVAR), the whole RTO
	// clamped to [MinRTO, MaxRTO].
	RTORFC6298
)

// String names the estimator as in the experiment format.
func (e RTOEstimator) String() string {
	if e == RTORFC6298 {
		return "rfc6298"
	}
	return "linux"
}

// TimestampOptionBytes is the size of the timestamp option with its
// padding (RFC 7323: 10 bytes, aligned to 12 with two NOPs).
const TimestampOptionBytes = 12

// Config holds the settings of one connection. The zero value of a field
// means the default given in its comment; DefaultConfig fills them in.
type Config struct {
	// MSS is the maximum segment size announced in the SYN (RFC 9293
	// 3.7.1, RFC 6691): payload bytes per segment when no option is in
	// use. Options in every segment come out of it: with timestamps a
	// full segment carries MSS - 12 bytes (1448 of 1460), as in Linux.
	// Default 1460.
	MSS           Bytes
	HeaderBytes   Bytes // fixed TCP/IP header bytes per packet, options not included; default 40
	InitialWindow int   // segments; 0 = RFC 6928: min(10*SMSS, max(2*SMSS, 14600)) bytes

	// CC is the congestion control, a name in the registry
	// ([RegisterCongestionControl]): "newreno" (default) or "cubic".
	CC string
	// NewCC, when set, builds the congestion control instead of CC:
	// congestion control pluggable from Go.
	NewCC func(CCConfig) CongestionControl
	// HyStart makes CUBIC leave slow start before a loss, as Linux does
	// (hybrid slow start: ACK trains and delay increase). Default on.
	HyStart bool

	Recovery     RecoveryMode // default RecoverySACK (Linux)
	CwndCounting Counting     // default CountPackets (Linux)
	RTOEstimator RTOEstimator // default RTOLinux
	// Timestamps is the RFC 7323 option: 12 bytes in every segment, RTT
	// samples from echoed timestamps, and Eifel detection of spurious
	// retransmissions. Off: RTT by Karn's rule, undo by D-SACK and F-RTO
	// only. Default on (Linux).
	Timestamps bool
	// Undo restores cwnd and ssthresh after a retransmission proves
	// spurious (Eifel RFC 3522/4015 with timestamps, F-RTO RFC 5682,
	// D-SACK RFC 3708), as Linux does. Default on; only with SACK
	// recovery.
	Undo bool
	// TLP sends a tail loss probe (RFC 8985 7) two smoothed RTTs after
	// the last transmission when the sender is otherwise idle. Default
	// on; only with SACK recovery.
	TLP bool
	// QuickAck is Linux's receiver: an ACK for every segment in quick-ACK
	// mode (at the start of a connection, after a quiet period longer
	// than the RTO, and while the receive window grows), delayed ACKs in
	// interactive (ping-pong) mode. Off: the RFC 1122 rule alone. Default
	// on; only with DelayedAck.
	QuickAck bool

	DelayedAck        bool          // ACK every second full segment or after DelayedAckTimeout
	DelayedAckTimeout time.Duration // default 40ms (Linux's minimum; RFC 1122 bounds it at 500ms)
	Nagle             bool          // RFC 896: hold small segments while data is unacknowledged

	SlowStartAfterIdle bool        // restart the window after an idle period (Linux tcp_slow_start_after_idle)
	IdleRestart        IdleRestart // how

	// TimerTick is the kernel clock's tick (a jiffy) in which Linux counts
	// its RTO and its loss-probe and reordering timeouts, each rounded up
	// to whole ticks (usecs_to_jiffies) after adding their 2 ms floor
	// (TCP_TIMEOUT_MIN_US, Linux 6.6 and later). Default 4 ms: HZ = 250,
	// the reference kernel's (every RTO it reports is a multiple of 4 ms)
	// and Debian's and Ubuntu's default.
	// The RFC 6298 estimator ignores it.
	TimerTick time.Duration

	InitialRTO time.Duration // default 1s (RFC 6298)
	MinRTO     time.Duration // default 200ms (Linux)
	MaxRTO     time.Duration // default 120s (Linux TCP_RTO_MAX)

	ReceiveWindow Bytes // advertised receive window; default 4 MiB

	SynRetries int // SYN retransmissions before giving up; default 6 (Linux tcp_syn_retries)
	MaxRetries int // data retransmission timeouts in a row before giving up; default 15 (Linux tcp_retries2)

	// SendLowWater is the unsent-bytes level at or below which a
	// SendSpacer handler is told it may write more; default 16 KiB.
	SendLowWater Bytes

	// TraceCwnd records every change of cwnd and ssthresh in Stats.
	TraceCwnd bool
}

// DefaultConfig returns the reference settings (the tcp defaults of
// docs/experiment-format.md): MSS 1460,
// IW 10, NewReno, delayed ACKs, Nagle off, RFC 5681 restart after idle,
// RTO 1s initial and 200ms minimum, 4 MiB receive window; and Linux's loss
// recovery and window accounting: timestamps, SACK with RACK, TLP and
// PRR, undo of spurious retransmissions, cwnd in packets, Linux's RTO
// estimator, quick ACKs and, for CUBIC, HyStart.
func DefaultConfig() Config {
	return Config{
		MSS:                1460,
		HeaderBytes:        40,
		CC:                 "newreno",
		HyStart:            true,
		Timestamps:         true,
		Undo:               true,
		TLP:                true,
		QuickAck:           true,
		DelayedAck:         true,
		DelayedAckTimeout:  40 * time.Millisecond,
		SlowStartAfterIdle: true,
		IdleRestart:        RestartRFC5681,
		TimerTick:          4 * time.Millisecond,
		InitialRTO:         time.Second,
		MinRTO:             200 * time.Millisecond,
		MaxRTO:             120 * time.Second,
		ReceiveWindow:      4 << 20,
		SynRetries:         6,
		MaxRetries:         15,
		SendLowWater:       16 << 10,
	}
}

// TextbookConfig returns DefaultConfig with the textbook sender of RFC
// 5681 in place of Linux's: no timestamps, no SACK (NewReno recovery and
// go-back-N after a timeout), no undo, no TLP, byte counting, the RFC 6298
// estimator, the plain delayed-ACK rule and no HyStart. Tests that pin
// round-trip arithmetic against the RFCs start from it.
func TextbookConfig() Config {
	c := DefaultConfig()
	c.HyStart = false
	c.Timestamps = false
	c.Undo = false
	c.TLP = false
	c.QuickAck = false
	c.Recovery = RecoveryNewReno
	c.CwndCounting = CountBytes
	c.RTOEstimator = RTORFC6298
	return c
}

// SMSS returns the payload bytes of a full segment: MSS less the option
// bytes every segment carries (RFC 6691; 1448 for an MSS of 1460 with
// timestamps).
func (c Config) SMSS() Bytes {
	mss := c.MSS
	if mss == 0 {
		mss = DefaultConfig().MSS
	}
	if c.Timestamps {
		mss -= TimestampOptionBytes
	}
	return mss
}

// withDefaults fills zero fields with their defaults.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.MSS == 0 {
		c.MSS = d.MSS
	}
	if c.HeaderBytes == 0 {
		c.HeaderBytes = d.HeaderBytes
	}
	if c.CC == "" {
		c.CC = d.CC
	}
	if c.DelayedAckTimeout == 0 {
		c.DelayedAckTimeout = d.DelayedAckTimeout
	}
	if c.InitialRTO == 0 {
		c.InitialRTO = d.InitialRTO
	}
	if c.TimerTick == 0 {
		c.TimerTick = d.TimerTick
	}
	if c.MinRTO == 0 {
		c.MinRTO = d.MinRTO
	}
	if c.MaxRTO == 0 {
		c.MaxRTO = d.MaxRTO
	}
	if c.ReceiveWindow == 0 {
		c.ReceiveWindow = d.ReceiveWindow
	}
	if c.SynRetries == 0 {
		c.SynRetries = d.SynRetries
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = d.MaxRetries
	}
	if c.SendLowWater == 0 {
		c.SendLowWater = d.SendLowWater
	}
	return c
}

// InitialWindowBytes returns the initial window in bytes: InitialWindow
// segments when set, else RFC 6928's min(10*SMSS, max(2*SMSS, 14600)).
// With packet counting the window is a whole number of segments: 10.
func (c Config) InitialWindowBytes() Bytes {
	mss := c.SMSS()
	if c.InitialWindow > 0 {
		return Bytes(c.InitialWindow) * mss
	}
	w := min(10*mss, max(2*mss, 14600))
	if c.CwndCounting == CountPackets {
		w = w / mss * mss
	}
	return w
}

// ccConfig is what the congestion control of this connection is built
// with.
func (c Config) ccConfig() CCConfig {
	return CCConfig{MSS: c.SMSS(), InitialWindow: c.InitialWindowBytes(),
		Packets: c.CwndCounting == CountPackets, HyStart: c.HyStart}
}

// newCC builds the configured congestion controller.
func (c Config) newCC() (CongestionControl, error) {
	if c.NewCC != nil {
		return c.NewCC(c.ccConfig()), nil
	}
	mk, ok := ccRegistry[c.CC]
	if !ok {
		return nil, fmt.Errorf("tcp: unknown congestion control %q (want %s)", c.CC, strings.Join(CongestionControls(), " or "))
	}
	return mk(c.ccConfig()), nil
}

// Validate reports the first setting out of range, naming the field.
func (c Config) Validate() error {
	c = c.withDefaults()
	switch {
	case c.NewCC == nil && ccRegistry[c.CC] == nil:
		return fmt.Errorf("CC: unknown congestion control %q (want %s)", c.CC, strings.Join(CongestionControls(), " or "))
	case c.SMSS() < 64:
		return fmt.Errorf("MSS: %d leaves %d payload bytes per segment; want at least 64", c.MSS, c.SMSS())
	case c.MSS > math.MaxUint16:
		// The MSS option is 16 bits (RFC 9293 3.7.1), and packets
		// carry offsets in the payload in as many (link.Packet.LastEnd).
		return fmt.Errorf("MSS: %d does not fit the 16-bit MSS option", c.MSS)
	case c.MinRTO > c.MaxRTO:
		return fmt.Errorf("MinRTO: %v above MaxRTO %v", c.MinRTO, c.MaxRTO)
	case c.MinRTO > c.InitialRTO:
		// The first RTO (RFC 6298 2.1) cannot be shorter than the floor
		// every later one has.
		return fmt.Errorf("MinRTO: %v is above InitialRTO %v", c.MinRTO, c.InitialRTO)
	case c.ReceiveWindow < c.MSS:
		// A window that cannot hold one full segment stalls the sender.
		return fmt.Errorf("ReceiveWindow: %d bytes is smaller than MSS %d", c.ReceiveWindow, c.MSS)
	case c.Recovery > RecoveryNewReno:
		return fmt.Errorf("Recovery: unknown mode %d", c.Recovery)
	case c.CwndCounting > CountBytes:
		return fmt.Errorf("CwndCounting: unknown mode %d", c.CwndCounting)
	case c.RTOEstimator > RTORFC6298:
		return fmt.Errorf("RTOEstimator: unknown estimator %d", c.RTOEstimator)
	}
	return nil
}

// ccRegistry maps the names of the experiment format's tcp.cc to
// constructors.
var ccRegistry = map[string]func(CCConfig) CongestionControl{
	"newreno": func(c CCConfig) CongestionControl { return NewReno(c) },
	"reno":    func(c CCConfig) CongestionControl { return NewReno(c) },
	"cubic":   func(c CCConfig) CongestionControl { return NewCubic(c) },
}

// RegisterCongestionControl makes a congestion control available by name
// (Config.CC, and tcp.cc in an experiment file). Call it from an init
// function: the registry is not safe for concurrent registration.
func RegisterCongestionControl(name string, mk func(CCConfig) CongestionControl) {
	ccRegistry[name] = mk
}

// CongestionControls returns the registered names, sorted.
func CongestionControls() []string {
	names := make([]string, 0, len(ccRegistry))
	for n := range ccRegistry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
