package tcp

import (
	"fmt"
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

// Config holds the settings of one connection. The zero value of a field
// means the default given in its comment; DefaultConfig fills them in.
type Config struct {
	MSS           Bytes // maximum segment size; default 1460
	HeaderBytes   Bytes // TCP/IP header bytes per packet; default 40
	InitialWindow int   // segments; 0 = RFC 6928: min(10*MSS, max(2*MSS, 14600)) bytes

	// CC is the congestion control: "newreno" (default) or "cubic".
	CC string
	// HyStart: CUBIC leaves slow start when HyStart finds the window has
	// filled the path (ACK train or delay increase; Linux's default). Set
	// by DefaultConfig; false gives textbook slow start up to the first
	// loss. Ignored by NewReno.
	HyStart bool

	DelayedAck        bool          // ACK every second full segment or after DelayedAckTimeout
	DelayedAckTimeout time.Duration // default 40ms (Linux's minimum; RFC 1122 bounds it at 500ms)
	Nagle             bool          // RFC 896: hold small segments while data is unacknowledged

	SlowStartAfterIdle bool        // restart the window after an idle period (Linux tcp_slow_start_after_idle)
	IdleRestart        IdleRestart // how

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

// DefaultConfig returns the reference settings of DESIGN.md: MSS 1460,
// IW 10, NewReno (HyStart on should CUBIC be chosen), delayed ACKs,
// Nagle off, RFC 5681 restart after idle, RTO 1s initial and 200ms
// minimum, 4 MiB receive window.
func DefaultConfig() Config {
	return Config{
		MSS:                1460,
		HeaderBytes:        40,
		CC:                 "newreno",
		HyStart:            true,
		DelayedAck:         true,
		DelayedAckTimeout:  40 * time.Millisecond,
		SlowStartAfterIdle: true,
		IdleRestart:        RestartRFC5681,
		InitialRTO:         time.Second,
		MinRTO:             200 * time.Millisecond,
		MaxRTO:             120 * time.Second,
		ReceiveWindow:      4 << 20,
		SynRetries:         6,
		MaxRetries:         15,
		SendLowWater:       16 << 10,
	}
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
// segments when set, else RFC 6928's min(10*MSS, max(2*MSS, 14600)).
func (c Config) InitialWindowBytes() Bytes {
	mss := c.MSS
	if mss == 0 {
		mss = DefaultConfig().MSS
	}
	if c.InitialWindow > 0 {
		return Bytes(c.InitialWindow) * mss
	}
	return min(10*mss, max(2*mss, 14600))
}

// newCC builds the configured congestion controller.
func (c Config) newCC() (CongestionControl, error) {
	cc := CCConfig{MSS: c.MSS, InitialWindow: c.InitialWindowBytes(), HyStart: c.HyStart}
	switch c.CC {
	case "newreno", "reno":
		return NewReno(cc), nil
	case "cubic":
		return NewCubic(cc), nil
	}
	return nil, fmt.Errorf("tcp: unknown congestion control %q (want newreno or cubic)", c.CC)
}
