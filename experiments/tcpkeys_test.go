package experiments

import (
	"reflect"
	"strings"
	"testing"

	"github.com/connsim/connsim/tcp"
)

// The loss-recovery and window-accounting keys of tcp (issue 9):
// recovery, cwnd_counting, rto_estimator, timestamps, undo, tlp,
// quick_ack, hystart.

// TestLoadTCPRecoveryKeysDefaults checks that a file without the keys gets
// Linux's settings, the same as tcp.DefaultConfig.
func TestLoadTCPRecoveryKeysDefaults(t *testing.T) {
	s := mustLoad(t, "name: x\n")
	want := TCPSpec{
		Recovery: "sack", CwndCounting: "packets", RTOEstimator: "linux",
		Timestamps: true, Undo: true, TLP: true, QuickACK: true, HyStart: true,
	}
	got := s.TCP
	got = TCPSpec{
		Recovery: got.Recovery, CwndCounting: got.CwndCounting, RTOEstimator: got.RTOEstimator,
		Timestamps: got.Timestamps, Undo: got.Undo, TLP: got.TLP, QuickACK: got.QuickACK, HyStart: got.HyStart,
	}
	if got != want {
		t.Errorf("defaults: got %+v, want %+v", got, want)
	}
	// An empty tcp section keeps them too.
	if e := mustLoad(t, "name: x\ntcp:\n").TCP; e != s.TCP {
		t.Errorf("empty tcp section: got %+v, want %+v", e, s.TCP)
	}
	// The default spec maps to tcp.DefaultConfig, field for field (the
	// spec's initial_window 10 is what RFC 6928 gives for MSS 1460).
	cfg, err := ModelConfig(s, s.Models[0])
	if err != nil {
		t.Fatal(err)
	}
	d := tcp.DefaultConfig()
	d.InitialWindow = 10
	if !reflect.DeepEqual(cfg.TCP, d) {
		t.Errorf("default spec's tcp.Config:\n got %+v\nwant %+v", cfg.TCP, d)
	}
}

// TestLoadTCPRecoveryKeys loads every value of every key, in the
// spellings users write.
func TestLoadTCPRecoveryKeys(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		get  func(TCPSpec) any
		want any
	}{
		{"recovery: sack", func(t TCPSpec) any { return t.Recovery }, "sack"},
		{"recovery: newreno", func(t TCPSpec) any { return t.Recovery }, "newreno"},
		{"recovery: NewReno", func(t TCPSpec) any { return t.Recovery }, "newreno"},
		{"recovery: SACK", func(t TCPSpec) any { return t.Recovery }, "sack"},
		{"cwnd_counting: packets", func(t TCPSpec) any { return t.CwndCounting }, "packets"},
		{"cwnd_counting: bytes", func(t TCPSpec) any { return t.CwndCounting }, "bytes"},
		{"cwnd_counting: Bytes", func(t TCPSpec) any { return t.CwndCounting }, "bytes"},
		{"rto_estimator: linux", func(t TCPSpec) any { return t.RTOEstimator }, "linux"},
		{"rto_estimator: rfc6298", func(t TCPSpec) any { return t.RTOEstimator }, "rfc6298"},
		{"rto_estimator: RFC6298", func(t TCPSpec) any { return t.RTOEstimator }, "rfc6298"},
		{"timestamps: false", func(t TCPSpec) any { return t.Timestamps }, false},
		{"timestamps: true", func(t TCPSpec) any { return t.Timestamps }, true},
		{"timestamps: off", func(t TCPSpec) any { return t.Timestamps }, false},
		{"undo: false", func(t TCPSpec) any { return t.Undo }, false},
		{"undo: no", func(t TCPSpec) any { return t.Undo }, false},
		{"undo: yes", func(t TCPSpec) any { return t.Undo }, true},
		{"tlp: false", func(t TCPSpec) any { return t.TLP }, false},
		{"tlp: On", func(t TCPSpec) any { return t.TLP }, true},
		{"quick_ack: false", func(t TCPSpec) any { return t.QuickACK }, false},
		{"quick_ack: true", func(t TCPSpec) any { return t.QuickACK }, true},
		{"hystart: false", func(t TCPSpec) any { return t.HyStart }, false},
		{"hystart: true", func(t TCPSpec) any { return t.HyStart }, true},
	} {
		s := mustLoad(t, "name: x\ntcp:\n  "+tc.yaml+"\n")
		if got := tc.get(s.TCP); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.yaml, got, tc.want)
		}
	}
}

