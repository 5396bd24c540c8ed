package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/connsim/connsim/httpmodel"
	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
	"github.com/connsim/connsim/tcp"
)

// Vantage is where a capture is taken.
type Vantage uint8

// Vantage points.
const (
	Client     Vantage = iota // at the client (every client, with populations)
	Server                    // at the server
	Bottleneck                // both directions as they enter the bottleneck's queue
)

var vantageNames = [...]string{"client", "server", "bottleneck"}

// String returns the vantage point's name in the experiment format.
func (v Vantage) String() string {
	if int(v) < len(vantageNames) {
		return vantageNames[v]
	}
	return fmt.Sprintf("Vantage(%d)", int(v))
}

// ParseVantage returns the vantage point named s.
func ParseVantage(s string) (Vantage, error) {
	for i, n := range vantageNames {
		if n == s {
			return Vantage(i), nil
		}
	}
	return 0, fmt.Errorf("capture: unknown vantage point %q (want client, server or bottleneck)", s)
}

// Format is a capture file format.
type Format uint8

// File formats.
const (
	PCAPNG Format = iota // pcapng, nanosecond timestamps
	PCAP                 // classic pcap, nanosecond variant (magic a1b23c4d)
)

var formatNames = [...]string{"pcapng", "pcap"}

// String returns the format's name, which is also its file extension.
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ParseFormat returns the format named s.
func ParseFormat(s string) (Format, error) {
	for i, n := range formatNames {
		if n == s {
			return Format(i), nil
		}
	}
	return 0, fmt.Errorf("capture: unknown format %q (want pcapng or pcap)", s)
}

// DefaultEpoch returns the wall-clock time of virtual time 0 in a
// capture: 2000-01-01T00:00:00Z, fixed so that a capture is the same on
// every machine.
func DefaultEpoch() time.Time { return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) }

// Options says what a Recorder writes.
type Options struct {
	Vantage Vantage
	Format  Format
	Epoch   time.Time // wall-clock time of virtual time 0; zero = DefaultEpoch()
}

// Recorder writes one run's packets seen at one vantage point. Install
// its Tap as the run's httpmodel.Config.Tap, run, then Close it. A
// Recorder serves one run.
type Recorder struct {
	w   io.Writer
	opt Options
	err error

	ng     *pcapgo.NgWriter
	pc     *pcapgo.Writer
	tapped bool
	tw     httpmodel.TapWorld

	// TCP options of the run's segments.
	mss    uint16
	wscale uint8
	ts     bool
	sack   bool

	flows   map[flowKey]*flow
	servers map[link.NodeID]bool // nodes dialed (isServer)
	buf     gopacket.SerializeBuffer
	payload []byte
	packets int
}

// New returns a Recorder that writes to w. Nothing is written until the
// Recorder is installed in a run (Tap).
func New(w io.Writer, opt Options) *Recorder {
	if opt.Epoch.IsZero() {
		opt.Epoch = DefaultEpoch()
	}
	return &Recorder{w: w, opt: opt, flows: map[flowKey]*flow{}, servers: map[link.NodeID]bool{}, buf: gopacket.NewSerializeBuffer()}
}

// Packets returns how many packets the Recorder has written.
func (r *Recorder) Packets() int { return r.packets }

// Tap is an httpmodel.Config.Tap: it writes the file's header and
// returns the Recorder as the run's packet tracer.
func (r *Recorder) Tap(tw httpmodel.TapWorld) link.Tracer {
	if r.tapped {
		r.fail(errors.New("capture: a Recorder serves one run"))
		return nil
	}
	r.tapped = true
	r.tw = tw
	cfg := tw.TCP
	d := tcp.DefaultConfig()
	if cfg.MSS == 0 {
		cfg.MSS = d.MSS
	}
	if cfg.ReceiveWindow == 0 {
		cfg.ReceiveWindow = d.ReceiveWindow
	}
	r.mss = uint16(min(cfg.MSS, 65535))
	r.ts = cfg.Timestamps
	r.sack = cfg.Recovery == tcp.RecoverySACK
	r.wscale = windowScale(int64(cfg.ReceiveWindow))
	switch r.opt.Format {
	case PCAP:
		r.pc = pcapgo.NewWriterNanos(r.w)
		r.fail(r.pc.WriteFileHeader(65535, layers.LinkTypeEthernet))
	default:
		intf := pcapgo.NgInterface{Name: r.opt.Vantage.String(), Description: "connsim " + r.opt.Vantage.String() + " side (simulated)",
			LinkType: layers.LinkTypeEthernet, TimestampResolution: 9, SnapLength: 65535}
		ng, err := pcapgo.NewNgWriterInterface(r.w, intf, pcapgo.NgWriterOptions{
			SectionInfo: pcapgo.NgSectionInfo{Application: "connsim", Comment: "simulated packets: virtual time from " + r.opt.Epoch.Format(time.RFC3339)}})
		r.ng = ng
		r.fail(err)
	}
	return r
}

