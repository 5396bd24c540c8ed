package capture

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/connsim/connsim/httpmodel"
	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
	"github.com/connsim/connsim/tcp"
)

// tshark returns the path of tshark, skipping the test when it is not
// installed, unless CONNSIM_REQUIRE_TSHARK=1 (CI, which installs it).
func tshark(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CONNSIM_REQUIRE_TSHARK") == "1" {
			t.Fatal("tshark is not installed and CONNSIM_REQUIRE_TSHARK=1")
		}
		t.Skip("tshark is not installed (apt-get install tshark): the captures are not read back")
	}
	return p
}

// observer records, beside the Recorders, connsim's own figures: each
// client connection (by its port), and the outstanding bytes of each
// data segment the server sends, by IP identification.
type observer struct {
	tw          httpmodel.TapWorld
	clientConns map[uint16]*tcp.Conn
	outstanding map[uint16]int64
	retrans     map[uint16]bool
	sent        int
}

func (o *observer) PacketEvent(_ sim.Time, ev link.TraceEvent, pipe *link.Pipe, p *link.Packet) {
	if ev != link.Sent || pipe.From().ID != p.Src {
		return
	}
	o.sent++
	ep := o.tw.Stack.Endpoint(pipe.From())
	c := ep.Conn(int(p.SrcConn))
	if c == nil {
		return
	}
	if pipe.From() != o.tw.Server {
		o.clientConns[p.SrcPort] = c
		return
	}
	if p.Len > 0 {
		o.outstanding[uint16(p.ID)] = int64(c.Outstanding())
		o.retrans[uint16(p.ID)] = p.Retransmit
	}
}

type multi []link.Tracer

func (m multi) PacketEvent(now sim.Time, ev link.TraceEvent, pipe *link.Pipe, p *link.Packet) {
	for _, t := range m {
		t.PacketEvent(now, ev, pipe, p)
	}
}

// frame is one line of tshark's field output.
type frame struct {
	time                   float64
	stream                 int
	srcport, dstport       int
	syn, ack               bool
	ipid                   int
	requests, responses    int // HTTP messages that end in the frame (pipelining puts several in one)
	fin, conflict          bool
	ackRTT, inFlight       string
	analysis               bool
	kin                    bool // a loss-related analysis flag (see lossKin)
	other                  bool // an analysis flag that is not
	malformed, errorExpert bool
}

// lossKin are the analysis flags loss explains: the retransmissions
// themselves, the duplicate ACKs and out-of-order arrivals they cause,
// and the holes a capture on one side sees where a packet was lost
// beyond it ("previous segment not captured", "ACKed unseen segment").
var lossKin = []string{"tcp.analysis.retransmission", "tcp.analysis.fast_retransmission",
	"tcp.analysis.spurious_retransmission", "tcp.analysis.duplicate_ack", "tcp.analysis.lost_segment",
	"tcp.analysis.ack_lost_segment", "tcp.analysis.out_of_order"}

// notKin are analysis flags no loss explains.
var notKin = []string{"tcp.analysis.window_full", "tcp.analysis.window_update", "tcp.analysis.zero_window",
	"tcp.analysis.zero_window_probe", "tcp.analysis.keep_alive", "tcp.analysis.reused_ports"}

// count counts the values of an occurrence=a field.
func count(s string) int {
	if s == "" {
		return 0
	}
	return strings.Count(s, ",") + 1
}

