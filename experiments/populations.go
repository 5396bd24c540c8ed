package experiments

import (
	"cmp"
	"fmt"
	"github.com/connsim/connsim/httpmodel"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/connsim/connsim/sim/link"
	"go.yaml.in/yaml/v3"
)

// This file holds the keys of client populations (clients:, issue 11):
// their types, the scalar forms of arrival, their checks, and the
// arrival-rate unit.

// PopulationSpec is one entry of clients: a group of identical clients,
// each with its own address and access link to the bottleneck (network:).
type PopulationSpec struct {
	Name        string      `yaml:"name" label:"population"`                                         // required; [a-z0-9][a-z0-9-]*, unique; names the clients ("web#17") in requests.csv
	Count       int         `yaml:"count" range:"1..100000" label:"clients"`                         // clients in the population; default 1
	Arrival     ArrivalSpec `yaml:"arrival,omitempty"`                                               // when each client starts its first visit; default all at once
	Page        PageSpec    `yaml:"page,omitempty"`                                                  // what each client loads; not given (all zero) = the spec's page
	Model       ModelSpec   `yaml:"model,omitempty"`                                                 // how each client manages connections; not given = the run's model (models:)
	Visits      int         `yaml:"visits" range:"1..1000" label:"page visits per client"`           // page loads per client, one after another; default 1
	ReadingTime Duration    `yaml:"reading_time" range:"0s..1h" label:"reading time between visits"` // pause between a client's visits; default 0
	Idle        bool        `yaml:"idle" label:"idle clients"`                                       // opens its connections and sends nothing (an idle flood); no PLT
	Access      AccessSpec  `yaml:"access,omitempty"`                                                // each client's own link to the bottleneck
}

// ArrivalSpec says when the clients of a population arrive. At most one
// of Poisson.Rate and Interval is set; neither is all at once. In YAML it
// is also a scalar: "all at once" (or all-at-once), or a rate such as
// 10/s, short for {poisson: {rate: 10/s}}.
type ArrivalSpec struct {
	Poisson  PoissonSpec `yaml:"poisson,omitempty"`                                          // exponential gaps of mean 1/rate
	Interval Duration    `yaml:"interval,omitempty" range:"0s..1h" label:"arrival interval"` // one client every interval
	Start    Duration    `yaml:"start,omitempty" range:"0s..24h" label:"first arrival"`      // when the first client may arrive; default 0
}

// PoissonSpec is a Poisson arrival process.
type PoissonSpec struct {
	Rate PerSecond `yaml:"rate" range:"0..1000000" label:"arrival rate" unit:"clients/s"` // clients per second, at least 0.001 (httpmodel.MinArrivalRate); 0 = not Poisson
}

// AccessSpec is a client's access link: its own RTT, rates, queue and
// loss, in front of the bottleneck. Zero rates are no limit.
type AccessSpec struct {
	RTT       Duration    `yaml:"rtt,omitempty" range:"0s..60s" label:"access RTT"`                        // added to network.rtt; default 0
	Bandwidth Rate        `yaml:"bandwidth,omitempty" range:"1Kbps..100Gbps" label:"access bandwidth"`     // 0 (default) = no access limit
	Uplink    Rate        `yaml:"uplink,omitempty" range:"1Kbps..100Gbps" label:"access uplink bandwidth"` // 0 = bandwidth
	Queue     QueueSize   `yaml:"queue,omitempty" label:"access queue"`                                    // drop-tail queue each way; 0 (default) = unlimited
	Loss      Probability `yaml:"loss,omitempty" label:"access packet loss"`                               // random loss per packet, each way
}

// Kind names the arrival process: all-at-once, poisson or interval.
func (a ArrivalSpec) Kind() string {
	switch {
	case a.Poisson.Rate > 0:
		return "poisson"
	case a.Interval > 0:
		return "interval"
	}
	return "all-at-once"
}

func (p *PopulationSpec) setDefaults() { *p = PopulationSpec{Count: 1, Visits: 1} }

func (p *PopulationSpec) requiredKeys() []string { return []string{"name"} }

// PageOrDefault returns the population's page, or page when it has none.
func (p PopulationSpec) PageOrDefault(page PageSpec) PageSpec {
	if p.Page.Host == "" && p.Page.HTML == 0 && len(p.Page.Objects) == 0 {
		return page
	}
	return p.Page
}

