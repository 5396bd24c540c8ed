package experiments

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Spec is one experiment file: every key of docs/experiment-format.md.
// Load fills the defaults; the zero values that remain have the meaning
// documented on each field. Field tags: yaml is the key, range the
// accepted values (checked when the file is loaded), enum the accepted
// words, maxlen the most characters a text may have.
type Spec struct {
	Name        string      `yaml:"name"`                                 // required; [a-z0-9][a-z0-9-]*, at most 64 characters
	Title       string      `yaml:"title,omitempty" maxlen:"200"`         // one-line title for the report; at most 200 characters
	Description string      `yaml:"description,omitempty" maxlen:"20000"` // free text for the report; at most 20000 characters
	Seed        uint64      `yaml:"seed" label:"base seed"`               // base of every run's seed; default 1
	Repeat      int         `yaml:"repeat" range:"1..10000"`
	Limits      LimitsSpec  `yaml:"limits"`
	Network     NetworkSpec `yaml:"network"`
	TCP         TCPSpec     `yaml:"tcp"`
	TLS         string      `yaml:"tls" enum:"none|tls12|tls13" label:"TLS"`
	HTTP        HTTPSpec    `yaml:"http"`
	Client      ClientSpec  `yaml:"client"`
	// TLSResumption and TLS0RTT (ext, issue 14): TLS session resumption
	// and TLS 1.3 early data (tlskeys.go); default false.
	TLSResumption bool `yaml:"tls_resumption,omitempty" label:"TLS session resumption"`
	TLS0RTT       bool `yaml:"tls_0rtt,omitempty" label:"TLS 1.3 0-RTT"`
	// Clients (ext, issue 11) replaces the single client with
	// populations of clients; empty = the single client of client: and
	// page:, as before.
	Clients []PopulationSpec `yaml:"clients,omitempty"`
	Server  ServerSpec       `yaml:"server"`
	// Servers (ext) replaces the one server of clients: with several,
	// each serving its hostnames over its own link; empty = one server
	// (server:) serving every hostname, as before.
	Servers []ServerSiteSpec `yaml:"servers,omitempty"`
	// Proxies (ext, issue 12) puts proxies between the clients and the
	// servers (proxies.go); empty = none, as before.
	Proxies []ProxySpec `yaml:"proxies,omitempty"`
	Page    PageSpec    `yaml:"page"`
	Models  []ModelSpec `yaml:"models"`
	Sweep   Sweep       `yaml:"sweep,omitempty"`
	Plots   []PlotSpec  `yaml:"plots,omitempty"`
	// Labels (ext) names swept values for figures and the report: key ->
	// one name per value, in sweep order, e.g. network: [LAN, WAN].
	Labels SweepLabels `yaml:"labels,omitempty"`
	// Capture (ext, issue 13) writes packet captures of the runs it
	// selects (capture.go); the zero value writes none.
	Capture CaptureSpec `yaml:"capture,omitempty"`
	// Outputs (ext, issue 13) lists output files beyond the tables:
	// "har" writes har/<run>.har, each run's page loads as HAR 1.2.
	Outputs []string `yaml:"outputs,omitempty"`

	src *source // the file it was loaded from; nil for a Spec built in code
}

// source remembers what Load found in the file a Spec came from: the
// node of each key path, so that Points reports problems at the file's
// lines, and each sweep value decoded, so that Points applies it without
// decoding it again.
type source struct {
	file       string
	nodes      map[string]*yaml.Node             // key path -> its value node
	pointNodes map[int][]*yaml.Node              // plot index -> the nodes of its point's values
	values     map[string]map[string]*sweptValue // sweep key -> value text -> the value decoded
	checked    *Spec                             // a deep copy of the spec when Load checked every point (pristine.go); nil otherwise
}

// LimitsSpec bounds one run; a run past either limit fails (its row
// carries the error, the other runs go on).
type LimitsSpec struct {
	MaxSimTime Duration `yaml:"max_sim_time" range:"1ms..24h" label:"virtual time limit"` // virtual time; default 10m
	MaxEvents  int64    `yaml:"max_events" range:"1..1000000000000" label:"event limit"`  // simulator events; default 500000000
}

