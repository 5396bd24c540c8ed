package experiments

// This file holds the HAR input and output of issue 13: page: {har: FILE}
// reads a page saved by a browser, and outputs: [har] writes each run's
// page loads as HAR 1.2 (package har).

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/connsim/connsim/capture"
	"github.com/connsim/connsim/har"
	"github.com/connsim/connsim/httpmodel"
	"github.com/connsim/connsim/sim/link"
	"go.yaml.in/yaml/v3"
)

// OutputHAR is the outputs value that writes har/*.har.
const OutputHAR = "har"

// outputNames are the values outputs takes.
var outputNames = []string{OutputHAR}

// HARFilter selects the entries of a HAR file (page.exclude_hosts,
// page.first).
type HARFilter = har.Filter

// maxObjectSize is page.objects[].size's upper bound (10GB).
const maxObjectSize = 10_000_000_000

// afterDecode resolves page.har: the page of the HAR file replaces host,
// html and objects, and har, exclude_hosts and first are cleared, so that
// the resolved spec (experiment.yaml) holds the page itself and loads
// again without the file. n is the page's mapping node.
func (p *PageSpec) afterDecode(d *decoder, n *yaml.Node, path string) {
	if p.HAR == "" {
		for _, k := range []string{"exclude_hosts", "first"} {
			if kn := d.nodes[joinPath(path, k)]; kn != nil {
				d.errorf(kn, joinPath(path, k), "only with har (it selects the entries of a HAR file)")
			}
		}
		return
	}
	harPath := joinPath(path, "har")
	hn := d.nodes[harPath]
	if n != nil && n.Kind == yaml.MappingNode {
		var also []string
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i].Value; k == "host" || k == "html" || k == "objects" {
				also = append(also, k)
			}
		}
		if len(also) > 0 {
			d.errorf(hn, harPath, "the HAR file gives the page's host, html and objects; remove %s", strings.Join(also, " and "))
			return
		}
	}
	for i, h := range p.ExcludeHosts {
		if !isHostname(strings.TrimPrefix(h, "*.")) {
			k := fmt.Sprintf("%s[%d]", joinPath(path, "exclude_hosts"), i)
			d.errorf(d.nodes[k], k, "%q is not a hostname or *.domain (lower-case letters, digits, dots and hyphens)", h)
			return
		}
	}
	if p.First < 0 || p.First > maxObjects {
		return // checkFields reports it
	}
	file := p.HAR
	if !filepath.IsAbs(file) {
		file = filepath.Join(filepath.Dir(d.file), file)
	}
	page, err := readHARPage(file, HARFilter{ExcludeHosts: p.ExcludeHosts, First: p.First})
	if err != nil {
		d.errorf(hn, harPath, "%s: %s", p.HAR, err)
		return
	}
	*p = page
}

// ReadHARPage reads the HAR file at path (see page.har in
// docs/experiment-format.md) into a page: the HTML and every other
// entry of its first page, filtered by f, with their hosts, sizes and
// methods. Errors name the file, the entry and the field, e.g.
// "site.har: log.entries[3].response.bodySize: ...".
func ReadHARPage(path string, f HARFilter) (PageSpec, error) {
	p, err := readHARPage(path, f)
	if err != nil {
		return PageSpec{}, fmt.Errorf("%s: %s", path, err)
	}
	return p, nil
}