// decodeScalar decodes the scalar forms of arrival: "all at once" and a
// Poisson rate.
func (a *ArrivalSpec) decodeScalar(d *decoder, n *yaml.Node, path string) {
	s := strings.TrimSpace(n.Value)
	switch strings.ToLower(s) {
	case "all at once", "all-at-once":
		*a = ArrivalSpec{}
		return
	}
	r, err := ParsePerSecond(s)
	if err != nil || r <= 0 {
		d.errorf(n, path, "%q is not an arrival (use all at once, a rate such as 10/s, {poisson: {rate: 10/s}} or {interval: 100ms})", s)
		return
	}
	*a = ArrivalSpec{Poisson: PoissonSpec{Rate: r}}
}

// PerSecond is a rate of events per second, e.g. a Poisson arrival rate.
// In YAML: a number with an optional "/s" ("10/s", "0.5/s", "10"), or
// per minute ("30/min").
type PerSecond float64

var (
	_ yaml.Unmarshaler = (*PerSecond)(nil)
	_ yaml.Marshaler   = PerSecond(0)
)

// String returns the canonical text, e.g. "10/s".
func (r PerSecond) String() string { return strconv.FormatFloat(float64(r), 'g', -1, 64) + "/s" }

// UnmarshalYAML parses a rate scalar.
func (r *PerSecond) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalarText(n, "a rate (e.g. 10/s)")
	if err != nil {
		return err
	}
	v, err := ParsePerSecond(s)
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// MarshalYAML writes the canonical text.
func (r PerSecond) MarshalYAML() (any, error) { return r.String(), nil }

var perSecondRE = regexp.MustCompile(`^([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\s*(/\s*(s|sec|min))?$`)

// ParsePerSecond parses the YAML text of a rate per second.
func ParsePerSecond(s string) (PerSecond, error) {
	m := perSecondRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("%q is not a rate (a number per second, e.g. 10/s, or per minute, e.g. 30/min)", s)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("%q is not a rate", s)
	}
	if m[3] == "min" {
		v /= 60
	}
	return PerSecond(v), nil
}

var populationNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

// checkEntryName checks the name of entry i of a list of named entries
// (clients, servers): required, well formed, not an earlier entry's
// (nameAt(j) for j < i). what names the kind of name in messages.
func checkEntryName(d *decoder, list string, i int, name, what string, nameAt func(j int) string) {
	path := fmt.Sprintf("%s[%d]", list, i)
	if name != "" && !populationNameRE.MatchString(name) {
		n, _ := d.nodeFor(path+".name", path)
		d.errorf(n, path+".name", "%q is not a %s name (1 to 64 lower-case letters, digits and hyphens)", name, what)
	}
	if name == "" && d.node(path) == nil {
		d.errorf(nil, path+".name", "required")
	}
	for j := range i {
		if name != "" && nameAt(j) == name {
			n, _ := d.nodeFor(path+".name", path)
			d.errorf(n, path+".name", "%q is already the name of %s[%d]", name, list, j)
			return
		}
	}
}

// checkClients checks what involves several keys of clients: names
// unique and well formed, one arrival form, a known fixed model, the
// total of clients.
func checkClients(s *Spec, d *decoder) {
	total := 0
	for i, p := range s.Clients {
		path := fmt.Sprintf("clients[%d]", i)
		checkEntryName(d, "clients", i, p.Name, "population", func(j int) string { return s.Clients[j].Name })
		// A poisson rate given must be one httpmodel can run: 0/s would
		// silently mean all at once, and below httpmodel.MinArrivalRate
		// the gaps outgrow any run.
		rateKey := path + ".arrival.poisson.rate"
		if r := float64(p.Arrival.Poisson.Rate); d.node(rateKey) != nil && r < httpmodel.MinArrivalRate || r > 0 && r < httpmodel.MinArrivalRate {
			n, _ := d.nodeFor(rateKey, path+".arrival", path)
			d.errorf(n, rateKey, "%s is too slow: poisson arrivals need at least %g/s (one client per %g s); for all at once leave out the rate", p.Arrival.Poisson.Rate, httpmodel.MinArrivalRate, 1/httpmodel.MinArrivalRate)
		}
		if p.Arrival.Poisson.Rate > 0 && p.Arrival.Interval > 0 {
			n, _ := d.nodeFor(path+".arrival", path)
			d.errorf(n, path+".arrival", "give one arrival process: poisson or interval, not both")
		}
		if p.Model.Name != "" {
			if _, ok := newModel(p.Model.Name); !ok {
				n, _ := d.nodeFor(path+".model", path)
				d.errorf(n, path+".model", "unknown model %q (use %s)", p.Model.Name, orList(modelNames()))
			}
		}
		total += max(p.Count, 0)
	}
	if total > maxClients {
		n, _ := d.nodeFor("clients")
		d.errorf(n, "clients", "%d clients is too many (at most %d)", total, maxClients)
	}
	checkServers(s, d)
}