// NetworkSpec is the path between client and server.
type NetworkSpec struct {
	RTT       Duration    `yaml:"rtt" range:"0s..60s" label:"RTT"`                                  // round-trip propagation delay; default 100ms
	Bandwidth Rate        `yaml:"bandwidth" range:"1Kbps..100Gbps" label:"bandwidth"`               // bottleneck rate; default 10Mbps
	Uplink    Rate        `yaml:"uplink,omitempty" range:"1Kbps..100Gbps" label:"uplink bandwidth"` // client->server rate; 0 = same as Bandwidth (Point.Spec has it filled)
	Queue     QueueSize   `yaml:"queue" label:"bottleneck queue"`                                   // drop-tail queue at the bottleneck; default 256KB; 0 = unlimited
	Loss      Probability `yaml:"loss" label:"random packet loss"`                                  // random loss per packet; default 0
	DNS       Duration    `yaml:"dns" range:"0s..60s" label:"DNS lookup time"`                      // one DNS lookup, once per hostname; default 0
}

// UplinkRate returns the client->server rate: Uplink, or Bandwidth when
// Uplink is not set.
func (n NetworkSpec) UplinkRate() Rate {
	if n.Uplink == 0 {
		return n.Bandwidth
	}
	return n.Uplink
}

// TCPSpec holds the TCP settings of both endpoints.
type TCPSpec struct {
	CC                 string   `yaml:"cc" enum:"newreno|cubic" label:"congestion control"`                    // congestion control; default newreno
	MSS                Size     `yaml:"mss" range:"536..9000" label:"MSS" unit:"bytes"`                        // the announced MSS; with timestamps a full segment carries mss-12 payload bytes; default 1460
	InitialWindow      int      `yaml:"initial_window" range:"1..1000" label:"initial window" unit:"segments"` // segments; default 10 (RFC 6928)
	DelayedACK         bool     `yaml:"delayed_ack" label:"delayed ACKs"`                                      // ACK every 2nd segment or after DelayedACKTimeout; default true
	DelayedACKTimeout  Duration `yaml:"delayed_ack_timeout" range:"1ms..500ms" label:"delayed-ACK timeout"`    // extension; default 40ms (Linux); RFC 1122 caps it at 500ms
	Nagle              bool     `yaml:"nagle" label:"Nagle's algorithm"`                                       // default false (TCP_NODELAY)
	SlowStartAfterIdle bool     `yaml:"slow_start_after_idle" label:"slow start after idle"`                   // default true
	IdleRestart        string   `yaml:"idle_restart" enum:"rfc5681|linux" label:"restart after idle"`          // default rfc5681
	InitialRTO         Duration `yaml:"initial_rto" range:"1ms..60s" label:"initial RTO"`                      // default 1s (RFC 6298)
	MinRTO             Duration `yaml:"min_rto" range:"1ms..60s" label:"minimum RTO"`                          // default 200ms (Linux); at most InitialRTO
	ReceiveWindow      Size     `yaml:"receive_window" range:"536..1GiB" label:"receive window"`               // bytes; default 4MiB; at least MSS

	// Loss recovery and window accounting (ext, issue 9). The defaults
	// are Linux's; the other values are the textbook sender of RFC 5681.
	Recovery     string `yaml:"recovery" enum:"sack|newreno" label:"loss recovery"`         // default sack: SACK, RACK, TLP, PRR (tcp.RecoverySACK)
	CwndCounting string `yaml:"cwnd_counting" enum:"packets|bytes" label:"cwnd counted in"` // default packets (Linux); bytes: RFC 3465
	RTOEstimator string `yaml:"rto_estimator" enum:"linux|rfc6298" label:"RTO estimator"`   // default linux
	Timestamps   bool   `yaml:"timestamps" label:"TCP timestamps"`                          // RFC 7323 option, 12 bytes per segment; default true
	Undo         bool   `yaml:"undo" label:"undo of spurious retransmissions"`              // undo spurious retransmissions; default true; only with recovery sack
	TLP          bool   `yaml:"tlp" label:"tail loss probe"`                                // tail loss probe; default true; only with recovery sack
	QuickACK     bool   `yaml:"quick_ack" label:"quick ACKs"`                               // Linux's quick-ACK receiver; default true; only with delayed_ack
	HyStart      bool   `yaml:"hystart" label:"HyStart"`                                    // hybrid slow start; default true; only with cc cubic
}

// HTTPSpec holds the HTTP message sizes and version.
type HTTPSpec struct {
	Version             string `yaml:"version" enum:"1.0|1.1" label:"HTTP version"`                                // default "1.1"
	RequestBytes        Size   `yaml:"request_bytes" range:"1..1MB" label:"request headers" unit:"bytes"`          // request headers on the wire; default 400
	ResponseHeaderBytes Size   `yaml:"response_header_bytes" range:"0..1MB" label:"response headers" unit:"bytes"` // response headers, added to each body; default 300
}

