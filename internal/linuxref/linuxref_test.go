package linuxref

import (
	"flag"
	"fmt"
	"math"
	"os"
	"strings"
	"sync"
	"testing"
)

// Thresholds of issue 9's acceptance. Do not loosen them to make a model
// pass: they are what "agrees with Linux" means.
const (
	losslessMedian = 0.01 // median |error| over the 216 lossless points
	losslessP90    = 0.03
	losslessMax    = 0.08
	lossyOneConn   = 0.05 // each one-connection model's lossy page
	lossyWiden     = 0.10 // multi-connection models: Linux's min-max, widened on each side
	warmColdFetch  = 0.03 // every warm-cold fetch time
	cubicSSThresh  = 0.10 // cubic's slow-start exit on warm connections
	firstRTOTol    = 0.05 // the first RTO of a 20 ms path
	linuxFirstRTO  = 224.0
)

var (
	csvOut   = flag.String("linuxref.csv", "", "write connsim against Linux per page-load point to this CSV file")
	wcCSVOut = flag.String("linuxref.warmcold.csv", "", "write connsim against Linux per warm-cold point to this CSV file")
)

var (
	pagesOnce sync.Once
	pages     []PageResult
	pagesErr  error

	wcOnce sync.Once
	wc     []WarmColdResult
	wcErr  error
)

// pageResults simulates every page-load point once per test binary.
func pageResults(t *testing.T) []PageResult {
	t.Helper()
	pagesOnce.Do(func() {
		runs, err := ReadPageLoads("testdata/pageloads-reno.csv")
		if err != nil {
			pagesErr = err
			return
		}
		pages = ComparePages(PagePoints(runs))
		if *csvOut != "" {
			pagesErr = writeFile(*csvOut, func(f *os.File) error { return WritePageCSV(f, pages) })
		}
	})
	if pagesErr != nil {
		t.Fatal(pagesErr)
	}
	return pages
}

// warmColdResults simulates every warm-cold point once per test binary.
func warmColdResults(t *testing.T) []WarmColdResult {
	t.Helper()
	wcOnce.Do(func() {
		runs, err := ReadWarmCold("testdata/warm-cold.csv")
		if err != nil {
			wcErr = err
			return
		}
		wc = CompareWarmCold(WarmColdPoints(runs))
		if *wcCSVOut != "" {
			wcErr = writeFile(*wcCSVOut, func(f *os.File) error { return WriteWarmColdCSV(f, wc) })
		}
	})
	if wcErr != nil {
		t.Fatal(wcErr)
	}
	return wc
}

