package experiments

import (
	"cmp"
	"fmt"
	"github.com/connsim/connsim/httpmodel"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

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

// checkClients checks what involves several keys of clients: names
// unique and well formed, one arrival form, a known fixed model, the
// total of clients.
func checkClients(s *Spec, d *decoder) {
	total := 0
	for i, p := range s.Clients {
		path := fmt.Sprintf("clients[%d]", i)
		if p.Name != "" && !populationNameRE.MatchString(p.Name) {
			n, _ := d.nodeFor(path+".name", path)
			d.errorf(n, path+".name", "%q is not a population name (1 to 64 lower-case letters, digits and hyphens)", p.Name)
		}
		if p.Name == "" && d.node(path) == nil {
			d.errorf(nil, path+".name", "required")
		}
		for j := range i {
			if p.Name != "" && s.Clients[j].Name == p.Name {
				n, _ := d.nodeFor(path+".name", path)
				d.errorf(n, path+".name", "%q is already the name of clients[%d]", p.Name, j)
				break
			}
		}
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
