package plots

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/connsim/connsim/experiments"
)

// CDFOptions configures CDF.
type CDFOptions struct {
	Title string // default "PLT across clients: <point>, run <n>"
	LogX  bool
}

// CDFData is what CDF draws: one empirical CDF of the clients' page load
// times per run (per model).
type CDFData struct {
	Title string
	Lines []CDFLine
	LogX  bool
}

// CDFLine is the CDF of one run's clients: the step at each PLT (ms)
// rises by 1/n, n counting every client, so that clients that did not
// finish (Unfinished) keep the line below 1.
type CDFLine struct {
	Name       string // the model's label
	XYs        plotter.XYs
	Unfinished int
}

// PLTCDF returns the data of the PLT CDF figure from the traces of the
// runs it shows (experiments.Trace.ClientPLTsMS), in the order given.
func PLTCDF(traces []experiments.Trace, opt CDFOptions) (CDFData, error) {
	if len(traces) == 0 {
		return CDFData{}, errors.New("plots: no run to show")
	}
	d := CDFData{Title: opt.Title, LogX: opt.LogX}
	if d.Title == "" {
		d.Title = "PLT across clients"
		if s := runName("", traces[0].Point, traces[0].Run); len(s) > 2 {
			d.Title += ": " + s[2:]
		}
	}
	for _, tr := range traces {
		if len(tr.ClientPLTsMS) == 0 {
			return CDFData{}, fmt.Errorf("plots: run of %s has no client PLTs (a cdf figure needs clients:)", tr.Model)
		}
		var done []float64
		for _, v := range tr.ClientPLTsMS {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				done = append(done, v)
			}
		}
		slices.Sort(done)
		n := float64(len(tr.ClientPLTsMS))
		l := CDFLine{Name: tr.Model, Unfinished: len(tr.ClientPLTsMS) - len(done)}
		for i, v := range done {
			y := float64(i+1) / n
			if k := len(l.XYs); k > 0 && l.XYs[k-1].X == v {
				l.XYs[k-1].Y = y // equal PLTs: one step
				continue
			}
			l.XYs = append(l.XYs, plotter.XY{X: v, Y: y})
		}
		if len(l.XYs) == 0 {
			return CDFData{}, fmt.Errorf("plots: no client of %s finished its page load", tr.Model)
		}
		d.Lines = append(d.Lines, l)
	}
	return d, nil
}

// CDF draws the PLT CDF across clients, one line per model (see PLTCDF).
func CDF(traces []experiments.Trace, opt CDFOptions) (*plot.Plot, error) {
	d, err := PLTCDF(traces, opt)
	if err != nil {
		return nil, err
	}
	return drawCDF(d)
}

func drawCDF(d CDFData) (*plot.Plot, error) {
	p := newPlot(d.Title, "page load time (ms)", "fraction of clients")
	p.Add(grid(true, true))
	leg := newSideLegend("model")
	for i, l := range d.Lines {
		xys := append(plotter.XYs{{X: l.XYs[0].X, Y: 0}}, l.XYs...)
		ls := seriesLine(i, vg.Points(2))
		line, err := newLine(xys, ls, plotter.PostStep)
		if err != nil {
			return nil, fmt.Errorf("plots: %s: %w", l.Name, err)
		}
		p.Add(line)
		name := l.Name
		if l.Unfinished > 0 {
			name += fmt.Sprintf(" (%d unfinished)", l.Unfinished)
		}
		leg.add(name, lineThumb(ls, nil))
	}
	p.Add(leg)
	p.Y.Min, p.Y.Max = 0, 1
	setScales(p, d.LogX, false)
	return p, nil
}
