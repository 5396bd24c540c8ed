package main

import (
	"context"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gonum.org/v1/plot"

	"github.com/connsim/connsim/experiments"
	"github.com/connsim/connsim/plots"
)

const serveHelp = `Usage: connsim serve [--addr 127.0.0.1:8080] [--allow-remote]

A playground in the browser: pick two connection models, a page and the
network (RTT, bandwidth, loss, queue, TLS, HTTP version); every change
runs both page loads again and redraws their waterfalls, congestion
windows and ladder diagrams with the metrics beside them. The settings
live in the page's URL, so a link hands out the same view; each built-in
experiment opens in it with its network, page and models.

Everything the page needs is inside connsim: it loads nothing from the
network. One request may ask for at most 500 objects, 20MB of page, RTT
up to 5s, loss up to 0.2 and a simulated minute; past these it says
which value is too large instead of running.

Flags:
  --addr HOST:PORT   where to listen (default 127.0.0.1:8080; port 0 picks one)
  --allow-remote     listen on an address other machines can reach; the
                     playground has no authentication, so only on a network
                     you trust

Example:
  connsim serve
  # then open http://127.0.0.1:8080/ in a browser
`

//go:embed playground
var playgroundFS embed.FS

// Bounds of the work one playground request may ask for. A page load
// costs events in proportion to its packets (bytes / MSS, and more under
// loss), so the bytes, the objects, the loss and the simulated time are
// bounded; maxEvents stops anything the others let through.
const (
	playMaxObjects   = 500
	playMaxPageBytes = 20_000_000
	playMaxRTT       = 5 * time.Second
	playMaxLoss      = 0.2
	playMinBandwidth = 56_000 // bit/s
	playMaxSimTime   = "60s"
	playMaxEvents    = "3000000"
	playMaxQuery     = 2048 // bytes of query string
	playWorkers      = 2    // simulations at once
)

// playParams are the playground's settings: the URL query parameter, the
// spec key it sets (errors name both), its default and its label.
var playParams = []struct{ param, key, def, label string }{
	{"rtt", "network.rtt", "100ms", "RTT"},
	{"bandwidth", "network.bandwidth", "10Mbps", "bandwidth"},
	{"loss", "network.loss", "0", "loss"},
	{"queue", "network.queue", "256KB", "queue"},
	{"tls", "tls", "none", "TLS"},
	{"http", "http.version", "1.1", "HTTP version"},
	{"cc", "tcp.cc", "newreno", "congestion control"},
	{"html", "page.html", "20KB", "HTML size"},
	{"objects", "page.objects", "40x10KB", "objects"},
	{"model1", "models[0]", "persistent", "model A"},
	{"model2", "models[1]", "pipelined", "model B"},
	{"seed", "seed", "1", "seed"},
}

var playModels = []string{"short-lived", "persistent", "pipelined", "parallel", "sharded", "http2"}

// playError is one problem with a request, named by its parameter and
// the spec key behind it.
type playError struct {
	Param string `json:"param"`
	Key   string `json:"key"`
	Msg   string `json:"msg"`
}

// playModel is one model's result: metrics and figures (SVG data URIs).
type playModel struct {
	Label string `json:"label"`
	// Metrics are name, value and what it measures in words (the
	// figures' axis label without the unit, which the name carries in
	// the files' unit), e.g. "plt_ms", "1464.2", "page load time".
	Metrics   [][3]string `json:"metrics"`
	Waterfall string      `json:"waterfall,omitempty"`
	Cwnd      string      `json:"cwnd,omitempty"`
	Ladder    string      `json:"ladder,omitempty"`
	Err       string      `json:"err,omitempty"`
}

type playResult struct {
	Errors []playError `json:"errors,omitempty"`
	Models []playModel `json:"models,omitempty"`
	Query  string      `json:"query"`
	TookMS float64     `json:"took_ms"`
}

func cmdServe(args []string, stdout, stderr io.Writer) int {
	fs, addr, remote := serveFlags(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitBadUse
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "connsim serve: unexpected argument %q\n", fs.Arg(0))
		return exitBadUse
	}
	if err := checkLoopback(*addr, *remote); err != nil {
		fmt.Fprintf(stderr, "connsim serve: --addr %s: %v\n", *addr, err)
		return exitBadUse
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "connsim serve: %v\n", err)
		return exitBadUse
	}
	srv := &http.Server{Handler: newPlayground(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "connsim playground on http://%s/ (Ctrl-C stops it)\n", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "connsim serve: %v\n", err)
		return exitRunFail
	}
	return exitOK
}