// ClientSpec is the browser's behaviour across visits.
type ClientSpec struct {
	Visits      int      `yaml:"visits" range:"1..1000" label:"page visits"`                      // page loads, one after another; default 1
	ReadingTime Duration `yaml:"reading_time" range:"0s..1h" label:"reading time between visits"` // pause between visits; default 0

	// The pipelining client's defence against broken pipelines (ext,
	// issue 12; httpmodel's breakers.go). Written by MarshalResolved
	// only when set, so files that do not set them resolve as before.
	PipeliningFallback DefaultTrue `yaml:"pipelining_fallback,omitempty" label:"pipelining fallback"`                     // detect broken pipelines, stop pipelining to the host, replay; default true
	PipeliningTimeout  Duration    `yaml:"pipelining_timeout,omitempty" range:"1ms..1h" label:"pipelining stall timeout"` // no response for this long with requests pipelined behind: a stall; default 1.5s
}

// DefaultTrue is a true/false setting whose default is true. Its zero
// value is "not set" (true), so that a file that does not set it
// resolves, and is written by MarshalResolved, as before the setting
// existed.
type DefaultTrue uint8

// The values of a DefaultTrue.
const (
	DefaultTrueUnset DefaultTrue = iota // not set: true
	DefaultTrueOn                       // set to true
	DefaultTrueOff                      // set to false
)

// Bool returns the setting's value.
func (b DefaultTrue) Bool() bool { return b != DefaultTrueOff }

// String returns "true" or "false".
func (b DefaultTrue) String() string { return strconv.FormatBool(b.Bool()) }

// UnmarshalYAML reads true or false (yes/no, on/off).
func (b *DefaultTrue) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalarText(n, "true or false")
	if err != nil {
		return err
	}
	v, ok := parseBool(s)
	if !ok {
		return fmt.Errorf("%q is not true or false", s)
	}
	*b = DefaultTrueOff
	if v {
		*b = DefaultTrueOn
	}
	return nil
}

// MarshalYAML writes true or false.
func (b DefaultTrue) MarshalYAML() (any, error) { return b.Bool(), nil }

// ServerSpec is the origin server.
type ServerSpec struct {
	ThinkTime        Duration `yaml:"think_time" range:"0s..60s" label:"server think time"`                // processing time per request; default 0
	KeepAliveTimeout Duration `yaml:"keep_alive_timeout" range:"0s..1h" label:"keep-alive timeout"`        // idle persistent connection lifetime; default 5s
	MaxRequests      int      `yaml:"max_requests" range:"0..1000000" label:"max requests per connection"` // per persistent connection; default 100; 0 = unlimited
	MaxConnections   int      `yaml:"max_connections" range:"0..100000" label:"max server connections"`    // open at once; default 0 = unlimited

	// Server resources (ext, issue 11); 0 (the default) = no limit.
	Backlog                 int  `yaml:"backlog,omitempty" range:"0..100000" label:"listen backlog"`                                // connections waiting beyond the capacity; 0 = refuse them at once with a reset
	MaxConnectionsPerClient int  `yaml:"max_connections_per_client,omitempty" range:"0..100000" label:"max connections per client"` // per client address, open or waiting; beyond it refused with a reset
	Workers                 int  `yaml:"workers,omitempty" range:"0..100000" label:"server workers"`                                // thread per connection: a connection holds a worker until it closes; 0 = event-driven
	MemoryPerConnection     Size `yaml:"memory_per_connection,omitempty" range:"0..1GB" label:"server memory per connection"`       // bytes an open connection costs (server_memory_max_bytes)

	// Pipelining (ext, issue 12) is how the server handles pipelined
	// requests: ok (as RFC 9112 9.3.2 says), or a broken behaviour of
	// real servers and middleboxes (httpmodel's breakers.go); "" = ok.
	Pipelining string `yaml:"pipelining,omitempty" enum:"ok|serial|close-after-first|drop-after-first|out-of-order" label:"server pipelining"`
}

// PageSpec is what the client loads: the HTML, then its objects.
type PageSpec struct {
	Host    string       `yaml:"host,omitempty" kind:"hostname"`         // extension: the page's hostname; default example.com
	HTML    Size         `yaml:"html" range:"0..10GB" label:"HTML size"` // default 20KB
	Objects []ObjectSpec `yaml:"objects"`                                // requested once the HTML has arrived, in order
	// HAR (ext, issue 13) is a HAR file (relative to the experiment
	// file) whose first page is the page: Load reads it into Host, HTML
	// and Objects and clears HAR, ExcludeHosts and First (see
	// ReadHARPage and docs/experiment-format.md).
	HAR          string   `yaml:"har,omitempty" label:"HAR file"`
	ExcludeHosts []string `yaml:"exclude_hosts,omitempty" label:"hosts left out of the HAR file"` // with har: leave out these hosts' entries ("*.example.com": its subdomains)
	First        int      `yaml:"first,omitempty" range:"0..100000" label:"HAR entries kept"`     // with har: only the first N entries in request order; 0 = all
}

