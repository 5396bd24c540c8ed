package plots

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/connsim/connsim/experiments"
)

// render saves p into a temporary directory and checks the files: both
// non-empty, the PNG decodes at the pixel size that w x h at DPI gives,
// and the SVG parses as XML. It returns the SVG's text content, one
// element per <text>.
func render(t *testing.T, p *plot.Plot, w, h vg.Length) []string {
	t.Helper()
	dir := t.TempDir()
	if err := Save(p, dir, "fig", w, h); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if w <= 0 || h <= 0 {
		w, h = DefaultSize(p)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"fig.png", "fig.svg"}; !slices.Equal(names, want) {
		t.Errorf("files: got %q, want %q (no temporary files left)", names, want)
	}

	pngBytes, err := os.ReadFile(filepath.Join(dir, "fig.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		t.Fatalf("png: %v", err)
	}
	wantW, wantH := pixels(w), pixels(h)
	if b := img.Bounds(); b.Dx() != wantW || b.Dy() != wantH {
		t.Errorf("png size: got %dx%d, want %dx%d", b.Dx(), b.Dy(), wantW, wantH)
	}

	svg, err := os.ReadFile(filepath.Join(dir, "fig.svg"))
	if err != nil {
		t.Fatal(err)
	}
	if len(svg) == 0 {
		t.Fatal("empty svg")
	}
	var texts []string
	d := xml.NewDecoder(bytes.NewReader(svg))
	inText := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("svg does not parse: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			inText = tok.Name.Local == "text"
		case xml.EndElement:
			inText = false
		case xml.CharData:
			if inText {
				texts = append(texts, string(tok))
			}
		}
	}
	return texts
}

func pixels(l vg.Length) int { return int(l/vg.Inch*DPI + 0.5) }

// wantTexts checks that every line of every label is a text of the SVG.
func wantTexts(t *testing.T, texts []string, labels ...string) {
	t.Helper()
	for _, l := range labels {
		for _, line := range strings.Split(wrapLabel(l, 22), "\n") {
			if !slices.Contains(texts, line) {
				t.Errorf("svg has no text %q (label %q); texts: %q", line, l, texts)
			}
		}
	}
}

// TestLineRenders: six models with five runs per point, with bands, error
// bars and log axes; every series is named in the legend.
func TestLineRenders(t *testing.T) {
	rows := fixtureLineRows(5)
	for _, opt := range []LineOptions{
		{X: "network.rtt", Y: "plt_ms"},
		{X: "network.rtt", Y: "plt_ms", Spread: ErrorBars, LogX: true, LogY: true},
		{X: "network.rtt", Y: "bytes", Spread: NoSpread, Title: "Bytes"},
	} {
		t.Run(fmt.Sprintf("%s/log=%v/spread=%d", opt.Y, opt.LogY, opt.Spread), func(t *testing.T) {
			p, err := Line(rows, opt)
			if err != nil {
				t.Fatal(err)
			}
			texts := render(t, p, 0, 0)
			wantTexts(t, texts, fixtureModels...)
			wantTexts(t, texts, "RTT (ms)", p.Y.Label.Text)
		})
	}
}

// TestBarRenders: grouped by RTT, and one bar per model.
func TestBarRenders(t *testing.T) {
	rows := fixtureLineRows(3)
	t.Run("grouped", func(t *testing.T) {
		p, err := Bar(rows, BarOptions{X: "network.rtt", Y: "plt_ms"})
		if err != nil {
			t.Fatal(err)
		}
		wantTexts(t, render(t, p, 6*vg.Inch, 4*vg.Inch), fixtureModels...)
	})
	t.Run("named groups", func(t *testing.T) {
		named := slices.Clone(rows)
		for i := range named {
			pt := slices.Clone(named[i].Point)
			switch pt[0].Value {
			case 20:
				pt[0].Label = "LAN"
			case 200:
				pt[0].Label = "satellite"
			}
			named[i].Point = pt
		}
		p, err := Bar(named, BarOptions{X: "network.rtt", Y: "plt_ms"})
		if err != nil {
			t.Fatal(err)
		}
		var ticks []string
		for _, tk := range p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max) {
			ticks = append(ticks, tk.Label)
		}
		// Named values take their names; the others keep theirs.
		if want := []string{"LAN", "50", "100", "150", "satellite"}; !slices.Equal(ticks, want) {
			t.Errorf("x ticks %q, want %q", ticks, want)
		}
		wantTexts(t, render(t, p, 0, 0), "LAN", "satellite")
	})
	t.Run("per model", func(t *testing.T) {
		p, err := Bar(rows, BarOptions{Y: "connections", Where: map[string]float64{"network.rtt": 100}})
		if err != nil {
			t.Fatal(err)
		}
		texts := render(t, p, 0, 0)
		wantTexts(t, texts, "TCP connections opened (rtt=100ms)", "41", "short-lived")
	})
}

