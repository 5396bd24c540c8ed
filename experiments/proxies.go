package experiments

import (
	"fmt"
	"slices"

	"github.com/connsim/connsim/httpmodel"
	"github.com/connsim/connsim/sim/link"
)

// This file holds the keys of proxies: (ext, issue 12): proxies between
// the client populations and the servers, each a server to its clients
// and a client, with its own model, to the next hop.

// ProxySpec is one entry of proxies: a proxy node with its own link from
// the core router, its model for the upstream hop and its server
// settings for the downstream one. A reverse proxy lists the hostnames
// it fronts (hosts), a forward proxy the populations that use it (for);
// upstream chains it to another proxy.
type ProxySpec struct {
	Name     string        `yaml:"name" label:"proxy"`                  // required; [a-z0-9][a-z0-9-]*, unique among servers and proxies
	Hosts    []string      `yaml:"hosts,omitempty" label:"proxy hosts"` // reverse proxy: the hostnames DNS answers with its address, each in one entry only
	For      []string      `yaml:"for,omitempty" label:"proxy clients"` // forward proxy: populations (clients[].name) whose every request goes to it; a population in one entry only
	Upstream string        `yaml:"upstream,omitempty" label:"upstream"` // the proxy it sends its requests to; "" = the server site (a host it fronts) or DNS's answer
	Link     ProxyLinkSpec `yaml:"link,omitempty"`                      // its link from the core router; not given = an instant hop
	Model    ModelSpec     `yaml:"model,omitempty"`                     // its connection model on the upstream hop; default persistent
	Server   ServerSpec    `yaml:"server,omitempty"`                    // its downstream side; a key left out is the top-level server:'s
	// StoreAndForward relays each response once all of it has arrived;
	// false (default): streams it on as it arrives.
	StoreAndForward bool `yaml:"store_and_forward,omitempty" label:"store and forward"`
}

// ProxyLinkSpec is a proxy's own link to the core router: bandwidth
// towards the clients, uplink towards the proxy. Zero rates are no limit.
type ProxyLinkSpec struct {
	RTT       Duration    `yaml:"rtt,omitempty" range:"0s..60s" label:"proxy link RTT"`                        // added to both of the proxy's hops; default 0
	Bandwidth Rate        `yaml:"bandwidth,omitempty" range:"1Kbps..100Gbps" label:"proxy link bandwidth"`     // towards the clients; 0 (default) = no limit
	Uplink    Rate        `yaml:"uplink,omitempty" range:"1Kbps..100Gbps" label:"proxy link uplink bandwidth"` // towards the proxy; 0 = bandwidth
	Queue     QueueSize   `yaml:"queue,omitempty" label:"proxy link queue"`                                    // drop-tail queue each way; 0 (default) = unlimited
	Loss      Probability `yaml:"loss,omitempty" label:"proxy link packet loss"`                               // random loss per packet, each way
}

func (p *ProxySpec) requiredKeys() []string { return []string{"name"} }

func (p *ProxySpec) setDefaults() {
	m, _ := newModel(Persistent)
	*p = ProxySpec{Model: m}
}

// HasProxies reports whether the spec has proxies: its output files then
// have the proxy columns.
func (s *Spec) HasProxies() bool { return s != nil && len(s.Proxies) > 0 }

// maxProxies bounds the entries of proxies:.
const maxProxies = 64

