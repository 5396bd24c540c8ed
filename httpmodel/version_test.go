package httpmodel

import (
	"fmt"
	"testing"
	"time"
)

// runWorld runs cfg like Run and returns the world, for tests that look
// at what each request carried on the wire.
func runWorld(t *testing.T, cfg Config, seed uint64) (*world, *Result) {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	w := build(cfg, seed)
	w.cl.startVisit()
	err := w.run()
	res := w.result()
	if err != nil {
		t.Fatalf("run: %v\n%s", err, describe(res))
	}
	answeredOnce(t, res)
	return w, res
}

// TestHTTPVersionBytes checks the connection-management headers each
// version puts on the wire (RFC 9112 9.3). RequestBytes (400) and
// ResponseHeaderBytes (300) are HTTP/1.1 messages: persistence is
// implicit, and short-lived's Connection: close and the server's
// Keep-Alive header are counted in them. HTTP/1.0 asks for persistence
// with Connection: keep-alive (24 bytes) on every request of the
// persistent models, and the server echoes it on every response after
// which it keeps the connection; short-lived sends nothing extra (close is
// HTTP/1.0's default). HTTP/2 (by prior knowledge) has no Connection
// header: a first HEADERS frame of 9 + 400 (9 + 300) bytes, later ones
// 9 + 80 (9 + 60). Page: HTML and three objects of 1000 bytes, fast path.
//
// With MaxRequests 2, the server's second response on a connection is the
// last: HTTP/1.1 says Connection: close (in the 300 bytes), HTTP/1.0 leaves
// out the keep-alive echo (300 bytes), and the client, seeing no
// keep-alive, closes and goes on on a new connection: c1 carries the HTML
// and #1, c2 #2 and #3 (one connection fewer would mean the close was
// missed).
//
// Metrics.Bytes differs between the versions by exactly the headers
// (same packets: every message fits its segments either way).
func TestHTTPVersionBytes(t *testing.T) {
	const ka = int64(connKeepAliveLen)
	cases := []struct {
		name        string
		kind        Kind
		maxRequests int
		conns       int
		req10       []int64 // request bytes by request index, HTTP/1.0
		resp10      []int64 // response header bytes by request index, HTTP/1.0
		req11       []int64
		resp11      []int64
	}{
		{"short-lived", ShortLived, 0, 4,
			[]int64{400, 400, 400, 400}, []int64{300, 300, 300, 300},
			[]int64{400, 400, 400, 400}, []int64{300, 300, 300, 300}},
		{"persistent", Persistent, 0, 1,
			[]int64{400 + ka, 400 + ka, 400 + ka, 400 + ka}, []int64{300 + ka, 300 + ka, 300 + ka, 300 + ka},
			[]int64{400, 400, 400, 400}, []int64{300, 300, 300, 300}},
		{"parallel", Parallel, 0, 3,
			[]int64{400 + ka, 400 + ka, 400 + ka, 400 + ka}, []int64{300 + ka, 300 + ka, 300 + ka, 300 + ka},
			[]int64{400, 400, 400, 400}, []int64{300, 300, 300, 300}},
		{"sharded", Sharded, 0, 3,
			[]int64{400 + ka, 400 + ka, 400 + ka, 400 + ka}, []int64{300 + ka, 300 + ka, 300 + ka, 300 + ka},
			[]int64{400, 400, 400, 400}, []int64{300, 300, 300, 300}},
		{"persistent/max-requests=2", Persistent, 2, 2,
			[]int64{400 + ka, 400 + ka, 400 + ka, 400 + ka}, []int64{300 + ka, 300, 300 + ka, 300},
			[]int64{400, 400, 400, 400}, []int64{300, 300, 300, 300}},
		{"http2", HTTP2, 0, 1,
			[]int64{409, 89, 89, 89}, []int64{309, 69, 69, 69},
			[]int64{409, 89, 89, 89}, []int64{309, 69, 69, 69}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var bytes [2]int64
			for v, version := range []string{"1.0", "1.1"} {
				cfg := fastConfig(c.kind, 50*time.Millisecond, Page{HTML: 1000, Objects: objects(3, 1000)})
				cfg.HTTPVersion = version
				cfg.Server.MaxRequests = c.maxRequests
				w, res := runWorld(t, cfg, 1)
				req, resp := c.req10, c.resp10
				if version == "1.1" {
					req, resp = c.req11, c.resp11
				}
				for _, r := range w.cl.requests {
					if r.reqBytes != req[r.index] {
						t.Errorf("HTTP/%s request %d: %d request bytes, want %d", version, r.index, r.reqBytes, req[r.index])
					}
					framing := int64(0)
					if c.kind == HTTP2 {
						framing = h2FrameHeader // one DATA frame
					}
					if got, want := r.respBytes-r.size-framing, resp[r.index]; got != want {
						t.Errorf("HTTP/%s request %d: %d response header bytes, want %d", version, r.index, got, want)
					}
				}
				if got := res.Metrics.Connections; got != c.conns {
					t.Errorf("HTTP/%s: Connections = %d, want %d", version, got, c.conns)
				}
				bytes[v] = res.Metrics.Bytes
				if t.Failed() {
					t.Log(describe(res))
				}
			}
			var extra int64
			for i := range c.req10 {
				extra += c.req10[i] - c.req11[i] + c.resp10[i] - c.resp11[i]
			}
			if d := bytes[0] - bytes[1]; d != extra {
				t.Errorf("Metrics.Bytes: HTTP/1.0 %d - HTTP/1.1 %d = %d, want %d (the headers)", bytes[0], bytes[1], d, extra)
			}
		})
	}
}

