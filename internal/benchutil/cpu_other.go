//go:build !unix

package benchutil

import "time"

// ProcessCPU is not measured here.
func ProcessCPU() (cpu time.Duration, ok bool) { return 0, false }
