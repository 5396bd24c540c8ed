package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strings"

	"github.com/connsim/connsim/capture"
	"github.com/connsim/connsim/experiments"
	"github.com/connsim/connsim/har"
)

const pageHelp = `Usage: connsim page [flags]

One quick page load from flags instead of a YAML file: prints the metrics
and a text waterfall (one row per request; . queued, d dns, c connect,
t tls, s send, w wait, r receive; the digit before each row is the
connection).

Flags (defaults as in the experiment format):
  --model M         short-lived | persistent | pipelined | parallel | sharded | http2 (default persistent)
  --connections N   connections per host (default: the model's)
  --shards N        sharded: hostnames (default 2)
  --rtt D           round-trip time (default 100ms)
  --bandwidth R     bottleneck rate (default 10Mbps)
  --uplink R        client->server rate (default: bandwidth)
  --queue Q         drop-tail queue, e.g. 256KB or "100 packets" (default 256KB)
  --loss P          random loss probability per packet (default 0)
  --dns D           one DNS lookup (default 0ms)
  --tls T           none | tls12 | tls13 (default none)
  --tls-resumption B  true: later connections to a host resume its TLS session (default false)
  --tls-0rtt B      true: with tls13 and resumption, GETs go in the first flight (default false)
  --cc C            newreno | cubic (default newreno)
  --html S          HTML size (default 20KB)
  --objects LIST    objects as COUNTxSIZE, comma-separated (default 40x10KB)
  --visits N        loads of the page (default 1)
  --reading-time D  pause between visits (default 0s)
  --seed N          random seed (default 1)
  --pcap FILE       write the load's packets to FILE for Wireshark: pcapng, or
                    classic pcap when FILE ends in .pcap (see README, Packet captures)
  --pcap-vantage V  where the capture sees the packets: client | server | bottleneck (default client)
  --har FILE        the page of a HAR file ("Save all as HAR" in a browser's
                    devtools) instead of --html and --objects
  --exclude-hosts L with --har: leave out these hosts, comma-separated
                    ("*.example.com" for its subdomains)
  --first N         with --har: only the first N requests
  --har-out FILE    write the simulated load as HAR 1.2 (for HAR viewers)

Examples:
  connsim page --model pipelined --rtt 100ms --bandwidth 10Mbps --objects 40x10KB
  connsim page --model http2 --tls tls13 --loss 0.02 --seed 7
  connsim page --har site.har --model parallel --har-out sim.har
`

// pageFlags maps each flag to the spec key it sets, so that an error in a
// value is reported against the flag.
var pageFlags = []struct{ flag, key, def string }{
	{"rtt", "network.rtt", ""},
	{"bandwidth", "network.bandwidth", ""},
	{"uplink", "network.uplink", ""},
	{"queue", "network.queue", ""},
	{"loss", "network.loss", ""},
	{"dns", "network.dns", ""},
	{"tls", "tls", ""},
	{"tls-resumption", "tls_resumption", ""},
	{"tls-0rtt", "tls_0rtt", ""},
	{"cc", "tcp.cc", ""},
	{"html", "page.html", ""},
	{"visits", "client.visits", ""},
	{"reading-time", "client.reading_time", ""},
	{"seed", "seed", ""},
}

var objectsRE = regexp.MustCompile(`^\s*(\d+)\s*[xX]\s*([0-9.]+\s*[A-Za-z]*)\s*$`)

