package linuxref

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Summary is the |error| distribution of a set of points.
type Summary struct {
	N                    int
	Median, P90, Max     float64 // |error|, fractions
	MeanSigned           float64 // mean signed error: > 0 when connsim is slower
	Worst                string  // the point with the largest |error|
	WorstSim, WorstLinux float64 // its values, ms
}

// Summarize returns the |error| distribution of rs.
func Summarize(rs []PageResult) Summary {
	s := Summary{N: len(rs)}
	if len(rs) == 0 {
		return s
	}
	abs := make([]float64, len(rs))
	for i, r := range rs {
		abs[i] = math.Abs(r.Err)
		s.MeanSigned += r.Err / float64(len(rs))
		if i == 0 || abs[i] > s.Max {
			s.Max = abs[i]
			s.Worst = r.PageKey.String()
			s.WorstSim, s.WorstLinux = r.Sim.PLTMS, r.Linux
		}
	}
	s.Median = median(abs)
	s.P90 = quantile(abs, 0.9)
	return s
}

// Cluster is the reference's grouping for calibration: one model at one rate.
type Cluster struct {
	Model  string
	BWMbps float64
}

// Clusters groups rs by model and rate, in table order.
func Clusters(rs []PageResult) ([]Cluster, map[Cluster][]PageResult) {
	m := map[Cluster][]PageResult{}
	var keys []Cluster
	for _, r := range rs {
		c := Cluster{r.Model, r.BWMbps}
		if _, ok := m[c]; !ok {
			keys = append(keys, c)
		}
		m[c] = append(m[c], r)
	}
	slices.SortFunc(keys, func(a, b Cluster) int {
		return cmp.Or(cmp.Compare(modelRank(a.Model), modelRank(b.Model)), cmp.Compare(a.BWMbps, b.BWMbps))
	})
	return keys, m
}

// FastestCheck is one page over one path where Linux's two fastest models
// differ by more than Margin: connsim must pick the same fastest model.
type FastestCheck struct {
	Key            string  // page and path
	BWMbps         float64 // the path's rate
	Linux, Sim     string  // fastest model
	LinuxGap       float64
	Decisive, Same bool
}

// FastestMargin is the gap between Linux's two fastest models above which
// connsim must agree on the fastest.
const FastestMargin = 0.05

// Fastest compares, per page and path, the fastest model of Linux (by
// median) with connsim's.
func Fastest(rs []PageResult) []FastestCheck {
	type group struct {
		key string
		rs  []PageResult
	}
	var gs []*group
	idx := map[string]*group{}
	for _, r := range rs {
		k := fmt.Sprintf("%s %gms/%gMbps", r.Page, r.RTTms, r.BWMbps)
		if r.Lossy {
			k += " lossy"
		}
		g, ok := idx[k]
		if !ok {
			g = &group{key: k}
			idx[k] = g
			gs = append(gs, g)
		}
		g.rs = append(g.rs, r)
	}
	var out []FastestCheck
	for _, g := range gs {
		if len(g.rs) < 2 {
			continue
		}
		byLinux := slices.Clone(g.rs)
		slices.SortStableFunc(byLinux, func(a, b PageResult) int { return cmp.Compare(a.Linux, b.Linux) })
		bySim := slices.Clone(g.rs)
		slices.SortStableFunc(bySim, func(a, b PageResult) int { return cmp.Compare(a.Sim.PLTMS, b.Sim.PLTMS) })
		c := FastestCheck{Key: g.key, BWMbps: g.rs[0].BWMbps, Linux: byLinux[0].Model, Sim: bySim[0].Model,
			LinuxGap: byLinux[1].Linux/byLinux[0].Linux - 1}
		c.Decisive = c.LinuxGap > FastestMargin
		c.Same = c.Linux == c.Sim
		out = append(out, c)
	}
	return out
}

// pct formats a fraction as a signed or unsigned percentage.
func pct(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return "fail"
	}
	return strconv.FormatFloat(100*f, 'f', 1, 64) + "%"
}