func readFrames(t *testing.T, bin, file string) []frame {
	t.Helper()
	fields := []string{"frame.time_relative", "tcp.stream", "tcp.srcport", "tcp.dstport", "tcp.flags.syn", "tcp.flags.ack",
		"ip.id", "http.request", "http.response", "tcp.analysis.ack_rtt", "tcp.analysis.bytes_in_flight",
		"tcp.analysis.flags", "_ws.malformed", "_ws.expert.severity", "tcp.flags.fin", "tcp.segment.overlap.conflict"}
	fields = append(fields, lossKin...)
	fields = append(fields, notKin...)
	// Reassembling out-of-order segments (off by default in Wireshark
	// 4.0) lets HTTP be decoded across a lost and resent segment.
	args := []string{"-r", file, "-2", "-o", "tcp.reassemble_out_of_order:TRUE", "-T", "fields", "-E", "separator=|", "-E", "occurrence=a"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %s: %v\n%s", file, err, stderr.String())
	}
	var frames []frame
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		c := strings.Split(line, "|")
		if len(c) != len(fields) {
			t.Fatalf("tshark line %q: %d fields, want %d", line, len(c), len(fields))
		}
		atoi := func(s string) int {
			v, err := strconv.ParseInt(s, 0, 64)
			if err != nil {
				t.Fatalf("tshark line %q: %q: %v", line, s, err)
			}
			return int(v)
		}
		tm, _ := strconv.ParseFloat(c[0], 64)
		f := frame{time: tm, stream: atoi(c[1]), srcport: atoi(c[2]), dstport: atoi(c[3]),
			syn: c[4] == "1" || c[4] == "True", ack: c[5] == "1" || c[5] == "True", ipid: atoi(c[6]),
			requests: count(c[7]), responses: count(c[8]), ackRTT: c[9], inFlight: c[10],
			analysis: c[11] != "", malformed: c[12] != ""}
		for _, sev := range strings.Split(c[13], ",") {
			if sev != "" && atoi(sev) >= 0x800000 { // PI_ERROR
				f.errorExpert = true
			}
		}
		f.fin = c[14] == "1" || c[14] == "True"
		f.conflict = c[15] != ""
		for i := range lossKin {
			f.kin = f.kin || c[16+i] != ""
		}
		for i := range notKin {
			f.other = f.other || c[16+len(lossKin)+i] != ""
		}
		if f.analysis && !f.kin {
			f.other = true
		}
		frames = append(frames, f)
	}
	return frames
}

