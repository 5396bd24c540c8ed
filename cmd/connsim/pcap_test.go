package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPagePcap writes a page load's capture with --pcap: pcapng, or pcap
// for a .pcap name (by the file's magic number), the same bytes twice;
// bad uses of the flags exit 2 naming the flag.
func TestPagePcap(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		file  string
		magic []byte
		extra []string
	}{
		{"a.pcapng", []byte{0x0a, 0x0d, 0x0d, 0x0a}, nil},
		{"b.pcap", []byte{0x4d, 0x3c, 0xb2, 0xa1}, []string{"--pcap-vantage", "bottleneck"}},
	} {
		p := filepath.Join(dir, c.file)
		var got [2][]byte
		for i := range got {
			args := append([]string{"page", "--objects", "3x5KB", "--pcap", p}, c.extra...)
			if code, _, stderr := runCLI(t, args...); code != exitOK {
				t.Fatalf("%v: exit %d: %s", args, code, stderr)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			got[i] = b
		}
		if !bytes.HasPrefix(got[0], c.magic) || len(got[0]) < 1000 {
			t.Errorf("%s: %d bytes starting % x, want magic % x", c.file, len(got[0]), got[0][:min(4, len(got[0]))], c.magic)
		}
		if !bytes.Equal(got[0], got[1]) {
			t.Errorf("%s: two runs differ", c.file)
		}
	}
	for _, args := range [][]string{
		{"page", "--pcap-vantage", "server"},
		{"page", "--pcap", filepath.Join(dir, "c.pcapng"), "--pcap-vantage", "moon"},
	} {
		code, _, stderr := runCLI(t, args...)
		if code != exitBadUse || !strings.Contains(stderr, "--pcap") {
			t.Errorf("%v: exit %d, %q; want %d naming --pcap", args, code, stderr, exitBadUse)
		}
	}
}