// ObjectSpec is one kind of embedded object; Count copies are requested.
type ObjectSpec struct {
	Size   Size   `yaml:"size" range:"0..10GB" label:"object size"`                      // response body bytes; required
	Count  int    `yaml:"count" range:"1..10000" label:"object count"`                   // default 1
	Host   string `yaml:"host,omitempty" kind:"hostname"`                                // "" = the page's host (Point.Spec has it filled)
	Method string `yaml:"method" enum:"GET|POST|PUT|DELETE|HEAD" label:"request method"` // extension; default GET
}

// The connection models.
const (
	ShortLived = "short-lived" // one connection per request
	Persistent = "persistent"  // keep-alive connections, one request at a time
	Pipelined  = "pipelined"   // keep-alive connections, requests pipelined up to Depth
	Parallel   = "parallel"    // persistent connections per host, browser-like
	Sharded    = "sharded"     // parallel over Shards hostnames
	HTTP2      = "http2"       // one multiplexed connection per origin
)

// ModelSpec is one entry of models, resolved: every option has its value.
type ModelSpec struct {
	Name        string // one of the model constants
	Label       string // unique within the experiment; fills the model column
	Connections int    // connections per host (1..1000); default 1, parallel's and sharded's 6
	Depth       int    // pipelined: requests outstanding per connection (0..1000); 0 = unlimited; 0 for others
	Shards      int    // sharded: hostnames (1..64), default 2; http2: the site's hostnames, default 1; 1 for every other model
	Start       string // http2: prior-knowledge or upgrade; "" for others
	// NoCoalesce (http2 option coalesce: false, ext, issue 14): one
	// connection per hostname instead of one for all the hostnames of a
	// server (RFC 9113 9.1.1). A resolved file writes coalesce only
	// when it is off, and shards for http2 only when above 1.
	NoCoalesce bool
	// HTTPVersion (option http_version, ext, issue 14) is "1.0" or
	// "1.1" for this model alone, overriding http.version; "" = the
	// spec's http.version. Any model takes it; a resolved file writes
	// it only when it is set.
	HTTPVersion string
}

// modelKinds lists the models, their options in canonical order and their
// default connection counts.
var modelKinds = []struct {
	name    string
	options []string
	conns   int
}{
	{ShortLived, []string{"connections"}, 1},
	{Persistent, []string{"connections"}, 1},
	{Pipelined, []string{"connections", "depth"}, 1},
	{Parallel, []string{"connections"}, 6},
	{Sharded, []string{"connections", "shards"}, 6},
	{HTTP2, []string{"connections", "start", "shards", "coalesce"}, 1},
}

// modelOptions is every model option, in the order MarshalResolved writes them.
var modelOptions = []string{"connections", "depth", "shards", "start", "coalesce", "http_version", "label"}

// newModel returns the model called name with its default options.
func newModel(name string) (ModelSpec, bool) {
	for _, k := range modelKinds {
		if k.name == name {
			m := ModelSpec{Name: name, Label: name, Connections: k.conns, Shards: 1}
			switch name {
			case Sharded:
				m.Shards = 2
			case HTTP2:
				m.Start = "prior-knowledge"
			}
			return m, true
		}
	}
	return ModelSpec{}, false
}

// Accepts reports whether the model takes the option (label and
// http_version are taken by every model).
func (m ModelSpec) Accepts(option string) bool {
	if option == "label" || option == "http_version" {
		return true
	}
	for _, k := range modelKinds {
		if k.name == m.Name {
			for _, o := range k.options {
				if o == option {
					return true
				}
			}
		}
	}
	return false
}

func (m ModelSpec) optionNames() []string {
	for _, k := range modelKinds {
		if k.name == m.Name {
			return append(append([]string(nil), k.options...), "label")
		}
	}
	return []string{"label"}
}