// TestTsharkReadsCaptures writes client, server and bottleneck captures
// of a short-lived, a pipelined and a lossy parallel page load (and of
// an HTTP/2 load over TLS 1.3, whose payload is filler) and reads them
// back with tshark (two passes, out-of-order segments reassembled),
// checking what tshark's dissectors and TCP analysis make of them
// against connsim's own figures:
//
//   - no malformed frame, no expert item of severity error, no
//     retransmission whose bytes differ from the original's
//     (tcp.segment.overlap.conflict);
//   - one SYN (without ACK) per connection connsim opened (tcp.stream
//     numbers: a retransmitted SYN is not a new connection);
//   - one HTTP request and one response per object of the page, HTML
//     included (none for HTTP/2 and TLS: not decoded);
//   - without loss, no tcp.analysis flag at all; with loss, only the
//     retransmissions and their kin (lossKin);
//   - at the client (HTTP/1.x): the first request of each connection leaves when the SYN-ACK
//     arrives (the same instant: the handshake's ACK and the request go
//     together), one RTT (plus the SYN's and SYN-ACK's serialization, and
//     any queueing) after the SYN;
//   - tshark's RTT (tcp.analysis.ack_rtt) at the client: for each
//     connection, its smallest equals the client connection's MinRTT
//     within 1 µs (connsim samples RTT from echoed timestamps kept in
//     nanoseconds, tshark from frame times in nanoseconds: the same
//     intervals, so only rounding separates them). With loss, a
//     retransmitted request gives tshark an ack_rtt from the
//     retransmission and connsim none (Karn), so the check is
//     one-sided there: tshark's smallest is at least the path's RTT;
//   - tshark's bytes in flight at the server equal, for every new data
//     segment, connsim's outstanding bytes (sndNxt - sndUna) as the
//     segment leaves: exactly, as both count the same sequence numbers.
func TestTsharkReadsCaptures(t *testing.T) {
	bin := tshark(t)
	dir := t.TempDir()
	if k := os.Getenv("PCAP_KEEP"); k != "" {
		dir = ""
	}
	cases := []struct {
		name    string
		kind    httpmodel.Kind
		objects int
		size    int64
		loss    float64
		seed    uint64
		tls     httpmodel.TLS
	}{
		{"short-lived", httpmodel.ShortLived, 6, 8_000, 0, 1, httpmodel.NoTLS},
		{"pipelined", httpmodel.Pipelined, 12, 10_000, 0, 1, httpmodel.NoTLS},
		{"lossy-parallel", httpmodel.Parallel, 20, 30_000, 0.02, 3, httpmodel.NoTLS},
		// HTTP/2 and TLS payloads are filler: no HTTP message is
		// decoded, and none may be malformed.
		{"http2-tls13", httpmodel.HTTP2, 10, 10_000, 0, 1, httpmodel.TLS13},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := httpmodel.DefaultConfig()
			cfg.Network = httpmodel.Network{RTT: 100 * time.Millisecond, Bandwidth: 10 * link.Mbps, QueueBytes: 256 << 10, Loss: tc.loss}
			cfg.Model = httpmodel.Model{Kind: tc.kind}
			cfg.TLS = tc.tls
			cfg.Page.HTML = 20_000
			for range tc.objects {
				cfg.Page.Objects = append(cfg.Page.Objects, httpmodel.Object{Size: tc.size})
			}
			files := map[Vantage]string{}
			var recs []*Recorder
			obs := &observer{clientConns: map[uint16]*tcp.Conn{}, outstanding: map[uint16]int64{}, retrans: map[uint16]bool{}}
			for _, v := range []Vantage{Client, Server, Bottleneck} {
				files[v] = filepath.Join(os.Getenv("PCAP_KEEP")+dir, fmt.Sprintf("%s-%s.pcapng", tc.name, v))
				f, err := os.Create(files[v])
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				recs = append(recs, New(f, Options{Vantage: v}))
			}
			cfg.Tap = func(tw httpmodel.TapWorld) link.Tracer {
				obs.tw = tw
				return multi{recs[0].Tap(tw), recs[1].Tap(tw), recs[2].Tap(tw), obs}
			}
			res := httpmodel.Run(cfg, tc.seed)
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			for _, r := range recs {
				if err := r.Close(); err != nil {
					t.Fatal(err)
				}
			}
			m := res.Metrics
			if tc.loss > 0 && m.Retransmits == 0 {
				t.Fatalf("lossy run has no retransmission: pick another seed")
			}
			if obs.sent >= 1<<16 {
				t.Fatalf("%d packets: IP identifications repeat", obs.sent)
			}
			rtt := cfg.Network.RTT.Seconds()

			for _, v := range []Vantage{Client, Server, Bottleneck} {
				frames := readFrames(t, bin, files[v])
				syns := map[int]float64{}
				var requests, responses, other, kin int
				for i, f := range frames {
					if f.malformed || f.errorExpert {
						t.Errorf("%s frame %d: malformed or an error", v, i+1)
					}
					if f.syn && !f.ack {
						if _, ok := syns[f.stream]; !ok {
							syns[f.stream] = f.time
						}
					}
					requests += f.requests
					responses += f.responses
					if f.conflict {
						t.Errorf("%s frame %d: a retransmission's bytes differ from the original's", v, i+1)
					}
					if f.other {
						other++
					}
					if f.kin {
						kin++
					}
				}
				want := 1 + tc.objects
				if tc.tls != httpmodel.NoTLS || tc.kind == httpmodel.HTTP2 {
					want = 0
				}
				if len(syns) != m.Connections || requests != want || responses != want {
					t.Errorf("%s: %d SYNs, %d requests, %d responses; want %d (connections), %d, %d",
						v, len(syns), requests, responses, m.Connections, want, want)
				}
				if other > 0 || (tc.loss == 0 && kin > 0) {
					t.Errorf("%s: %d frames with analysis flags loss does not explain, %d with loss's (loss %v)", v, other, kin, tc.loss)
				}
				switch {
				case v == Client && want > 0:
					checkClient(t, frames, obs, rtt, tc.loss > 0)
				case v == Server:
					checkServer(t, frames, obs)
				}
			}
		})
	}
}

