package httpmodel

import (
	"fmt"
	"testing"
	"time"
)

// firstByteRounds is the time from a request's dial to its first
// response byte (its Connect, TLS, Send and Wait phases), for the first
// request on a connection.
func firstByteRounds(r Timing) time.Duration { return r.Connect + r.TLS + r.Send + r.Wait }

// TestTLSResumptionRoundTrips holds the model to the round-trip
// arithmetic of tls.go: the first byte of the first response on a new
// connection, from the SYN, in round trips R, on the fast path (the
// server flight of 4000 bytes fits the initial window):
//
//	no TLS          2  SYN; request
//	TLS 1.2 full    4  SYN; ClientHello; ClientKeyExchange..Finished; request
//	TLS 1.2 resumed 3  SYN; ClientHello; Finished with the request (RFC 5077 3.1)
//	TLS 1.3 full    3  SYN; ClientHello; Finished with the request
//	TLS 1.3 resumed 3  the same (RFC 8446 2.2)
//	TLS 1.3 0-RTT   2  SYN; ClientHello with the request (RFC 8446 2.3)
//
// Short-lived, one connection at a time: the HTML's connection is the
// first to the host, always a full handshake; each object's connection
// is dialled once the previous response is complete, when the client
// holds a ticket (TLS 1.3: it came just ahead of the first response), so
// it resumes when resumption is on. The TLS phase of each first request
// is its handshake's extra round trips: 2 (1.2 full), 1 (1.2 resumed,
// 1.3), 0 (0-RTT: the request left with the ClientHello). A POST never
// goes in early data: with 0-RTT on, POST objects take 3 R like a
// resumed 1-RTT handshake.
func TestTLSResumptionRoundTrips(t *testing.T) {
	const rtt = 100 * time.Millisecond
	for _, tc := range []struct {
		name         string
		tls          TLS
		resume, zero bool
		method       string
		first, later int // first-byte round trips: first connection, later ones
		tlsF, tlsL   int // TLS phase round trips
	}{
		{"none", NoTLS, false, false, "GET", 2, 2, 0, 0},
		{"none+resumption", NoTLS, true, false, "GET", 2, 2, 0, 0},
		{"tls12", TLS12, false, false, "GET", 4, 4, 2, 2},
		{"tls12+resumption", TLS12, true, false, "GET", 4, 3, 2, 1},
		{"tls13", TLS13, false, false, "GET", 3, 3, 1, 1},
		{"tls13+resumption", TLS13, true, false, "GET", 3, 3, 1, 1},
		{"tls13+0rtt", TLS13, true, true, "GET", 3, 2, 1, 0},
		{"tls13+0rtt/HEAD", TLS13, true, true, "HEAD", 3, 2, 1, 0},
		{"tls13+0rtt/POST", TLS13, true, true, "POST", 3, 3, 1, 1},
		{"tls13+0rtt/PUT", TLS13, true, true, "PUT", 3, 3, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page := Page{HTML: 1000, Objects: objects(3, 1000)}
			for i := range page.Objects {
				page.Objects[i].Method = tc.method
			}
			cfg := fastConfig(ShortLived, rtt, page)
			cfg.TLS, cfg.TLSResumption, cfg.TLS0RTT = tc.tls, tc.resume, tc.zero
			res := mustRun(t, cfg, 1)
			slack := serialization(res, fastRate)
			if len(res.Requests) != 4 || res.Metrics.Connections != 4 {
				t.Fatalf("%d requests on %d connections, want 4 on 4", len(res.Requests), res.Metrics.Connections)
			}
			for _, r := range res.Requests {
				want, wantTLS := tc.later, tc.tlsL
				if r.Index == 0 {
					want, wantTLS = tc.first, tc.tlsF
				}
				rounds(t, fmt.Sprintf("request %d first byte", r.Index), firstByteRounds(r), float64(want), rtt, slack)
				rounds(t, fmt.Sprintf("request %d TLS", r.Index), r.TLS, float64(wantTLS), rtt, slack)
			}
			// Four sequential connections: the PLT is their sum plus the
			// response's last byte (in the first-byte's round trip).
			rounds(t, "PLT", res.Metrics.PLT, float64(tc.first+3*tc.later), rtt, slack)
			if t.Failed() {
				t.Log(describe(res))
			}
		})
	}
}