// checkProxies checks what involves several keys of proxies: names,
// hostnames, populations and upstreams that resolve, routes that end at
// a server, and clients: to serve.
func checkProxies(s *Spec, d *decoder) {
	if len(s.Proxies) == 0 {
		return
	}
	checkWorldList(s, d, "proxies", len(s.Proxies), maxProxies, "talks to its server directly")
	names := map[string]string{} // name -> what has it
	for i, st := range s.Servers {
		names[st.Name] = fmt.Sprintf("servers[%d]", i)
	}
	fronted := map[string]int{}
	uses := map[string]int{}
	for i, p := range s.Proxies {
		path := fmt.Sprintf("proxies[%d]", i)
		switch {
		case p.Name == "" && d.node(path) == nil:
			d.errorf(nil, path+".name", "required")
		case p.Name != "" && !populationNameRE.MatchString(p.Name):
			n, _ := d.nodeFor(path+".name", path)
			d.errorf(n, path+".name", "%q is not a proxy name (1 to 64 lower-case letters, digits and hyphens)", p.Name)
		case names[p.Name] != "":
			n, _ := d.nodeFor(path+".name", path)
			d.errorf(n, path+".name", "%q is already the name of %s", p.Name, names[p.Name])
		case p.Name != "":
			names[p.Name] = path
		}
		checkHostList(d, path, p.Hosts, fronted, i, "fronted by proxies")
		for k, f := range p.For {
			fp := fmt.Sprintf("%s.for[%d]", path, k)
			n, _ := d.nodeFor(fp, path+".for", path)
			if !slices.ContainsFunc(s.Clients, func(c PopulationSpec) bool { return c.Name == f }) {
				d.errorf(n, fp, "no population (clients[].name) is called %q", f)
				continue
			}
			if j, ok := uses[f]; ok {
				d.errorf(n, fp, "population %q already uses proxies[%d]", f, j)
				continue
			}
			uses[f] = i
		}
		if p.Model.Name != "" {
			if _, ok := newModel(p.Model.Name); !ok {
				n, _ := d.nodeFor(path+".model", path)
				d.errorf(n, path+".model", "unknown model %q (use %s)", p.Model.Name, orList(modelNames()))
			}
		}
	}
	for i, p := range s.Proxies {
		if p.Upstream == "" {
			continue
		}
		up := fmt.Sprintf("proxies[%d].upstream", i)
		n, _ := d.nodeFor(up, fmt.Sprintf("proxies[%d]", i))
		if !slices.ContainsFunc(s.Proxies, func(q ProxySpec) bool { return q.Name == p.Upstream }) {
			d.errorf(n, up, "no proxy is called %q", p.Upstream)
		} else if p.Upstream == p.Name {
			d.errorf(n, up, "a proxy cannot be its own upstream")
		}
	}
}

// cloneProxies copies proxies so that a point's values do not reach the
// spec it was built from.
func cloneProxies(ps []ProxySpec) []ProxySpec {
	if ps == nil {
		return nil
	}
	c := slices.Clone(ps)
	for i := range c {
		c[i].Hosts = slices.Clone(c[i].Hosts)
		c[i].For = slices.Clone(c[i].For)
	}
	return c
}

// proxiesConfig is the httpmodel proxies of proxies:.
func proxiesConfig(s *Spec) ([]httpmodel.ProxySite, error) {
	var out []httpmodel.ProxySite
	for _, p := range s.Proxies {
		srv, err := serverConfig(p.Server) // pipelining included
		if err != nil {
			return nil, err
		}
		m := p.Model
		if m.Name == "" {
			m, _ = newModel(Persistent)
		}
		kind, err := httpmodel.ParseKind(m.Name)
		if err != nil {
			return nil, err
		}
		l := p.Link
		out = append(out, httpmodel.ProxySite{
			Name:     p.Name,
			Hosts:    slices.Clone(p.Hosts),
			For:      slices.Clone(p.For),
			Upstream: p.Upstream,
			Link: httpmodel.Access{
				RTT:          l.RTT.Std(),
				Bandwidth:    link.Bandwidth(l.Bandwidth),
				Uplink:       link.Bandwidth(l.Uplink),
				QueueBytes:   int64(l.Queue.Bytes),
				QueuePackets: int(l.Queue.Packets),
				Loss:         float64(l.Loss),
			},
			Model:           modelOf(kind, m),
			Server:          &srv,
			StoreAndForward: p.StoreAndForward,
		})
	}
	return out, nil
}
