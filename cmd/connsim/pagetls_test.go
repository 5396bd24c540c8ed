package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestPageTLSFlags: --tls-resumption and --tls-0rtt reach the run (four
// short-lived TLS 1.3 connections at 100 ms: each resumed one with 0-RTT
// saves a round trip, 3 of the 4), and a 0-RTT without TLS 1.3 is refused
// naming the flag.
func TestPageTLSFlags(t *testing.T) {
	plt := func(args ...string) float64 {
		t.Helper()
		code, out, stderr := runCLI(t, append([]string{"page", "--model", "short-lived", "--tls", "tls13", "--objects", "3x5KB"}, args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		m := regexp.MustCompile(`plt_ms\s+([0-9.]+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no plt_ms in:\n%s", out)
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	full, early := plt(), plt("--tls-resumption", "true", "--tls-0rtt", "true")
	if got := (full - early) / 100; got < 2.9 || got > 3.1 {
		t.Errorf("PLT %.1f ms full, %.1f ms with 0-RTT: %.2f round trips saved, want 3", full, early, got)
	}
	code, _, stderr := runCLI(t, "page", "--tls", "tls12", "--tls-0rtt", "true")
	if code != 2 || !strings.Contains(stderr, "--tls-0rtt") {
		t.Errorf("exit %d, stderr %q: want 2 naming --tls-0rtt", code, stderr)
	}
}