// serveFlags defines connsim serve's flags: --addr and --allow-remote.
func serveFlags(stderr io.Writer) (fs *flag.FlagSet, addr *string, remote *bool) {
	fs = flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, serveHelp) }
	addr = fs.String("addr", serveDefaultAddr, "HOST:PORT to listen on")
	remote = fs.Bool("allow-remote", false, "listen on a non-loopback address")
	return fs, addr, remote
}

// serveDefaultAddr is where connsim serve listens without --addr: on
// the loopback interface only, so no other machine can reach it.
const serveDefaultAddr = "127.0.0.1:8080"

// checkLoopback refuses an address other machines could reach unless
// allowed: the playground runs simulations for anyone who can connect.
func checkLoopback(addr string, allow bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want HOST:PORT, e.g. 127.0.0.1:8080")
	}
	if allow {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("not a loopback address: the playground has no authentication, so it listens on 127.0.0.1 or ::1 unless --allow-remote is given")
}

// playground is the HTTP handler of connsim serve.
type playground struct {
	page  *template.Template
	sem   chan struct{}
	exps  []playExperiment
	mux   *http.ServeMux
	files fs.FS
}

// playExperiment is a built-in experiment as the playground opens it:
// its base settings (the sweep left out) as a query.
type playExperiment struct {
	Name, Title string
	Query       string // "" when it cannot be opened
	Page        string // its page as html|objects, for the page menu
	PageText    string
	Why         string // why it cannot be opened
	// LeftOut says what of the experiment the playground does not
	// show (its sweep, model options, server and client settings), so
	// a student who opens it is not misled by a page that lacks them.
	LeftOut string
}

// playPage is one entry of the page menu: a page and the built-in
// experiments that load it.
type playPage struct{ Value, Text string }

// playPages lists the experiments' pages once each, in the experiments'
// order, an entry naming every experiment with that page (a menu with
// two equal values would select the second one for the first's page).
func playPages(exps []playExperiment) []playPage {
	var pages []playPage
	names := map[string][]string{}
	texts := map[string]string{}
	for _, e := range exps {
		if e.Page == "" {
			continue
		}
		if _, ok := names[e.Page]; !ok {
			pages = append(pages, playPage{Value: e.Page})
			texts[e.Page] = e.PageText
		}
		names[e.Page] = append(names[e.Page], e.Name)
	}
	for i := range pages {
		pages[i].Text = strings.Join(names[pages[i].Value], ", ") + ": " + texts[pages[i].Value]
	}
	return pages
}

// leftOut says what of s the playground's query cannot hold.
func leftOut(s *experiments.Spec) string {
	var parts []string
	for _, a := range s.Sweep {
		var vs []string
		for _, v := range a.Values {
			vs = append(vs, v.Text)
		}
		parts = append(parts, fmt.Sprintf("its sweep of %s (%s)", a.Key, strings.Join(vs, ", ")))
	}
	for i, m := range s.Models {
		if i >= 2 {
			parts = append(parts, fmt.Sprintf("models past the first two (%d in all)", len(s.Models)))
			break
		}
		// Options other than a label are lost: the query holds names.
		plain, _ := experiments.NewModel(m.Name)
		plain.Label = m.Label
		if !reflect.DeepEqual(m, plain) {
			parts = append(parts, fmt.Sprintf("the options of model %q (shown as plain %s)", m.Label, m.Name))
		}
	}
	base := experiments.NewSpec("base")
	if !reflect.DeepEqual(s.Server, base.Server) {
		parts = append(parts, "its server settings")
	}
	if !reflect.DeepEqual(s.Client, base.Client) {
		parts = append(parts, "its client settings")
	}
	for _, sec := range []struct {
		n    int
		name string
	}{{len(s.Clients), "clients"}, {len(s.Servers), "servers"}, {len(s.Proxies), "proxies"}} {
		if sec.n > 0 {
			parts = append(parts, "its "+sec.name)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "The playground shows this experiment's network, page and protocols; it leaves out " + strings.Join(parts, "; ") + ". connsim run " + s.Name + " runs all of it."
}

func newPlayground() *playground {
	files, err := fs.Sub(playgroundFS, "playground")
	if err != nil {
		panic(err) // the embedded folder is there
	}
	pg := &playground{sem: make(chan struct{}, playWorkers), files: files}
	pg.page = template.Must(template.New("index.html").Funcs(template.FuncMap{
		"list": func(xs ...string) []string { return xs },
	}).ParseFS(files, "index.html"))
	for _, e := range experiments.Library() {
		pg.exps = append(pg.exps, experimentQuery(e))
	}
	pg.mux = http.NewServeMux()
	pg.mux.HandleFunc("GET /{$}", pg.index)
	pg.mux.HandleFunc("GET /api/sim", pg.sim)
	pg.mux.HandleFunc("GET /open", pg.open)
	pg.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(files)))
	return pg
}