// windowScale returns the smallest shift that fits w into the 16-bit
// window field (RFC 7323 2.2), at most 14.
func windowScale(w int64) uint8 {
	var s uint8
	for s < 14 && w>>s > 65535 {
		s++
	}
	return s
}

// Close flushes what is buffered and returns the first error the
// Recorder met, writing or building a frame.
func (r *Recorder) Close() error {
	if r.ng != nil && r.err == nil {
		r.fail(r.ng.Flush())
	}
	return r.err
}

func (r *Recorder) fail(err error) {
	if err != nil && r.err == nil {
		r.err = err
	}
}

// PacketEvent implements link.Tracer.
func (r *Recorder) PacketEvent(now sim.Time, ev link.TraceEvent, pipe *link.Pipe, p *link.Packet) {
	if r.err != nil {
		return
	}
	if ev == link.Sent && p.Len > 0 {
		r.learn(p)
	}
	if ev == link.Sent && p.Flags&(link.SYN|link.ACK) == link.SYN {
		r.servers[p.Dst] = true
	}
	if r.sees(ev, pipe, p) {
		r.fail(r.write(now, p))
	}
}

// sees reports whether the vantage point sees the event: at an end
// host, a packet leaving the host that sent it or arriving at the host
// it is for. Routers that forward it (the populations' router, and with
// several servers the core router and the sites' nodes) are not end
// hosts of the packet, so a packet is written once however many hops
// its path has.
func (r *Recorder) sees(ev link.TraceEvent, pipe *link.Pipe, p *link.Packet) bool {
	if r.opt.Vantage == Bottleneck {
		return ev == link.Sent && (pipe == r.tw.Up || pipe == r.tw.Down)
	}
	var host link.NodeID
	switch {
	case ev == link.Sent && pipe.From().ID == p.Src:
		host = p.Src
	case ev == link.Delivered && pipe.To().ID == p.Dst:
		host = p.Dst
	default:
		return false
	}
	return r.isServer(host) == (r.opt.Vantage == Server)
}

// isServer reports whether node n is a server: the run's server, or a
// node a client has dialed (learn notes the destination of every SYN
// without ACK as it leaves, before any packet of the server's is seen).
func (r *Recorder) isServer(n link.NodeID) bool {
	return (r.tw.Server != nil && n == r.tw.Server.ID) || r.servers[n]
}

// flowKey is one direction of a connection.
type flowKey struct {
	src, dst     link.NodeID
	sport, dport uint16
}

func (k flowKey) reverse() flowKey { return flowKey{k.dst, k.src, k.dport, k.sport} }

// isn returns the initial sequence number of the direction k: a hash of
// its addresses and ports, so captures are the same everywhere.
func (k flowKey) isn() uint32 {
	h := fnv.New32a()
	var b [12]byte
	binary.BigEndian.PutUint32(b[0:], uint32(k.src))
	binary.BigEndian.PutUint32(b[4:], uint32(k.dst))
	binary.BigEndian.PutUint16(b[8:], k.sport)
	binary.BigEndian.PutUint16(b[10:], k.dport)
	h.Write(b[:])
	return h.Sum32()
}

// flow is what the Recorder knows of one direction's byte stream: its
// messages, in order, message k at msgs[k-1].
type flow struct {
	msgs []span
}

// span is one message of a stream: bytes [start, end).
type span struct {
	start, end int64
	m          httpmodel.Message
	text       []byte // the header lines, for requests and response headers (built when first written)
}

func (r *Recorder) flow(k flowKey) *flow {
	f := r.flows[k]
	if f == nil {
		f = &flow{}
		r.flows[k] = f
	}
	return f
}

// learn records the messages p's payload overlaps that its stream does
// not know yet, read from the sender as p leaves it. Messages are
// numbered from 1 and the first message's first byte is sequence number
// 1 (the SYN takes 0); the sender sends new bytes in order, so the
// messages before the first one p overlaps are known by then.
func (r *Recorder) learn(p *link.Packet) {
	f := r.flow(flowKey{p.Src, p.Dst, p.SrcPort, p.DstPort})
	first, last := p.MsgCount+1, p.MsgCount+1
	if p.MsgEnds > 0 {
		first = p.FirstMsg()
		if int32(p.LastEnd) == p.Len {
			last = p.MsgCount // the payload ends where message MsgCount does
		}
	}
	for k := max(first, uint32(len(f.msgs))+1); k <= last; k++ {
		if int(k) != len(f.msgs)+1 {
			break // a gap: leave the bytes to filler
		}
		end, m, ok := r.tw.Message(p, k)
		if !ok {
			break
		}
		start := int64(1)
		if k > 1 {
			start = f.msgs[k-2].end
		}
		f.msgs = append(f.msgs, span{start: start, end: end, m: m})
	}
}