// MarshalYAML writes the model as {name: {option: value, ..., label: L}}
// with every option it takes, so the file reads back to the same model.
func (m ModelSpec) MarshalYAML() (any, error) {
	opts := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
	add := func(k string, v any) {
		var vn yaml.Node
		if err := vn.Encode(v); err != nil {
			panic(err) // ints and strings always encode
		}
		opts.Content = append(opts.Content, strNode(k), &vn)
	}
	for _, o := range m.optionNames() {
		switch o {
		case "connections":
			add(o, m.Connections)
		case "depth":
			add(o, m.Depth)
		case "shards":
			if m.Name != HTTP2 || m.Shards != 1 {
				add(o, m.Shards)
			}
		case "start":
			add(o, m.Start)
		case "coalesce":
			if m.NoCoalesce {
				add(o, false)
			}
		case "label":
			if m.HTTPVersion != "" {
				add("http_version", m.HTTPVersion)
			}
			add(o, m.Label)
		}
	}
	return &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{strNode(m.Name), opts}}, nil
}

// Sweep lists the swept keys in file order. The runs are the cartesian
// product of their values, the first key outermost.
type Sweep []SweepAxis

// SweepAxis is one swept key and its values in file order.
type SweepAxis struct {
	Key    string       // as written: a key path such as "network.rtt" or "page.objects[0].size", or "model.<option>"
	Values []SweepValue // at least one
}

// SweepValue is one value of a swept key.
type SweepValue struct {
	Text  string  // as written, e.g. "50ms"; a list or mapping value in YAML flow style
	Value float64 // the plain number of the output files (see AxisValue), or the index in Values for text, lists and mappings
	Label string  // its name from the spec's labels (ext), "" when it has none
}

// SweepLabels names the values of swept keys, in file order.
type SweepLabels []SweepLabel

// SweepLabel names the values of one swept key, one name per value in
// sweep order.
type SweepLabel struct {
	Key   string
	Names []string
}

// MarshalYAML writes the labels as a mapping, each key's names as a flow
// list.
func (l SweepLabels) MarshalYAML() (any, error) {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for _, k := range l {
		seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, n := range k.Names {
			seq.Content = append(seq.Content, strNode(n))
		}
		m.Content = append(m.Content, strNode(k.Key), seq)
	}
	return m, nil
}

// MarshalYAML writes the sweep as a mapping, each key's values as a flow list.
func (s Sweep) MarshalYAML() (any, error) {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for _, a := range s {
		seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		text := isTextKey(a.Key)
		for _, v := range a.Values {
			seq.Content = append(seq.Content, valueNode(v.Text, text))
		}
		m.Content = append(m.Content, strNode(a.Key), seq)
	}
	return m, nil
}

// Axis returns the axis with the given key.
func (s Sweep) Axis(key string) (SweepAxis, bool) {
	for _, a := range s {
		if a.Key == key {
			return a, true
		}
	}
	return SweepAxis{}, false
}

// The plot kinds.
const (
	PlotLine      = "line"
	PlotBar       = "bar"
	PlotWaterfall = "waterfall"
	PlotCwnd      = "cwnd"
	PlotSequence  = "sequence"
	PlotServer    = "server" // ext: server open connections, busy workers and backlog against time, one run (clients: only)
	PlotCDF       = "cdf"    // ext: PLT CDF across clients, one line per model, at a point (clients: only)
	PlotLadder    = "ladder" // ext: ladder diagram of the first packets of one run (all connections, or connection)
)

// PlotSpec is one figure. Load fills the defaults that apply to its kind
// and leaves the other fields zero.
type PlotSpec struct {
	Kind       string    `yaml:"kind" enum:"line|bar|waterfall|cwnd|sequence|server|cdf|ladder"` // default line
	X          string    `yaml:"x,omitempty"`                                                    // line: a swept key (default the first); bar: a swept key or "model" (default)
	Y          string    `yaml:"y,omitempty"`                                                    // line, bar: a metric of MetricNames; default plt_ms
	Series     string    `yaml:"series,omitempty"`                                               // line, bar: "model" (default), a swept key, or "none" (bar by model's default)
	Title      string    `yaml:"title,omitempty" maxlen:"200"`                                   // "" = the plots package chooses; at most 200 characters
	Model      string    `yaml:"model,omitempty"`                                                // a model label; waterfall, cwnd, sequence: default the first model; line, bar: only that model
	Point      PlotPoint `yaml:"point,omitempty"`                                                // swept key -> value; waterfall, cwnd, sequence: every swept key, default its first value
	LogX       bool      `yaml:"log_x,omitempty"`
	LogY       bool      `yaml:"log_y,omitempty"`
	Connection int       `yaml:"connection,omitempty" range:"0..100000"`  // cwnd: 0 (default) = every connection; sequence: default 1
	Run        int       `yaml:"run,omitempty" range:"0..9999"`           // waterfall, cwnd, sequence: the repetition; default 0; below repeat
	Style      string    `yaml:"style,omitempty" enum:"line|step|points"` // line: how medians are joined; "" = line (straight joins)
}

