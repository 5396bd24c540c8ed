// Package experiments reads experiment files, expands them into runs, and
// writes the result files. The YAML keys, units, output files and columns
// are the public contract of docs/experiment-format.md; this package
// implements it and documents the details the contract leaves open.
//
// # Loading
//
// [Load] parses one YAML document, fills the defaults and checks every
// value. It walks the YAML node tree itself rather than calling
// yaml.Decoder with KnownFields(true): it is just as strict (every
// unknown key is an error), and it can report every problem of a file at
// once, each as
//
//	FILE:LINE:COL: key.path: message
//
// for example
//
//	page.yaml:14:9: network.rtt: "100" needs a unit (e.g. 100ms)
//	page.yaml:20:3: network.rt: unknown key (known: rtt, bandwidth, uplink, queue, loss, dns); did you mean rtt?
//
// The error is an [ErrorList], sorted by line and column. YAML syntax
// errors keep the line the yaml package gives (FILE:LINE: YAML syntax
// error: ...). Keys may not repeat; anchors and aliases work; merge keys
// (<<) are rejected; a file holds one document.
//
// # Units
//
//   - durations: Go syntax, "250us", "40ms", "1.5s", "10m"; a bare 0 is
//     allowed, any other bare number is an error ("100" needs a unit).
//     Written back as the largest of h, m, s, ms, us, ns that divides
//     the value ("1.5s" becomes "1500ms").
//   - sizes: B, KB (1000), KiB (1024), MB, MiB, GB, GiB; a bare integer is
//     bytes; a fraction is allowed when the result is whole bytes
//     ("1.5KB"). Written back as the first of GB, GiB, MB, MiB, KB, KiB
//     that divides the value, else as bare bytes.
//   - rates: bps, Kbps, Mbps, Gbps (powers of 1000, bits per second), e.g.
//     "10Mbps", "1.5Mbps"; a bare number is an error.
//   - probabilities: a number in [0, 1], or a percentage ("1%").
//   - queue sizes: a size ("256KB") or a packet count ("100 packets");
//     0 means unlimited.
//   - booleans: true/false (yes/no and on/off are accepted too).
//   - words (tcp.cc, tls, ...): case does not matter; written lower case.
//
// # Defaults and ranges
//
// A value outside its range is an error that names the range. Keys marked
// (ext) are extensions of the contract.
//
//	key                          default          range
//	(the file)                                    at most 10 MiB
//	name                         (required)       [a-z0-9][a-z0-9-]*, 1..64 characters
//	title                        none             at most 200 characters
//	description                  none             at most 20000 characters
//	seed                         1                0..18446744073709551615 (decimal or 0x hex)
//	repeat                       1                1..10000
//	limits.max_sim_time          10m              1ms..24h
//	limits.max_events            500000000        1..1000000000000 (5e8 is accepted)
//	network.rtt                  100ms            0s..60s
//	network.bandwidth            10Mbps           1Kbps..100Gbps
//	network.uplink               = bandwidth      1Kbps..100Gbps
//	network.queue                256KB            0 (unlimited), or bytes at least mss+40, or 1.. packets
//	network.loss                 0                0..1
//	network.dns                  0s               0s..60s
//	tcp.cc                       newreno          newreno | cubic
//	tcp.mss                      1460             536..9000 (announced; with timestamps mss-12 payload bytes per segment)
//	tcp.initial_window           10 (RFC 6928)    1..1000
//	tcp.delayed_ack              true
//	tcp.delayed_ack_timeout      40ms (ext)       1ms..500ms
//	tcp.nagle                    false
//	tcp.slow_start_after_idle    true
//	tcp.idle_restart             rfc5681          rfc5681 | linux
//	tcp.initial_rto              1s               1ms..60s
//	tcp.min_rto                  200ms            1ms..60s, at most initial_rto
//	tcp.receive_window           4MiB             536..1GiB, at least mss
//	tcp.recovery (ext)           sack             sack | newreno
//	tcp.cwnd_counting (ext)      packets          packets | bytes
//	tcp.rto_estimator (ext)      linux            linux | rfc6298
//	tcp.timestamps (ext)         true
//	tcp.undo (ext)               true             (ignored with recovery newreno)
//	tcp.tlp (ext)                true             (ignored with recovery newreno)
//	tcp.quick_ack (ext)          true             (ignored with delayed_ack false)
//	tcp.hystart (ext)            true             (ignored with cc newreno)
//	tls                          none             none | tls12 | tls13
//	http.version                 "1.1"            "1.0" | "1.1"
//	http.request_bytes           400              1..1MB
//	http.response_header_bytes   300              0..1MB (0 = none; not with an object of 0 bytes)
//	client.visits                1                1..1000
//	client.reading_time          0s               0s..1h
//	client.pipelining_fallback (ext)  true    true | false (pipelined: detect broken pipelines, fall back, replay)
//	client.pipelining_timeout (ext)   1.5s    1ms..1h (a stall: no response with requests pipelined behind)
//	server.think_time            0s               0s..60s
//	server.keep_alive_timeout    5s               0s..1h (0 = close an idle connection at once, after a response)
//	server.max_requests          100              0..1000000 (0 = unlimited)
//	server.max_connections       0 (unlimited)    0..100000
//	server.backlog (ext)         0 (refuse)       0..100000
//	server.max_connections_per_client (ext)  0 (unlimited)  0..100000
//	server.workers (ext)         0 (event-driven) 0..100000
//	server.memory_per_connection (ext)  0     0..1GB
//	server.pipelining (ext)      ok               ok | serial | close-after-first | drop-after-first | out-of-order
//	page.host (ext)              example.com      a lower-case hostname
//	page.html                    20KB             0..10GB
//	page.objects[].size          (required)       0..10GB
//	page.objects[].count         1                1..10000 (at most 100000 objects in all)
//	page.objects[].host          the page's host  a lower-case hostname
//	page.objects[].method (ext)  GET              GET | POST | PUT | DELETE | HEAD
//	clients (ext)                none             list of populations; at most 1000000 clients in all
//	clients[].name               (required)       [a-z0-9][a-z0-9-]*, 1..64 characters, unique
//	clients[].count              1                1..100000
//	clients[].arrival            all at once      all at once | 10/s | {poisson: {rate: 10/s}} | {interval: 100ms}
//	clients[].arrival.poisson.rate  0 (not Poisson)  0..1000000 (per second; 30/min accepted)
//	clients[].arrival.interval   0 (not interval) 0s..1h
//	clients[].arrival.start      0s               0s..24h
//	clients[].page               the spec's page  as page; its host defaults to page.host
//	clients[].page.html          0                0..10GB
//	clients[].page.objects[].size   (required)    0..10GB
//	clients[].page.objects[].count  1             1..10000
//	clients[].page.har (ext)     none             as page.har (exclude_hosts too)
//	clients[].page.first (ext)   0 (every entry)  0..100000
//	clients[].model              the run's model  a models entry (name or {name: {options}})
//	clients[].visits             1                1..1000
//	clients[].reading_time       0s               0s..1h
//	clients[].idle               false            true: opens its connections, sends nothing
//	clients[].access.rtt         0s               0s..60s (added to network.rtt)
//	clients[].access.bandwidth   0 (no limit)     1Kbps..100Gbps
//	clients[].access.uplink      = bandwidth      1Kbps..100Gbps
//	clients[].access.queue       0 (unlimited)    as network.queue
//	clients[].access.loss        0                0..1
//	page.har (ext)               none             a HAR 1.1/1.2 file, relative to the experiment file; replaces host, html, objects
//	page.exclude_hosts (ext)     none             with har: hostnames, or *.domain for its subdomains
//	page.first (ext)             0 (every entry)  with har: 0..100000
//	outputs (ext)                none             [har]: har/<run>.har, each run as HAR 1.2
//	servers (ext)                none (one server)  list of server sites (needs clients); at most 64
//	servers[].name               (required)       [a-z0-9][a-z0-9-]*, 1..64 characters, unique
//	servers[].hosts              (required but servers[0])  lower-case hostnames, each served by one entry; servers[0] also serves the rest
//	servers[].link.rtt           0s               0s..60s (added on this server's paths)
//	servers[].link.bandwidth     0 (no limit)     1Kbps..100Gbps (towards the clients)
//	servers[].link.uplink        = bandwidth      1Kbps..100Gbps (towards the server)
//	servers[].link.queue         0 (unlimited)    as network.queue
//	servers[].link.loss          0                0..1
//	servers[].server.think_time  server.think_time  0s..60s (each key left out: the top-level server:'s)
//	servers[].server.keep_alive_timeout  server's  0s..1h
//	servers[].server.max_requests  server's       0..1000000
//	servers[].server.max_connections  server's    0..100000
//	servers[].server.backlog     server's         0..100000
//	servers[].server.max_connections_per_client  server's  0..100000
//	servers[].server.workers     server's         0..100000
//	servers[].server.memory_per_connection  server's  0..1GB
//	proxies (ext)                none             list of proxies (needs clients); at most 64
//	proxies[].name               (required)       [a-z0-9][a-z0-9-]*, 1..64 characters, unique among servers and proxies
//	proxies[].hosts              none             reverse proxy: lower-case hostnames it fronts, each in one entry
//	proxies[].for                none             forward proxy: population names, each in one entry
//	proxies[].upstream           none             another proxy's name (a chain); routes may not loop
//	proxies[].link.rtt           0s               0s..60s (added on both of the proxy's hops)
//	proxies[].link.bandwidth     0 (no limit)     1Kbps..100Gbps (towards the clients)
//	proxies[].link.uplink        = bandwidth      1Kbps..100Gbps (towards the proxy)
//	proxies[].link.queue         0 (unlimited)    as network.queue
//	proxies[].link.loss          0                0..1
//	proxies[].model              persistent       a model as in models: (the upstream hop); swept with the whole list
//	proxies[].server.think_time  server.think_time  0s..60s (each key left out: the top-level server:'s)
//	proxies[].server.keep_alive_timeout  server's  0s..1h
//	proxies[].server.max_requests  server's       0..1000000
//	proxies[].server.max_connections  server's    0..100000
//	proxies[].server.backlog     server's         0..100000
//	proxies[].server.max_connections_per_client  server's  0..100000
//	proxies[].server.workers     server's         0..100000
//	proxies[].server.memory_per_connection  server's  0..1GB
//	proxies[].server.pipelining  server's         ok | serial | close-after-first | drop-after-first | out-of-order
//	proxies[].store_and_forward  false            true: relay each response once all of it has arrived (false: stream it)
//	models                       [persistent]     1..64 entries
//	models: connections          1; parallel, sharded 6    1..1000 (per host)
//	models: depth (pipelined)    0 (unlimited)    0..1000
//	models: shards (sharded)     2                1..64
//	models: shards (http2, ext)  1                1..64 (the site's hostnames)
//	models: coalesce (http2, ext)  true           true | false: false = one connection per hostname
//	models: start (http2)        prior-knowledge  prior-knowledge | upgrade
//	models: http_version (ext)   http.version     "1.0" | "1.1": this model's HTTP version (any model)
//	models: label                see below        1..100 characters, no slash or control characters
//	sweep                                         at most 10000 values in all; at most 1000000 runs
//	(all runs)                                    at most 10000000 requests (runs x visits x (1 + objects))
//	plots                                         at most 100
//	plots[].title                chosen by plots  at most 200 characters
//	plots[].connection           cwnd 0 (all), sequence 1    0..100000
//	plots[].run                  0                0..9999, below repeat
//	plots[].style (ext)          line             line | step | points (line plots only)
//	labels (ext)                 none             swept key: [one name per value], 1..40 characters each, distinct
//
// # Models
//
// Each entry of models is a name (short-lived, persistent, pipelined,
// parallel, sharded, http2) or a one-key mapping {name: {options}}. An
// option the model does not take is an error. The default label is the
// name, followed by the options given in the file in the order written:
// `sharded(shards=3,connections=6)`. Labels must be unique; they fill the
// model column. [ModelSpec] holds every option resolved; models that do
// not shard have Shards 1. http2 coalesces the hostnames of one server
// onto its connections (RFC 9113 9.1.1) unless `coalesce: false`
// ([ModelSpec].NoCoalesce).
//
// # Sweeps
//
// sweep maps keys to lists of values; [Spec.Points] is the cartesian
// product, the first key outermost, each key's values in file order. A
// key is any key path of the file: "network.rtt", "tcp.cc",
// "page.objects[0].size", even a whole section ("tcp") or list
// ("page.objects"), whose value then replaces the file's section (its
// other keys go back to their defaults). A point is built by patching the
// value's YAML node into the file's node tree and decoding the tree again,
// so every key works the same and a bad value is reported at its own line
// in the sweep. name, title, description, repeat, models, sweep and plots
// cannot be swept. Special keys model.connections, model.depth,
// model.shards and model.start set that option on every model that takes
// it (an error if none does); they do not change the labels.
//
// Load checks each swept value on its own, then builds and checks up to
// 10000 points for the rules that involve several keys (min_rto at most
// initial_rto, receive_window at least mss, a byte queue holding a full
// packet); Points checks every point. A problem found only at some
// points names the first of them.
//
// [AxisValue] (and [SweepValue]) Value is the plain number of the output
// files: durations in ms, rates in bit/s, sizes in bytes, queue sizes in
// bytes or packets, probabilities and counts as is, booleans 0 or 1. For
// words (tcp.cc, http.version, tls, ...), lists, mappings, and a queue
// sweep that mixes bytes and packets, Value is the index in the sweep's
// list and Text holds the value as written.
//
// [Point].Spec is a fully resolved copy: network.uplink and each object's
// host are filled in there (in the Spec they stay 0 and "" when the file
// does not set them, so a sweep of network.bandwidth moves the uplink
// too).
//
// # Runs and seeds
//
// [Spec.Runs] lists points x models x repetitions, point-major. The seed
// of repetition r is [RunSeed](seed, r), the (r+1)-th output of SplitMix64
// seeded with the spec's seed: the same for every model and point of one
// repetition (common random numbers). A run's ID reads
// "network.rtt=50ms/model=pipelined/run=3".
//
// # Plots
//
// kind is line (default), bar, waterfall, cwnd or sequence. line and bar
// take x (line: a swept key, default the first; bar: a swept key or
// model, default model), y (a metric, default plt_ms) and series (model,
// none or a swept key; default model, or none when x is model).
// waterfall, cwnd and sequence show one run: model (default the first
// label), point (every swept key; the keys not given take their first
// value), run (default 0) and, for cwnd and sequence, connection. A point
// value matches a swept value by text or by number ("0.1s" matches
// "100ms") and is rewritten to the swept text. Swept keys that a line or
// bar plot neither uses as x or series nor fixes in point are left to
// package plots.
//
// labels (ext) names swept values for the figures and the report: a
// mapping of swept key to one name per value, in sweep order, e.g.
// labels: {network: [LAN, WAN, modem]}. Bar groups, legends, titles and
// the report's summary table show the names; the output files keep the
// numbers of the contract.
//
// # Cross-key rules
//
// Checked at every sweep point: the queue holds at least one full packet,
// receive_window is at least mss, min_rto is at most initial_rto, at most
// 100000 objects, and http.version "1.0" excludes pipelined and http2
// with start: upgrade without TLS (RFC 9112: pipelining and Upgrade are
// HTTP/1.1 mechanisms). When a file has other errors, the first point's
// cross-key problems are reported with them.
//
// # HAR (ext, issue 13)
//
// page: {har: FILE} reads the first page of a HAR 1.2 file (package har)
// when the file is loaded, into host, html and one object per request,
// and clears har, exclude_hosts and first, so the resolved spec holds
// the page itself; [ReadHARPage] does the same in Go. An outputs list holding har
// asks the command to write [HAROf] of every run, named by
// [Spec.HARFileName]. docs/experiment-format.md says which entry is the
// HTML, how sizes are counted and how timings map to requests.csv.
//
// # Output files
//
// results.csv, summary.csv and requests.csv have the columns of the
// contract ([ResultsHeader], [SummaryHeader], [RequestsHeader]) followed
// by extension columns: error in results.csv (a failed run has empty
// metric cells), failed in summary.csv (and not_run, only in a partial
// run's: see [RunOptions].Stop), visit and queued_ms in requests.csv. Measured floats are rounded to 6 decimal places and
// written with strconv.FormatFloat(v, 'f', -1, 64); axis values are
// written exactly the same way without rounding ('f' rather than 'g', so
// 10Mbps is 10000000, not 1e+07); NaN is an empty cell. The JSON forms
// are arrays of objects with the same keys in the same order, NaN as
// null. summary.csv quartiles use gonum's stat.Empirical (see
// [Summarize]). [WriteFileAtomic] writes each file through a synced
// temporary file and a rename. [ReadResultsCSV], [ReadRequestsCSV] and
// [Spec.IndexRows] read shard outputs back for merging.
package experiments