func writeFile(path string, write func(*os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func selectPages(rs []PageResult, lossy bool) []PageResult {
	var out []PageResult
	for _, r := range rs {
		if r.Lossy == lossy {
			out = append(out, r)
		}
	}
	return out
}

// logTables logs the per-cluster table and every point (shown under -v and
// on failure).
func logTables(t *testing.T, rs []PageResult) {
	t.Helper()
	var b strings.Builder
	ClusterTable(&b, rs)
	t.Log("connsim against Linux per model and rate (err = (sim - linux median) / linux median):\n" + b.String())
	b.Reset()
	PointTable(&b, rs)
	t.Log("every point:\n" + b.String())
}

// checkFastest fails where Linux's two fastest models differ by more than
// FastestMargin and connsim names another model fastest.
func checkFastest(t *testing.T, rs []PageResult) {
	t.Helper()
	for _, c := range Fastest(rs) {
		if reason, ok := fastestGaps[c.Key]; ok && c.Decisive {
			if c.Same {
				t.Errorf("%s: connsim names Linux's fastest model now: remove it from the known gaps", c.Key)
			} else {
				t.Logf("known gap %s: fastest model %s, Linux's %s: %s", c.Key, c.Sim, c.Linux, reason)
			}
			continue
		}
		if c.Decisive && !c.Same {
			t.Errorf("%s: fastest model %s, want %s (Linux's next is %.1f%% slower)", c.Key, c.Sim, c.Linux, 100*c.LinuxGap)
		}
	}
}

// TestLinuxFidelityLossless compares the 216 lossless page loads (3 pages
// x 6 models x 4 RTTs x 3 rates, deep queue) with the median of Linux's
// three runs: the |error| distribution must have median <= 1 %, p90 <= 3 %
// and max <= 8 %, and connsim must name the same fastest model wherever
// Linux's two fastest differ by more than 5 %.
func TestLinuxFidelityLossless(t *testing.T) {
	rs := selectPages(pageResults(t), false)
	if len(rs) != 216 {
		t.Fatalf("%d lossless points, want 216", len(rs))
	}
	logTables(t, rs)
	s := Summarize(rs)
	if s.Median > losslessMedian {
		t.Errorf("median |error| %s, want <= %s", pct(s.Median), pct(losslessMedian))
	}
	if s.P90 > losslessP90 {
		t.Errorf("p90 |error| %s, want <= %s", pct(s.P90), pct(losslessP90))
	}
	if s.Max > losslessMax {
		t.Errorf("max |error| %s at %s (%.1f ms, Linux %.1f ms), want <= %s", pct(s.Max), s.Worst, s.WorstSim, s.WorstLinux, pct(losslessMax))
	}
	for _, r := range rs {
		if r.Sim.Err != nil {
			t.Errorf("%s: %v", r.PageKey, r.Sim.Err)
		}
	}
	checkFastest(t, rs)
}

// TestLinuxFidelityLossy compares the page loads over a 16-packet queue
// (50 ms, 10 Mbit/s; loss only by queue overflow): the one-connection
// models must be within 5 % of Linux's median on every page; the
// multi-connection ones, whose Linux runs differ by up to 60 %, inside
// Linux's min-max range widened by 10 % on each side; and connsim must name
// the same fastest model wherever Linux's two fastest differ by more than
// 5 %.
func TestLinuxFidelityLossy(t *testing.T) {
	rs := selectPages(pageResults(t), true)
	if len(rs) != 18 {
		t.Fatalf("%d lossy points, want 18", len(rs))
	}
	logTables(t, rs)
	for _, r := range rs {
		if r.Sim.Err != nil {
			t.Errorf("%s: %v", r.PageKey, r.Sim.Err)
			continue
		}
		if OneConnection(r.Model) {
			if math.Abs(r.Err) > lossyOneConn {
				t.Errorf("%s: %.1f ms, want %.1f ms +-%.0f%% (error %s)", r.PageKey, r.Sim.PLTMS, r.Linux, 100*lossyOneConn, pct(r.Err))
			}
			continue
		}
		lo, hi := r.LinuxMin*(1-lossyWiden), r.LinuxMax*(1+lossyWiden)
		if checkGap(t, pageGaps, r.PageKey.String(), r.Sim.PLTMS, r.Sim.PLTMS >= lo && r.Sim.PLTMS <= hi) {
			continue
		}
		if r.Sim.PLTMS < lo || r.Sim.PLTMS > hi {
			t.Errorf("%s: %.1f ms, want within [%.1f, %.1f] (Linux %.1f-%.1f widened by %.0f%%)", r.PageKey, r.Sim.PLTMS, lo, hi,
				r.LinuxMin, r.LinuxMax, 100*lossyWiden)
		}
	}
	checkFastest(t, rs)
}

// findPage returns the compared point k.
func findPage(t *testing.T, k PageKey) PageResult {
	t.Helper()
	for _, r := range pageResults(t) {
		if r.PageKey == k {
			return r
		}
	}
	t.Fatalf("no reference point %s", k)
	return PageResult{}
}

// within reports whether got is within tol (a fraction) of want.
func within(got, want, tol float64) bool { return math.Abs(got-want) <= tol*want }

// TestLinuxSharded3SlowLink is the point where the deep queue inflates the
// RTT past the RTO with 18 connections: Linux takes spurious RTOs but
// undoes them and resends single segments (42-44 retransmitted segments
// per page), so the page costs 2,647 ms. connsim must be within 3 % and
// retransmit 30-60 segments.
func TestLinuxSharded3SlowLink(t *testing.T) {
	r := findPage(t, PageKey{Model: "sharded3", RTTms: 20, BWMbps: 1.5, Page: "n40x10KB", QueuePkts: 1000})
	lr, hr := r.SrvRetransRange()
	t.Logf("%s: connsim %.1f ms, %d server retransmissions; Linux %.1f ms (%.1f-%.1f), %d-%d", r.PageKey,
		r.Sim.PLTMS, r.Sim.SrvRetrans, r.Linux, r.LinuxMin, r.LinuxMax, lr, hr)
	if !within(r.Sim.PLTMS, 2647, 0.03) {
		t.Errorf("page load %.1f ms, want 2647 ms +-3%%", r.Sim.PLTMS)
	}
	if r.Sim.SrvRetrans < 30 || r.Sim.SrvRetrans > 60 {
		t.Errorf("%d server retransmissions, want 30-60 (Linux %d-%d)", r.Sim.SrvRetrans, lr, hr)
	}
}

// TestLinuxPipelinedLongRTT is the point where counting cwnd in bytes
// costs a round trip: Linux (cwnd in packets) loads the pipelined
// n10x10KB page over 200 ms / 50 Mbit/s in 1,051 ms; connsim must be
// within 2 %.
func TestLinuxPipelinedLongRTT(t *testing.T) {
	r := findPage(t, PageKey{Model: "pipelined", RTTms: 200, BWMbps: 50, Page: "n10x10KB", QueuePkts: 1667})
	t.Logf("%s: connsim %.1f ms; Linux %.1f ms (%.1f-%.1f)", r.PageKey, r.Sim.PLTMS, r.Linux, r.LinuxMin, r.LinuxMax)
	if !within(r.Sim.PLTMS, 1051, 0.02) {
		t.Errorf("page load %.1f ms, want 1051 ms +-2%%", r.Sim.PLTMS)
	}
}

// TestLinuxLossyPipelined is the point where SACK matters: a pipelined
// n40x10KB page overflows the 16-packet queue; Linux repairs the burst
// in about a round trip (845 ms) and retransmits exactly the dropped
// segments. connsim must be within 5 % and retransmit as many segments
// as the queue dropped.
func TestLinuxLossyPipelined(t *testing.T) {
	r := findPage(t, PageKey{Model: "pipelined", RTTms: 50, BWMbps: 10, Page: "n40x10KB", Lossy: true, QueuePkts: 16})
	ld, hd := r.DropsDownRange()
	lr, hr := r.SrvRetransRange()
	t.Logf("%s: connsim %.1f ms, %d dropped, %d retransmitted; Linux %.1f ms, %d-%d dropped, %d-%d retransmitted", r.PageKey,
		r.Sim.PLTMS, r.Sim.DropsDown, r.Sim.SrvRetrans, r.Linux, ld, hd, lr, hr)
	if !within(r.Sim.PLTMS, 845, 0.05) {
		t.Errorf("page load %.1f ms, want 845 ms +-5%%", r.Sim.PLTMS)
	}
	if r.Sim.SrvRetrans != r.Sim.DropsDown {
		t.Errorf("%d segments retransmitted, want %d (the dropped ones)", r.Sim.SrvRetrans, r.Sim.DropsDown)
	}
}

// TestLinuxWarmColdFetch compares every warm-cold point (one object of 10
// or 100 KiB on a fresh connection, right after a warm-up object, or after
// an idle period longer than the RTO; with and without slow start after
// idle; reno and cubic) with the median of Linux's runs: each fetch time
// (request write to last response byte) within 3 %.
func TestLinuxWarmColdFetch(t *testing.T) {
	rs := warmColdResults(t)
	if len(rs) != 240 {
		t.Fatalf("%d warm-cold points, want 240", len(rs))
	}
	var b strings.Builder
	WarmColdSummaryTable(&b, rs)
	t.Log("fetch time, connsim against Linux:\n" + b.String())
	for _, cc := range []string{"reno", "cubic"} {
		t.Run(cc, func(t *testing.T) {
			var sub []WarmColdResult
			for _, r := range rs {
				if r.CC == cc {
					sub = append(sub, r)
				}
			}
			var b strings.Builder
			WarmColdTable(&b, sub)
			t.Log("every point (cwnd, ssthresh in packets; rto in ms; all read on the server before the response):\n" + b.String())
			for _, r := range sub {
				if r.Sim.Err != nil {
					t.Errorf("%s: %v", r.WarmColdKey, r.Sim.Err)
					continue
				}
				if checkGap(t, warmColdGaps, r.WarmColdKey.String(), r.Sim.FetchMS, math.Abs(r.Err) <= warmColdFetch) {
					continue
				}
				if math.Abs(r.Err) > warmColdFetch {
					t.Errorf("%s: fetch %.1f ms, want %.1f ms +-%.0f%% (error %s)", r.WarmColdKey, r.Sim.FetchMS, r.Linux,
						100*warmColdFetch, pct(r.Err))
				}
			}
		})
	}
}

// TestLinuxCubicSlowStartExit checks where CUBIC leaves slow start on the
// warm-up object (HyStart in Linux): the server's ssthresh just before the
// warm connection's response, per RTT and rate, within 10 % of Linux's
// median (srv_ssthresh_before of the warm cubic runs, in packets).
func TestLinuxCubicSlowStartExit(t *testing.T) {
	type path struct{ rtt, bw float64 }
	var order []path
	linux := map[path][]float64{}
	sim := map[path]float64{}
	for _, r := range warmColdResults(t) {
		if r.CC != "cubic" || r.Variant != "warm" {
			continue
		}
		p := path{r.RTTms, r.BWMbps}
		if _, ok := linux[p]; !ok {
			order = append(order, p)
		}
		for _, run := range r.Runs {
			linux[p] = append(linux[p], float64(run.SrvSSThreshBefore))
		}
		if r.SSAI && r.ObjectBytes == 10*KiB {
			sim[p] = r.Sim.SrvSSThreshBefore
		}
	}
	if len(order) != 12 {
		t.Fatalf("%d paths, want 12", len(order))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%8s %8s %14s %14s\n", "rtt ms", "Mbit/s", "linux pkts", "connsim pkts")
	for _, p := range order {
		fmt.Fprintf(&b, "%8g %8g %14s %14s\n", p.rtt, p.bw, ssthreshStr(median(linux[p])), ssthreshStr(sim[p]))
	}
	t.Log("cubic ssthresh before the warm response:\n" + b.String())
	for _, p := range order {
		want := median(linux[p])
		if got := sim[p]; !within(got, want, cubicSSThresh) {
			t.Errorf("%gms/%gMbps: ssthresh %s packets, want %s +-%.0f%%", p.rtt, p.bw, ssthreshStr(got), ssthreshStr(want), 100*cubicSSThresh)
		}
	}
}

// TestLinuxFirstRTO checks Linux's RTO estimator on a 20 ms path: after
// the handshake's one RTT sample, the server's RTO (cold connections, before
// the response) is 224 ms, the variance term being floored at 200 ms rather
// than the whole RTO; connsim must be within 5 %.
func TestLinuxFirstRTO(t *testing.T) {
	n := 0
	for _, r := range warmColdResults(t) {
		if r.Variant != "cold" || r.RTTms != 20 {
			continue
		}
		n++
		t.Logf("%s: connsim RTO %.1f ms, Linux %.0f ms", r.WarmColdKey, r.Sim.SrvRTOBefore, r.RTOBefore())
		if !within(r.Sim.SrvRTOBefore, linuxFirstRTO, firstRTOTol) {
			t.Errorf("%s: first RTO %.1f ms, want %.0f ms +-%.0f%%", r.WarmColdKey, r.Sim.SrvRTOBefore, linuxFirstRTO, 100*firstRTOTol)
		}
	}
	if n == 0 {
		t.Fatal("no cold 20 ms points")
	}
}

// TestLinuxSRTTBefore checks that each warm-cold run reaches its measured
// fetch with the connection history Linux's had: the server's SRTT just
// before the response (srv_srtt_ms_before), per variant, within 1 % of
// Linux's median at the median point and 8 % at the worst. The SRTT
// carries the queue the previous transfer built, and it sets the RTO
// that the restart after idle divides the idle period by; for the idle
// variant it shows that the object was fetched once before the idle
// period (see SimulateWarmCold): after the warm-up alone, reno's SRTT at
// 200 ms and 10 Mbit/s would be 416 ms against Linux's 277.
func TestLinuxSRTTBefore(t *testing.T) {
	const medTol, maxTol = 0.01, 0.08
	for _, v := range []string{"cold", "warm", "idle"} {
		var errs []float64
		worst, worstKey := 0.0, ""
		for _, r := range warmColdResults(t) {
			if r.Variant != v {
				continue
			}
			want := median(r.field(func(x WarmColdRun) float64 { return x.SrvSRTTmsBefore }))
			e := math.Abs(r.Sim.SrvSRTTBefore-want) / want
			errs = append(errs, e)
			if e > worst {
				worst, worstKey = e, fmt.Sprintf("%s (connsim %.1f ms, Linux %.1f ms)", r.WarmColdKey, r.Sim.SrvSRTTBefore, want)
			}
		}
		if len(errs) == 0 {
			t.Fatalf("no %s points", v)
		}
		med := median(errs)
		t.Logf("%s: %d points, SRTT |error| median %s, max %s at %s", v, len(errs), pct(med), pct(worst), worstKey)
		if med > medTol || worst > maxTol {
			t.Errorf("%s: SRTT before the response: median |error| %s (want <= %.0f%%), max %s at %s (want <= %.0f%%)",
				v, pct(med), 100*medTol, pct(worst), worstKey, 100*maxTol)
		}
	}
}