// ClusterTable writes the per-cluster table: for each model and rate, the
// median, p90 and max |error|, the mean signed error, the worst point, and
// how many decisive fastest-model checks at that rate connsim gets right.
func ClusterTable(w io.Writer, rs []PageResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "model\trate\tn\tmedian|err|\tp90|err|\tmax|err|\tmean err\tworst point (sim vs linux ms)\t")
	keys, m := Clusters(rs)
	for _, k := range keys {
		s := Summarize(m[k])
		fmt.Fprintf(tw, "%s\t%gMbps\t%d\t%s\t%s\t%s\t%s\t%s (%.0f vs %.0f)\t\n", k.Model, k.BWMbps, s.N,
			pct(s.Median), pct(s.P90), pct(s.Max), pct(s.MeanSigned), s.Worst, s.WorstSim, s.WorstLinux)
	}
	s := Summarize(rs)
	fmt.Fprintf(tw, "all\t\t%d\t%s\t%s\t%s\t%s\t%s (%.0f vs %.0f)\t\n", s.N,
		pct(s.Median), pct(s.P90), pct(s.Max), pct(s.MeanSigned), s.Worst, s.WorstSim, s.WorstLinux)
	tw.Flush()
	fc := Fastest(rs)
	var rates []float64
	dec, same := map[float64]int{}, map[float64]int{}
	var miss []string
	for _, c := range fc {
		if !slices.Contains(rates, c.BWMbps) {
			rates = append(rates, c.BWMbps)
		}
		if !c.Decisive {
			continue
		}
		dec[c.BWMbps]++
		if c.Same {
			same[c.BWMbps]++
		} else {
			miss = append(miss, fmt.Sprintf("%s: linux %s (next +%.1f%%), connsim %s", c.Key, c.Linux, 100*c.LinuxGap, c.Sim))
		}
	}
	slices.Sort(rates)
	fmt.Fprintf(w, "fastest model, pages where Linux's two fastest differ by > %.0f%%: connsim names the same", 100*FastestMargin)
	for _, r := range rates {
		fmt.Fprintf(w, "; %gMbps %d of %d", r, same[r], dec[r])
	}
	fmt.Fprintln(w)
	for _, s := range miss {
		fmt.Fprintln(w, "  differs:", s)
	}
}

// PointTable writes every point: Linux's median and range, connsim's
// value and error, and the retransmission and drop counts of both.
func PointTable(w io.Writer, rs []PageResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "point\tlinux ms\tmin\tmax\tsim ms\terr\tlinux retx\tsim retx\tlinux drops\tsim drops\t")
	for _, r := range rs {
		lr, hr := r.SrvRetransRange()
		ld, hd := r.DropsDownRange()
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\t%.1f\t%s\t%d-%d\t%d\t%d-%d\t%d\t\n", r.PageKey, r.Linux, r.LinuxMin, r.LinuxMax,
			r.Sim.PLTMS, pct(r.Err), lr, hr, r.Sim.SrvRetrans, ld, hd, r.Sim.DropsDown)
	}
	tw.Flush()
}

// WritePageCSV writes one row per point, connsim against Linux, for
// analysis outside Go.
func WritePageCSV(w io.Writer, rs []PageResult) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"model", "page", "rtt_ms", "bw_mbps", "queue_pkts", "lossy",
		"linux_plt_ms_median", "linux_plt_ms_min", "linux_plt_ms_max", "sim_plt_ms", "err",
		"linux_srv_retrans_min", "linux_srv_retrans_max", "sim_srv_retrans",
		"linux_drops_down_min", "linux_drops_down_max", "sim_drops_down", "linux_connections", "sim_connections", "sim_err"})
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
	for _, r := range rs {
		lr, hr := r.SrvRetransRange()
		ld, hd := r.DropsDownRange()
		e := ""
		if r.Sim.Err != nil {
			e = strings.ReplaceAll(r.Sim.Err.Error(), "\n", " ")
		}
		cw.Write([]string{r.Model, r.Page, f(r.RTTms), f(r.BWMbps), strconv.Itoa(r.QueuePkts), strconv.FormatBool(r.Lossy),
			f(r.Linux), f(r.LinuxMin), f(r.LinuxMax), f(r.Sim.PLTMS), strconv.FormatFloat(r.Err, 'f', 5, 64),
			strconv.Itoa(lr), strconv.Itoa(hr), strconv.Itoa(r.Sim.SrvRetrans),
			strconv.Itoa(ld), strconv.Itoa(hd), strconv.Itoa(r.Sim.DropsDown),
			strconv.Itoa(r.Runs[0].Connections), strconv.Itoa(r.Sim.Connections), e})
	}
	cw.Flush()
	return cw.Error()
}