// TestTLSResumptionPerHost checks that tickets are kept per hostname:
// sharded over 2 hostnames, one connection each, TLS 1.2 with
// resumption. The HTML's connection to the page's host is full (4 R to
// its first byte); the objects are issued when it is complete: the
// second shard's first connection is a full handshake too (4 R), though
// the client holds a ticket for the first host. Short-lived, so each
// host's later connections resume (3 R).
func TestTLSResumptionPerHost(t *testing.T) {
	const rtt = 100 * time.Millisecond
	cfg := fastConfig(Sharded, rtt, Page{HTML: 1000, Objects: []Object{
		{Host: "example.com", Size: 1000}, {Host: "shard1.example.com", Size: 1000},
		{Host: "example.com", Size: 1000}, {Host: "shard1.example.com", Size: 1000},
	}})
	cfg.Model = Model{Kind: ShortLived}
	cfg.TLS, cfg.TLSResumption = TLS12, true
	res := mustRun(t, cfg, 1)
	slack := serialization(res, fastRate)
	seen := map[string]bool{}
	for _, r := range res.Requests {
		want := 3
		if !seen[r.Host] {
			want = 4 // the first connection to each host
		}
		seen[r.Host] = true
		rounds(t, fmt.Sprintf("request %d (%s) first byte", r.Index, r.Host), firstByteRounds(r), float64(want), rtt, slack)
	}
	if len(seen) != 2 {
		t.Errorf("hosts %v, want 2", seen)
	}
	if t.Failed() {
		t.Log(describe(res))
	}
}

// TestTLSResumptionParallelFull checks that connections dialled before
// any handshake with the host completed do a full handshake: parallel
// with 4 connections, TLS 1.2 with resumption, and the page's objects
// on a second host, so the 4 connections to it open together (no
// ticket for that host yet): each first request sees 4 R to its first
// byte. With TLS 1.3 the ticket comes after the handshake: the same.
func TestTLSResumptionParallelFull(t *testing.T) {
	const rtt = 100 * time.Millisecond
	for _, tl := range []struct {
		tls  TLS
		full int
	}{{TLS12, 4}, {TLS13, 3}} {
		obj := objects(4, 1000)
		for i := range obj {
			obj[i].Host = "static.example.com"
		}
		cfg := fastConfig(Parallel, rtt, Page{HTML: 1000, Objects: obj})
		cfg.Model.Connections = 4
		cfg.TLS, cfg.TLSResumption, cfg.TLS0RTT = tl.tls, true, tl.tls == TLS13
		res := mustRun(t, cfg, 1)
		slack := serialization(res, fastRate)
		for _, r := range res.Requests {
			rounds(t, fmt.Sprintf("tls %d request %d first byte", tl.tls, r.Index), firstByteRounds(r), float64(tl.full), rtt, slack)
		}
	}
}

// TestTLSResumptionBytes checks what resumption changes beside round
// trips: TLS 1.3 resumption takes as many round trips as a full
// handshake but no certificate: each resumed connection carries the
// server's 250-byte flight instead of 4000, for a ticket of 200 bytes
// in the ClientHello and a NewSessionTicket of 200 after the handshake.
// Short-lived with 4 connections, 3 of them resumed: at least
// 3 * (4000 - 250 - 200) - 200 bytes less (the first connection's
// ticket costs 200), and the same page load time.
func TestTLSResumptionBytes(t *testing.T) {
	const rtt = 100 * time.Millisecond
	run := func(resume bool) *Result {
		cfg := fastConfig(ShortLived, rtt, Page{HTML: 1000, Objects: objects(3, 1000)})
		cfg.TLS, cfg.TLSResumption = TLS13, resume
		return mustRun(t, cfg, 1)
	}
	full, resumed := run(false), run(true)
	saved := full.Metrics.Bytes - resumed.Metrics.Bytes
	if want := int64(3*(tlsServerFlight-tlsServerResumed13-tlsTicket) - 4*tlsTicket); saved < want {
		t.Errorf("resumption saved %d bytes on the wire, want at least %d", saved, want)
	}
	d := full.Metrics.PLT - resumed.Metrics.PLT
	if d < -rtt/10 || d > rtt/10 {
		t.Errorf("PLT %v resumed, %v full: want the same round trips", resumed.Metrics.PLT, full.Metrics.PLT)
	}
}

// TestTLSValidate checks that 0-RTT needs TLS 1.3 and resumption.
func TestTLSValidate(t *testing.T) {
	for _, tc := range []struct {
		tls          TLS
		resume, zero bool
		want         error
	}{
		{TLS13, true, true, nil},
		{TLS12, true, false, nil},
		{NoTLS, true, false, nil},
		{TLS12, true, true, errTLS0RTTVersion},
		{NoTLS, true, true, errTLS0RTTVersion},
		{TLS13, false, true, errTLS0RTTResumption},
	} {
		cfg := fastConfig(Persistent, time.Millisecond, Page{HTML: 1000})
		cfg.TLS, cfg.TLSResumption, cfg.TLS0RTT = tc.tls, tc.resume, tc.zero
		if err := cfg.Validate(); err != tc.want {
			t.Errorf("tls %d resumption %v 0-RTT %v: Validate = %v, want %v", tc.tls, tc.resume, tc.zero, err, tc.want)
		}
		if tc.want != nil {
			if res := Run(cfg, 1); res.Err == nil {
				t.Errorf("tls %d resumption %v 0-RTT %v: Run ran", tc.tls, tc.resume, tc.zero)
			}
		}
	}
}