// checkClient checks the handshake timing and tshark's RTT at the client.
func checkClient(t *testing.T, frames []frame, obs *observer, rtt float64, lossy bool) {
	t.Helper()
	type stream struct {
		port                     int
		syn, synack, firstReq    float64
		synCount                 int
		minRTT                   float64
		sawSynAck, sawReq, gotRT bool
	}
	streams := map[int]*stream{}
	for _, f := range frames {
		s := streams[f.stream]
		if s == nil {
			s = &stream{minRTT: math.Inf(1)}
			streams[f.stream] = s
		}
		switch {
		case f.syn && !f.ack:
			s.port = f.srcport
			if s.synCount == 0 {
				s.syn = f.time
			}
			s.synCount++
		case f.syn && f.ack && !s.sawSynAck:
			s.synack, s.sawSynAck = f.time, true
		case f.requests > 0 && !s.sawReq:
			s.firstReq, s.sawReq = f.time, true
		}
		if f.ackRTT != "" && f.dstport == s.port {
			v, err := strconv.ParseFloat(f.ackRTT, 64)
			if err != nil {
				t.Fatal(err)
			}
			s.minRTT, s.gotRT = min(s.minRTT, v), true
		}
	}
	checked := 0
	for id, s := range streams {
		if s.synCount != 1 || !s.sawSynAck || !s.sawReq {
			continue // a retransmitted SYN: the handshake took longer
		}
		checked++
		if d := s.synack - s.syn; d < rtt {
			t.Errorf("stream %d: SYN-ACK %.9fs after the SYN, want at least the RTT %vs", id, d, rtt)
		}
		if s.firstReq != s.synack {
			t.Errorf("stream %d: first request at %.9fs, SYN-ACK at %.9fs: want together", id, s.firstReq, s.synack)
		}
		c := obs.clientConns[uint16(s.port)]
		if c == nil || !s.gotRT {
			t.Errorf("stream %d (port %d): no connsim connection or no tshark RTT", id, s.port)
			continue
		}
		ours := c.Stats().MinRTT.Seconds()
		if lossy {
			if s.minRTT < rtt || ours < rtt {
				t.Errorf("stream %d: tshark's smallest RTT %.9fs, connsim's %.9fs: want at least %vs", id, s.minRTT, ours, rtt)
			}
			continue
		}
		if math.Abs(s.minRTT-ours) > 1e-6 {
			t.Errorf("stream %d: tshark's smallest RTT %.9fs, connsim's MinRTT %.9fs", id, s.minRTT, ours)
		}
	}
	if checked == 0 {
		t.Error("no connection checked")
	}
}

// checkServer checks tshark's bytes in flight against connsim's.
func checkServer(t *testing.T, frames []frame, obs *observer) {
	t.Helper()
	checked := 0
	for i, f := range frames {
		// A FIN's sequence number is outstanding for connsim (sndMax)
		// but not in flight for tshark: segments with FIN are left out.
		if f.inFlight == "" || f.srcport != 80 || f.fin {
			continue
		}
		want, ok := obs.outstanding[uint16(f.ipid)]
		if !ok || obs.retrans[uint16(f.ipid)] {
			continue
		}
		got, err := strconv.ParseInt(f.inFlight, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		if got != want {
			t.Errorf("server frame %d: tshark's bytes in flight %d, connsim's outstanding %d", i+1, got, want)
		}
	}
	if checked == 0 {
		t.Error("no data segment checked")
	}
}