func cmdPage(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("page", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, pageHelp) }
	vals := map[string]*string{}
	for _, f := range pageFlags {
		vals[f.flag] = fs.String(f.flag, f.def, f.key)
	}
	model := fs.String("model", "persistent", "connection model")
	conns := fs.Int("connections", 0, "connections per host")
	shards := fs.Int("shards", 0, "sharded: hostnames")
	objects := fs.String("objects", "40x10KB", "COUNTxSIZE,...")
	pcapFile := fs.String("pcap", "", "write a packet capture to FILE")
	pcapVantage := fs.String("pcap-vantage", "client", "client | server | bottleneck")
	harIn := fs.String("har", "", "HAR file of the page")
	harExclude := fs.String("exclude-hosts", "", "with --har: hosts left out")
	harFirst := fs.Int("first", 0, "with --har: only the first N requests")
	harOut := fs.String("har-out", "", "write the load as HAR 1.2")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitBadUse
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["shards"] && *model != "sharded" {
		fmt.Fprintf(stderr, "connsim page: --shards is for --model sharded (the model is %s)\n", *model)
		return exitBadUse
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "connsim page: unexpected argument %q (page takes flags only)\n", fs.Arg(0))
		return exitBadUse
	}
	if code, ok := checkHARFlags(set, stderr); !ok {
		return code
	}
	// Build the spec in Go: every value goes through the parser and
	// checks of a file's (Spec.Set, then Runs); errors name the flag.
	s := experiments.NewSpec("page")
	var errs experiments.ErrorList
	set1 := func(key, text string) {
		var list experiments.ErrorList
		if err := s.Set(key, text); errors.As(err, &list) {
			errs = append(errs, list...)
		}
	}
	for _, f := range pageFlags {
		if v := *vals[f.flag]; v != "" {
			set1(f.key, v)
		}
	}
	s.Page.Objects = nil
	if *harIn != "" {
		f := experiments.HARFilter{First: *harFirst}
		for _, h := range strings.Split(*harExclude, ",") {
			if h = strings.TrimSpace(h); h != "" {
				f.ExcludeHosts = append(f.ExcludeHosts, h)
			}
		}
		page, err := experiments.ReadHARPage(*harIn, f)
		if err != nil {
			fmt.Fprintf(stderr, "connsim page: --har: %v\n", err)
			return exitBadUse
		}
		s.Page = page
	} else if strings.TrimSpace(*objects) != "" {
		for i, o := range strings.Split(*objects, ",") {
			m := objectsRE.FindStringSubmatch(o)
			if m == nil {
				fmt.Fprintf(stderr, "connsim page: --objects %q: want COUNTxSIZE, e.g. 40x10KB\n", o)
				return exitBadUse
			}
			s.Page.Objects = append(s.Page.Objects, experiments.ObjectSpec{Count: 1, Method: "GET"})
			set1(fmt.Sprintf("page.objects[%d].count", i), m[1])
			set1(fmt.Sprintf("page.objects[%d].size", i), strings.ReplaceAll(m[2], " ", ""))
		}
	}
	// The model as a file's entry {model: {connections: N, shards: M}}
	// gives it, label included.
	m, ok := experiments.NewModel(*model)
	if !ok {
		m = experiments.ModelSpec{Name: *model} // Runs reports it
	}
	// A value given is set as given: the spec's model check (Runs)
	// holds the limits (models[].connections, models[].shards) and its
	// errors name the flag (flagErrors).
	var given []string
	if set["connections"] {
		m.Connections = *conns
		given = append(given, fmt.Sprintf("connections=%d", *conns))
	}
	if set["shards"] {
		m.Shards = *shards
		given = append(given, fmt.Sprintf("shards=%d", *shards))
	}
	if len(given) > 0 {
		m.Label = *model + "(" + strings.Join(given, ",") + ")"
	}
	s.Models = []experiments.ModelSpec{m}
	if *pcapFile != "" || set["pcap-vantage"] {
		if *pcapFile == "" {
			fmt.Fprintln(stderr, "connsim page: --pcap-vantage needs --pcap FILE")
			return exitBadUse
		}
		if _, err := capture.ParseVantage(*pcapVantage); err != nil {
			fmt.Fprintf(stderr, "connsim page: --pcap-vantage %q: want client, server or bottleneck\n", *pcapVantage)
			return exitBadUse
		}
		s.Capture = experiments.CaptureSpec{Vantage: *pcapVantage, Format: "pcapng"}
		if strings.HasSuffix(strings.ToLower(*pcapFile), ".pcap") {
			s.Capture.Format = "pcap"
		}
	}
	// Runs checks the rest (the model, the rules that involve several
	// keys); a value Set refused kept its default, so nothing is
	// reported twice.
	runs, err := s.Runs()
	var list experiments.ErrorList
	if errors.As(err, &list) {
		errs = append(errs, list...)
	} else if err != nil {
		fmt.Fprintf(stderr, "connsim page: %v\n", err)
		return exitBadUse
	}
	if len(errs) > 0 {
		fmt.Fprintln(stderr, flagErrors(errs))
		return exitBadUse
	}
	if len(runs) != 1 {
		fmt.Fprintf(stderr, "connsim page: %d runs, want 1\n", len(runs))
		return exitBadUse
	}
	res := experiments.Run(runs[0], false)
	printPage(stdout, s, res)
	if *pcapFile != "" && res.Capture != nil {
		if err := os.WriteFile(*pcapFile, res.Capture.Data, 0o644); err != nil {
			fmt.Fprintf(stderr, "connsim page: --pcap: %v\n", err)
			return exitRunFail
		}
	}
	if *harOut != "" {
		h, err := experiments.HAROf(runs[0], res, version)
		if err == nil {
			err = experiments.WriteFileAtomic(*harOut, func(w io.Writer) error { return har.Write(w, h) })
		}
		if err != nil {
			fmt.Fprintf(stderr, "connsim page: --har-out: %v\n", err)
			return exitRunFail
		}
	}
	if res.Row.Err != "" {
		fmt.Fprintf(stderr, "connsim page: the run failed: %s\n", res.Row.Err)
		return exitRunFail
	}
	return exitOK
}