// readHARPage is ReadHARPage, its errors without the file's name.
func readHARPage(path string, f HARFilter) (PageSpec, error) {
	if f.First < 0 || f.First > maxObjects {
		return PageSpec{}, fmt.Errorf("first %d: want 0 (every entry) to %d", f.First, maxObjects)
	}
	fi, err := os.Stat(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return PageSpec{}, fmt.Errorf("cannot read it: %v", err)
	}
	if !fi.Mode().IsRegular() {
		return PageSpec{}, errors.New("not a regular file")
	}
	if fi.Size() > har.MaxSize {
		return PageSpec{}, fmt.Errorf("the file is %d bytes, more than the %d (256 MiB) connsim reads", fi.Size(), har.MaxSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return PageSpec{}, fmt.Errorf("cannot read it: %v", err)
	}
	return harPage(data, f)
}

// harPage turns a HAR document into a page.
func harPage(data []byte, f HARFilter) (PageSpec, error) {
	l, err := har.Decode(data)
	if err != nil {
		return PageSpec{}, err
	}
	site, err := l.Site(f)
	if err != nil {
		return PageSpec{}, err
	}
	all := append([]har.Resource{site.HTML}, site.Objects...)
	for _, r := range all {
		at := fmt.Sprintf("log.entries[%d]", r.Entry)
		if !isHostname(r.Host) {
			return PageSpec{}, fmt.Errorf("%s.request.url: the host %q is not one connsim takes (lower-case letters, digits, dots and hyphens)", at, clip(r.Host, maxQuoted))
		}
		if r.Size > maxObjectSize {
			return PageSpec{}, fmt.Errorf("%s.response: %d bytes is larger than an object may be (10GB)", at, r.Size)
		}
	}
	p := PageSpec{Host: site.Host, HTML: Size(site.HTML.Size)}
	for _, r := range site.Objects {
		o := ObjectSpec{Size: Size(r.Size), Count: 1, Method: harMethod(r.Method)}
		if r.Host != site.Host {
			o.Host = r.Host
		}
		p.Objects = append(p.Objects, o)
	}
	return p, nil
}

// harMethod maps a HAR request method onto those connsim simulates; the
// method decides only whether a request may be pipelined and replayed
// (idempotent, RFC 9110 section 9.2.2). OPTIONS and TRACE, idempotent,
// are simulated as GET; PATCH, CONNECT and unknown methods as POST.
func harMethod(m string) string {
	switch m {
	case "GET", "POST", "PUT", "DELETE", "HEAD":
		return m
	case "OPTIONS", "TRACE":
		return "GET"
	}
	return "POST"
}

var harSweepKeyRE = regexp.MustCompile(`(^|\.)page\.(har|exclude_hosts|first)$`)

// checkHAR checks outputs and what page.har allows: a page read from a
// HAR file cannot be swept (the resolved spec, experiment.yaml, holds the
// page read, not the file, but a sweep's values are written as given),
// and a Spec built in Go takes
// a HAR page from ReadHARPage.
func (st *loaded) checkHAR() {
	s, d := st.spec, st.d
	for i, o := range s.Outputs {
		if o != OutputHAR {
			p := fmt.Sprintf("outputs[%d]", i)
			d.errorf(d.node(p), p, "%q is not an output (use %s)", o, orList(outputNames))
		}
	}
	for _, a := range s.Sweep {
		if slices.ContainsFunc(a.Values, func(v SweepValue) bool { return hasHARKey(v.Text) }) {
			d.errorf(d.node("sweep."+a.Key), "sweep."+a.Key, "a page read from a HAR file cannot be swept yet (experiment.yaml would name the HAR file, which its folder does not hold): write one experiment per HAR file")
			continue
		}
		if harSweepKeyRE.MatchString(a.Key) {
			d.errorf(d.node("sweep."+a.Key), "sweep."+a.Key, "%s cannot be swept: a HAR page is read once; write one experiment per HAR file", a.Key)
		}
	}
	pages := []*PageSpec{&s.Page}
	for i := range s.Clients {
		pages = append(pages, &s.Clients[i].Page)
	}
	for i, p := range pages {
		path := "page"
		if i > 0 {
			path = fmt.Sprintf("clients[%d].page", i-1)
		}
		if p.HAR != "" && d.node(path+".har") == nil {
			d.errorf(nil, path+".har", "a Spec built in Go takes the page of a HAR file from ReadHARPage")
		}
	}
	st.checkCapture() // capture: is the other key of issue 13
}

// hasHARKey reports whether a swept value (YAML flow text) sets a har key
// at any depth: a page, or a population's, read from a HAR file.
func hasHARKey(text string) bool {
	if !strings.Contains(text, "har") {
		return false
	}
	var n yaml.Node
	if yaml.Unmarshal([]byte(text), &n) != nil {
		return false
	}
	var walk func(n *yaml.Node, depth int) bool
	walk = func(n *yaml.Node, depth int) bool {
		if n == nil || depth > 100 {
			return false
		}
		for i, c := range n.Content {
			if n.Kind == yaml.MappingNode && i%2 == 0 && c.Value == "har" {
				return true
			}
			if walk(c, depth+1) {
				return true
			}
		}
		return false
	}
	return walk(&n, 0)
}

// WantsHAR reports whether outputs lists har.
func (s *Spec) WantsHAR() bool {
	for _, o := range s.Outputs {
		if o == OutputHAR {
			return true
		}
	}
	return false
}

// HARFileName is the name, in the output folder, of run rc's HAR file:
// har/ and the run's index, zero-padded to the width of the last index
// (har/07.har of 12 runs), so that the names sort in run order.
func (s *Spec) HARFileName(rc RunConfig) string {
	width := len(strconv.Itoa(max(s.RunCount()-1, 0)))
	return fmt.Sprintf("har/%0*d.har", width, rc.Index)
}

// HAREpoch returns the wall-clock time that virtual time 0 stands for in
// HAR output, 2000-01-01T00:00:00Z, so that the files are the same on
// every machine.
func HAREpoch() time.Time { return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) }

