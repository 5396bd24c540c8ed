//go:build !unix

package main

import "os"

// lockFile is a no-op where flock is not available: two commands writing
// one folder concurrently are not detected there.
func lockFile(path, dir string) (*os.File, error) { return nil, nil }

// unlockFile releases a lock taken by lockFile.
func unlockFile(f *os.File) {}

// writable is not checked here: a folder whose files cannot be removed
// is found when the old run is removed (the next command retries).
func writable(dir string) bool { return true }