// checkHARFlags checks the HAR flags against the others: --har replaces
// --html and --objects; --exclude-hosts and --first need --har.
func checkHARFlags(set map[string]bool, stderr io.Writer) (int, bool) {
	if set["har"] {
		for _, f := range []string{"html", "objects"} {
			if set[f] {
				fmt.Fprintf(stderr, "connsim page: --%s: the HAR file gives the page (leave out --%s with --har)\n", f, f)
				return exitBadUse, false
			}
		}
	} else {
		for _, f := range []string{"exclude-hosts", "first"} {
			if set[f] {
				fmt.Fprintf(stderr, "connsim page: --%s is for --har\n", f)
				return exitBadUse, false
			}
		}
	}
	return exitOK, true
}

// flagErrors rewrites spec errors ("network.rtt: ...") to name the flag
// ("--rtt: ...").
func flagErrors(err error) string {
	var list experiments.ErrorList
	if !errors.As(err, &list) {
		return "connsim page: " + err.Error()
	}
	var lines []string
	for _, e := range list {
		name := e.Path
		for _, f := range pageFlags {
			if f.key == e.Path {
				name = "--" + f.flag
			}
		}
		switch {
		case strings.HasPrefix(e.Path, "page.objects"):
			name = "--objects"
		case strings.HasPrefix(e.Path, "models") && strings.HasSuffix(e.Path, ".shards"):
			name = "--shards"
		case strings.HasPrefix(e.Path, "models") && strings.HasSuffix(e.Path, ".connections"):
			name = "--connections"
		case strings.HasPrefix(e.Path, "models"):
			name = "--model"
		}
		lines = append(lines, fmt.Sprintf("connsim page: %s: %s", name, e.Msg))
	}
	return strings.Join(lines, "\n")
}

// printVisit prints the waterfall of one visit's requests, end ms
// spanning the bar's width.
func printVisit(w io.Writer, reqs []experiments.RequestRow, visit int, end float64) {
	const width = 64
	scale := float64(width) / math.Max(end, 1e-9)
	fmt.Fprintf(w, "%4s %5s %-22s %9s %9s  |%s|\n", "req", "conn", "host", "bytes", "end ms", strings.Repeat("-", width))
	for _, q := range reqs {
		if q.Visit != visit {
			continue
		}
		line := []rune(strings.Repeat(" ", width))
		put := func(from, dur float64, ch rune) float64 {
			a := int(math.Round(from * scale))
			z := int(math.Round((from + dur) * scale))
			if dur > 0 && z == a {
				z = a + 1
			}
			for i := max(a, 0); i < min(z, width); i++ {
				line[i] = ch
			}
			return from + dur
		}
		t := q.StartMS
		t = put(t, q.QueuedMS, '.')
		t = put(t, q.DNSMS, 'd')
		t = put(t, q.ConnectMS, 'c')
		t = put(t, q.TLSMS, 't')
		t = put(t, q.SendMS, 's')
		t = put(t, q.WaitMS, 'w')
		put(t, q.ReceiveMS, 'r')
		host := q.Host
		if len(host) > 22 {
			host = host[:22]
		}
		fmt.Fprintf(w, "%4d %5d %-22s %9d %9.1f  |%s|\n", q.Request, q.Connection, host, q.Bytes, q.EndMS, string(line))
	}
}

// printPage prints the run's waterfall and metrics. With several
// visits it draws each one under a "visit N" heading, every visit on
// the same scale (its times count from its own start), so a revisit that
// reused warm connections reads as a shorter bar than the first load.
func printPage(w io.Writer, s *experiments.Spec, res experiments.Result) {
	r := res.Row
	n := s.Network
	fmt.Fprintf(w, "%s: RTT %v, %v down / %v up, queue %v, loss %v\n\n", r.Model, n.RTT, n.Bandwidth, n.UplinkRate(), n.Queue, n.Loss)
	end, visits := 0.0, 0
	for _, q := range res.Requests {
		if q.EndMS > end {
			end = q.EndMS
		}
		visits = max(visits, q.Visit+1)
	}
	for v := range visits {
		if visits > 1 {
			if v > 0 {
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "visit %d of %d (times from the start of the visit)\n", v+1, visits)
		}
		printVisit(w, res.Requests, v, end)
	}
	fmt.Fprintln(w)
	for _, name := range experiments.MetricNames { // one page: no population columns
		mt, _ := experiments.LookupMetric(name)
		switch v := mt.Value(&r.Metrics); {
		case math.IsNaN(v):
		case mt.Integer:
			fmt.Fprintf(w, "%-14s %d\n", mt.Name, int64(v))
		case mt.Unit.Unit == "s":
			fmt.Fprintf(w, "%-14s %.2f\n", mt.Name, v)
		default:
			fmt.Fprintf(w, "%-14s %.1f\n", mt.Name, v)
		}
	}
}
