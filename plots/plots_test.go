package plots

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
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
		p, err := Bar(rows, BarOptions{X: "network.rtt", Y: "plt_ms",
			XNames: map[float64]string{20: "LAN", 200: "satellite"}})
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
	r := experiments.RequestRow{Model: "m", Request: 0, Connection: 1, StartMS: 10, QueuedMS: 1, DNSms: 2, ConnectMS: 3, TLSms: 4, SendMS: 5, WaitMS: 6, ReceiveMS: 7, EndMS: 38}
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

	r.DNSms, r.TLSms = 0, 0 // phases that did not happen leave no gap
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
		nan[i].PLTms = math.NaN()
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
