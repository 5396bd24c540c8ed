package plots

import (
	"math"
	"testing"

	"github.com/connsim/connsim/experiments"
)

// ServerSeries keeps the last value of each instant, leaves out the
// workers and backlog lines when they stay 0, and converts ms to s.
func TestServerSeries(t *testing.T) {
	tr := experiments.Trace{Model: "parallel", Server: []experiments.ServerSample{
		{TimeMS: 0, Open: 1}, {TimeMS: 500, Open: 2}, {TimeMS: 500, Open: 3}, {TimeMS: 1500, Open: 0},
	}}
	d, err := ServerSeries(tr, ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Lines) != 1 || d.Lines[0].Name != "open connections" {
		t.Fatalf("got %+v, want only the open connections", d.Lines)
	}
	want := []struct{ x, y float64 }{{0, 1}, {0.5, 3}, {1.5, 0}}
	for i, w := range want {
		if got := d.Lines[0].XYs[i]; got.X != w.x || got.Y != w.y {
			t.Errorf("point %d: got %v, want %v", i, got, w)
		}
	}
	tr.Server[1].Busy, tr.Server[2].Backlog = 2, 1
	if d, _ := ServerSeries(tr, ServerOptions{}); len(d.Lines) != 3 {
		t.Errorf("got %d lines, want 3 with workers and backlog used", len(d.Lines))
	}
	if _, err := ServerSeries(experiments.Trace{}, ServerOptions{}); err == nil {
		t.Error("no samples: want an error")
	}
	if _, err := Server(tr, ServerOptions{}); err != nil {
		t.Error(err)
	}
}

// PLTCDF steps by 1/n per client, n counting unfinished clients, and
// merges equal PLTs into one step.
func TestPLTCDF(t *testing.T) {
	trs := []experiments.Trace{
		{Model: "a", ClientPLTsMS: []float64{300, 100, 200, 200}},
		{Model: "b", ClientPLTsMS: []float64{100, math.NaN()}},
	}
	d, err := PLTCDF(trs, CDFOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := d.Lines[0], d.Lines[1]
	want := []struct{ x, y float64 }{{100, 0.25}, {200, 0.75}, {300, 1}}
	if len(a.XYs) != len(want) {
		t.Fatalf("a: got %v", a.XYs)
	}
	for i, w := range want {
		if a.XYs[i].X != w.x || a.XYs[i].Y != w.y {
			t.Errorf("a point %d: got %v, want %v", i, a.XYs[i], w)
		}
	}
	if b.Unfinished != 1 || len(b.XYs) != 1 || b.XYs[0].Y != 0.5 {
		t.Errorf("b: got %+v", b)
	}
	if _, err := CDF(trs, CDFOptions{LogX: true}); err != nil {
		t.Error(err)
	}
	if _, err := PLTCDF([]experiments.Trace{{Model: "c"}}, CDFOptions{}); err == nil {
		t.Error("no PLTs: want an error")
	}
}
