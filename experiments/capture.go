package experiments

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/connsim/connsim/capture"
	"github.com/connsim/connsim/httpmodel"
)

// CaptureSpec is the capture: setting (ext, issue 13): packet captures of
// the runs it selects, one file per run, written under the output folder
// as captures/<point>-<model>-r<run>.<format> (CaptureFile.Name). Setting
// any key turns captures on; the zero value (no capture: key, or
// capture: {}) writes none. A run is captured when its model, its point
// and its repetition are all selected (Models, Points, Runs). See
// package capture for what the files hold.
type CaptureSpec struct {
	// Vantage is where the packets are seen: client (default), server,
	// or bottleneck (both directions as they enter its queue).
	Vantage string `yaml:"vantage,omitempty" enum:"client|server|bottleneck" label:"capture vantage point"`
	// Format is pcapng (default) or pcap (classic, nanosecond).
	Format string `yaml:"format,omitempty" enum:"pcapng|pcap" label:"capture format"`
	// Runs selects the runs: first (default), the first repetition of
	// each point and model; all, every run.
	Runs string `yaml:"runs,omitempty" enum:"first|all" label:"captured runs"`
	// Models selects the models whose runs are captured, by label (the
	// model column) or name (every model of that name); none = every
	// model.
	Models []string `yaml:"models,omitempty" label:"captured models"`
	// Points selects the sweep's points: all (default), every point;
	// first, the first point only (every swept key at its first value).
	Points string `yaml:"points,omitempty" enum:"all|first" label:"captured points"`
}

// On reports whether c asks for captures.
func (c CaptureSpec) On() bool {
	return c.Vantage != "" || c.Format != "" || c.Runs != "" || c.Points != "" || c.Models != nil
}

// Selects reports whether c captures run rc.
func (c CaptureSpec) Selects(rc RunConfig) bool {
	if !c.On() || (c.Runs != "all" && rc.Rep != 0) {
		return false
	}
	if c.Points == "first" && rc.Point != nil && rc.Point.Index != 0 {
		return false
	}
	return len(c.Models) == 0 || slices.ContainsFunc(c.Models, func(m string) bool {
		return m == rc.Model.Label || m == rc.Model.Name
	})
}

// checkCapture checks that each of capture.models names a model of the
// experiment (models cannot be swept, so the spec's list is every
// point's).
func (st *loaded) checkCapture() {
	s, d := st.spec, st.d
	var names []string
	for _, m := range s.Models {
		for _, n := range []string{m.Label, m.Name} {
			if n != "" && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	for i, m := range s.Capture.Models {
		if !slices.Contains(names, m) {
			p := fmt.Sprintf("capture.models[%d]", i)
			d.errorf(d.node(p), p, "%q is not a model of the experiment (want %s)", clip(m, maxQuoted), orList(names))
		}
	}
}

// Options returns the capture options c sets (defaults for what it does
// not). The enum checks of Load have passed, or the value is a default.
func (c CaptureSpec) Options() capture.Options {
	var o capture.Options
	if c.Vantage != "" {
		o.Vantage, _ = capture.ParseVantage(c.Vantage)
	}
	if c.Format != "" {
		o.Format, _ = capture.ParseFormat(c.Format)
	}
	return o
}

// CaptureFile is one run's packet capture.
type CaptureFile struct {
	Name string // path under the output folder, slash-separated: captures/<point>-<model>-r<run>.<format>
	Data []byte
}

// CaptureName returns the file name of run rc's capture under the output
// folder: captures/, the swept values (key=value, comma-separated; none
// without a sweep), the model's label and the repetition, each reduced to
// letters, digits and . , = ( ) - (anything else becomes _), then the
// format's extension. For example captures/network.rtt=50ms-persistent-r0.pcapng.
func CaptureName(rc RunConfig, f capture.Format) string {
	var parts []string
	if rc.Point != nil && len(rc.Point.Axes) > 0 {
		var axes []string
		for _, a := range rc.Point.Axes {
			axes = append(axes, a.Key+"="+a.Text)
		}
		parts = append(parts, strings.Join(axes, ","))
	}
	parts = append(parts, rc.Model.Label, "r"+strconv.Itoa(rc.Rep))
	return "captures/" + fileSafe(strings.Join(parts, "-")) + "." + f.String()
}

func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune(".,=()-", r):
			return r
		}
		return '_'
	}, s)
}

// startCapture installs a packet capture in cfg when the spec selects rc,
// and returns the function that, after the run, yields the file (nil
// when none). A capture that cannot be written fails the run (row.Err).
func startCapture(rc RunConfig, cfg *httpmodel.Config) func(row *Row) *CaptureFile {
	if rc.Point == nil || rc.Point.Spec == nil || !rc.Point.Spec.Capture.Selects(rc) {
		return func(*Row) *CaptureFile { return nil }
	}
	opt := rc.Point.Spec.Capture.Options()
	var buf bytes.Buffer
	rec := capture.New(&buf, opt)
	cfg.Tap = rec.Tap
	return func(row *Row) *CaptureFile {
		if err := rec.Close(); err != nil {
			if row.Err == "" {
				row.Err = fmt.Sprintf("packet capture: %v", err)
			}
			return nil
		}
		return &CaptureFile{Name: CaptureName(rc, opt.Format), Data: buf.Bytes()}
	}
}

// WriteCapture writes c under the folder dir (making captures/); nil
// writes nothing.
func WriteCapture(dir string, c *CaptureFile) error {
	if c == nil {
		return nil
	}
	p := filepath.Join(dir, filepath.FromSlash(c.Name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, c.Data, 0o644)
}
