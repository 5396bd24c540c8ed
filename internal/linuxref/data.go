package linuxref

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
)

// PageLoadRun is one row of pageloads-reno.csv: one page load on real
// Linux. Times are milliseconds on the client's clock; the server
// counters are MIB deltas over the run.
type PageLoadRun struct {
	CC          string  // congestion control: "reno"
	Model       string  // short_lived, persistent, pipelined, parallel6, sharded2, sharded3
	RTTms       float64 // configured round-trip propagation delay
	BWMbps      float64 // configured rate, both directions
	QueuePkts   int     // drop-tail queue per direction, packets waiting
	Run         int     // 1..3
	PLTMS       float64 // page load time; NaN for a failed run
	Connections int     // connections the client opened
	Page        string  // n10x10KB, n40x10KB, hetero20
	HTMLBytes   int64
	TotalBytes  int64
	Lossy       bool // the 16-packet-queue points
	DropsDown   int  // emulator drops server->client
	DropsUp     int  // emulator drops client->server
	SrvRetrans  int  // server RetransSegs
	SrvRTOs     int  // server TCPTimeouts
	SrvTLPs     int  // server TCPLossProbes
	CliRetrans  int  // client RetransSegs
	MaxQueue    int  // highest downlink queue, packets
	Err         string
}

// WarmColdRun is one row of warm-cold.csv: one object fetched on a cold,
// warm or idle connection, with the server's TCP_INFO read just before
// the response was written.
type WarmColdRun struct {
	CC          string // reno or cubic
	RTTms       float64
	BWMbps      float64
	QueuePkts   int
	Variant     string // cold, warm, idle
	SSAI        bool   // tcp_slow_start_after_idle
	ObjectBytes int64  // the measured object's body
	WarmupBytes int64  // the warm-up object's body (warm, idle); 0 for cold
	IdleMS      float64
	Run         int
	ConnectMS   float64 // cold only; NaN otherwise
	TTFBms      float64 // request write to first response byte
	FetchMS     float64 // request write to last response byte
	TotalMS     float64 // connect + fetch (cold), fetch otherwise

	SrvCwndBefore     int64   // packets
	SrvCwndAfter      int64   // packets
	SrvSSThreshBefore int64   // packets; InfiniteSSThresh when slow start never ended
	SrvRTOmsBefore    float64 // the server's RTO
	SrvSRTTmsBefore   float64
	Drops             int
	SrvRetrans        int
	Err               string
}

// InfiniteSSThresh is Linux's TCP_INFO value of an ssthresh that was never
// set (TCP_INFINITE_SSTHRESH).
const InfiniteSSThresh = 2147483647

// ReadPageLoads reads pageloads-reno.csv from path.
func ReadPageLoads(path string) ([]PageLoadRun, error) {
	recs, err := readCSV(path)
	if err != nil {
		return nil, err
	}
	var out []PageLoadRun
	for _, r := range recs {
		var p PageLoadRun
		p.CC = r.str("cc")
		p.Model = r.str("model")
		p.RTTms = r.float("rtt_ms")
		p.BWMbps = r.float("bw_mbps")
		p.QueuePkts = r.int("queue_pkts")
		p.Run = r.int("run")
		p.PLTMS = r.float("plt_ms")
		p.Connections = r.int("connections_opened")
		p.Page = r.str("page")
		p.HTMLBytes = int64(r.int("html_bytes"))
		p.TotalBytes = int64(r.int("total_bytes"))
		p.Lossy = r.str("lossy") == "true"
		p.DropsDown = r.int("drops_down")
		p.DropsUp = r.int("drops_up")
		p.SrvRetrans = r.int("srv_retrans_segs")
		p.SrvRTOs = r.int("srv_rto_timeouts")
		p.SrvTLPs = r.int("srv_tail_loss_probes")
		p.CliRetrans = r.int("cli_retrans_segs")
		p.MaxQueue = r.int("max_queue_down_pkts")
		p.Err = r.str("err")
		if r.err != nil {
			return nil, fmt.Errorf("linuxref: %s line %d: %w", path, r.line, r.err)
		}
		out = append(out, p)
	}
	return out, nil
}

// ReadWarmCold reads warm-cold.csv from path.
func ReadWarmCold(path string) ([]WarmColdRun, error) {
	recs, err := readCSV(path)
	if err != nil {
		return nil, err
	}
	var out []WarmColdRun
	for _, r := range recs {
		var w WarmColdRun
		w.CC = r.str("cc")
		w.RTTms = r.float("rtt_ms")
		w.BWMbps = r.float("bw_mbps")
		w.QueuePkts = r.int("queue_pkts")
		w.Variant = r.str("variant")
		w.SSAI = r.str("ssai") == "1"
		w.ObjectBytes = int64(r.int("object_bytes"))
		w.WarmupBytes = int64(r.int("warmup_bytes"))
		w.IdleMS = r.float("idle_ms")
		w.Run = r.int("run")
		w.ConnectMS = r.float("connect_ms")
		w.TTFBms = r.float("ttfb_ms")
		w.FetchMS = r.float("fetch_ms")
		w.TotalMS = r.float("total_ms")
		w.SrvCwndBefore = int64(r.int("srv_cwnd_before"))
		w.SrvCwndAfter = int64(r.int("srv_cwnd_after"))
		w.SrvSSThreshBefore = int64(r.int("srv_ssthresh_before"))
		w.SrvRTOmsBefore = r.float("srv_rto_ms_before")
		w.SrvSRTTmsBefore = r.float("srv_srtt_ms_before")
		w.Drops = r.int("drops")
		w.SrvRetrans = r.int("srv_retrans_segs")
		w.Err = r.str("err")
		if r.err != nil {
			return nil, fmt.Errorf("linuxref: %s line %d: %w", path, r.line, r.err)
		}
		out = append(out, w)
	}
	return out, nil
}

// record is one CSV row addressed by column name; the first parse error
// sticks in err.
type record struct {
	cols map[string]int
	f    []string
	line int
	err  error
}

func (r *record) str(name string) string {
	i, ok := r.cols[name]
	if !ok {
		if r.err == nil {
			r.err = fmt.Errorf("no column %q", name)
		}
		return ""
	}
	return r.f[i]
}

// float parses a column; an empty field is NaN (a value not measured).
func (r *record) float(name string) float64 {
	s := r.str(name)
	if s == "" {
		return nan
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("column %s: %w", name, err)
	}
	return v
}

// int parses a column; an empty field is 0.
func (r *record) int(name string) int {
	s := r.str(name)
	if s == "" {
		return 0
	}
	v, err := strconv.Atoi(s)
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("column %s: %w", name, err)
	}
	return v
}

func readCSV(path string) ([]*record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("linuxref: %s: %w", path, err)
	}
	cols := make(map[string]int, len(header))
	for i, h := range header {
		cols[h] = i
	}
	var out []*record
	for line := 2; ; line++ {
		f, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("linuxref: %s: %w", path, err)
		}
		out = append(out, &record{cols: cols, f: slices.Clone(f), line: line})
	}
}