// TestLoadTCPRecoveryKeysErrors checks that a bad value is reported at its
// file, line and column with the key's path and the accepted values.
func TestLoadTCPRecoveryKeysErrors(t *testing.T) {
	for _, tc := range []struct {
		spec, want string
	}{
		{"name: x\ntcp:\n  recovery: reno\n", `test.yaml:3:13: tcp.recovery: "reno" is not allowed (use sack or newreno)`},
		{"name: x\ntcp:\n  recovery: rack\n", `test.yaml:3:13: tcp.recovery: "rack" is not allowed (use sack or newreno)`},
		{"name: x\ntcp:\n  recovery: [sack]\n", `test.yaml:3:13: tcp.recovery: want text, got a list`},
		{"name: x\ntcp:\n  recovery:\n", `test.yaml:3:12: tcp.recovery: missing value: want text`},
		{"name: x\ntcp:\n  cwnd_counting: segments\n", `test.yaml:3:18: tcp.cwnd_counting: "segments" is not allowed (use packets or bytes)`},
		{"name: x\ntcp:\n  rto_estimator: rfc2988\n", `test.yaml:3:18: tcp.rto_estimator: "rfc2988" is not allowed (use linux or rfc6298)`},
		{"name: x\ntcp: {timestamps: 1}\n", `test.yaml:2:19: tcp.timestamps: "1" is not true or false`},
		{"name: x\ntcp:\n  undo: maybe\n", `test.yaml:3:9: tcp.undo: "maybe" is not true or false`},
		{"name: x\ntcp:\n  tlp: sack\n", `test.yaml:3:8: tcp.tlp: "sack" is not true or false`},
		{"name: x\ntcp:\n  quick_ack: {on: true}\n", `test.yaml:3:14: tcp.quick_ack: want true or false, got a mapping`},
		{"name: x\ntcp:\n  hystart: cubic\n", `test.yaml:3:12: tcp.hystart: "cubic" is not true or false`},
		{"name: x\ntcp:\n  undo: true\n  undo: false\n", `test.yaml:4:3: tcp.undo: duplicate key (first given at line 3)`},
		{"name: x\ntcp:\n  hystar: true\n", `test.yaml:3:3: tcp.hystar: unknown key (known: cc, mss, initial_window, delayed_ack, delayed_ack_timeout, nagle, slow_start_after_idle, idle_restart, initial_rto, min_rto, receive_window, recovery, cwnd_counting, rto_estimator, timestamps, undo, tlp, quick_ack, hystart); did you mean hystart?`},
	} {
		if got := loadErr(t, tc.spec); got != tc.want {
			t.Errorf("spec %q:\n got %s\nwant %s", tc.spec, got, tc.want)
		}
	}
	// Every problem at once, each at its own line.
	got := loadErr(t, "name: x\ntcp:\n  recovery: fast\n  undo: 2\n  hystart: maybe\n")
	want := strings.Join([]string{
		`test.yaml:3:13: tcp.recovery: "fast" is not allowed (use sack or newreno)`,
		`test.yaml:4:9: tcp.undo: "2" is not true or false`,
		`test.yaml:5:12: tcp.hystart: "maybe" is not true or false`,
	}, "\n")
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestModelConfigTCPRecoveryKeys maps each key to its tcp.Config field.
func TestModelConfigTCPRecoveryKeys(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		edit func(*tcp.Config) // applied to the default spec's config
	}{
		{"{}", func(*tcp.Config) {}},
		{"{recovery: sack}", func(*tcp.Config) {}},
		{"{recovery: newreno}", func(c *tcp.Config) { c.Recovery = tcp.RecoveryNewReno }},
		{"{cwnd_counting: packets}", func(*tcp.Config) {}},
		{"{cwnd_counting: bytes}", func(c *tcp.Config) { c.CwndCounting = tcp.CountBytes }},
		{"{rto_estimator: linux}", func(*tcp.Config) {}},
		{"{rto_estimator: rfc6298}", func(c *tcp.Config) { c.RTOEstimator = tcp.RTORFC6298 }},
		{"{timestamps: false}", func(c *tcp.Config) { c.Timestamps = false }},
		{"{undo: false}", func(c *tcp.Config) { c.Undo = false }},
		{"{tlp: false}", func(c *tcp.Config) { c.TLP = false }},
		{"{quick_ack: false}", func(c *tcp.Config) { c.QuickAck = false }},
		{"{hystart: false}", func(c *tcp.Config) { c.HyStart = false }},
		{"{cc: cubic, hystart: false}", func(c *tcp.Config) { c.CC = "cubic"; c.HyStart = false }},
		{"{recovery: newreno, undo: false, tlp: false}", func(c *tcp.Config) {
			c.Recovery, c.Undo, c.TLP = tcp.RecoveryNewReno, false, false
		}},
		// The ignored combinations are still passed on as written; the
		// tcp package ignores them.
		{"{recovery: newreno, undo: true, tlp: true}", func(c *tcp.Config) { c.Recovery = tcp.RecoveryNewReno }},
		{"{cc: newreno, hystart: true}", func(*tcp.Config) {}},
		{"{delayed_ack: false, quick_ack: true}", func(c *tcp.Config) { c.DelayedAck = false }},
		// The textbook sender, key by key, is tcp.TextbookConfig.
		{"{recovery: newreno, cwnd_counting: bytes, rto_estimator: rfc6298, timestamps: false, undo: false, tlp: false, quick_ack: false, hystart: false}",
			func(c *tcp.Config) { *c = tcp.TextbookConfig(); c.InitialWindow = 10 }},
	} {
		s := mustLoad(t, "name: x\ntcp: "+tc.yaml+"\n")
		got, err := ModelConfig(s, s.Models[0])
		if err != nil {
			t.Fatalf("%s: %v", tc.yaml, err)
		}
		want := tcp.DefaultConfig()
		want.InitialWindow = 10
		tc.edit(&want)
		if !reflect.DeepEqual(got.TCP, want) {
			t.Errorf("tcp: %s:\n got %+v\nwant %+v", tc.yaml, got.TCP, want)
		}
		if err := got.TCP.Validate(); err != nil {
			t.Errorf("tcp: %s: %v", tc.yaml, err)
		}
	}
}

