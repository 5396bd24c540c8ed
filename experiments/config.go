package experiments

import (
	"math"

	"github.com/connsim/connsim/httpmodel"
	"github.com/connsim/connsim/sim/link"
	"github.com/connsim/connsim/tcp"
)

// ModelConfig builds the httpmodel configuration of model m on the
// resolved spec s (a Point's Spec). It starts from httpmodel.DefaultConfig
// and sets every field the spec has, so a value of 0 in the spec is 0 in
// the run, except where the contract gives 0 a meaning of its own; those
// translations are all here:
//
//	server.max_requests 0       unlimited: httpmodel's MaxRequests math.MaxInt32 (its 0 is 100)
//	server.keep_alive_timeout 0 close when idle: httpmodel.CloseWhenIdle (its 0 is 5s)
//	network.queue 0             unlimited: QueueBytes and QueuePackets 0 (the same in httpmodel)
//	network.uplink 0            the bandwidth (NetworkSpec.UplinkRate; Point.Spec has it filled)
//	page.objects[].host ""      the page's host: httpmodel's "" (Point.Spec has it filled)
func ModelConfig(s *Spec, m ModelSpec) (httpmodel.Config, error) {
	return modelConfig(s, m, true)
}

// modelConfig is ModelConfig; without expand each object entry is one
// object whatever its count, enough for Validate and cheap for a page of
// many objects.
func modelConfig(s *Spec, m ModelSpec, expand bool) (httpmodel.Config, error) {
	kind, err := httpmodel.ParseKind(m.Name)
	if err != nil {
		return httpmodel.Config{}, err
	}
	tc := tcpConfig(s.TCP)

	var tls httpmodel.TLS
	switch s.TLS {
	case "tls12":
		tls = httpmodel.TLS12
	case "tls13":
		tls = httpmodel.TLS13
	}
	n := s.Network
	page := pageConfig(s.Page, expand)
	maxReq := s.Server.MaxRequests
	if maxReq == 0 {
		maxReq = math.MaxInt32 // 0 = unlimited in the spec
	}
	keepAlive := s.Server.KeepAliveTimeout.Std()
	if keepAlive == 0 {
		keepAlive = httpmodel.CloseWhenIdle
	}
	c := httpmodel.DefaultConfig()
	c.Network = httpmodel.Network{
		RTT:          n.RTT.Std(),
		Bandwidth:    link.Bandwidth(n.Bandwidth),
		Uplink:       link.Bandwidth(n.UplinkRate()),
		QueueBytes:   int64(n.Queue.Bytes),
		QueuePackets: int(n.Queue.Packets),
		Loss:         float64(n.Loss),
		DNS:          n.DNS.Std(),
	}
	c.TCP = tc
	c.TLS = tls
	c.TLSResumption, c.TLS0RTT = tlsSession(s, tls)
	c.HTTPVersion = s.HTTP.Version
	if m.HTTPVersion != "" {
		c.HTTPVersion = m.HTTPVersion // the model's own (option http_version)
	}
	c.RequestBytes = int64(s.HTTP.RequestBytes)
	c.ResponseHeaderBytes = int64(s.HTTP.ResponseHeaderBytes)
	c.Visits = s.Client.Visits
	c.ReadingTime = s.Client.ReadingTime.Std()
	c.Server = httpmodel.Server{
		ThinkTime:               s.Server.ThinkTime.Std(),
		KeepAliveTimeout:        keepAlive,
		MaxRequests:             maxReq,
		MaxConnections:          s.Server.MaxConnections,
		Backlog:                 s.Server.Backlog,
		MaxConnectionsPerClient: s.Server.MaxConnectionsPerClient,
		Workers:                 s.Server.Workers,
		MemoryPerConn:           int64(s.Server.MemoryPerConnection),
	}
	pipelining, err := httpmodel.ParsePipelining(s.Server.Pipelining)
	if err != nil {
		return httpmodel.Config{}, err
	}
	c.Server.Pipelining = pipelining
	c.NoPipeliningFallback = !s.Client.PipeliningFallback.Bool()
	c.PipeliningTimeout = s.Client.PipeliningTimeout.Std()
	c.Page = page
	c.Model = modelOf(kind, m)
	c.MaxSimTime = s.Limits.MaxSimTime.Std()
	c.MaxEvents = uint64(s.Limits.MaxEvents)
	for _, p := range s.Clients {
		pop, err := populationConfig(s, p, c.Model, expand)
		if err != nil {
			return httpmodel.Config{}, err
		}
		c.Clients = append(c.Clients, pop)
	}
	topo, err := topologyConfig(s)
	if err != nil {
		return httpmodel.Config{}, err
	}
	c.Topology = topo
	if c.Topology.Proxies, err = proxiesConfig(s); err != nil {
		return httpmodel.Config{}, err
	}
	return c, nil
}

