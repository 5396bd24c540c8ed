package main

import (
	"io"
	"net"
	"strings"
	"testing"
)

// TestServeDefaultsToLoopback (audit of issue 14): without flags the
// playground listens on a loopback address, which checkLoopback accepts
// without --allow-remote, and the help says so.
func TestServeDefaultsToLoopback(t *testing.T) {
	fs, addr, remote := serveFlags(io.Discard)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if *remote {
		t.Error("--allow-remote is on by default")
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		t.Fatal(err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		t.Errorf("default address %s is not a loopback IP", *addr)
	}
	if err := checkLoopback(*addr, false); err != nil {
		t.Errorf("the default address is refused: %v", err)
	}
	if !strings.Contains(serveHelp, "default "+*addr) {
		t.Errorf("the help does not give the default %s", *addr)
	}
}
