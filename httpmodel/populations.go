package httpmodel

import (
	"errors"
	"fmt"
	"time"

	"github.com/connsim/connsim/sim"
	"github.com/connsim/connsim/sim/link"
)

// Population is a group of identical clients. Each client has its own node
// (address) and access link to the shared bottleneck (Config.Network).
//
// With populations the world is: each client node —its access link— a
// router node —the bottleneck (Config.Network)— the server node, which
// serves every hostname. The RTT a client sees is Access.RTT +
// Network.RTT. See the package documentation, # Populations.
type Population struct {
	Name        string        // unique; names the clients in requests ("name#17")
	Count       int           // clients, >= 1
	Arrival     Arrival       // when each client starts its first visit
	Page        Page          // what each client loads
	Model       Model         // how each client manages connections
	Visits      int           // page loads per client, one after another; 0 = 1
	ReadingTime time.Duration // pause between visits
	Idle        bool          // opens its connections (Model.Connections per host of Page) and sends nothing: an idle flood; its clients have no PLT
	Access      Access        // each client's own access link
}

// ArrivalKind is how the clients of a population arrive.
type ArrivalKind uint8

// Arrival processes.
const (
	AllAtOnce ArrivalKind = iota // every client at Arrival.Start
	Poisson                      // exponential gaps of mean 1/Rate, drawn from the stream "arrivals:"+Population.Name
	Interval                     // one client every Arrival.Interval, the first at Start
)

var arrivalNames = [...]string{"all-at-once", "poisson", "interval"}

// String names the arrival process.
func (k ArrivalKind) String() string {
	if int(k) < len(arrivalNames) {
		return arrivalNames[k]
	}
	return fmt.Sprintf("ArrivalKind(%d)", int(k))
}

// Arrival says when each client of a population starts its first visit.
type Arrival struct {
	Kind     ArrivalKind
	Rate     float64       // Poisson: clients per second
	Interval time.Duration // Interval: time between successive clients
	Start    time.Duration // when the first client may arrive
}

// Access is a client's own link to the bottleneck; a zero Bandwidth means
// no access-link limit (infinitely fast), zero RTT no extra delay.
type Access struct {
	RTT          time.Duration
	Bandwidth    link.Bandwidth
	Uplink       link.Bandwidth // 0 = Bandwidth
	QueueBytes   int64
	QueuePackets int
	Loss         float64
}

// ServerSample is the server's state after a change (Result.ServerSeries).
type ServerSample struct {
	Time    sim.Time
	Open    int // connections the server application holds (accepted, not yet closed)
	Busy    int // workers held (Server.Workers > 0): one per open connection
	Backlog int // connections waiting in the listen backlog
}

// validatePopulations reports what makes c.Clients unable to run.
func (c *Config) validatePopulations() error {
	var errs []error
	for i, p := range c.Clients {
		if p.Name == "" {
			errs = append(errs, fmt.Errorf("httpmodel: clients[%d]: a population needs a name", i))
		}
		for _, q := range c.Clients[:i] {
			if p.Name != "" && q.Name == p.Name {
				errs = append(errs, fmt.Errorf("httpmodel: clients[%d]: population name %q used twice", i, p.Name))
			}
		}
		if p.Count < 1 {
			errs = append(errs, fmt.Errorf("httpmodel: clients[%d] (%s): count %d, want 1 or more", i, p.Name, p.Count))
		}
		switch p.Arrival.Kind {
		case AllAtOnce:
		case Poisson:
			if !(p.Arrival.Rate > 0) {
				errs = append(errs, fmt.Errorf("httpmodel: clients[%d] (%s): poisson arrivals need a rate > 0", i, p.Name))
			}
		case Interval:
			if p.Arrival.Interval < 0 {
				errs = append(errs, fmt.Errorf("httpmodel: clients[%d] (%s): negative arrival interval", i, p.Name))
			}
		default:
			errs = append(errs, fmt.Errorf("httpmodel: clients[%d] (%s): unknown arrival kind %d", i, p.Name, p.Arrival.Kind))
		}
		if p.Arrival.Start < 0 || p.ReadingTime < 0 || p.Visits < 0 {
			errs = append(errs, fmt.Errorf("httpmodel: clients[%d] (%s): negative start, reading time or visits", i, p.Name))
		}
		if p.Access.Loss < 0 || p.Access.Loss >= 1 {
			errs = append(errs, fmt.Errorf("httpmodel: clients[%d] (%s): access loss %v, want [0, 1)", i, p.Name, p.Access.Loss))
		}
		if c.http10() && p.Model.Kind == Pipelined {
			errs = append(errs, fmt.Errorf("httpmodel: clients[%d] (%s): pipelined needs http version 1.1", i, p.Name))
		}
		if c.http10() && p.Model.Kind == HTTP2 && p.Model.H2Upgrade && c.TLS == NoTLS {
			errs = append(errs, fmt.Errorf("httpmodel: clients[%d] (%s): http2 by upgrade needs http version 1.1", i, p.Name))
		}
		if c.ResponseHeaderBytes == 0 && p.Model.Kind != HTTP2 && !p.Idle {
			if p.Page.HTML == 0 {
				errs = append(errs, fmt.Errorf("httpmodel: clients[%d] (%s): %w", i, p.Name, ErrEmptyResponse))
			}
			for _, o := range p.Page.Objects {
				if o.Size == 0 {
					errs = append(errs, fmt.Errorf("httpmodel: clients[%d] (%s): %w", i, p.Name, ErrEmptyResponse))
					break
				}
			}
		}
	}
	s := c.Server
	if s.Backlog < 0 || s.MaxConnectionsPerClient < 0 || s.Workers < 0 || s.MemoryPerConn < 0 || s.MaxConnections < 0 {
		errs = append(errs, errors.New("httpmodel: server: negative backlog, max connections, workers or memory per connection"))
	}
	return errors.Join(errs...)
}

// ClientName names global client i (Timing.Client) as "population#k", k
// its 0-based index in its population; "client" in the single-client
// world, "" if there is no such client.
func (c Config) ClientName(i int) string {
	if len(c.Clients) == 0 {
		if i == 0 {
			return "client"
		}
		return ""
	}
	for _, p := range c.Clients {
		if i < p.Count {
			return fmt.Sprintf("%s#%d", p.Name, i)
		}
		i -= p.Count
	}
	return ""
}