func modelOf(kind httpmodel.Kind, m ModelSpec) httpmodel.Model {
	return httpmodel.Model{
		Kind:        kind,
		Connections: m.Connections,
		Depth:       m.Depth,
		Shards:      m.Shards,
		H2Upgrade:   m.Start == "upgrade",
		NoCoalesce:  m.NoCoalesce,
	}
}

// pageConfig builds the httpmodel page of p; without expand each object
// entry is one object.
func pageConfig(p PageSpec, expand bool) httpmodel.Page {
	page := httpmodel.Page{Host: p.Host, HTML: int64(p.HTML)}
	n := 0
	for _, o := range p.Objects {
		if expand {
			n += max(o.Count, 0)
		} else {
			n += max(min(o.Count, 1), 0)
		}
	}
	if n > 0 {
		page.Objects = make([]httpmodel.Object, 0, n) // one allocation, not one per doubling
	}
	for _, o := range p.Objects {
		host := o.Host
		if host == p.Host {
			host = ""
		}
		n := o.Count
		if !expand {
			n = min(n, 1)
		}
		for range n {
			page.Objects = append(page.Objects, httpmodel.Object{Host: host, Size: int64(o.Size), Method: o.Method})
		}
	}
	return page
}

// populationConfig builds the httpmodel population of p: its page (the
// spec's when it has none), its model (the run's, runModel, when it has
// none), its arrival process and access link. Access rates of 0 are no
// limit and a queue of 0 is unlimited, as in httpmodel.
func populationConfig(s *Spec, p PopulationSpec, runModel httpmodel.Model, expand bool) (httpmodel.Population, error) {
	model := runModel
	if p.Model.Name != "" {
		kind, err := httpmodel.ParseKind(p.Model.Name)
		if err != nil {
			return httpmodel.Population{}, err
		}
		model = modelOf(kind, p.Model)
	}
	arr := httpmodel.Arrival{Start: p.Arrival.Start.Std()}
	switch p.Arrival.Kind() {
	case "poisson":
		arr.Kind, arr.Rate = httpmodel.Poisson, float64(p.Arrival.Poisson.Rate)
	case "interval":
		arr.Kind, arr.Interval = httpmodel.Interval, p.Arrival.Interval.Std()
	}
	page := p.PageOrDefault(s.Page)
	if page.Host == "" {
		page.Host = s.Page.Host
	}
	a := p.Access
	return httpmodel.Population{
		Name:        p.Name,
		Count:       p.Count,
		Arrival:     arr,
		Page:        pageConfig(page, expand),
		Model:       model,
		Visits:      p.Visits,
		ReadingTime: p.ReadingTime.Std(),
		Idle:        p.Idle,
		Access: httpmodel.Access{
			RTT:          a.RTT.Std(),
			Bandwidth:    link.Bandwidth(a.Bandwidth),
			Uplink:       link.Bandwidth(a.Uplink),
			QueueBytes:   int64(a.Queue.Bytes),
			QueuePackets: int(a.Queue.Packets),
			Loss:         float64(a.Loss),
		},
	}, nil
}

// tcpConfig is the tcp.Config of the spec's tcp section.
func tcpConfig(t TCPSpec) tcp.Config {
	restart := tcp.RestartRFC5681
	if t.IdleRestart == "linux" {
		restart = tcp.RestartLinux
	}
	tc := tcp.DefaultConfig()
	tc.MSS = int64(t.MSS)
	tc.InitialWindow = t.InitialWindow
	tc.CC = t.CC
	tc.DelayedAck = t.DelayedACK
	tc.DelayedAckTimeout = t.DelayedACKTimeout.Std()
	tc.Nagle = t.Nagle
	tc.SlowStartAfterIdle = t.SlowStartAfterIdle
	tc.IdleRestart = restart
	tc.InitialRTO = t.InitialRTO.Std()
	tc.MinRTO = t.MinRTO.Std()
	tc.ReceiveWindow = int64(t.ReceiveWindow)
	tc.Recovery = tcp.RecoverySACK
	if t.Recovery == "newreno" {
		tc.Recovery = tcp.RecoveryNewReno
	}
	tc.CwndCounting = tcp.CountPackets
	if t.CwndCounting == "bytes" {
		tc.CwndCounting = tcp.CountBytes
	}
	tc.RTOEstimator = tcp.RTOLinux
	if t.RTOEstimator == "rfc6298" {
		tc.RTOEstimator = tcp.RTORFC6298
	}
	tc.Timestamps = t.Timestamps
	tc.Undo = t.Undo
	tc.TLP = t.TLP
	tc.QuickAck = t.QuickACK
	tc.HyStart = t.HyStart

	return tc
}