func (pg *playground) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	pg.mux.ServeHTTP(w, r)
}

// experimentQuery reads a built-in experiment's base network, page, TLS,
// HTTP version and first two models into a playground query.
func experimentQuery(e experiments.LibraryEntry) playExperiment {
	pe := playExperiment{Name: e.Name, Title: e.Title}
	s, err := experiments.Load(e.Name+".yaml", e.YAML)
	if err != nil {
		pe.Why = "does not load: " + err.Error()
		return pe
	}
	q := url.Values{}
	n := s.Network
	q.Set("rtt", n.RTT.String())
	q.Set("bandwidth", n.Bandwidth.String())
	q.Set("loss", n.Loss.String())
	q.Set("queue", n.Queue.String())
	q.Set("tls", s.TLS)
	q.Set("http", s.HTTP.Version)
	q.Set("cc", s.TCP.CC)
	q.Set("html", s.Page.HTML.String())
	var objs []string
	for _, o := range s.Page.Objects {
		objs = append(objs, fmt.Sprintf("%dx%s", o.Count, o.Size))
	}
	q.Set("objects", strings.Join(objs, ","))
	q.Set("seed", strconv.FormatUint(s.Seed, 10))
	q.Set("model2", "")
	for i, m := range s.Models {
		if i < 2 {
			q.Set(fmt.Sprintf("model%d", i+1), m.Name)
		}
	}
	pe.Page = s.Page.HTML.String() + "|" + strings.Join(objs, ",")
	objText := strings.Join(objs, ", ")
	if len(objs) == 0 {
		objText = "no objects"
	}
	pe.PageText = fmt.Sprintf("HTML %s + %s", s.Page.HTML, objText)
	pe.Query = q.Encode()
	pe.LeftOut = leftOut(s)
	return pe
}

// open redirects /open?experiment=NAME to the playground set to that
// experiment's base settings.
func (pg *playground) open(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("experiment")
	for _, e := range pg.exps {
		if e.Name == name && e.Query != "" {
			http.Redirect(w, r, "/?"+e.Query+"&experiment="+url.QueryEscape(name), http.StatusSeeOther)
			return
		}
	}
	http.Error(w, fmt.Sprintf("no built-in experiment %q that the playground can open", name), http.StatusNotFound)
}

// playValues are the settings of a query, defaults filled in.
func playValues(q url.Values) map[string]string {
	v := map[string]string{}
	for _, p := range playParams {
		v[p.param] = p.def
		if got, ok := q[p.param]; ok && len(got) > 0 {
			v[p.param] = strings.TrimSpace(got[0])
		}
	}
	return v
}

func (pg *playground) index(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'")
	data := struct {
		V           map[string]string
		Models      []string
		Experiments []playExperiment
		Experiment  string
		Params      any
		Pages       []playPage
		LeftOut     string
	}{playValues(r.URL.Query()), playModels, pg.exps, r.URL.Query().Get("experiment"), playParams, playPages(pg.exps), ""}
	for _, e := range pg.exps {
		if e.Name == data.Experiment {
			data.LeftOut = e.LeftOut
		}
	}
	if err := pg.page.Execute(w, data); err != nil {
		fmt.Fprintf(os.Stderr, "connsim serve: %v\n", err)
	}
}