// PlotPoint fixes swept keys to values, in file order.
type PlotPoint []PointSetting

// PointSetting is one key of a plot's point. Load replaces Text by the
// swept value it matches, so "0.1s" becomes "100ms" when the sweep says so.
type PointSetting struct {
	Key   string  // a swept key
	Text  string  // one of the key's swept values, as written in the sweep
	Value float64 // that value's SweepValue.Value
}

// MarshalYAML writes the point as a flow mapping.
func (p PlotPoint) MarshalYAML() (any, error) {
	m := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
	for _, s := range p {
		m.Content = append(m.Content, strNode(s.Key), valueNode(s.Text, isTextKey(s.Key)))
	}
	return m, nil
}

// Where returns the point as key -> value, the form package plots filters on.
func (p PlotPoint) Where() map[string]float64 {
	w := make(map[string]float64, len(p))
	for _, s := range p {
		w[s.Key] = s.Value
	}
	return w
}

// defaultSpec returns a Spec with every default of experiment-format.md.
// Models is left empty: Load puts [persistent] there when the file has no
// models key.
func defaultSpec() *Spec {
	return &Spec{
		Seed:   1,
		Repeat: 1,
		Limits: LimitsSpec{MaxSimTime: Duration(10 * time.Minute), MaxEvents: 500_000_000},
		Network: NetworkSpec{
			RTT:       Duration(100 * time.Millisecond),
			Bandwidth: 10 * Mbps,
			Queue:     QueueSize{Bytes: 256_000},
		},
		TCP: TCPSpec{
			CC:                 "newreno",
			MSS:                1460,
			InitialWindow:      10, // RFC 6928
			DelayedACK:         true,
			DelayedACKTimeout:  Duration(40 * time.Millisecond),
			SlowStartAfterIdle: true,
			IdleRestart:        "rfc5681",
			InitialRTO:         Duration(time.Second),
			MinRTO:             Duration(200 * time.Millisecond),
			ReceiveWindow:      4 << 20,
			Recovery:           "sack",
			CwndCounting:       "packets",
			RTOEstimator:       "linux",
			Timestamps:         true,
			Undo:               true,
			TLP:                true,
			QuickACK:           true,
			HyStart:            true,
		},
		TLS:    "none",
		HTTP:   HTTPSpec{Version: "1.1", RequestBytes: 400, ResponseHeaderBytes: 300},
		Client: ClientSpec{Visits: 1},
		Server: ServerSpec{KeepAliveTimeout: Duration(5 * time.Second), MaxRequests: 100},
		Page:   PageSpec{Host: "example.com", HTML: 20_000},
	}
}

// defaultObject returns an object entry before its keys are decoded.
func defaultObject() ObjectSpec { return ObjectSpec{Count: 1, Method: "GET"} }

// MaxFileSize is the largest experiment file Load accepts, in bytes: far
// more than any experiment needs (the sweep and page bounds are reached
// well before), and little enough to read and check at once.
const MaxFileSize = 10 << 20

