package capture

import (
	"bytes"
	"encoding/binary"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/connsim/connsim/httpmodel"
	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// sent records what the simulator sent, by IP identification, to
// compare with the frames decoded from a capture.
type sent struct {
	pk map[uint16]link.Packet
}

func (s *sent) PacketEvent(_ sim.Time, ev link.TraceEvent, pipe *link.Pipe, p *link.Packet) {
	if ev == link.Sent && pipe.From().ID == p.Src {
		s.pk[uint16(p.ID)] = *p
	}
}

// lossyPage runs a parallel page load with loss (so that frames carry
// SACK blocks and retransmissions) and returns the capture at v.
func lossyPage(t *testing.T, v Vantage, f Format, mutate func(*httpmodel.Config)) ([]byte, *sent, *httpmodel.Result) {
	t.Helper()
	cfg := httpmodel.DefaultConfig()
	cfg.Network = httpmodel.Network{RTT: 60 * time.Millisecond, Bandwidth: 20 * link.Mbps, Loss: 0.03}
	cfg.Model = httpmodel.Model{Kind: httpmodel.Parallel}
	cfg.Page.HTML = 30_000
	for range 12 {
		cfg.Page.Objects = append(cfg.Page.Objects, httpmodel.Object{Size: 40_000})
	}
	if mutate != nil {
		mutate(&cfg)
	}
	var buf bytes.Buffer
	rec := New(&buf, Options{Vantage: v, Format: f})
	s := &sent{pk: map[uint16]link.Packet{}}
	cfg.Tap = func(tw httpmodel.TapWorld) link.Tracer { return multi{rec.Tap(tw), s} }
	res := httpmodel.Run(cfg, 5)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if res.Metrics.Retransmits == 0 {
		t.Fatal("no retransmission: pick another seed")
	}
	return buf.Bytes(), s, res
}

type packetSource interface {
	ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

func frames(t *testing.T, data []byte, f Format) (out []gopacket.Packet) {
	t.Helper()
	var src packetSource
	var err error
	if f == PCAP {
		src, err = pcapgo.NewReader(bytes.NewReader(data))
	} else {
		src, err = pcapgo.NewNgReader(bytes.NewReader(data), pcapgo.DefaultNgReaderOptions)
	}
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, ci, err := src.ReadPacketData()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		p := gopacket.NewPacket(b, layers.LinkTypeEthernet, gopacket.Default)
		p.Metadata().CaptureInfo = ci
		out = append(out, p)
	}
}

// TestFramesMatchPackets decodes every frame of a lossy load's captures
// (both formats, all vantage points) with gopacket and checks each
// header against the packet the simulator sent: addresses, ports,
// sequence and acknowledgement numbers (less each direction's ISN),
// flags, the window (unscaled on SYNs, shifted by the announced scale
// otherwise, RFC 7323 2.2), the options (MSS, SACK-permitted, timestamps
// and window scale on SYNs; timestamps with TSval the send time in ms;
// the SACK blocks), the payload length, and both checksums (recomputed
// by serializing the decoded layers again).
func TestFramesMatchPackets(t *testing.T) {
	for _, f := range []Format{PCAPNG, PCAP} {
		for _, v := range []Vantage{Client, Server, Bottleneck} {
			data, s, _ := lossyPage(t, v, f, nil)
			fr := frames(t, data, f)
			if len(fr) < 200 {
				t.Fatalf("%s %s: %d frames", f, v, len(fr))
			}
			var sacks, syns int
			isn := map[[2]uint16]uint32{} // (sport, dport) -> ISN of that direction, from its SYN
			for i, p := range fr {
				ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
				tc, _ := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
				if ip == nil || tc == nil || p.ErrorLayer() != nil {
					t.Fatalf("%s %s frame %d: not Ethernet/IPv4/TCP: %v", f, v, i+1, p.ErrorLayer())
				}
				sp, ok := s.pk[ip.Id]
				if !ok {
					t.Fatalf("%s %s frame %d: IP id %d not sent", f, v, i+1, ip.Id)
				}
				if ip.SrcIP.String() != IP(sp.Src) || ip.DstIP.String() != IP(sp.Dst) ||
					uint16(tc.SrcPort) != sp.SrcPort || uint16(tc.DstPort) != sp.DstPort {
					t.Fatalf("%s %s frame %d: addresses %v:%d -> %v:%d, packet %d:%d -> %d:%d", f, v, i+1,
						ip.SrcIP, tc.SrcPort, ip.DstIP, tc.DstPort, sp.Src, sp.SrcPort, sp.Dst, sp.DstPort)
				}
				checkChecksums(t, p, ip, tc)
				key := [2]uint16{sp.SrcPort, sp.DstPort}
				if tc.SYN {
					syns++
					isn[key] = tc.Seq - uint32(sp.Seq)
					if tc.Window != uint16(min(sp.Wnd, 65535)) {
						t.Errorf("frame %d: SYN window %d, want %d unscaled", i+1, tc.Window, min(sp.Wnd, 65535))
					}
					checkSynOptions(t, i+1, tc, sp)
				} else if !tc.RST {
					if got := int64(tc.Window) << 7; got != sp.Wnd {
						t.Errorf("frame %d: window %d << 7 = %d, want %d", i+1, tc.Window, got, sp.Wnd)
					}
				}
				if base, ok := isn[key]; ok && tc.Seq-base != uint32(sp.Seq) {
					t.Errorf("frame %d: relative seq %d, want %d", i+1, tc.Seq-base, sp.Seq)
				}
				if base, ok := isn[[2]uint16{sp.DstPort, sp.SrcPort}]; ok && tc.ACK && tc.Ack-base != uint32(sp.Ack) {
					t.Errorf("frame %d: relative ack %d, want %d", i+1, tc.Ack-base, sp.Ack)
				}
				if tc.FIN != (sp.Flags&link.FIN != 0) || tc.RST != (sp.Flags&link.RST != 0) || tc.ACK != (sp.Flags&link.ACK != 0) {
					t.Errorf("frame %d: flags %v, packet %v", i+1, tc, sp.Flags)
				}
				if len(tc.Payload) != int(sp.Len) {
					t.Errorf("frame %d: %d payload bytes, want %d", i+1, len(tc.Payload), sp.Len)
				}
				if !tc.SYN {
					sacks += checkOptions(t, i+1, tc, sp, isn[[2]uint16{sp.DstPort, sp.SrcPort}])
				}
			}
			if syns == 0 || sacks == 0 {
				t.Errorf("%s %s: %d SYNs, %d SACK blocks checked; want some of each", f, v, syns, sacks)
			}
		}
	}
}

// checkChecksums serializes the decoded IP and TCP layers again with
// checksums computed and compares them with the frame's.
func checkChecksums(t *testing.T, p gopacket.Packet, ip *layers.IPv4, tc *layers.TCP) {
	t.Helper()
	ipSum, tcpSum := ip.Checksum, tc.Checksum
	ip2, tc2 := *ip, *tc
	tc2.SetNetworkLayerForChecksum(&ip2)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{ComputeChecksums: true}, &ip2, &tc2, gopacket.Payload(tc.Payload)); err != nil {
		t.Fatal(err)
	}
	if ip2.Checksum != ipSum || tc2.Checksum != tcpSum {
		t.Errorf("frame at %v: checksums %#04x %#04x, recomputed %#04x %#04x", p.Metadata().Timestamp, ipSum, tcpSum, ip2.Checksum, tc2.Checksum)
	}
}