// HARServerIP returns the serverIPAddress HAR output gives host in the
// world of spec s: the address of the node that serves host, the same
// address a packet capture of the run gives that node (capture.IP), so
// that a HAR file and a capture of one run agree. The single client's
// world has one server, node 1 (10.0.0.2; the client is node 0); with
// servers: each site is its own node, the sites numbered in order after
// a core router (or, for one site without a link, the site itself is
// node 0), and a host no site lists is served by the first site. This
// follows the order in which package httpmodel builds its nodes;
// TestHARServerIPMatchesCapture checks it against captures of both
// worlds.
func HARServerIP(s *Spec, host string) string {
	if len(s.Clients) == 0 {
		return capture.IP(1)
	}
	if len(s.Servers) == 0 {
		return capture.IP(0) // the one server is the far end of the bottleneck
	}
	site := 0
	for i, st := range s.Servers {
		if slices.Contains(st.Hosts, host) {
			site = i
			break
		}
	}
	if t, err := topologyConfig(s); err == nil && len(t.Servers) == 1 && t.Servers[0].Link == (httpmodel.Access{}) {
		return capture.IP(0)
	}
	return capture.IP(link.NodeID(site + 1))
}

// HAROf returns run rc's page loads as a HAR 1.2 document: one page per
// visit and one entry per request (requests.csv's rows), creator
// connsim at version. Each entry's timings are its requests.csv columns:
//
//	blocked  queued_ms
//	dns      dns_ms, or -1 when 0 (no lookup)
//	connect  connect_ms + tls_ms (HAR counts ssl inside connect), or -1 when both are 0 (a reused connection)
//	ssl      tls_ms, or -1 when 0
//	send, wait, receive   send_ms, wait_ms, receive_ms
//
// so that time (their sum, ssl left out) is end_ms - start_ms.
// startedDateTime is HAREpoch plus the virtual time the request (or the
// visit) started; visits after the first start when the previous one
// ended plus client.reading_time. Each response's bodySize is the
// object's size and its headersSize the rest of requests.csv's bytes;
// a request that failed has status 0. URLs are http:// (https:// with
// TLS) on the request's host, / for the HTML and /object/N for the N-th
// object of the page. With clients: (populations) each client's visit is
// a page of its own (see populationHAR).
func HAROf(rc RunConfig, r Result, version string) (*har.HAR, error) {
	s := rc.Point.Spec
	h := &har.HAR{Log: har.Log{
		Version: har.Version,
		Creator: har.Creator{Name: "connsim", Version: version},
		Comment: fmt.Sprintf("Simulated by connsim: experiment %s, run %d (%s), seed %d. Times are virtual, from %s.", s.Name, rc.Index, rc.ID, rc.Seed, HAREpoch().Format(time.RFC3339)),
	}}
	if len(s.Clients) > 0 {
		return h, populationHAR(h, rc, r)
	}
	hb := newHARBuilder(s, pageConfig(s.Page, true), rc.Model)
	// Visit starts in virtual time: each visit starts when the previous
	// one ended (its last request) plus the reading time.
	var visitEnd []float64 // ms from the visit's start
	for _, q := range r.Requests {
		for len(visitEnd) <= q.Visit {
			visitEnd = append(visitEnd, 0)
		}
		visitEnd[q.Visit] = math.Max(visitEnd[q.Visit], q.EndMS)
	}
	visitStart := make([]time.Duration, len(visitEnd))
	for v := 1; v < len(visitEnd); v++ {
		visitStart[v] = visitStart[v-1] + msDuration(visitEnd[v-1]) + s.Client.ReadingTime.Std()
	}
	for v := range visitEnd {
		h.Log.Pages = append(h.Log.Pages, har.Page{
			StartedDateTime: harTime(visitStart[v]),
			ID:              fmt.Sprintf("page_%d", v+1),
			Title:           fmt.Sprintf("%s: %s, visit %d", s.Name, rc.ID, v+1),
			PageTimings:     har.PageTimings{OnContentLoad: -1, OnLoad: visitEnd[v]},
		})
	}
	visit, inVisit := -1, 0
	for _, q := range r.Requests {
		if q.Visit != visit {
			visit, inVisit = q.Visit, 0
		}
		e, err := hb.entry(q, inVisit, fmt.Sprintf("page_%d", q.Visit+1), visitStart[q.Visit])
		if err != nil {
			return nil, err
		}
		inVisit++
		h.Log.Entries = append(h.Log.Entries, e)
	}
	return h, nil
}