// LoadFile reads and loads the experiment file at path. A file larger
// than MaxFileSize is refused without reading it all (a regular file by
// its size, anything else, such as /dev/zero, after MaxFileSize+1 bytes).
func LoadFile(path string) (*Spec, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > MaxFileSize {
		return nil, fileTooLarge(path, fi.Size())
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	return Load(path, data)
}

// fileTooLarge is the problem of a file of size bytes (-1: not known, only
// that it is more than MaxFileSize).
func fileTooLarge(file string, size int64) error {
	msg := fmt.Sprintf("the file is larger than the %d bytes (10 MiB) an experiment file may hold", MaxFileSize)
	if size >= 0 {
		msg = fmt.Sprintf("the file is %d bytes, more than the %d bytes (10 MiB) an experiment file may hold", size, MaxFileSize)
	}
	return ErrorList{{File: file, Msg: msg}}
}

// Load parses an experiment file, fills the defaults and checks every
// value. filename is used only in error messages. On failure the error is
// an ErrorList holding every problem found, sorted by position.
func Load(filename string, data []byte) (*Spec, error) {
	if len(data) > MaxFileSize {
		return nil, fileTooLarge(filename, -1)
	}
	st, errs := loadBase(filename, data)
	switch {
	case st == nil: // a syntax error: nothing decoded
	case len(errs) == 0:
		_, errs = st.points(maxLoadCheckedPoints, 1, 1, false)
	default:
		// Report the checks that involve several keys (min_rto above
		// initial_rto, a queue too small for a packet, ...) with the
		// others, as far as the first point shows them: every problem
		// at once. A point's spec repeats the file's own errors; keep
		// those once.
		_, perrs := st.points(1, 1, 1, false)
		seen := map[Error]bool{}
		for _, e := range errs {
			seen[*e] = true
		}
		for _, e := range perrs {
			if !seen[*e] {
				seen[*e] = true
				errs = append(errs, e)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs.sorted()
	}
	s := st.spec
	s.src = &source{file: filename, nodes: st.d.nodes, pointNodes: st.pointNodes, values: map[string]map[string]*sweptValue{}}
	for _, a := range st.axes {
		byText := make(map[string]*sweptValue, len(a.values))
		for i, v := range a.values {
			byText[v.Text] = a.vals[i]
		}
		s.src.values[a.key] = byText
	}
	all := 1
	for _, a := range st.axes {
		all *= len(a.nodes)
	}
	if all <= maxLoadCheckedPoints { // every point checked above
		s.src.checked = snapshot(s)
	}
	return s, nil
}

// maxLoadCheckedPoints is how many sweep points Load builds and checks;
// Points checks every point of larger sweeps.
const maxLoadCheckedPoints = 10000

// MarshalResolved returns the spec as YAML with every default filled in,
// model options and labels written out: the experiment.yaml of a run.
// Loading it gives an equal Spec. Keys whose default depends on another
// key (network.uplink, page.objects[].host) are written only when set.
func (s *Spec) MarshalResolved() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("# connsim experiment, resolved: every default filled in.\n")
	doc, err := toNode(reflect.ValueOf(s).Elem())
	if err != nil {
		return nil, fmt.Errorf("experiments: marshal %s: %w", s.Name, err)
	}
	if err := pruneInherited(s, doc); err != nil {
		return nil, fmt.Errorf("experiments: marshal %s: %w", s.Name, err)
	}
	quoteRisky(doc)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("experiments: marshal %s: %w", s.Name, err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// toNode builds the YAML node of a spec value: the yaml keys and
// omitempty of the struct tags, the MarshalYAML of the unit types. It does
// not use Node.Encode, which round-trips through the emitter and parser
// and fails on the text quoteRisky exists for.
func toNode(v reflect.Value) (*yaml.Node, error) {
	if m, ok := v.Interface().(yaml.Marshaler); ok {
		r, err := m.MarshalYAML()
		if err != nil {
			return nil, err
		}
		if n, ok := r.(*yaml.Node); ok {
			return n, nil
		}
		return toNode(reflect.ValueOf(r))
	}
	switch v.Kind() {
	case reflect.Struct:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		t := v.Type()
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("yaml")
			if !sf.IsExported() || tag == "" || tag == "-" {
				continue
			}
			key, opts, _ := strings.Cut(tag, ",")
			fv := v.Field(i)
			if opts == "omitempty" && isEmpty(fv) {
				continue
			}
			c, err := toNode(fv)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, strNode(key), c)
		}
		return n, nil
	case reflect.Slice:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		if v.Len() == 0 {
			n.Style = yaml.FlowStyle
		}
		for i := range v.Len() {
			c, err := toNode(v.Index(i))
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, c)
		}
		return n, nil
	case reflect.String:
		return strNode(v.String()), nil
	case reflect.Bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v.Bool())}, nil
	case reflect.Int, reflect.Int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v.Int(), 10)}, nil
	case reflect.Uint64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatUint(v.Uint(), 10)}, nil
	case reflect.Float64:
		f := strconv.FormatFloat(v.Float(), 'g', -1, 64)
		tag := "!!float"
		if _, err := strconv.ParseInt(f, 10, 64); err == nil {
			tag = "!!int" // "0" and "1" read as integers; the value is the same
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: f}, nil
	}
	return nil, fmt.Errorf("no YAML form for %s", v.Type())
}

func isEmpty(v reflect.Value) bool {
	if v.Kind() == reflect.Slice {
		return v.Len() == 0
	}
	return v.IsZero()
}

// quoteRisky writes every string that holds a risky rune (a tab, another
// control character, a YAML 1.1 line break) in double quotes, with escapes. The yaml
// emitter may otherwise choose a block style that its own parser rejects
// (a line of a literal block starting with a tab).
func quoteRisky(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" &&
		strings.ContainsFunc(n.Value, riskyRune) {
		n.Style = yaml.DoubleQuotedStyle
	}
	for _, c := range n.Content {
		quoteRisky(c)
	}
}