// TestHTTP10Persistence checks HTTP/1.0's default persistence rules (RFC
// 9112 9.3, C.2.2) by their effect on connections and time. Fast path, R =
// 100 ms, HTML and two objects of 1000 bytes, keep-alive 1 s:
//
//   - persistent (Connection: keep-alive, echoed): the connection is
//     kept: 1 connection, 4R, as HTTP/1.1; the server holds it until
//     the keep-alive timeout (ServerConnS 4R + KA, see
//     TestServerConnSeconds).
//   - short-lived (no Connection header): the server closes after each
//     response without being asked: 3 connections, 6R; each server
//     connection lives 2R (SYN arrival to the client's FIN), as with
//     HTTP/1.1's Connection: close. A server that kept it open would wait
//     for the client's close, R/2 later at the least.
//   - parallel: as HTTP/1.1 (c1 takes #1 and #2, c2 stays idle): 4R.
func TestHTTP10Persistence(t *testing.T) {
	const rtt = 100 * time.Millisecond
	const ka = time.Second
	cases := []struct {
		kind  Kind
		conns int
		plt   float64
		connS time.Duration
	}{
		{Persistent, 1, 4, 4*rtt + ka},
		{ShortLived, 3, 6, 3 * 2 * rtt},
		{Parallel, 2, 4, 6*rtt + ka + defaultKeepAlive}, // c2 unused: the first-request wait, 5 s
	}
	for _, c := range cases {
		for _, version := range []string{"1.0", "1.1"} {
			t.Run(fmt.Sprintf("%v/%s", c.kind, version), func(t *testing.T) {
				cfg := fastConfig(c.kind, rtt, Page{HTML: 1000, Objects: objects(2, 1000)})
				cfg.HTTPVersion = version
				cfg.Server.KeepAliveTimeout = ka
				res := mustRun(t, cfg, 1)
				m := res.Metrics
				slack := serialization(res, fastRate)
				rounds(t, "PLT", m.PLT, c.plt, rtt, slack)
				if m.Connections != c.conns {
					t.Errorf("Connections = %d, want %d", m.Connections, c.conns)
				}
				s := time.Duration(2*c.conns) * slack
				if d := m.ServerConnS - c.connS.Seconds(); d < -s.Seconds() || d > s.Seconds() {
					t.Errorf("ServerConnS = %.6f s, want %.6f s (± %v)", m.ServerConnS, c.connS.Seconds(), s)
				}
				if t.Failed() {
					t.Log(describe(res))
				}
			})
		}
	}
}

// TestHTTPVersionValidate checks that Config.Validate (and so Run) refuses
// an unknown version and the HTTP/1.1 mechanisms under HTTP/1.0:
// pipelining at any depth, and the h2c Upgrade (without TLS: with TLS,
// HTTP/2 starts by ALPN and the Upgrade is not used). A refused
// configuration runs nothing.
func TestHTTPVersionValidate(t *testing.T) {
	const (
		errPipelined = `httpmodel: pipelined needs http version 1.1: pipelining is an HTTP/1.1 mechanism`
		errUpgrade   = `httpmodel: http2 by upgrade needs http version 1.1: the h2c Upgrade is an HTTP/1.1 mechanism (use prior knowledge or TLS)`
		errVersion   = `httpmodel: http version "2" is not supported (use 1.0 or 1.1)`
	)
	cases := []struct {
		version string
		model   Model
		tls     TLS
		err     string
	}{
		{"1.0", Model{Kind: Pipelined}, NoTLS, errPipelined},
		{"1.0", Model{Kind: Pipelined, Depth: 1}, NoTLS, errPipelined},
		{"1.0", Model{Kind: Pipelined, Depth: 4}, TLS13, errPipelined},
		{"1.0", Model{Kind: HTTP2, H2Upgrade: true}, NoTLS, errUpgrade},
		{"1.0", Model{Kind: HTTP2, H2Upgrade: true}, TLS13, ""},
		{"1.0", Model{Kind: HTTP2}, NoTLS, ""},
		{"1.0", Model{Kind: ShortLived, Connections: 4}, NoTLS, ""},
		{"1.0", Model{Kind: Persistent}, NoTLS, ""},
		{"1.0", Model{Kind: Sharded}, NoTLS, ""},
		{"1.1", Model{Kind: Pipelined}, NoTLS, ""},
		{"1.1", Model{Kind: HTTP2, H2Upgrade: true}, NoTLS, ""},
		{"", Model{Kind: Pipelined}, NoTLS, ""},
		{"2", Model{Kind: Persistent}, NoTLS, errVersion},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%v/upgrade=%v/tls=%d/depth=%d", c.version, c.model.Kind, c.model.H2Upgrade, c.tls, c.model.Depth), func(t *testing.T) {
			cfg := fastConfig(c.model.Kind, 50*time.Millisecond, Page{HTML: 1000, Objects: objects(2, 1000)})
			cfg.Model = c.model
			cfg.TLS = c.tls
			cfg.HTTPVersion = c.version
			got := ""
			if err := cfg.Validate(); err != nil {
				got = err.Error()
			}
			if got != c.err {
				t.Errorf("Validate() = %q, want %q", got, c.err)
			}
			res := Run(cfg, 1)
			if c.err == "" {
				if res.Err != nil {
					t.Errorf("Run: Err = %v, want nil", res.Err)
				}
				return
			}
			if res.Err == nil || res.Err.Error() != c.err {
				t.Errorf("Run: Err = %v, want %q", res.Err, c.err)
			}
			if len(res.Requests) != 0 || res.Metrics.Packets != 0 || res.Metrics.PLT != -1 {
				t.Errorf("Run of a refused configuration: %d requests, %d packets, PLT %v; want none, none, -1",
					len(res.Requests), res.Metrics.Packets, res.Metrics.PLT)
			}
		})
	}
}