// write builds the frame of p and writes it with time now.
func (r *Recorder) write(now sim.Time, p *link.Packet) error {
	key := flowKey{p.Src, p.Dst, p.SrcPort, p.DstPort}
	eth := &layers.Ethernet{SrcMAC: mac(p.Src), DstMAC: mac(p.Dst), EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Flags: layers.IPv4DontFragment, Id: uint16(p.ID),
		Protocol: layers.IPProtocolTCP, SrcIP: ipOf(p.Src), DstIP: ipOf(p.Dst)}
	t := &layers.TCP{SrcPort: layers.TCPPort(p.SrcPort), DstPort: layers.TCPPort(p.DstPort),
		Seq: uint32(p.Seq) + key.isn(),
		FIN: p.Flags&link.FIN != 0, SYN: p.Flags&link.SYN != 0, RST: p.Flags&link.RST != 0,
		PSH: p.Flags&link.PSH != 0 || (p.MsgEnds > 0 && int32(p.LastEnd) == p.Len),
		ACK: p.Flags&link.ACK != 0}
	if t.ACK {
		t.Ack = uint32(p.Ack) + key.reverse().isn()
	}
	r.options(t, p)
	if err := t.SetNetworkLayerForChecksum(ip); err != nil {
		return err
	}
	var payload gopacket.Payload
	if p.Len > 0 {
		r.payload = r.fill(r.payload[:0], r.flows[key], p.Seq, int64(p.Len))
		payload = r.payload
	}
	if err := gopacket.SerializeLayers(r.buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, t, payload); err != nil {
		return fmt.Errorf("capture: packet %d: %w", p.ID, err)
	}
	data := r.buf.Bytes()
	ci := gopacket.CaptureInfo{Timestamp: r.opt.Epoch.Add(time.Duration(now)), CaptureLength: len(data), Length: len(data)}
	r.packets++
	if r.pc != nil {
		return r.pc.WritePacket(ci, data)
	}
	return r.ng.WritePacket(ci, data)
}

// options sets t's window and options from p. RFC 7323: the window of a
// SYN is not scaled, the scale is announced on the SYN and SYN-ACK only.
func (r *Recorder) options(t *layers.TCP, p *link.Packet) {
	nop := layers.TCPOption{OptionType: layers.TCPOptionKindNop, OptionLength: 1}
	if t.SYN {
		t.Window = uint16(min(p.Wnd, 65535))
		var mss [2]byte
		binary.BigEndian.PutUint16(mss[:], r.mss)
		t.Options = append(t.Options, layers.TCPOption{OptionType: layers.TCPOptionKindMSS, OptionData: mss[:]})
		switch {
		case r.sack && r.ts: // Linux: MSS, SACK_PERM, TS, NOP, WS
			t.Options = append(t.Options, layers.TCPOption{OptionType: layers.TCPOptionKindSACKPermitted}, r.tsOption(p))
		case r.sack:
			t.Options = append(t.Options, nop, nop, layers.TCPOption{OptionType: layers.TCPOptionKindSACKPermitted})
		case r.ts:
			t.Options = append(t.Options, nop, nop, r.tsOption(p))
		}
		t.Options = append(t.Options, nop, layers.TCPOption{OptionType: layers.TCPOptionKindWindowScale, OptionData: []byte{r.wscale}})
		return
	}
	if !t.RST {
		t.Window = uint16(min(p.Wnd>>r.wscale, 65535))
	}
	if r.ts && !t.RST {
		t.Options = append(t.Options, nop, nop, r.tsOption(p))
	}
	if p.NSack > 0 {
		isn := flowKey{p.Src, p.Dst, p.SrcPort, p.DstPort}.reverse().isn()
		data := make([]byte, 0, 8*int(p.NSack))
		for i := range int(p.NSack) {
			b := p.SackBlock(i)
			data = binary.BigEndian.AppendUint32(data, uint32(b.Start)+isn)
			data = binary.BigEndian.AppendUint32(data, uint32(b.End)+isn)
		}
		t.Options = append(t.Options, nop, nop, layers.TCPOption{OptionType: layers.TCPOptionKindSACK, OptionData: data})
	}
}

