package experiments

import (
	"errors"
	"strings"
	"testing"
)

// TestTLSKeysDefault checks that a file without the keys runs without
// resumption or 0-RTT, and that the resolved experiment.yaml does not
// write them (so existing outputs stay byte-identical).
func TestTLSKeysDefault(t *testing.T) {
	s := mustLoad(t, "name: x\ntls: tls13\n")
	cfg, err := ModelConfig(s, s.Models[0])
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TLSResumption || cfg.TLS0RTT {
		t.Errorf("default: resumption %v, 0-RTT %v; want both off", cfg.TLSResumption, cfg.TLS0RTT)
	}
	out, err := s.MarshalResolved()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "tls_") {
		t.Errorf("resolved spec writes a tls_ key it was not given:\n%s", out)
	}
	s = mustLoad(t, "name: x\ntls: tls13\ntls_resumption: true\ntls_0rtt: true\n")
	if out, _ := s.MarshalResolved(); !strings.Contains(string(out), "tls_resumption: true") || !strings.Contains(string(out), "tls_0rtt: true") {
		t.Errorf("resolved spec drops the keys it was given:\n%s", out)
	}
}

// TestTLSKeys checks what each combination runs as: the settings reach
// httpmodel only where they apply, and every run's configuration is
// valid. 0-RTT where it cannot apply is an error at the key when the
// file sets it, and ignored at the points of a sweep that crosses it.
func TestTLSKeys(t *testing.T) {
	for _, tc := range []struct {
		yaml    string
		resume  []bool // per run, in sweep order
		zero    []bool
		wantErr string
		errLine string // file:line:column of the error
	}{
		{yaml: "tls: tls12\ntls_resumption: true", resume: []bool{true}, zero: []bool{false}},
		{yaml: "tls: tls13\ntls_resumption: yes", resume: []bool{true}, zero: []bool{false}},
		{yaml: "tls: tls13\ntls_resumption: true\ntls_0rtt: true", resume: []bool{true}, zero: []bool{true}},
		{yaml: "tls: none\ntls_resumption: true", resume: []bool{false}, zero: []bool{false}},
		{yaml: "tls_resumption: true\nsweep: {tls: [none, tls12, tls13]}", resume: []bool{false, true, true}, zero: []bool{false, false, false}},
		{yaml: "tls_resumption: true\ntls_0rtt: true\nsweep: {tls: [none, tls12, tls13]}", resume: []bool{false, true, true}, zero: []bool{false, false, true}},
		{yaml: "tls: tls13\nsweep: {tls_resumption: [false, true], tls_0rtt: [false, true]}", resume: []bool{false, false, true, true}, zero: []bool{false, false, false, true}},
		{yaml: "tls: tls12\ntls_resumption: true\ntls_0rtt: true", wantErr: "tls_0rtt: needs tls: tls13", errLine: "test.yaml:4:11"},
		{yaml: "tls_resumption: true\ntls_0rtt: true", wantErr: "tls_0rtt: needs tls: tls13", errLine: "test.yaml:3:11"},
		{yaml: "tls: tls13\ntls_0rtt: true", wantErr: "tls_0rtt: needs tls_resumption: true", errLine: "test.yaml:3:11"},
		{yaml: "tls: tls13\ntls_resumption: false\ntls_0rtt: on", wantErr: "tls_0rtt: needs tls_resumption: true", errLine: "test.yaml:4:11"},
		{yaml: "tls_resumption: maybe", wantErr: "tls_resumption:", errLine: "test.yaml:2:17"},
		{yaml: "tls_0rtt: [true]", wantErr: "tls_0rtt:", errLine: "test.yaml:2:11"},
		{yaml: "tls: tls13\nsweep: {tls_0rtt: [1ms]}", wantErr: "tls_0rtt", errLine: "test.yaml:3:20"},
	} {
		t.Run(tc.yaml, func(t *testing.T) {
			text := "name: x\n" + tc.yaml + "\n"
			s, err := Load("test.yaml", []byte(text))
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("loaded, want an error %q", tc.wantErr)
				}
				var list ErrorList
				if !errors.As(err, &list) {
					t.Fatalf("error %T, want an ErrorList", err)
				}
				if got := err.Error(); !strings.Contains(got, tc.wantErr) || !strings.HasPrefix(got, tc.errLine+": ") {
					t.Errorf("error %q, want %q at %s", got, tc.wantErr, tc.errLine)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			runs, err := s.Runs()
			if err != nil {
				t.Fatal(err)
			}
			if len(runs) != len(tc.resume) {
				t.Fatalf("%d runs, want %d", len(runs), len(tc.resume))
			}
			for i, rc := range runs {
				cfg, err := ModelConfig(rc.Point.Spec, rc.Model)
				if err == nil {
					err = cfg.Validate()
				}
				if err != nil {
					t.Fatalf("run %s: %v", rc.ID, err)
				}
				if cfg.TLSResumption != tc.resume[i] || cfg.TLS0RTT != tc.zero[i] {
					t.Errorf("run %s: resumption %v, 0-RTT %v; want %v, %v", rc.ID, cfg.TLSResumption, cfg.TLS0RTT, tc.resume[i], tc.zero[i])
				}
			}
		})
	}
}

// FuzzTLSKeys writes arbitrary values for tls, tls_resumption and
// tls_0rtt, plain or swept. Load must never panic; an error names the
// file; a spec that loads expands into runs whose configurations
// httpmodel accepts (no 0-RTT without TLS 1.3 and resumption reaches it).
func FuzzTLSKeys(f *testing.F) {
	f.Add("tls13", "true", "true", false)
	f.Add("tls12", "true", "true", false)
	f.Add("none", "yes", "no", true)
	f.Add("[none, tls13]", "[false, true]", "[true]", true)
	f.Add("tls13", "{a: 1}", "\"true\"", false)
	f.Fuzz(func(t *testing.T, tls, resume, zero string, swept bool) {
		var text string
		if swept {
			text = "name: x\nsweep:\n  tls: " + tls + "\n  tls_resumption: " + resume + "\n  tls_0rtt: " + zero + "\n"
		} else {
			text = "name: x\ntls: " + tls + "\ntls_resumption: " + resume + "\ntls_0rtt: " + zero + "\n"
		}
		s, err := Load("fuzz.yaml", []byte(text))
		if err != nil {
			for _, l := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(l, "fuzz.yaml") {
					t.Fatalf("problem without the file name: %q", l)
				}
			}
			return
		}
		runs, err := s.Runs()
		if err != nil {
			return // too many runs, reported as such
		}
		for _, rc := range runs {
			cfg, err := ModelConfig(rc.Point.Spec, rc.Model)
			if err == nil {
				err = cfg.Validate()
			}
			if err != nil {
				t.Fatalf("run %s of a loaded spec: %v\n%s", rc.ID, err, text)
			}
		}
	})
}
