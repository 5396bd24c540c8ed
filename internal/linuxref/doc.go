// Package linuxref checks connsim against real Linux: it loads the
// reference measurements in testdata (page loads and single fetches on a
// real kernel over an emulated bottleneck; testdata/README.md says how
// they were measured), maps each measured point to a connsim
// configuration with the same settings, simulates it and compares.
package linuxref