func checkSynOptions(t *testing.T, i int, tc *layers.TCP, sp link.Packet) {
	t.Helper()
	var kinds []string
	for _, o := range tc.Options {
		switch o.OptionType {
		case layers.TCPOptionKindMSS:
			if binary.BigEndian.Uint16(o.OptionData) != 1460 {
				t.Errorf("frame %d: MSS %d", i, binary.BigEndian.Uint16(o.OptionData))
			}
		case layers.TCPOptionKindWindowScale:
			if o.OptionData[0] != 7 { // 4 MiB >> 7 = 32768
				t.Errorf("frame %d: window scale %d, want 7", i, o.OptionData[0])
			}
		case layers.TCPOptionKindTimestamps:
			if got, want := binary.BigEndian.Uint32(o.OptionData), uint32(sp.SentAt/sim.Time(time.Millisecond)); got != want {
				t.Errorf("frame %d: TSval %d, want %d", i, got, want)
			}
		}
		kinds = append(kinds, o.OptionType.String())
	}
	if got := strings.Join(kinds, ","); got != "MSS,SACKPermitted,Timestamps,NOP,WindowScale" {
		t.Errorf("frame %d: SYN options %s, want Linux's MSS,SACKPermitted,Timestamps,NOP,WindowScale", i, got)
	}
}

// checkOptions checks the timestamp and SACK options of a segment and
// returns the SACK blocks checked.
func checkOptions(t *testing.T, i int, tc *layers.TCP, sp link.Packet, peerISN uint32) int {
	t.Helper()
	var ts bool
	var blocks []link.SackBlock
	for _, o := range tc.Options {
		switch o.OptionType {
		case layers.TCPOptionKindTimestamps:
			ts = true
			if got, want := binary.BigEndian.Uint32(o.OptionData), uint32(sp.SentAt/sim.Time(time.Millisecond)); got != want {
				t.Errorf("frame %d: TSval %d, want %d", i, got, want)
			}
			if got, want := binary.BigEndian.Uint32(o.OptionData[4:]), uint32(sp.TSecr/sim.Time(time.Millisecond)); sp.TSecr >= 0 && got != want {
				t.Errorf("frame %d: TSecr %d, want %d", i, got, want)
			}
		case layers.TCPOptionKindSACK:
			for b := o.OptionData; len(b) >= 8; b = b[8:] {
				blocks = append(blocks, link.SackBlock{Start: int64(binary.BigEndian.Uint32(b) - peerISN), End: int64(binary.BigEndian.Uint32(b[4:]) - peerISN)})
			}
		}
	}
	if !ts && !tc.RST {
		t.Errorf("frame %d: no timestamp option", i)
	}
	if len(blocks) != int(sp.NSack) {
		t.Fatalf("frame %d: %d SACK blocks, want %d", i, len(blocks), sp.NSack)
	}
	for k, b := range blocks {
		if w := sp.SackBlock(k); b != w {
			t.Errorf("frame %d: SACK block %d %v, want %v", i, k, b, w)
		}
	}
	return len(blocks)
}