// tsOption returns the timestamp option of p: TSval its send time and
// TSecr the echo, in milliseconds (Linux's 1 kHz timestamp clock).
func (r *Recorder) tsOption(p *link.Packet) layers.TCPOption {
	var d [8]byte
	binary.BigEndian.PutUint32(d[0:], tsClock(p.SentAt))
	if p.TSecr >= 0 && p.Flags&link.ACK != 0 {
		binary.BigEndian.PutUint32(d[4:], tsClock(p.TSecr))
	}
	return layers.TCPOption{OptionType: layers.TCPOptionKindTimestamps, OptionData: d[:]}
}

func tsClock(t sim.Time) uint32 { return uint32(int64(t) / int64(time.Millisecond)) }

// mac returns node n's MAC address: locally administered, 02:00:00:00
// then the node's ID + 1.
func mac(n link.NodeID) net.HardwareAddr {
	v := uint32(n) + 1
	return net.HardwareAddr{0x02, 0, byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}

// ipOf returns node n's IPv4 address: 10.0.0.0 plus the node's ID + 1.
func ipOf(n link.NodeID) net.IP {
	v := uint32(n) + 1
	return net.IPv4(10, byte(v>>16), byte(v>>8), byte(v)).To4()
}

// IP returns the IPv4 address a capture gives node n (10.0.0.1 for node
// 0), for tests and for readers matching a capture to a run's nodes.
func IP(n link.NodeID) string { return ipOf(n).String() }

// filler is what bodies and undecoded messages are made of.
const filler = "connsim filler, these bytes stand for payload the model counts but does not carry. "

// fill appends the bytes [seq, seq+n) of stream f to b.
func (r *Recorder) fill(b []byte, f *flow, seq, n int64) []byte {
	end := seq + n
	pos := seq
	var msgs []span
	if f != nil {
		msgs = f.msgs
	}
	i := sort.Search(len(msgs), func(i int) bool { return msgs[i].end > seq })
	for pos < end {
		if i >= len(msgs) || msgs[i].start >= end {
			b = appendFiller(b, pos, end-pos)
			break
		}
		s := &msgs[i]
		if s.start > pos {
			b = appendFiller(b, pos, s.start-pos)
			pos = s.start
		}
		hi := min(s.end, end)
		b = s.appendBytes(b, pos-s.start, hi-pos)
		pos = hi
		i++
	}
	return b
}

func appendFiller(b []byte, at, n int64) []byte {
	for range n {
		b = append(b, filler[at%int64(len(filler))])
		at++
	}
	return b
}

// appendBytes appends n bytes of the message from offset off.
func (s *span) appendBytes(b []byte, off, n int64) []byte {
	switch s.m.Kind {
	case httpmodel.MsgRequest, httpmodel.MsgResponseHeader:
		if s.m.TLS {
			break
		}
		if s.text == nil {
			s.text = headerText(s.m, s.end-s.start)
		}
		return append(b, s.text[off:off+n]...)
	}
	return appendFiller(b, off, n)
}

// headerText returns the header lines of m, exactly size bytes: a
// request line or status line and headers, padded with an X-Pad header
// (at least 9 bytes: "X-Pad: \r\n"), or for a smaller gap with spaces
// after the first header's colon (optional whitespace, RFC 9110 5.6.3),
// or cut to size when the lines do not fit.
func headerText(m httpmodel.Message, size int64) []byte {
	version := "HTTP/1.1"
	if m.HTTP10 {
		version = "HTTP/1.0"
	}
	var first, name, value string
	var rest []string
	if m.Kind == httpmodel.MsgRequest {
		method := m.Method
		if method == "" {
			method = "GET"
		}
		target := "/"
		if m.VisitIndex > 0 {
			target = "/object/" + strconv.Itoa(m.VisitIndex)
		}
		host := m.Host
		if host == "" {
			host = "example.com"
		}
		first, name, value = method+" "+target+" "+version, "Host:", " "+host
	} else {
		first, name, value = version+" 200 OK", "Content-Length:", " "+strconv.FormatInt(m.BodyBytes, 10)
		rest = append(rest, "Content-Type: text/plain")
	}
	switch {
	case m.Close:
		rest = append(rest, "Connection: close")
	case m.KeepAlive:
		rest = append(rest, "Connection: keep-alive")
	}
	build := func(pad string, extra []string) string {
		var sb strings.Builder
		sb.WriteString(first + "\r\n" + name + pad + value + "\r\n")
		for _, h := range append(rest, extra...) {
			sb.WriteString(h + "\r\n")
		}
		sb.WriteString("\r\n")
		return sb.String()
	}
	text := build("", nil)
	gap := size - int64(len(text))
	switch {
	case gap >= 9:
		text = build("", []string{"X-Pad: " + strings.Repeat("x", int(gap-9))})
	case gap > 0:
		text = build(strings.Repeat(" ", int(gap)), nil)
	case gap < 0:
		text = text[:size]
	}
	return []byte(text)
}