// populationHAR adds to h the page loads of a run with clients: one page
// per client and visit, titled by the client ("web#3, visit 1") and
// started when that visit started in the run (a client arrives at its own
// time), each entry on its population's page; an idle client loads none.
func populationHAR(h *har.HAR, rc RunConfig, r Result) error {
	s := rc.Point.Spec
	cfg, err := ModelConfig(s, rc.Model)
	if err != nil {
		return err
	}
	builders := map[string]*harBuilder{} // population name -> its page's
	for _, p := range cfg.Clients {
		m := rc.Model
		if p.Model.Kind != cfg.Model.Kind {
			m = ModelSpec{Name: p.Model.Kind.String()}
		}
		builders[p.Name] = newHARBuilder(s, p.Page, m)
	}
	type visitKey struct {
		client string
		visit  int
	}
	type visitPage struct {
		id    string
		index int // in h.Log.Pages
		count int // requests placed so far
	}
	pages := map[visitKey]*visitPage{}
	for _, q := range r.Requests {
		k := visitKey{q.Client, q.Visit}
		vp := pages[k]
		if vp == nil {
			vp = &visitPage{id: fmt.Sprintf("page_%s_%d", q.Client, q.Visit+1), index: len(h.Log.Pages)}
			pages[k] = vp
			h.Log.Pages = append(h.Log.Pages, har.Page{
				StartedDateTime: harTime(msDuration(q.VisitStartMS)),
				ID:              vp.id,
				Title:           fmt.Sprintf("%s: %s, %s, visit %d", s.Name, rc.ID, q.Client, q.Visit+1),
				PageTimings:     har.PageTimings{OnContentLoad: -1},
			})
		}
		pt := &h.Log.Pages[vp.index].PageTimings
		pt.OnLoad = math.Max(pt.OnLoad, q.EndMS)
	}
	for _, q := range r.Requests {
		pop, _, _ := strings.Cut(q.Client, "#")
		hb := builders[pop]
		if hb == nil {
			return fmt.Errorf("experiments: request %d: client %q is of no population", q.Request, q.Client)
		}
		vp := pages[visitKey{q.Client, q.Visit}]
		e, err := hb.entry(q, vp.count, vp.id, msDuration(q.VisitStartMS))
		if err != nil {
			return err
		}
		vp.count++
		h.Log.Entries = append(h.Log.Entries, e)
	}
	return nil
}