// WarmColdTable writes every warm-cold point: Linux's median fetch time
// and connsim's, the error, and the server's cwnd, ssthresh (packets) and
// RTO (ms) before the response on both.
func WarmColdTable(w io.Writer, rs []WarmColdResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "point\tlinux fetch ms\tsim fetch ms\terr\tlinux cwnd\tsim cwnd\tlinux ssthresh\tsim ssthresh\tlinux rto\tsim rto\t")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%s\t%.0f\t%.1f\t%s\t%s\t%.0f\t%.0f\t\n", r.WarmColdKey, r.Linux, r.Sim.FetchMS, pct(r.Err),
			r.CwndBefore(), r.Sim.SrvCwndBefore, ssthreshStr(r.SSThreshBefore()), ssthreshStr(r.Sim.SrvSSThreshBefore),
			r.RTOBefore(), r.Sim.SrvRTOBefore)
	}
	tw.Flush()
}

func ssthreshStr(v float64) string {
	if v >= InfiniteSSThresh {
		return "inf"
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// WarmColdSummaryTable writes the |error| of the fetch times per
// congestion control and variant.
func WarmColdSummaryTable(w io.Writer, rs []WarmColdResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "cc\tvariant\tn\tmedian|err|\tp90|err|\tmax|err|\tover 3%\tworst point (sim vs linux ms)\t")
	type key struct{ cc, variant string }
	var keys []key
	m := map[key][]WarmColdResult{}
	for _, r := range rs {
		k := key{r.CC, r.Variant}
		if _, ok := m[k]; !ok {
			keys = append(keys, k)
		}
		m[k] = append(m[k], r)
	}
	for _, k := range keys {
		g := m[k]
		abs := make([]float64, len(g))
		over, worst := 0, 0
		for i, r := range g {
			abs[i] = math.Abs(r.Err)
			if abs[i] > 0.03 {
				over++
			}
			if abs[i] > abs[worst] {
				worst = i
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%d\t%s (%.1f vs %.1f)\t\n", k.cc, k.variant, len(g), pct(median(abs)),
			pct(quantile(abs, 0.9)), pct(abs[worst]), over, g[worst].WarmColdKey, g[worst].Sim.FetchMS, g[worst].Linux)
	}
	tw.Flush()
}

// WriteWarmColdCSV writes one row per warm-cold point, connsim against
// Linux (medians of Linux's runs), for analysis outside Go.
func WriteWarmColdCSV(w io.Writer, rs []WarmColdResult) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"cc", "variant", "ssai", "object_bytes", "warmup_bytes", "rtt_ms", "bw_mbps", "queue_pkts", "idle_ms",
		"linux_fetch_ms", "sim_fetch_ms", "err", "linux_cwnd_before", "sim_cwnd_before",
		"linux_ssthresh_before", "sim_ssthresh_before", "linux_rto_ms_before", "sim_rto_ms_before", "sim_srtt_ms_before", "sim_err"})
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
	for _, r := range rs {
		e := ""
		if r.Sim.Err != nil {
			e = r.Sim.Err.Error()
		}
		ssai := "0"
		if r.SSAI {
			ssai = "1"
		}
		cw.Write([]string{r.CC, r.Variant, ssai, strconv.FormatInt(r.ObjectBytes, 10), strconv.FormatInt(r.WarmupBytes, 10),
			f(r.RTTms), f(r.BWMbps), strconv.Itoa(r.QueuePkts), f(r.IdleMS()),
			f(r.Linux), f(r.Sim.FetchMS), strconv.FormatFloat(r.Err, 'f', 5, 64), f(r.CwndBefore()), f(r.Sim.SrvCwndBefore),
			f(r.SSThreshBefore()), f(r.Sim.SrvSSThreshBefore), f(r.RTOBefore()), f(r.Sim.SrvRTOBefore), f(r.Sim.SrvSRTTBefore), e})
	}
	cw.Flush()
	return cw.Error()
}