// sim runs the page load of each model the query names and answers with
// metrics and figures, or with the errors that stopped it (status 400;
// 413 for a request past the playground's bounds).
func (pg *playground) sim(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	reply := func(code int, res playResult) {
		res.TookMS = math.Round(float64(time.Since(start).Microseconds())/100) / 10
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(res)
	}
	if len(r.URL.RawQuery) > playMaxQuery {
		reply(http.StatusRequestEntityTooLarge, playResult{Errors: []playError{{Param: "query", Msg: fmt.Sprintf("the query is %d bytes: at most %d", len(r.URL.RawQuery), playMaxQuery)}}})
		return
	}
	s, errs, tooBig := playSpec(playValues(r.URL.Query()))
	if len(errs) > 0 {
		code := http.StatusBadRequest
		if tooBig {
			code = http.StatusRequestEntityTooLarge
		}
		reply(code, playResult{Errors: errs})
		return
	}
	runs, err := s.Runs()
	if err != nil {
		reply(http.StatusBadRequest, playResult{Errors: specErrors(err)})
		return
	}
	select {
	case pg.sem <- struct{}{}:
		defer func() { <-pg.sem }()
	case <-r.Context().Done():
		return
	}
	res := playResult{Query: r.URL.RawQuery}
	// Both models' waterfalls are drawn on one time axis, the longer
	// load's, so the two side by side compare at a glance (issue 14:
	// figures meant to be compared share their scale).
	results := make([]experiments.Result, len(runs))
	xmax := 0.0
	for i, rc := range runs {
		results[i] = experiments.Run(rc, true)
		xmax = max(xmax, plots.WaterfallEnd(results[i].Requests, plots.WaterfallOptions{}))
	}
	for i, rc := range runs {
		res.Models = append(res.Models, playDraw(rc, results[i], xmax))
	}
	reply(http.StatusOK, res)
}

// playSpec builds the spec of a playground query: every value through
// Spec.Set, as connsim page does, and then the playground's bounds.
// tooBig reports a request refused for its size rather than for a
// malformed value.
func playSpec(v map[string]string) (s *experiments.Spec, errs []playError, tooBig bool) {
	s = experiments.NewSpec("playground")
	param := func(key string) string {
		for _, p := range playParams {
			if p.key == key || strings.HasPrefix(key, p.key+"[") || strings.HasPrefix(key, p.key+".") {
				return p.param
			}
		}
		return ""
	}
	set := func(key, text string) {
		var list experiments.ErrorList
		if err := s.Set(key, text); errors.As(err, &list) {
			for _, e := range list {
				errs = append(errs, playError{Param: param(key), Key: e.Path, Msg: e.Msg})
			}
		} else if err != nil {
			errs = append(errs, playError{Param: param(key), Key: key, Msg: err.Error()})
		}
	}
	for _, p := range playParams {
		switch p.param {
		case "objects", "model1", "model2":
			continue
		}
		set(p.key, v[p.param])
	}
	set("limits.max_sim_time", playMaxSimTime)
	set("limits.max_events", playMaxEvents)
	s.Page.Objects = nil
	if o := v["objects"]; o != "" && o != "0" {
		for i, part := range strings.Split(o, ",") {
			m := objectsRE.FindStringSubmatch(part)
			if m == nil {
				errs = append(errs, playError{Param: "objects", Key: "page.objects", Msg: fmt.Sprintf("%q: want COUNTxSIZE, e.g. 40x10KB, comma-separated", strings.TrimSpace(part))})
				break
			}
			if len(s.Page.Objects) >= 20 {
				errs = append(errs, playError{Param: "objects", Key: "page.objects", Msg: "at most 20 COUNTxSIZE entries"})
				break
			}
			s.Page.Objects = append(s.Page.Objects, experiments.ObjectSpec{Count: 1, Method: "GET"})
			set(fmt.Sprintf("page.objects[%d].count", i), m[1])
			set(fmt.Sprintf("page.objects[%d].size", i), strings.ReplaceAll(m[2], " ", ""))
		}
	}
	s.Models = nil
	for i, name := range []string{v["model1"], v["model2"]} {
		if name == "" && i == 1 {
			continue
		}
		m, ok := experiments.NewModel(name)
		if !ok {
			errs = append(errs, playError{Param: fmt.Sprintf("model%d", i+1), Key: fmt.Sprintf("models[%d]", len(s.Models)),
				Msg: fmt.Sprintf("unknown model %q (want one of %s)", name, strings.Join(playModels, ", "))})
			continue
		}
		if len(s.Models) == 1 && s.Models[0].Name == name {
			m.Label = name + " (B)"
		}
		s.Models = append(s.Models, m)
	}
	if len(errs) > 0 {
		// The checks of several keys too (a value Set refused kept its
		// default, so nothing is reported twice).
		if len(s.Models) > 0 {
			if _, err := s.Runs(); err != nil {
				for _, e := range specErrors(err) {
					if !slices.ContainsFunc(errs, func(o playError) bool { return o.Key == e.Key }) {
						errs = append(errs, e)
					}
				}
			}
		}
		return s, errs, false
	}
	// The bounds of one request.
	count, bytes := 0, int64(s.Page.HTML)
	for _, o := range s.Page.Objects {
		count += o.Count
		bytes += int64(o.Count) * int64(o.Size)
	}
	tooBigErr := func(param, key, msg string) {
		errs = append(errs, playError{Param: param, Key: key, Msg: msg + " (the playground's bound for one request; connsim run has no such bound)"})
	}
	if count > playMaxObjects {
		tooBigErr("objects", "page.objects", fmt.Sprintf("%d objects: at most %d", count, playMaxObjects))
	}
	if bytes > playMaxPageBytes {
		tooBigErr("objects", "page.objects", fmt.Sprintf("a page of %s: at most %s", experiments.Size(bytes), experiments.Size(playMaxPageBytes)))
	}
	if s.Network.RTT.Std() > playMaxRTT {
		tooBigErr("rtt", "network.rtt", fmt.Sprintf("%s: at most %s", s.Network.RTT, experiments.Duration(playMaxRTT)))
	}
	if float64(s.Network.Loss) > playMaxLoss {
		tooBigErr("loss", "network.loss", fmt.Sprintf("%s: at most %v", s.Network.Loss, playMaxLoss))
	}
	if int64(s.Network.Bandwidth) < playMinBandwidth {
		tooBigErr("bandwidth", "network.bandwidth", fmt.Sprintf("%s: at least %s", s.Network.Bandwidth, experiments.Rate(playMinBandwidth)))
	}
	return s, errs, len(errs) > 0
}

