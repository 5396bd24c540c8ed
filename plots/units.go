package plots

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/connsim/connsim/experiments"
)

// Unit says how a column is shown: experiments' Unit, which knows the
// units of its own keys and metrics; plots keeps no list of them.
type Unit = experiments.Unit

// KeyUnit returns how the swept key is shown (experiments.KeyUnit: the
// name and unit come from the spec's field, never from the key's
// spelling). Figures prefer the unit their rows' axis values carry
// (axisUnit).
func KeyUnit(key string) Unit { return experiments.KeyUnit(key) }

// axisUnit returns the unit the rows' values of key carry, or KeyUnit
// when no row has one.
func axisUnit(rows []experiments.Row, key string) Unit {
	for i := range rows {
		if a, ok := pointValue(rows[i].Point, key); ok && a.Unit.Name != "" {
			return a.Unit
		}
	}
	return KeyUnit(key)
}

// MetricUnit returns how the metric column is shown, and false when the
// name is not one of experiments.MetricNames.
func MetricUnit(metric string) (Unit, bool) {
	m, ok := experiments.LookupMetric(metric)
	return m.Unit, ok
}

// metricValue reads a metric column of a row by its name.
func metricValue(r *experiments.Row, metric string) (float64, error) {
	v, err := experiments.MetricValue(&r.Metrics, metric)
	if err != nil {
		return math.NaN(), fmt.Errorf("plots: %w", err)
	}
	return v, nil
}

// shortKey is the last component of a sweep key, for legend labels:
// "network.bandwidth" -> "bandwidth".
func shortKey(key string) string {
	if i := strings.LastIndexByte(key, '.'); i >= 0 && i+1 < len(key) {
		return key[i+1:]
	}
	return key
}

// pointValue finds key in a row's point.
func pointValue(point []experiments.AxisValue, key string) (experiments.AxisValue, bool) {
	i := slices.IndexFunc(point, func(a experiments.AxisValue) bool { return a.Key == key })
	if i < 0 {
		return experiments.AxisValue{}, false
	}
	return point[i], true
}

// formatBytes prints a byte count the way the figures' axes do (KB = 1000
// bytes): "740 B", "10.3 KB", "1.2 MB".
func formatBytes(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return formatNumber(float64(n)/1e3, 3) + " KB"
	default:
		return formatNumber(float64(n)/1e6, 3) + " MB"
	}
}