// maxClients bounds the clients of one run, all populations together.
const maxClients = 1_000_000

// clientRequests returns the requests of one run of s, all populations
// together (idle clients send none).
func clientRequests(s *Spec) int {
	n := 0
	for _, p := range s.Clients {
		if p.Idle {
			continue
		}
		page := p.PageOrDefault(s.Page)
		objects := 1
		for _, o := range page.Objects {
			objects += max(o.Count, 0)
		}
		n = addSat(n, mulSat(mulSat(max(p.Count, 0), max(p.Visits, 1)), objects))
	}
	return n
}

func addSat(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

// HasClients reports whether the spec has client populations: its
// output files then have the population columns.
func (s *Spec) HasClients() bool { return s != nil && len(s.Clients) > 0 }

// clonePopulations copies clients so that a point's values (a swept
// clients[0].count, a population page's objects) do not reach the spec
// it was built from.
func clonePopulations(ps []PopulationSpec) []PopulationSpec {
	if ps == nil {
		return nil
	}
	c := slices.Clone(ps)
	for i := range c {
		c[i].Page.Objects = slices.Clone(c[i].Page.Objects)
	}
	return c
}

// PLTPercentile returns the pct-th percentile (1..100) of the clients'
// page load times plts, by nearest rank: sort them and take the k-th
// smallest, k = ceil(pct/100 * n) (so p50 of an even count is the lower
// middle value, as summary.csv's quantiles are). A negative PLT (a
// client that did not finish) ranks above every finished one; a
// percentile that falls on one is NaN, as is that of no clients.
func PLTPercentile(plts []time.Duration, pct int) float64 {
	n := len(plts)
	if n == 0 || pct < 1 || pct > 100 {
		return math.NaN()
	}
	s := slices.Clone(plts)
	slices.SortFunc(s, func(a, b time.Duration) int {
		switch {
		case a < 0 && b < 0:
			return 0
		case a < 0:
			return 1
		case b < 0:
			return -1
		}
		return cmp.Compare(a, b)
	})
	k := (pct*n + 99) / 100
	if d := s[k-1]; d >= 0 {
		return float64(d) / 1e6
	}
	return math.NaN()
}

// ServerSiteSpec is one entry of servers: (ext): a server node with the
// hostnames it serves, its own link from the far end of the bottleneck
// and its own server settings. The first entry also serves every
// hostname that no entry lists.
type ServerSiteSpec struct {
	Name   string         `yaml:"name" label:"server"`        // required; [a-z0-9][a-z0-9-]*, unique
	Hosts  []string       `yaml:"hosts" label:"server hosts"` // hostnames it serves, each in one entry only; required but for the first
	Link   ServerLinkSpec `yaml:"link,omitempty"`             // its link; not given = an instant, unlimited, lossless hop
	Server ServerSpec     `yaml:"server,omitempty"`           // its settings; a key left out is the top-level server:'s (from a file; see inheritServers)
}

// ServerLinkSpec is a server's own link to the far end of the
// bottleneck: bandwidth towards the clients, uplink towards the server.
// Zero rates are no limit.
type ServerLinkSpec struct {
	RTT       Duration    `yaml:"rtt,omitempty" range:"0s..60s" label:"server link RTT"`                        // added to the RTT of this server's paths; default 0
	Bandwidth Rate        `yaml:"bandwidth,omitempty" range:"1Kbps..100Gbps" label:"server link bandwidth"`     // towards the clients; 0 (default) = no limit
	Uplink    Rate        `yaml:"uplink,omitempty" range:"1Kbps..100Gbps" label:"server link uplink bandwidth"` // towards the server; 0 = bandwidth
	Queue     QueueSize   `yaml:"queue,omitempty" label:"server link queue"`                                    // drop-tail queue each way; 0 (default) = unlimited
	Loss      Probability `yaml:"loss,omitempty" label:"server link packet loss"`                               // random loss per packet, each way
}

func (s *ServerSiteSpec) requiredKeys() []string { return []string{"name"} }

// maxServers bounds the entries of servers:.
const maxServers = 64

// checkWorldList checks what a list of the many-clients world (servers:,
// proxies:) of n entries needs: clients: to serve, at most max entries.
// single says what the single client's world has instead.
func checkWorldList(s *Spec, d *decoder, key string, n, max int, single string) {
	node, _ := d.nodeFor(key)
	if !s.HasClients() {
		d.errorf(node, key, "%s: need clients: (the single client of client: and page: %s)", key, single)
	}
	if n > max {
		d.errorf(node, key, "%d %s is too many (at most %d)", n, key, max)
	}
}

// checkServers checks what involves several keys of servers: names
// unique and well formed, hostnames well formed and served once, a
// server for each entry after the first, and clients: to serve.
func checkServers(s *Spec, d *decoder) {
	if len(s.Servers) == 0 {
		return
	}
	checkWorldList(s, d, "servers", len(s.Servers), maxServers, "has one server")
	served := map[string]int{} // looked up only
	for i, st := range s.Servers {
		path := fmt.Sprintf("servers[%d]", i)
		checkEntryName(d, "servers", i, st.Name, "server", func(j int) string { return s.Servers[j].Name })
		if i > 0 && len(st.Hosts) == 0 {
			n, _ := d.nodeFor(path+".hosts", path)
			d.errorf(n, path+".hosts", "list the hostnames this server serves (only servers[0] also serves the hostnames no server lists)")
		}
		checkHostList(d, path, st.Hosts, served, i, "served by servers")
	}
}

// checkHostList checks the hostnames hosts of entry i at path (a
// servers: or proxies: entry): each well formed and claimed by no
// earlier entry, whom claimed maps each hostname to; "host %q is
// already <verb>[j]" names the earlier one.
func checkHostList(d *decoder, path string, hosts []string, claimed map[string]int, i int, verb string) {
	for k, h := range hosts {
		hp := fmt.Sprintf("%s.hosts[%d]", path, k)
		n, _ := d.nodeFor(hp, path+".hosts", path)
		if !isHostname(h) {
			d.errorf(n, hp, "%q is not a hostname (lower-case letters, digits, dots and hyphens, e.g. img.example.com)", h)
			continue
		}
		if j, ok := claimed[h]; ok {
			d.errorf(n, hp, "host %q is already %s[%d]", h, verb, j)
			continue
		}
		claimed[h] = i
	}
}

// serverBlock is an entry's server: block that inherits from the
// top-level server: (servers[i].server, proxies[i].server), by its key
// path.
type serverBlock struct {
	path string
	spec *ServerSpec
}

// serverBlocks lists s's inheriting server: blocks, servers: first.
func serverBlocks(s *Spec) []serverBlock {
	var out []serverBlock
	for i := range s.Servers {
		out = append(out, serverBlock{fmt.Sprintf("servers[%d].server", i), &s.Servers[i].Server})
	}
	for i := range s.Proxies {
		out = append(out, serverBlock{fmt.Sprintf("proxies[%d].server", i), &s.Proxies[i].Server})
	}
	return out
}

// inheritServers gives each key of a servers[i].server or
// proxies[i].server block that the file does not set (nor a sweep value)
// the top-level server:'s value, so that server: holds what every server
// shares and an entry only what is its own. A Spec built in Go has no
// file: its entries' settings are used as they are.
func inheritServers(s *Spec, d *decoder) {
	blocks := serverBlocks(s)
	if len(blocks) == 0 || !fromFile(d) {
		return
	}
	top := reflect.ValueOf(&s.Server).Elem()
	for _, b := range blocks {
		v := reflect.ValueOf(b.spec).Elem()
		for _, f := range fieldsOf(v.Type()) {
			if d.node(b.path+"."+f.key) == nil {
				v.Field(f.index).Set(top.Field(f.index))
			}
		}
	}
}

// fromFile reports whether d, or a decoder it falls back on, holds the
// nodes of a file.
func fromFile(d *decoder) bool {
	for ; d != nil; d = d.parent {
		if d.root != nil || len(d.nodes) > 0 {
			return true
		}
	}
	return false
}

// cloneServers copies servers so that a point's values do not reach the
// spec it was built from.
func cloneServers(ss []ServerSiteSpec) []ServerSiteSpec {
	if ss == nil {
		return nil
	}
	c := slices.Clone(ss)
	for i := range c {
		c[i].Hosts = slices.Clone(c[i].Hosts)
	}
	return c
}

// serverConfig is the httpmodel server of the spec's server settings
// (the translations of ModelConfig's doc), pipelining included: a
// site's Server replaces Config.Server whole, so a key left out here
// would be lost for every server of a file with servers:.
func serverConfig(s ServerSpec) (httpmodel.Server, error) {
	maxReq := s.MaxRequests
	if maxReq == 0 {
		maxReq = math.MaxInt32 // 0 = unlimited in the spec
	}
	keepAlive := s.KeepAliveTimeout.Std()
	if keepAlive == 0 {
		keepAlive = httpmodel.CloseWhenIdle
	}
	pipelining, err := httpmodel.ParsePipelining(s.Pipelining)
	if err != nil {
		return httpmodel.Server{}, err
	}
	return httpmodel.Server{
		ThinkTime:               s.ThinkTime.Std(),
		KeepAliveTimeout:        keepAlive,
		MaxRequests:             maxReq,
		MaxConnections:          s.MaxConnections,
		Backlog:                 s.Backlog,
		MaxConnectionsPerClient: s.MaxConnectionsPerClient,
		Workers:                 s.Workers,
		MemoryPerConn:           int64(s.MemoryPerConnection),
		Pipelining:              pipelining,
	}, nil
}

// topologyConfig is the httpmodel topology of servers:.
func topologyConfig(s *Spec) (httpmodel.Topology, error) {
	var t httpmodel.Topology
	for i, st := range s.Servers {
		srv, err := serverConfig(st.Server)
		if err != nil {
			return httpmodel.Topology{}, fmt.Errorf("servers[%d].server: %w", i, err)
		}
		l := st.Link
		t.Servers = append(t.Servers, httpmodel.ServerSite{
			Name:  st.Name,
			Hosts: slices.Clone(st.Hosts),
			Link: httpmodel.Access{
				RTT:          l.RTT.Std(),
				Bandwidth:    link.Bandwidth(l.Bandwidth),
				Uplink:       link.Bandwidth(l.Uplink),
				QueueBytes:   int64(l.Queue.Bytes),
				QueuePackets: int(l.Queue.Packets),
				Loss:         float64(l.Loss),
			},
			Server: &srv,
		})
	}
	return t, nil
}

// pruneInherited rewrites, in doc, the YAML of s (MarshalResolved),
// each servers[i].server and proxies[i].server to hold the keys s's file
// set, and only those: the others are the top-level server:'s values
// (inheritServers), and written out they would no longer follow it (a
// sweep of server.workers would stop reaching them); a key set to 0 is
// written though its tag omits zeros, or it would be inherited on
// reload. A Spec built in Go keeps every key.
func pruneInherited(s *Spec, doc *yaml.Node) error {
	if s.src == nil {
		return nil
	}
	for _, list := range []struct {
		key    string
		blocks int
		at     func(i int) ServerSpec
	}{
		{"servers", len(s.Servers), func(i int) ServerSpec { return s.Servers[i].Server }},
		{"proxies", len(s.Proxies), func(i int) ServerSpec { return s.Proxies[i].Server }},
	} {
		entries := mappingValue(doc, list.key)
		if list.blocks == 0 || entries == nil || entries.Kind != yaml.SequenceNode || len(entries.Content) != list.blocks {
			continue
		}
		for i, entry := range entries.Content {
			if entry.Kind != yaml.MappingNode {
				continue
			}
			// Drop the entry's server: as written, then add the file's keys.
			for k := 0; k+1 < len(entry.Content); k += 2 {
				if entry.Content[k].Value == "server" {
					entry.Content = append(entry.Content[:k], entry.Content[k+2:]...)
					break
				}
			}
			path := fmt.Sprintf("%s[%d].server", list.key, i)
			v := reflect.ValueOf(list.at(i))
			srv := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			for _, f := range fieldsOf(v.Type()) {
				if s.src.nodes[path+"."+f.key] == nil {
					continue
				}
				c, err := toNode(v.Field(f.index))
				if err != nil {
					return err
				}
				srv.Content = append(srv.Content, strNode(f.key), c)
			}
			if len(srv.Content) > 0 {
				entry.Content = append(entry.Content, strNode("server"), srv)
			}
		}
	}
	return nil
}

// mappingValue returns the value of key in mapping n, or nil.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for k := 0; k+1 < len(n.Content); k += 2 {
		if n.Content[k].Value == key {
			return n.Content[k+1]
		}
	}
	return nil
}