// harBuilder makes the HAR entries of the requests of one page.
type harBuilder struct {
	s                   *Spec
	page                httpmodel.Page
	httpVersion, scheme string
}

func newHARBuilder(s *Spec, page httpmodel.Page, m ModelSpec) *harBuilder {
	hb := &harBuilder{s: s, page: page, httpVersion: "HTTP/" + s.HTTP.Version, scheme: "http"}
	if m.HTTPVersion != "" { // the model's own (http_version)
		hb.httpVersion = "HTTP/" + m.HTTPVersion
	}
	if m.Name == HTTP2 {
		hb.httpVersion = "HTTP/2.0"
	}
	if s.TLS != "none" && s.TLS != "" {
		hb.scheme = "https"
	}
	return hb
}

// entry is the HAR entry of q, the i-th request of its visit (the HTML
// first, then the page's objects in order), on page pageref whose visit
// started at visitStart in the run.
func (hb *harBuilder) entry(q RequestRow, i int, pageref string, visitStart time.Duration) (har.Entry, error) {
	page, httpVersion := hb.page, hb.httpVersion
	method, size, path, mimeType := "GET", page.HTML, "/", "text/html"
	if i > 0 {
		if i-1 >= len(page.Objects) {
			return har.Entry{}, fmt.Errorf("experiments: request %d of visit %d: the page has %d objects", i, q.Visit, len(page.Objects))
		}
		o := page.Objects[i-1]
		method, size, path, mimeType = o.Method, o.Size, fmt.Sprintf("/object/%d", i), "application/octet-stream"
		if method == "" {
			method = "GET"
		}
	}
	t := har.Timings{
		Blocked: q.QueuedMS,
		DNS:     positiveOr(q.DNSMS),
		Connect: -1,
		SSL:     positiveOr(q.TLSMS),
		Send:    q.SendMS,
		Wait:    q.WaitMS,
		Receive: q.ReceiveMS,
	}
	if q.ConnectMS > 0 || q.TLSMS > 0 {
		t.Connect = round6(q.ConnectMS + q.TLSMS)
	}
	resp := har.Response{
		Status: 200, StatusText: "OK", HTTPVersion: httpVersion,
		Content:     har.Content{Size: size, MimeType: mimeType},
		HeadersSize: q.Bytes - size, BodySize: size,
	}
	if q.EndMS < 0 { // failed: no response
		resp = har.Response{HTTPVersion: httpVersion, Content: har.Content{MimeType: mimeType}, HeadersSize: -1, BodySize: 0}
	} else if resp.HeadersSize < 0 {
		resp.HeadersSize = -1
	}
	e := har.Entry{
		Pageref:         pageref,
		StartedDateTime: harTime(visitStart + msDuration(q.StartMS)),
		Time:            round6(t.Total()),
		Request: har.Request{
			Method: method, URL: hb.scheme + "://" + q.Host + path, HTTPVersion: httpVersion,
			HeadersSize: int64(hb.s.HTTP.RequestBytes), BodySize: 0,
		},
		Response:        resp,
		Timings:         t,
		ServerIPAddress: HARServerIP(hb.s, q.Host),
	}
	if q.Connection > 0 {
		e.Connection = strconv.Itoa(q.Connection)
	}
	return e, nil
}

// positiveOr returns ms, or -1 (HAR's "does not apply") when it is 0.
func positiveOr(ms float64) float64 {
	if ms > 0 {
		return ms
	}
	return -1
}

// msDuration turns milliseconds of the output files (6 decimals: whole
// nanoseconds) back into a duration.
func msDuration(ms float64) time.Duration {
	return time.Duration(math.Round(ms * 1e6))
}

// harTime is HAREpoch plus d, in ISO 8601 with milliseconds (what
// browsers write and read).
func harTime(d time.Duration) string {
	return HAREpoch().Add(d).Format("2006-01-02T15:04:05.000Z07:00")
}
