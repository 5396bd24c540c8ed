//go:build race

package tcp

// raceEnabled reports whether the race detector is on: it changes how
// much the runtime allocates, so allocation counts are not checked then.
const raceEnabled = true