// riskyRune reports control characters other than newline, and the
// characters YAML 1.1 reads as line breaks or byte order marks.
func riskyRune(r rune) bool {
	return r != '\n' && (r < ' ' || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 || r == 0xfeff)
}

func strNode(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

// isTextKey reports whether a sweep key names a text value (tcp.cc,
// http.version, ...), whose values are written as strings.
func isTextKey(key string) bool {
	if key == "model.start" {
		return true
	}
	segs, _, msg := parseSweepKey(key)
	if msg != "" || segs == nil {
		return false
	}
	t := reflect.TypeFor[Spec]()
	for _, sg := range segs {
		switch {
		case sg.index >= 0 && t.Kind() == reflect.Slice:
			t = t.Elem()
		case t.Kind() == reflect.Struct:
			fs := fieldsOf(t)
			j := slices.IndexFunc(fs, func(f field) bool { return f.key == sg.key })
			if j < 0 {
				return false
			}
			t = t.Field(fs[j].index).Type
		default:
			return false
		}
	}
	return t.Kind() == reflect.String
}

// valueNode turns the Text of a sweep value back into a YAML node: a flow
// list or mapping when it starts with [ or {, else a scalar, written plain
// when that reads back as the same text (and the key is not a text key),
// quoted otherwise.
func valueNode(text string, isText bool) *yaml.Node {
	if strings.HasPrefix(text, "[") || strings.HasPrefix(text, "{") {
		var doc yaml.Node
		if yaml.Unmarshal([]byte(text), &doc) == nil && doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
			if c := doc.Content[0]; c.Kind == yaml.MappingNode || c.Kind == yaml.SequenceNode {
				return c
			}
		}
	}
	n := strNode(text)
	if isText || plainWithUnit(text) {
		return n
	}
	var doc yaml.Node
	if yaml.Unmarshal([]byte(text), &doc) == nil && doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		c := doc.Content[0]
		switch c.ShortTag() {
		case "!!int", "!!float", "!!bool":
			if c.Kind == yaml.ScalarNode && c.Style == 0 && c.Value == text {
				n.Tag = c.ShortTag()
			}
		}
	}
	return n
}

// plainWithUnit reports whether text is a number followed by a unit
// ("50ms", "1.5Mbps", "20KB"), which YAML reads as a string: a digit
// first and a letter last (an int or a float ends with a digit; .inf and
// .nan start with a dot), and not a hexadecimal, octal or binary int
// ("0x1f"). valueNode skips parsing such a text, the common sweep value:
// a sweep of 10,000 of them took 0.1 s to write.
func plainWithUnit(text string) bool {
	if len(text) < 2 || text[0] < '0' || text[0] > '9' {
		return false
	}
	if c := text[len(text)-1] | 0x20; c < 'a' || c > 'z' {
		return false
	}
	return !(text[0] == '0' && strings.ContainsRune("xXoObB", rune(text[1])))
}

// NewSpec returns a Spec named name with every default of the experiment
// format and the one model a file without models gets (persistent): a
// start for a Spec built in Go. Points and Runs check it as Load checks a
// file, and report its problems by key path.
func NewSpec(name string) *Spec {
	s := defaultSpec()
	s.Name = name
	m, _ := newModel(Persistent)
	s.Models = []ModelSpec{m}
	return s
}

// NewModel returns the model called name (one of the model constants)
// with its default options, and false for an unknown name.
func NewModel(name string) (ModelSpec, bool) { return newModel(name) }

// Set sets the value at key path key (a key as a sweep names it, e.g.
// network.rtt, tcp.cc or page.objects[0].size) from its text as a file
// would write it ("40ms", "cubic", "10KB"), parsed and checked as Load
// parses and checks it. On failure the error is an ErrorList whose
// problems name the key, and s is unchanged.
func (s *Spec) Set(key, text string) error {
	segs, opt, msg := parseSweepKey(key)
	switch {
	case msg != "":
		return ErrorList{{Path: key, Msg: msg}}
	case opt != "":
		return ErrorList{{Path: key, Msg: "a model option is set on the ModelSpec"}}
	}
	st := &loaded{spec: s, d: newDecoder("", nil)}
	sv := st.decodeValue(&axis{key: key, segs: segs}, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: text})
	if sv == nil {
		return st.d.errs.sorted()
	}
	v, err := fieldValue(reflect.ValueOf(s).Elem(), segs)
	if err != nil {
		return ErrorList{{Path: key, Msg: err.Error()}}
	}
	v.Set(sv.v)
	return nil
}