// specErrors turns the errors of Spec.Runs into playErrors, naming the
// parameter of each key.
func specErrors(err error) []playError {
	var list experiments.ErrorList
	if !errors.As(err, &list) {
		return []playError{{Msg: err.Error()}}
	}
	var out []playError
	for _, e := range list {
		pe := playError{Key: e.Path, Msg: e.Msg}
		for _, p := range playParams {
			if e.Path == p.key || strings.HasPrefix(e.Path, p.key+"[") || strings.HasPrefix(e.Path, p.key+".") {
				pe.Param = p.param
			}
		}
		if strings.HasPrefix(e.Path, "models[") {
			pe.Param = "model1"
			if strings.HasPrefix(e.Path, "models[1]") {
				pe.Param = "model2"
			}
		}
		out = append(out, pe)
	}
	return out
}

// playDraw draws one model's page load (run with a trace), its
// waterfall's time axis reaching at least xmax ms.
func playDraw(rc experiments.RunConfig, res experiments.Result, xmax float64) playModel {
	pm := playModel{Label: rc.Model.Label, Err: res.Row.Err}
	for _, name := range experiments.MetricNames {
		mt, _ := experiments.LookupMetric(name)
		v := mt.Value(&res.Row.Metrics)
		switch {
		case math.IsNaN(v):
			continue
		case mt.Integer:
			pm.Metrics = append(pm.Metrics, [3]string{mt.Name, strconv.FormatInt(int64(v), 10), mt.Unit.Name})
		default:
			pm.Metrics = append(pm.Metrics, [3]string{mt.Name, strconv.FormatFloat(v, 'f', 1, 64), mt.Unit.Name})
		}
	}
	var figErrs []string
	draw := func(name string, mk func() (*plot.Plot, error)) string {
		p, err := mk()
		if err != nil {
			figErrs = append(figErrs, name+": "+err.Error())
			return ""
		}
		w, h := plots.DefaultSize(p)
		b, err := plots.Encode(p, w, h, "svg")
		if err != nil {
			figErrs = append(figErrs, name+": "+err.Error())
			return ""
		}
		return "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(b)
	}
	pm.Waterfall = draw("waterfall", func() (*plot.Plot, error) {
		return plots.Waterfall(res.Requests, plots.WaterfallOptions{Title: "Waterfall: " + rc.Model.Label, XMax: xmax})
	})
	if res.Trace != nil {
		tr := *res.Trace
		pm.Cwnd = draw("cwnd", func() (*plot.Plot, error) {
			return plots.Cwnd(tr, plots.CwndOptions{Title: "Congestion window: " + rc.Model.Label, Requests: res.Requests})
		})
		pm.Ladder = draw("ladder", func() (*plot.Plot, error) {
			return plots.Ladder(tr, plots.LadderOptions{Title: "First packets: " + rc.Model.Label})
		})
	}
	if len(figErrs) > 0 && pm.Err == "" {
		pm.Err = strings.Join(figErrs, "; ")
	}
	return pm
}
