package linuxref

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/connsim/connsim/httpmodel"
	"github.com/connsim/connsim/sim/link"
	"github.com/connsim/connsim/tcp"
)

var nan = math.NaN()

// Models returns the reference's connection models in the order the
// tables print them.
func Models() []string {
	return []string{"short_lived", "persistent", "pipelined", "parallel6", "sharded2", "sharded3"}
}

// modelRank orders models as Models does.
func modelRank(m string) int { return slices.Index(Models(), m) }

// OneConnection reports whether a model uses one connection at a time
// (short_lived, persistent, pipelined).
func OneConnection(model string) bool {
	return model == "short_lived" || model == "persistent" || model == "pipelined"
}

// PageKey identifies one measured point: a model loading a page over a
// path. Linux ran every point three times.
type PageKey struct {
	Model     string
	RTTms     float64
	BWMbps    float64
	Page      string
	Lossy     bool
	QueuePkts int
}

// String names the point, e.g. "sharded3 n40x10KB 20ms/1.5Mbps".
func (k PageKey) String() string {
	s := fmt.Sprintf("%s %s %gms/%gMbps", k.Model, k.Page, k.RTTms, k.BWMbps)
	if k.Lossy {
		s += " lossy"
	}
	return s
}

// PagePoint is one point with Linux's runs.
type PagePoint struct {
	PageKey
	Runs []PageLoadRun // successful runs, in run order
}

// Median returns the median of Linux's page load times, ms.
func (p PagePoint) Median() float64 {
	return median(p.field(func(r PageLoadRun) float64 { return r.PLTMS }))
}

// Min returns the fastest of Linux's runs, ms.
func (p PagePoint) Min() float64 {
	return slices.Min(p.field(func(r PageLoadRun) float64 { return r.PLTMS }))
}

// Max returns the slowest of Linux's runs, ms.
func (p PagePoint) Max() float64 {
	return slices.Max(p.field(func(r PageLoadRun) float64 { return r.PLTMS }))
}

// SrvRetransRange returns the fewest and most server retransmissions of
// Linux's runs.
func (p PagePoint) SrvRetransRange() (lo, hi int) {
	v := p.field(func(r PageLoadRun) float64 { return float64(r.SrvRetrans) })
	return int(slices.Min(v)), int(slices.Max(v))
}

// DropsDownRange returns the fewest and most downlink drops of Linux's runs.
func (p PagePoint) DropsDownRange() (lo, hi int) {
	v := p.field(func(r PageLoadRun) float64 { return float64(r.DropsDown) })
	return int(slices.Min(v)), int(slices.Max(v))
}

func (p PagePoint) field(f func(PageLoadRun) float64) []float64 {
	v := make([]float64, len(p.Runs))
	for i, r := range p.Runs {
		v[i] = f(r)
	}
	return v
}

