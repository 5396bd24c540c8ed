package main

import (
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/connsim/connsim/experiments"
)

// TestSignalWhileDrawing: a signal that comes once the runs are done,
// while the figures are drawn, stops the drawing (issue 15: a slow figure
// phase ignored SIGINT and was killed with nothing written). The folder
// then holds every result file whole, no figure, and is marked partial in
// the manifest, a PARTIAL file and report.html.
func TestSignalWhileDrawing(t *testing.T) {
	s, err := loadOne("testdata/small.yaml")
	if err != nil {
		t.Fatal(err)
	}
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	results := experiments.RunAll(runs, experiments.RunOptions{Workers: 1, Trace: s.WantsTrace})
	out := t.TempDir()
	od, err := openOutDir(out, s.Name, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := new(atomic.Bool)
	stop.Store(true) // the signal came before the first figure
	w, err := writeOutputs(od, s, results, outputOpts{format: "csv", plots: true, why: "SIGINT", stop: stop})
	od.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !w.partial {
		t.Errorf("written.partial = false, want true")
	}
	dir := w.dir
	m, err := readManifest(dir)
	if err != nil || m.Status != statusPartial || m.Runs.Done != len(runs) {
		t.Fatalf("manifest %+v (err %v): want status partial with all %d runs done", m, err, len(runs))
	}
	if b, err := os.ReadFile(filepath.Join(dir, partialName)); err != nil || !strings.Contains(string(b), "while drawing the figures") {
		t.Errorf("PARTIAL: %q, %v; want it to say the figures were cut", b, err)
	}
	report, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil || !strings.Contains(string(report), "not drawn: interrupted") || !strings.Contains(string(report), "PARTIAL") {
		t.Errorf("report.html does not say which figures were not drawn (err %v)", err)
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "plots", "*.png"))
	if len(pngs) != 0 {
		t.Errorf("%d figures drawn after the signal, want none", len(pngs))
	}
	for _, f := range []string{"results.csv", "summary.csv", "requests.csv"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", f, err)
		}
	}
}