// TestWaterfallRenders: 41 requests make a figure taller than the
// default, with a label per request.
func TestWaterfallRenders(t *testing.T) {
	reqs := fixtureWaterfall()
	p, err := Waterfall(reqs, WaterfallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, h := DefaultSize(p); h <= DefaultHeight {
		t.Errorf("DefaultSize height %v, want more than %v for %d rows", h, DefaultHeight, len(reqs))
	}
	texts := render(t, p, 0, 0)
	wantTexts(t, texts, "#0 c1 20.3 KB", "#40 c3 17.8 KB", "queued", "connect", "wait", "receive", "loaded at 1203 ms")
	if slices.Contains(texts, "tls") {
		t.Errorf("legend lists tls, which no request used")
	}

	p, err = Waterfall(reqs, WaterfallOptions{ByConnection: true, Title: "by connection"})
	if err != nil {
		t.Fatal(err)
	}
	render(t, p, 0, 0)
}

// TestWaterfallPhasesConsecutive: the bars of a request tile its
// timeline from StartMS to EndMS in HAR order.
func TestWaterfallPhasesConsecutive(t *testing.T) {
	r := experiments.RequestRow{Model: "m", Request: 0, Connection: 1, StartMS: 10, QueuedMS: 1, DNSMS: 2, ConnectMS: 3, TLSMS: 4, SendMS: 5, WaitMS: 6, ReceiveMS: 7, EndMS: 38}
	rs, phases := phaseRects(&r, 0, 1)
	var got [][2]float64
	for _, d := range rs {
		got = append(got, [2]float64{d.x0, d.x1})
	}
	want := [][2]float64{{10, 11}, {11, 13}, {13, 16}, {16, 20}, {20, 25}, {25, 31}, {31, 38}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got[len(got)-1][1] != r.EndMS {
		t.Errorf("last phase ends at %v, want EndMS %v", got[len(got)-1][1], r.EndMS)
	}
	if want := []int{0, 1, 2, 3, 4, 5, 6}; !slices.Equal(phases, want) {
		t.Errorf("phases: got %v, want %v", phases, want)
	}

	r.DNSMS, r.TLSMS = 0, 0 // phases that did not happen leave no gap
	rs, phases = phaseRects(&r, 0, 1)
	got = got[:0]
	for _, d := range rs {
		got = append(got, [2]float64{d.x0, d.x1})
	}
	want = [][2]float64{{10, 11}, {11, 14}, {14, 19}, {19, 25}, {25, 32}}
	if !slices.Equal(got, want) || !slices.Equal(phases, []int{0, 2, 4, 5, 6}) {
		t.Errorf("without dns and tls: got %v %v, want %v [0 2 4 5 6]", got, phases, want)
	}
}

// TestCwndRenders: two connections, ssthresh set after a loss, response
// markers.
func TestCwndRenders(t *testing.T) {
	tr := fixtureTrace()
	p, err := Cwnd(tr, CwndOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantTexts(t, render(t, p, 0, 0), "c1 www.example.com", "c2 static.example.com", "ssthresh", "congestion window (KB)")

	p, err = Cwnd(tr, CwndOptions{Conns: []int{2}})
	if err != nil {
		t.Fatal(err)
	}
	texts := render(t, p, 0, 0)
	if slices.Contains(texts, "ssthresh") || slices.Contains(texts, "c1 www.example.com") {
		t.Errorf("connection 2 alone: got texts %q, want no ssthresh (never set) and no c1", texts)
	}
}

// TestSsthreshRuns: unset values (>= 1<<40) break the ssthresh line.
func TestSsthreshRuns(t *testing.T) {
	unset := int64(1) << 40
	s := []experiments.CwndSample{
		{TimeMS: 0, SSThresh: unset}, {TimeMS: 1, SSThresh: 5000}, {TimeMS: 2, SSThresh: 5000},
		{TimeMS: 3, SSThresh: unset}, {TimeMS: 4, SSThresh: 3000},
	}
	got := ssthreshRuns(s, 10)
	want := []plotter.XYs{
		{{X: 1, Y: 5}, {X: 2, Y: 5}, {X: 3, Y: 5}},
		{{X: 4, Y: 3}, {X: 10, Y: 3}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestSequenceRenders: data, a retransmission, a lost segment and ACKs;
// and a zoomed window.
func TestSequenceRenders(t *testing.T) {
	tr := fixtureTrace()
	p, err := Sequence(tr, 1, SequenceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantTexts(t, render(t, p, 0, 0), "data segment", "retransmission", "ACK from client", "segment lost", "ACK lost")

	p, err = Sequence(tr, 1, SequenceOptions{FromMS: 190, ToMS: 320})
	if err != nil {
		t.Fatal(err)
	}
	render(t, p, 5*vg.Inch, 3*vg.Inch)
	if p.X.Min != 190 || p.X.Max != 320 {
		t.Errorf("zoom: got x %v..%v, want 190..320", p.X.Min, p.X.Max)
	}
}

// TestRejectsEmptyData: every constructor returns an error, never
// panics, on empty input, unknown names or NaN-only data.
func TestRejectsEmptyData(t *testing.T) {
	nan := fixtureLineRows(1)
	for i := range nan {
		nan[i].PLTMS = math.NaN()
	}
	noCwnd := fixtureTrace()
	for i := range noCwnd.Conns {
		noCwnd.Conns[i].Cwnd = nil
	}
	mixed := fixtureWaterfall()
	mixed[3].Model = "other"
	zero := []experiments.RequestRow{{Model: "m", Request: 0, Connection: 1}}
	tests := []struct {
		name   string
		f      func() (*plot.Plot, error)
		noData bool
	}{
		{"line no rows", func() (*plot.Plot, error) { return Line(nil, LineOptions{X: "network.rtt", Y: "plt_ms"}) }, true},
		{"line unknown metric", func() (*plot.Plot, error) {
			return Line(fixtureLineRows(1), LineOptions{X: "network.rtt", Y: "nope"})
		}, false},
		{"line no x", func() (*plot.Plot, error) { return Line(fixtureLineRows(1), LineOptions{Y: "plt_ms"}) }, false},
		{"line NaN only", func() (*plot.Plot, error) { return Line(nan, LineOptions{X: "network.rtt", Y: "plt_ms"}) }, true},
		{"line log of zeros", func() (*plot.Plot, error) {
			return Line(fixtureLineRows(1), LineOptions{X: "network.rtt", Y: "retransmits", LogY: true})
		}, true},
		{"bar no rows", func() (*plot.Plot, error) { return Bar(nil, BarOptions{Y: "plt_ms"}) }, true},
		{"bar unknown metric", func() (*plot.Plot, error) { return Bar(fixtureLineRows(1), BarOptions{Y: "nope"}) }, false},
		{"bar NaN only", func() (*plot.Plot, error) { return Bar(nan, BarOptions{Y: "plt_ms"}) }, true},
		{"waterfall no requests", func() (*plot.Plot, error) { return Waterfall(nil, WaterfallOptions{}) }, true},
		{"waterfall other visit", func() (*plot.Plot, error) {
			return Waterfall(fixtureWaterfall(), WaterfallOptions{Visit: 1})
		}, true},
		{"waterfall two runs", func() (*plot.Plot, error) { return Waterfall(mixed, WaterfallOptions{}) }, false},
		{"waterfall zero durations", func() (*plot.Plot, error) { return Waterfall(zero, WaterfallOptions{}) }, true},
		{"cwnd no connections", func() (*plot.Plot, error) { return Cwnd(experiments.Trace{}, CwndOptions{}) }, true},
		{"cwnd no samples", func() (*plot.Plot, error) { return Cwnd(noCwnd, CwndOptions{}) }, true},
		{"cwnd unknown connection", func() (*plot.Plot, error) { return Cwnd(fixtureTrace(), CwndOptions{Conns: []int{9}}) }, false},
		{"sequence no connections", func() (*plot.Plot, error) { return Sequence(experiments.Trace{}, 1, SequenceOptions{}) }, true},
		{"sequence unknown connection", func() (*plot.Plot, error) { return Sequence(fixtureTrace(), 7, SequenceOptions{}) }, false},
		{"sequence no segments", func() (*plot.Plot, error) { return Sequence(fixtureTrace(), 2, SequenceOptions{}) }, true},
		{"sequence empty window", func() (*plot.Plot, error) {
			return Sequence(fixtureTrace(), 1, SequenceOptions{FromMS: 5000, ToMS: 6000})
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("panic: %v", r)
				}
			}()
			p, err := tc.f()
			if err == nil {
				t.Fatalf("got a plot (%q), want an error", p.Title.Text)
			}
			if p != nil {
				t.Errorf("got a plot and an error")
			}
			if errors.Is(err, ErrNoData) != tc.noData {
				t.Errorf("got %v, want ErrNoData %v", err, tc.noData)
			}
			if !strings.HasPrefix(err.Error(), "plots: ") {
				t.Errorf("got %q, want the package prefix", err)
			}
		})
	}
}

// TestSaveErrors: bad names and formats are errors.
func TestSaveErrors(t *testing.T) {
	p, err := Line(fixtureLineRows(1), LineOptions{X: "network.rtt", Y: "plt_ms"})
	if err != nil {
		t.Fatal(err)
	}
	if err := Save(p, t.TempDir(), "a/b", 0, 0); err == nil {
		t.Error("Save with a slash in the name: got no error")
	}
	if err := Save(p, filepath.Join(t.TempDir(), "missing"), "x", 0, 0); err == nil {
		t.Error("Save into a missing directory: got no error")
	}
	if _, err := Encode(p, 0, 0, "gif"); err == nil {
		t.Error("Encode gif: got no error")
	}
	if _, err := Encode(nil, 0, 0, "svg"); err == nil {
		t.Error("Encode nil: got no error")
	}
}

// TestDeterministic: building and rendering the same figure twice gives
// the same SVG and PNG bytes (gonum's SVG carries no ids, dates or random
// names).
func TestDeterministic(t *testing.T) {
	build := []func() (*plot.Plot, error){
		func() (*plot.Plot, error) {
			return Line(fixtureLineRows(5), LineOptions{X: "network.rtt", Y: "plt_ms"})
		},
		func() (*plot.Plot, error) { return Bar(fixtureLineRows(5), BarOptions{X: "network.rtt", Y: "plt_ms"}) },
		func() (*plot.Plot, error) { return Waterfall(fixtureWaterfall(), WaterfallOptions{}) },
		func() (*plot.Plot, error) { return Cwnd(fixtureTrace(), CwndOptions{}) },
		func() (*plot.Plot, error) { return Sequence(fixtureTrace(), 1, SequenceOptions{}) },
	}
	for i, f := range build {
		for _, format := range []string{"svg", "png"} {
			var out [2][]byte
			for k := range out {
				p, err := f()
				if err != nil {
					t.Fatal(err)
				}
				if out[k], err = Encode(p, 0, 0, format); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(out[0], out[1]) {
				t.Errorf("figure %d %s: two renderings differ", i, format)
			}
		}
	}
}

// TestNoGlobalsMutated: building and saving every kind of figure leaves
// gonum/plot's package-level defaults as they were.
func TestNoGlobalsMutated(t *testing.T) {
	font, handler := plot.DefaultFont, plot.DefaultTextHandler
	line, glyph := plotter.DefaultLineStyle, plotter.DefaultGlyphStyle
	capW, labelFont := plotter.DefaultCapWidth, plotter.DefaultFont

	TestLineRenders(t)
	TestBarRenders(t)
	TestWaterfallRenders(t)
	TestCwndRenders(t)
	TestSequenceRenders(t)

	if plot.DefaultFont != font || plot.DefaultTextHandler != handler {
		t.Error("plot.DefaultFont or DefaultTextHandler changed")
	}
	if !reflect.DeepEqual(plotter.DefaultLineStyle, line) || !reflect.DeepEqual(plotter.DefaultGlyphStyle, glyph) {
		t.Error("plotter.DefaultLineStyle or DefaultGlyphStyle changed")
	}
	if plotter.DefaultCapWidth != capW || plotter.DefaultFont != labelFont {
		t.Error("plotter.DefaultCapWidth or DefaultFont changed")
	}
}

// TestTicks checks the labels of the linear and log tickers.
func TestTicks(t *testing.T) {
	labels := func(ts []plot.Tick) []string {
		var l []string
		for _, t := range ts {
			if !t.IsMinor() {
				l = append(l, t.Label)
			}
		}
		return l
	}
	tests := []struct {
		name string
		got  []string
		want []string
	}{
		{"linear 0..8000", labels(linearTicks{}.Ticks(0, 8000)), []string{"0", "2000", "4000", "6000", "8000"}},
		{"linear 0..0.3", labels(linearTicks{}.Ticks(0, 0.3)), []string{"0.00", "0.05", "0.10", "0.15", "0.20", "0.25", "0.30"}},
		{"linear 20..200", labels(linearTicks{}.Ticks(20, 200)), []string{"50", "100", "150", "200"}},
		{"log 20..200", labels(logTicks{}.Ticks(20, 200)), []string{"20", "50", "100", "200"}},
		{"log 1..1e5", labels(logTicks{}.Ticks(1, 1e5)), []string{"1", "10", "100", "1000", "10000", "100000"}},
	}
	for _, tc := range tests {
		if !slices.Equal(tc.got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	if lo, hi := niceLogRange(300, 8000); lo != 200 || hi != 10000 {
		t.Errorf("niceLogRange(300, 8000): got %v..%v, want 200..10000", lo, hi)
	}
}

// TestWrapLabel: long model labels break before "(" or after ",".
func TestWrapLabel(t *testing.T) {
	tests := []struct{ in, want string }{
		{"persistent", "persistent"},
		{"parallel(connections=6)", "parallel\n(connections=6)"},
		{"sharded(shards=3,connections=6)", "sharded(shards=3,\nconnections=6)"},
		{"averyveryverylonglabelwithoutbreaks", "averyveryverylonglabelwithoutbreaks"},
	}
	for _, tc := range tests {
		if got := wrapLabel(tc.in, 22); got != tc.want {
			t.Errorf("wrapLabel(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestFormatNumber: labels without float noise.
func TestFormatNumber(t *testing.T) {
	tests := []struct {
		v    float64
		sig  int
		want string
	}{
		{1203.4, 4, "1203"}, {0.1 + 0.2, 6, "0.3"}, {1e6, 6, "1000000"}, {2.5e-5, 3, "2.5e-05"}, {0, 3, "0"},
	}
	for _, tc := range tests {
		if got := formatNumber(tc.v, tc.sig); got != tc.want {
			t.Errorf("formatNumber(%v, %d): got %q, want %q", tc.v, tc.sig, got, tc.want)
		}
	}
	if got := formatBytes(10_300); got != "10.3 KB" {
		t.Errorf("formatBytes(10300): got %q, want %q", got, "10.3 KB")
	}
}

// majorLabels returns the labelled ticks of an axis over its range.
func majorLabels(ax plot.Axis) []plot.Tick {
	var out []plot.Tick
	for _, t := range ax.Tick.Marker.Ticks(ax.Min, ax.Max) {
		if !t.IsMinor() {
			out = append(out, t)
		}
	}
	return out
}

// TestCwndRangeEndsAtLoads: the x axis runs from the first request's
// start to just after the last request's end, not on through the 5 s the
// idle connection waits to be closed.
func TestCwndRangeEndsAtLoads(t *testing.T) {
	tr, reqs := fixtureVisits(50)
	lastEnd := tr.Conns[0].ResponseEndsMS[len(tr.Conns[0].ResponseEndsMS)-1]
	p, err := Cwnd(tr, CwndOptions{Requests: reqs})
	if err != nil {
		t.Fatal(err)
	}
	if p.X.Min != 0 {
		t.Errorf("X.Min %v, want 0 (the first request's start)", p.X.Min)
	}
	// The margin covers the last ACKs (half an RTT) and a little more.
	if p.X.Max < lastEnd+50 || p.X.Max > lastEnd*1.12 {
		t.Errorf("X.Max %v, want just after the last request's end %v (trace ends at %v)", p.X.Max, lastEnd, tr.Conns[0].CloseMS)
	}
	render(t, p, 0, 0)

	// FullRange keeps the old axis, to the close.
	p, err = Cwnd(tr, CwndOptions{Requests: reqs, FullRange: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.X.Max < tr.Conns[0].CloseMS {
		t.Errorf("FullRange: X.Max %v, want at least the close at %v", p.X.Max, tr.Conns[0].CloseMS)
	}

	// Without request rows: to just after the last response.
	p, err = Cwnd(tr, CwndOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.X.Max < lastEnd || p.X.Max > lastEnd*1.12 {
		t.Errorf("no requests: X.Max %v, want just after the last response %v", p.X.Max, lastEnd)
	}
}

// TestAlignVisits: request rows count from their visit's start; the
// visits are placed on the trace's clock by their responses.
func TestAlignVisits(t *testing.T) {
	tr, reqs := fixtureVisits(10_000)
	loads := alignVisits(tr, tr.Conns, reqs)
	if len(loads) != 2 {
		t.Fatalf("got %d loads, want 2: %+v", len(loads), loads)
	}
	end0 := reqs[4].EndMS
	if loads[0].visitStart != 0 || loads[0].start != 0 || loads[0].end != end0 {
		t.Errorf("visit 1: got %+v, want start 0, end %v", loads[0], end0)
	}
	if want := end0 + 10_000; math.Abs(loads[1].visitStart-want) > 1e-6 {
		t.Errorf("visit 2 starts at %v, want %v (the first load plus the reading time)", loads[1].visitStart, want)
	}
	if want := end0 + 10_000 + reqs[9].EndMS; math.Abs(loads[1].end-want) > 1e-6 {
		t.Errorf("visit 2 ends at %v, want %v", loads[1].end, want)
	}
	// Rows of another run (slower by 3%) do not line up: no loads.
	other := slices.Clone(reqs)
	for i := range other {
		other[i].StartMS *= 1.03
		other[i].EndMS *= 1.03
	}
	if got := alignVisits(tr, tr.Conns, other); len(got) != 0 {
		t.Errorf("unmatched rows: got %+v, want no loads", got)
	}
}

// TestCwndVisits: two loads 10 s apart. Each visit's start is marked,
// and the idle time is cut out of the axis, so each load's slow start
// gets a good share of it; the tick labels stay true and none sits in
// the cut.
func TestCwndVisits(t *testing.T) {
	tr, reqs := fixtureVisits(10_000)
	loads := alignVisits(tr, tr.Conns, reqs)
	p, err := Cwnd(tr, CwndOptions{Requests: reqs})
	if err != nil {
		t.Fatal(err)
	}
	axis, ok := p.X.Scale.(brokenAxis)
	if !ok || len(axis.gaps) != 1 {
		t.Fatalf("x scale %T %+v, want a broken axis with one gap", p.X.Scale, p.X.Scale)
	}
	gap := axis.gaps[0]
	if gap[0] < loads[0].end || gap[1] > loads[1].start {
		t.Errorf("gap %v, want inside the idle time %v..%v", gap, loads[0].end, loads[1].start)
	}
	if w := p.X.Norm(loads[1].start) - p.X.Norm(loads[0].end); w > 0.15 {
		t.Errorf("the 10 s idle time takes %.0f%% of the axis, want under 15%%", 100*w)
	}
	for _, ld := range loads {
		if w := p.X.Norm(ld.end) - p.X.Norm(ld.start); w < 0.35 {
			t.Errorf("visit %d takes %.0f%% of the axis, want at least 35%%", ld.visit+1, 100*w)
		}
	}
	if p.X.Norm(p.X.Min) != 0 || math.Abs(p.X.Norm(p.X.Max)-1) > 1e-12 {
		t.Errorf("Norm(min), Norm(max) = %v, %v, want 0, 1", p.X.Norm(p.X.Min), p.X.Norm(p.X.Max))
	}
	ticks := majorLabels(p.X)
	var before, after int
	for _, tk := range ticks {
		if tk.Label == "" {
			continue
		}
		v, err := strconv.ParseFloat(tk.Label, 64)
		if err != nil || math.Abs(v-tk.Value) > 1e-9*math.Max(1, math.Abs(v)) {
			t.Errorf("tick at %v labelled %q: labels must be the true times", tk.Value, tk.Label)
		}
		switch {
		case tk.Value <= gap[0]:
			before++
		case tk.Value >= gap[1]:
			after++
		default:
			t.Errorf("tick %q inside the cut %v", tk.Label, gap)
		}
	}
	if before < 2 || after < 2 {
		t.Errorf("labels: %d before the cut and %d after, want at least 2 each: %v", before, after, ticks)
	}
	texts := render(t, p, 0, 0)
	wantTexts(t, texts, "visit 1", "visit 2", "idle time cut\nout of the axis\n(not to scale)", "time since the start of the first visit (ms)")

	// A short reading time is drawn to scale; the visit is still marked.
	tr, reqs = fixtureVisits(300)
	p, err = Cwnd(tr, CwndOptions{Requests: reqs})
	if err != nil {
		t.Fatal(err)
	}
	if _, broken := p.X.Scale.(brokenAxis); broken {
		t.Errorf("300 ms between two loads: got a broken axis, want a plain one")
	}
	wantTexts(t, render(t, p, 0, 0), "visit 2")
}

// TestBrokenAxis: each gap takes its share of the axis whatever its
// length, and the mapping is continuous and increasing.
func TestBrokenAxis(t *testing.T) {
	b := brokenAxis{gaps: [][2]float64{{100, 10_000}}, frac: 0.1}
	norm := func(x float64) float64 { return b.Normalize(0, 10_100, x) }
	if got := norm(10_000) - norm(100); math.Abs(got-0.1) > 1e-12 {
		t.Errorf("gap share %v, want 0.1", got)
	}
	if norm(0) != 0 || math.Abs(norm(10_100)-1) > 1e-12 || math.Abs(norm(50)-0.225) > 1e-12 {
		t.Errorf("norm(0), norm(50), norm(10100) = %v, %v, %v, want 0, 0.225, 1", norm(0), norm(50), norm(10_100))
	}
	prev := math.Inf(-1)
	for x := -50.0; x <= 10_200; x += 7 {
		if n := norm(x); !(n > prev) {
			t.Fatalf("norm not increasing at %v: %v after %v", x, n, prev)
		}
		prev = norm(x)
	}
}

// TestCwndCrowdedMarks: 41 responses a few points apart are drawn thin
// and light; a few far apart keep the bold marks.
func TestCwndCrowdedMarks(t *testing.T) {
	lin := func(x float64) float64 { return x / 4000 }
	var many, few plotter.XYs
	for i := range 41 {
		many = append(many, plotter.XY{X: 300 + 100*float64(i)})
	}
	for i := range 4 {
		few = append(few, plotter.XY{X: 300 + 1000*float64(i)})
	}
	if !marksCrowded(many, lin) {
		t.Error("41 marks 100 ms apart on a 4 s axis: want crowded")
	}
	if marksCrowded(few, lin) {
		t.Error("4 marks 1 s apart: want not crowded")
	}
	bold, thin := markStyle(0, false), markStyle(0, true)
	if thin.Radius >= bold.Radius || thin.Shape.(vtickGlyph).width >= vg.Points(2) {
		t.Errorf("crowded marks %+v, want shorter and thinner than %+v", thin, bold)
	}
	if lum := func(c color.Color) uint32 { r, g, b, _ := c.RGBA(); return r + g + b }; lum(thin.Color) <= lum(bold.Color) {
		t.Errorf("crowded marks %v, want lighter than %v", thin.Color, bold.Color)
	}

	// A trace with 41 responses renders, with the marks listed once.
	tr := fixtureTrace()
	c := &tr.Conns[0]
	c.ResponseEndsMS = nil
	for i := range 41 {
		c.ResponseEndsMS = append(c.ResponseEndsMS, 300+80*float64(i))
	}
	p, err := Cwnd(tr, CwndOptions{Conns: []int{1}})
	if err != nil {
		t.Fatal(err)
	}
	wantTexts(t, render(t, p, 0, 0), "response complete\n(when the client")
}

// TestSequenceAckLine: the ACK line ends at the last ACK of data, not at
// the ACK of the server's FIN or later duplicates, and the x axis ends
// shortly after it.
func TestSequenceAckLine(t *testing.T) {
	tr := fixtureTrace()
	c := &tr.Conns[0]
	var top int64
	lastAck := 0.0
	for _, s := range c.Segments {
		if !s.FromClient {
			top = max(top, s.Seq+s.Len)
		} else if !s.Dropped {
			lastAck = max(lastAck, s.TimeMS)
		}
	}
	// The close, 1.5 s later: the server's FIN and the client's ACK of
	// it (one past the data), then a duplicate.
	c.Segments = append(c.Segments,
		experiments.SegmentSample{TimeMS: 1900, Seq: top, Ack: 1},
		experiments.SegmentSample{TimeMS: 1950, Ack: top + 1, FromClient: true},
		experiments.SegmentSample{TimeMS: 1951, Ack: top + 1, FromClient: true})
	p, err := Sequence(tr, 1, SequenceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.X.Max < lastAck || p.X.Max > lastAck*1.1 {
		t.Errorf("X.Max %v, want just after the last ACK of data at %v (the FIN's ACK is at 1950)", p.X.Max, lastAck)
	}
	render(t, p, 0, 0)

	data := [][3]float64{{100, 0, 1.46}, {101, 1.46, 2.92}}
	acks := plotter.XYs{{X: 150, Y: 1.46}, {X: 151, Y: 2.92}, {X: 152, Y: 2.92}, {X: 900, Y: 2.921}}
	got, _ := dataAcks(acks, nil, data)
	if want := (plotter.XY{X: 151, Y: 2.92}); len(got) == 0 || got[len(got)-1] != want {
		t.Errorf("ACK line %v, want it to end at the last ACK of data %v", got, want)
	}
	// Duplicate ACKs while data is still being sent stay.
	data = append(data, [3]float64{160, 2.92, 4.38})
	if got, _ := dataAcks(acks[:3], nil, data); len(got) != 3 {
		t.Errorf("got %v, want all three ACKs sent before the last data segment", got)
	}
}

// cie76 is the CIE76 colour difference of two colours (sRGB, D65).
func cie76(a, b color.Color) float64 {
	lab := func(c color.Color) [3]float64 {
		r, g, bl, _ := c.RGBA()
		lin := func(v uint32) float64 {
			s := float64(v) / 0xFFFF
			if s <= 0.04045 {
				return s / 12.92
			}
			return math.Pow((s+0.055)/1.055, 2.4)
		}
		R, G, B := lin(r), lin(g), lin(bl)
		x := (0.4124*R + 0.3576*G + 0.1805*B) / 0.95047
		y := 0.2126*R + 0.7152*G + 0.0722*B
		z := (0.0193*R + 0.1192*G + 0.9505*B) / 1.08883
		f := func(t float64) float64 {
			if t > 0.008856 {
				return math.Cbrt(t)
			}
			return 7.787*t + 16.0/116
		}
		return [3]float64{116*f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))}
	}
	p, q := lab(a), lab(b)
	return math.Sqrt((p[0]-q[0])*(p[0]-q[0]) + (p[1]-q[1])*(p[1]-q[1]) + (p[2]-q[2])*(p[2]-q[2]))
}

// TestWaterfallStripeColours: no stripe colour can be taken for a phase
// colour, stripes differ from each other, neighbouring connections get
// different colours even when their numbers jump, and the legend says
// when colours repeat.
func TestWaterfallStripeColours(t *testing.T) {
	for i, s := range stripePalette {
		for _, ph := range Phases {
			if d := cie76(s, ph.Color); d < 30 {
				t.Errorf("stripe colour %d %v is %.0f from phase %s %v, want 30 or more", i, s, d, ph.Name, ph.Color)
			}
		}
		for j, o := range stripePalette[:i] {
			if d := cie76(s, o); d < 30 {
				t.Errorf("stripe colours %d and %d differ by %.0f, want 30 or more", j, i, d)
			}
		}
	}
	// Sharding numbers connections c1, c7, c13...: still all different.
	var sc stripeColors
	conns := []int{1, 7, 13, 19, 25, 31}
	seen := map[color.Color]int{}
	for _, c := range conns {
		if o, dup := seen[sc.of(c)]; dup {
			t.Errorf("connections %d and %d share a stripe colour", o, c)
		}
		seen[sc.of(c)] = c
	}
	sc.of(37) // the 7th connection seen, then the 8th
	sc.of(43)
	if sc.of(7) != sc.of(7) || sc.of(49) != sc.of(1) {
		t.Errorf("a connection keeps its colour; the 9th connection seen takes the 1st's")
	}

	reqs := fixtureWaterfall() // 6 connections: a colour each
	p, err := Waterfall(reqs, WaterfallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantTexts(t, render(t, p, 0, 0), "for each connection)")
	for i := range reqs {
		reqs[i].Connection = 1 + i // 41 connections
	}
	p, err = Waterfall(reqs, WaterfallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantTexts(t, render(t, p, 0, 0), "repeat every 8)")

	// Several hostnames (sharding): the stripe names the host instead.
	hosts := []string{"example.com", "shard1.example.com", "shard2.example.com"}
	for i := range reqs {
		reqs[i].Host = hosts[i%3]
	}
	p, err = Waterfall(reqs, WaterfallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	texts := render(t, p, 0, 0)
	wantTexts(t, texts, "stripe: host", "shard1.example.com", "shard2.example.com")
	if slices.ContainsFunc(texts, func(s string) bool { return strings.Contains(s, "repeat every") }) {
		t.Errorf("stripes coloured by host still say they repeat per connection")
	}
}

// TestLineTicksAtValues: a sweep of a few values is ticked at exactly
// those values, the first one included, on linear and log axes.
func TestLineTicksAtValues(t *testing.T) {
	rows := fixtureLineRows(1) // RTT 20, 50, 100, 150, 200 ms
	for _, logX := range []bool{false, true} {
		p, err := Line(rows, LineOptions{X: "network.rtt", Y: "plt_ms", LogX: logX})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, tk := range p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max) {
			got = append(got, tk.Label)
		}
		want := []string{"20", "50", "100", "150", "200"}
		if !slices.Equal(got, want) {
			t.Errorf("log=%v: x tick labels %q, want %q", logX, got, want)
		}
		if p.X.Min != 20 || p.X.Max != 200 {
			t.Errorf("log=%v: x range %v..%v, want the swept range 20..200", logX, p.X.Min, p.X.Max)
		}
		wantTexts(t, render(t, p, 0, 0), "20", "200")
	}

	// Values that crowd: labels are left out, never the first or last.
	ticks := valueTicks{values: []float64{0, 0.001, 0.002, 0.5, 0.998, 1}}.Ticks(0, 1)
	var labels []string
	for _, tk := range ticks {
		labels = append(labels, tk.Label)
	}
	if want := []string{"0", "", "", "0.5", "", "1"}; !slices.Equal(labels, want) {
		t.Errorf("crowded value ticks %q, want %q", labels, want)
	}

	// Many values: nice round numbers as before.
	var many []experiments.Row
	for i := range 20 {
		many = append(many, experiments.Row{Index: i, Model: "m",
			Point:   []experiments.AxisValue{{Key: "network.rtt", Value: float64(10 + 10*i)}},
			Metrics: experiments.Metrics{PLTMS: float64(100 + i)}})
	}
	p, err := Line(many, LineOptions{X: "network.rtt", Y: "plt_ms"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.X.Tick.Marker.(valueTicks); ok {
		t.Error("20 x values: got ticks at the values, want nice numbers")
	}
}

// TestWaterfallMarksRender: the legend names the refused and replayed
// marks only when some request has them.
func TestWaterfallMarksRender(t *testing.T) {
	reqs := fixtureWaterfall()
	p, err := Waterfall(reqs, WaterfallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range render(t, p, 0, 0) {
		if s == "refused attempts" || s == "replayed" {
			t.Errorf("legend has %q without any refused or replayed request", s)
		}
	}
	reqs[20].Refusals = 3 // it waited (queued) for a connection
	reqs[7].Replayed = true
	p, err = Waterfall(reqs, WaterfallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	texts := render(t, p, 0, 0)
	wantTexts(t, texts, "refused attempts\n(hatched: waited\nthrough them)", "replayed\n(R: sent again\nafter its connection\nclosed)", "R")
}

// The marks are drawn on the rows, not only in the legend: each
// replayed request adds an "R" badge beside the legend's, and each
// refused wait adds hatch lines (the legend's thumb has its own, fixed
// number).
func TestWaterfallMarksDrawnOnRows(t *testing.T) {
	svgOf := func(refused, replayed []int) string {
		reqs := fixtureWaterfall()
		for _, i := range refused {
			reqs[i].Refusals = 2
		}
		for _, i := range replayed {
			reqs[i].Replayed = true
		}
		p, err := Waterfall(reqs, WaterfallOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := Encode(p, 0, 0, "svg")
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	badges := func(svg string) int { return strings.Count(svg, ">R</text>") }
	if one, two := badges(svgOf(nil, []int{7})), badges(svgOf(nil, []int{7, 9})); one != 2 || two != 3 {
		t.Errorf("R badges: %d with one replayed request, %d with two; want 2 and 3 (the legend's and one per request)", one, two)
	}
	hatch := "stroke:#B01C1C"
	one, two := strings.Count(svgOf([]int{20}, nil), hatch), strings.Count(svgOf([]int{20, 21}, nil), hatch)
	if !(two > one) {
		t.Errorf("hatch lines: %d with one refused wait, %d with two; want more with two", one, two)
	}
}