// PagePoints groups runs into points, in a stable order (lossless first,
// then by model, page, RTT, rate). Failed runs (Err set or no PLT) are left
// out.
func PagePoints(runs []PageLoadRun) []PagePoint {
	idx := map[PageKey]int{}
	var pts []PagePoint
	for _, r := range runs {
		if r.Err != "" || math.IsNaN(r.PLTMS) {
			continue
		}
		k := PageKey{Model: r.Model, RTTms: r.RTTms, BWMbps: r.BWMbps, Page: r.Page, Lossy: r.Lossy, QueuePkts: r.QueuePkts}
		i, ok := idx[k]
		if !ok {
			i = len(pts)
			idx[k] = i
			pts = append(pts, PagePoint{PageKey: k})
		}
		pts[i].Runs = append(pts[i].Runs, r)
	}
	slices.SortStableFunc(pts, func(a, b PagePoint) int {
		return cmp.Or(
			cmpBool(a.Lossy, b.Lossy),
			cmp.Compare(modelRank(a.Model), modelRank(b.Model)),
			cmp.Compare(a.Page, b.Page),
			cmp.Compare(a.RTTms, b.RTTms),
			cmp.Compare(a.BWMbps, b.BWMbps))
	})
	return pts
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// KiB is the reference's kilobyte.
const KiB = 1024

// heteroSizes are hetero20's objects in request order, KiB.
var heteroSizes = []int64{2, 200, 5, 12, 40, 3, 8, 100, 15, 2, 25, 60, 4, 10, 30, 6, 20, 50, 3, 8}

// PageFor returns the page the reference loaded under name: a 20 KiB HTML
// and its objects in request order. It panics on an unknown name.
func PageFor(name string) httpmodel.Page {
	var sizes []int64
	switch name {
	case "n10x10KB":
		sizes = slices.Repeat([]int64{10}, 10)
	case "n40x10KB":
		sizes = slices.Repeat([]int64{10}, 40)
	case "hetero20":
		sizes = heteroSizes
	default:
		panic(fmt.Sprintf("linuxref: unknown page %q", name))
	}
	p := httpmodel.Page{Host: "h0", HTML: 20 * KiB}
	for _, s := range sizes {
		p.Objects = append(p.Objects, httpmodel.Object{Size: s * KiB})
	}
	return p
}

// ModelFor returns the httpmodel connection model that schedules as the
// reference's model named name (see the package doc for how exactly).
func ModelFor(name string) httpmodel.Model {
	switch name {
	case "short_lived":
		return httpmodel.Model{Kind: httpmodel.ShortLived}
	case "persistent":
		return httpmodel.Model{Kind: httpmodel.Persistent}
	case "pipelined":
		return httpmodel.Model{Kind: httpmodel.Pipelined} // depth unlimited: all requests in one write
	case "parallel6":
		return httpmodel.Model{Kind: httpmodel.Parallel, Connections: 6, BindOnDial: true}
	case "sharded2":
		return httpmodel.Model{Kind: httpmodel.Sharded, Connections: 6, Shards: 2, BindOnDial: true}
	case "sharded3":
		return httpmodel.Model{Kind: httpmodel.Sharded, Connections: 6, Shards: 3, BindOnDial: true}
	}
	panic(fmt.Sprintf("linuxref: unknown model %q", name))
}

// The reference's HTTP/1.1 wire format (README "How they were measured"):
//
//	GET /o?s=<size>&id=<id> HTTP/1.1\r\nHost: h<k>\r\nConnection: keep-alive\r\n\r\n
//	HTTP/1.1 200 OK\r\nContent-Length: <size>\r\nConnection: keep-alive\r\n\r\n
//
// with Connection: close instead under short_lived, in the request and
// (the uplink and downlink byte counts of the detail file show) in the
// response too. The id has 13 digits in the measured runs: the lossless
// runs' uplink payload is exactly 73 + digits(size) bytes per keep-alive
// request and 68 + digits(size) per short-lived one.
const (
	idDigits      = 13
	requestFixed  = len("GET /o?s=&id= HTTP/1.1\r\nHost: h0\r\nConnection: keep-alive\r\n\r\n") + idDigits
	responseFixed = len("HTTP/1.1 200 OK\r\nContent-Length: \r\nConnection: keep-alive\r\n\r\n")
	closeShorter  = len("keep-alive") - len("close")
)

// RequestBytes returns the size of the reference's request for an object
// of size body bytes.
func RequestBytes(size int64, shortLived bool) int64 {
	n := int64(requestFixed + digits(size))
	if shortLived {
		n -= int64(closeShorter)
	}
	return n
}

// ResponseHeaderBytes returns the size of the reference's response header
// for a body of size bytes.
func ResponseHeaderBytes(size int64, shortLived bool) int64 {
	n := int64(responseFixed + digits(size))
	if shortLived {
		n -= int64(closeShorter)
	}
	return n
}

func digits(n int64) int { return len(fmt.Sprint(n)) }

// pageHeaderBytes returns the request and response header sizes for a
// page: httpmodel takes one size of each per run, so the page's mean over
// its HTML and objects, rounded to the nearest byte (exact for
// n10x10KB and n40x10KB, whose bodies all have 5 digits; hetero20's
// bodies have 4 to 6, so its headers are off by up to a byte each).
func pageHeaderBytes(page httpmodel.Page, shortLived bool) (req, resp int64) {
	sizes := []int64{page.HTML}
	for _, o := range page.Objects {
		sizes = append(sizes, o.Size)
	}
	var sq, sr int64
	for _, s := range sizes {
		sq += RequestBytes(s, shortLived)
		sr += ResponseHeaderBytes(s, shortLived)
	}
	n := int64(len(sizes))
	return (2*sq + n) / (2 * n), (2*sr + n) / (2 * n)
}

// TCPConfig returns the TCP settings of the reference's kernel, as far as
// tcp.Config expresses them: MSS 1460 with timestamps, so 1448 payload
// bytes and 40 + 12 header bytes per packet, IW 10, delayed ACKs, Nagle off (TCP_NODELAY),
// slow start after idle in Linux's mode (ssai), cc "newreno" for Linux's
// reno. Everything else is tcp.DefaultConfig, whose defaults are meant to
// be Linux's.
func TCPConfig(cc string, ssai bool) tcp.Config {
	c := tcp.DefaultConfig()
	c.MSS = 1460
	c.HeaderBytes = 40
	c.Timestamps = true
	c.InitialWindow = 10
	switch cc {
	case "reno", "newreno":
		c.CC = "newreno"
	default:
		c.CC = cc
	}
	c.DelayedAck = true
	c.Nagle = false
	c.SlowStartAfterIdle = ssai
	c.IdleRestart = tcp.RestartLinux
	return c
}

// Bandwidth converts the reference's Mbit/s.
func Bandwidth(mbps float64) link.Bandwidth {
	return link.Bandwidth(math.Round(mbps * float64(link.Mbps)))
}

// Duration converts the reference's milliseconds.
func Duration(ms float64) time.Duration {
	return time.Duration(math.Round(ms * float64(time.Millisecond)))
}

// PageConfig returns the httpmodel configuration that matches point k:
// the path (RTT, rate both ways, a drop-tail queue of QueuePkts waiting
// packets per direction, no random loss, no DNS), the kernel's TCP
// settings, the page, the model, the wire format's header sizes, no TLS,
// and a server that neither times out idle connections nor limits
// requests during a page load (as the reference's Go server).
func PageConfig(k PageKey) httpmodel.Config {
	page := PageFor(k.Page)
	short := k.Model == "short_lived"
	req, resp := pageHeaderBytes(page, short)
	return httpmodel.Config{
		Network: httpmodel.Network{
			RTT:          Duration(k.RTTms),
			Bandwidth:    Bandwidth(k.BWMbps),
			QueuePackets: k.QueuePkts,
		},
		TCP:                 TCPConfig("reno", true),
		HTTPVersion:         "1.1",
		RequestBytes:        req,
		ResponseHeaderBytes: resp,
		Server:              httpmodel.Server{KeepAliveTimeout: time.Minute, MaxRequests: 1000},
		Page:                page,
		Model:               ModelFor(k.Model),
		MaxSimTime:          5 * time.Minute,
	}
}

// PageSim is what connsim gives for one point.
type PageSim struct {
	PLTMS       float64
	Connections int
	SrvRetrans  int // segments the server sent again
	SrvRTOs     int // the server's retransmission timeouts
	DropsDown   int // server->client packets dropped
	DropsUp     int
	Err         error
}

// SimulatePage runs point k once (connsim is deterministic; seed 1).
func SimulatePage(k PageKey) PageSim {
	cfg := PageConfig(k)
	cfg.Trace = true
	res := httpmodel.Run(cfg, 1)
	s := PageSim{PLTMS: httpmodel.Milliseconds(res.Metrics.PLT), Connections: res.Metrics.Connections, Err: res.Err}
	for _, c := range res.Conns {
		for _, g := range c.Segments {
			switch {
			case g.Dropped && g.FromClient:
				s.DropsUp++
			case g.Dropped:
				s.DropsDown++
			}
			if g.Retransmit && !g.FromClient {
				s.SrvRetrans++
			}
		}
	}
	return s
}

// PageResult is one point compared: Linux's runs against connsim.
type PageResult struct {
	PagePoint
	Linux, LinuxMin, LinuxMax float64 // ms: median, fastest, slowest run
	Sim                       PageSim
	Err                       float64 // (sim - median) / median
}

// ComparePages simulates every point.
func ComparePages(pts []PagePoint) []PageResult {
	out := make([]PageResult, len(pts))
	for i, p := range pts {
		s := SimulatePage(p.PageKey)
		r := PageResult{PagePoint: p, Linux: p.Median(), LinuxMin: p.Min(), LinuxMax: p.Max(), Sim: s}
		r.Err = (s.PLTMS - r.Linux) / r.Linux
		if s.Err != nil || math.IsNaN(s.PLTMS) {
			r.Err = math.Inf(1)
		}
		out[i] = r
	}
	return out
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return nan
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// quantile returns the q-quantile of v by linear interpolation between
// order statistics (type 7, as R's and numpy's default).
func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return nan
	}
	s := slices.Clone(v)
	slices.Sort(s)
	h := q * float64(len(s)-1)
	lo := int(math.Floor(h))
	hi := min(lo+1, len(s)-1)
	return s[lo] + (h-float64(lo))*(s[hi]-s[lo])
}