// TestHeaderText checks that header lines are exactly the model's size
// (padded with X-Pad, or spaces for gaps under 9 bytes, cut when too
// small) and say what the model's message is.
func TestHeaderText(t *testing.T) {
	req := httpmodel.Message{Kind: httpmodel.MsgRequest, Host: "img.example.com", VisitIndex: 7, Method: "GET"}
	html := httpmodel.Message{Kind: httpmodel.MsgRequest, Host: "example.com", Close: true}
	resp := httpmodel.Message{Kind: httpmodel.MsgResponseHeader, BodyBytes: 12345, HTTP10: true, KeepAlive: true}
	cases := []struct {
		m      httpmodel.Message
		size   int64
		prefix string
		has    string
	}{
		{req, 400, "GET /object/7 HTTP/1.1\r\nHost: img.example.com\r\n", "\r\nX-Pad: x"},
		{html, 400, "GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n", "X-Pad: "},
		{resp, 300, "HTTP/1.0 200 OK\r\nContent-Length: 12345\r\n", "Connection: keep-alive\r\n"},
		{req, 49 + 3, "GET /object/7 HTTP/1.1\r\nHost:", "Host:    img"},                        // shortest 49, a gap of 3: spaces after the colon
		{req, 49 + 9, "GET /object/7 HTTP/1.1\r\nHost: img.example.com\r\n", "X-Pad: \r\n\r\n"}, // exactly an empty X-Pad
		{req, 20, "GET /object/7 HTTP/1", ""},                                                   // cut
	}
	for _, c := range cases {
		got := string(headerText(c.m, c.size))
		if int64(len(got)) != c.size || !strings.HasPrefix(got, c.prefix) || !strings.Contains(got, c.has) {
			t.Errorf("headerText(%+v, %d) = %q (%d bytes): want %d bytes starting %q holding %q", c.m, c.size, got, len(got), c.size, c.prefix, c.has)
		}
		if c.size >= 60 && !strings.HasSuffix(got, "\r\n\r\n") {
			t.Errorf("headerText(%+v, %d) = %q: does not end the header block", c.m, c.size, got)
		}
	}
	// Every size from the shortest up gives exactly that many bytes.
	for size := int64(1); size < 200; size++ {
		if got := headerText(req, size); int64(len(got)) != size {
			t.Fatalf("size %d: %d bytes", size, len(got))
		}
	}
}

// TestPayloadIsStreamContent checks that the bytes of every data frame
// at the server side are the bytes of its stream at that offset: a
// retransmission or a resend starting part-way into an old segment
// carries what the first transmission of those bytes did, and each
// response's header says the Content-Length of the body that follows.
func TestPayloadIsStreamContent(t *testing.T) {
	data, _, _ := lossyPage(t, Server, PCAPNG, nil)
	streams := map[[2]layers.TCPPort]map[uint32]byte{}
	var resent, checked int
	for _, p := range frames(t, data, PCAPNG) {
		tc := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if len(tc.Payload) == 0 {
			continue
		}
		k := [2]layers.TCPPort{tc.SrcPort, tc.DstPort}
		if streams[k] == nil {
			streams[k] = map[uint32]byte{}
		}
		old := 0
		for j, b := range tc.Payload {
			seq := tc.Seq + uint32(j)
			if prev, ok := streams[k][seq]; ok {
				old++
				if prev != b {
					t.Fatalf("stream %v byte %d: %q again as %q", k, seq, prev, b)
				}
			}
			streams[k][seq] = b
		}
		checked++
		if old > 0 {
			resent++
		}
		if bytes.HasPrefix(tc.Payload, []byte("HTTP/1.1 200 OK\r\nContent-Length: ")) {
			n, err := strconv.Atoi(string(tc.Payload[33 : bytes.IndexByte(tc.Payload[33:], '\r')+33]))
			if err != nil || n != 40_000 && n != 30_000 {
				t.Errorf("Content-Length %q: want an object's size", tc.Payload[33:40])
			}
		}
	}
	if resent == 0 || checked < 100 {
		t.Errorf("%d data frames, %d resent: want resent bytes to compare", checked, resent)
	}
}