// TestSweepTCPRecoveryKeys sweeps tcp.recovery and tcp.undo like any key:
// the cartesian product, text values numbered by index, booleans 1 and 0,
// each point's config mapped, and every run simulated without error.
func TestSweepTCPRecoveryKeys(t *testing.T) {
	s := mustLoad(t, `name: x
network: {rtt: 20ms, bandwidth: 1.5Mbps, queue: 16 packets}
page: {html: 10KB, objects: [{size: 10KB, count: 10}]}
sweep:
  tcp.recovery: [sack, newreno]
  tcp.undo: [true, false]
`)
	pts, err := s.Points()
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		recovery string
		undo     bool
		axes     []AxisValue
		rec      tcp.RecoveryMode
	}
	wants := []want{
		{"sack", true, []AxisValue{{Key: "tcp.recovery", Value: 0, Text: "sack", Unit: KeyUnit("tcp.recovery")}, {Key: "tcp.undo", Value: 1, Text: "true", Unit: KeyUnit("tcp.undo")}}, tcp.RecoverySACK},
		{"sack", false, []AxisValue{{Key: "tcp.recovery", Value: 0, Text: "sack", Unit: KeyUnit("tcp.recovery")}, {Key: "tcp.undo", Value: 0, Text: "false", Unit: KeyUnit("tcp.undo")}}, tcp.RecoverySACK},
		{"newreno", true, []AxisValue{{Key: "tcp.recovery", Value: 1, Text: "newreno", Unit: KeyUnit("tcp.recovery")}, {Key: "tcp.undo", Value: 1, Text: "true", Unit: KeyUnit("tcp.undo")}}, tcp.RecoveryNewReno},
		{"newreno", false, []AxisValue{{Key: "tcp.recovery", Value: 1, Text: "newreno", Unit: KeyUnit("tcp.recovery")}, {Key: "tcp.undo", Value: 0, Text: "false", Unit: KeyUnit("tcp.undo")}}, tcp.RecoveryNewReno},
	}
	if len(pts) != len(wants) {
		t.Fatalf("got %d points, want %d", len(pts), len(wants))
	}
	for i, w := range wants {
		p := pts[i]
		if p.Spec.TCP.Recovery != w.recovery || p.Spec.TCP.Undo != w.undo {
			t.Errorf("point %d: recovery %q undo %v, want %q %v", i, p.Spec.TCP.Recovery, p.Spec.TCP.Undo, w.recovery, w.undo)
		}
		if !reflect.DeepEqual(p.Axes, w.axes) {
			t.Errorf("point %d: axes %+v, want %+v", i, p.Axes, w.axes)
		}
		cfg, err := ModelConfig(p.Spec, p.Spec.Models[0])
		if err != nil {
			t.Fatal(err)
		}
		if cfg.TCP.Recovery != w.rec || cfg.TCP.Undo != w.undo {
			t.Errorf("point %d: tcp.Config Recovery %v Undo %v, want %v %v", i, cfg.TCP.Recovery, cfg.TCP.Undo, w.rec, w.undo)
		}
	}
	// The sweep survives the resolved YAML, text values quoted as text.
	out, err := s.MarshalResolved()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "tcp.recovery: [sack, newreno]") || !strings.Contains(string(out), "tcp.undo: [true, false]") {
		t.Errorf("resolved sweep:\n%s", out)
	}
	back, err := Load("resolved.yaml", out)
	if err != nil {
		t.Fatal(err)
	}
	if !specsEqual(s, back) {
		t.Errorf("round trip changed the spec:\n got %+v\nwant %+v", back, s)
	}
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	for _, rc := range runs {
		if r := Run(rc, false); r.Row.Err != "" || !(r.Row.Metrics.PLTMS > 0) {
			t.Errorf("%s: err %q, plt %v ms", rc.ID, r.Row.Err, r.Row.Metrics.PLTMS)
		}
	}

	// A bad swept value is reported at its own line and column.
	got := loadErr(t, "name: x\nsweep:\n  tcp.recovery: [sack, reno]\n  tcp.hystart: [true, 2]\n")
	want2 := strings.Join([]string{
		`test.yaml:3:24: tcp.recovery: "reno" is not allowed (use sack or newreno)`,
		`test.yaml:4:23: tcp.hystart: "2" is not true or false`,
	}, "\n")
	if got != want2 {
		t.Errorf("got\n%s\nwant\n%s", got, want2)
	}
	// The same value twice is an error, for text and for booleans.
	got = loadErr(t, "name: x\nsweep:\n  tcp.timestamps: [on, true]\n")
	if !strings.Contains(got, "test.yaml:3:24: sweep.tcp.timestamps: true is the same value as on (item 1)") {
		t.Errorf("got %s, want the duplicate reported", got)
	}
}

// TestSweepTCPSectionKeepsRecoveryDefaults checks that sweeping the whole
// tcp section resets the new keys to their defaults unless the value sets
// them.
func TestSweepTCPSectionKeepsRecoveryDefaults(t *testing.T) {
	s := mustLoad(t, "name: x\ntcp: {recovery: newreno}\nsweep:\n  tcp: [{cc: cubic}, {cc: cubic, hystart: false, recovery: newreno}]\n")
	pts, err := s.Points()
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 {
		t.Fatalf("got %d points, want 2", len(pts))
	}
	if a := pts[0].Spec.TCP; a.Recovery != "sack" || !a.HyStart || a.CC != "cubic" {
		t.Errorf("point 0: got %+v, want cubic with the defaults (sack, hystart)", a)
	}
	if b := pts[1].Spec.TCP; b.Recovery != "newreno" || b.HyStart || b.CC != "cubic" {
		t.Errorf("point 1: got %+v, want cubic, newreno, no hystart", b)
	}
}
