//go:build unix

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// lockFile takes an exclusive flock on path (created if need be) for the
// folder dir, or fails at once, naming the process that holds it, when
// another command writes dir. The lock is the open file: it lasts until
// unlockFile or the process's end, however it ends. The file itself
// stays (removing a lock file races with a process about to lock it).
func lockFile(path, dir string) (*os.File, error) {
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		return nil, badInput("%s: the lock file of %s is not a regular file; remove it", path, dir)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return nil, badInput("%s: %v", dir, err)
		}
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder := ""
		if b, rerr := os.ReadFile(path); rerr == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
				holder = fmt.Sprintf(" (process %d)", pid)
			}
		}
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, badInput("%s is being written by another connsim%s; wait for it to finish, or choose another --out", dir, holder)
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	// Say who holds it, for the message above.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}

// unlockFile releases a lock taken by lockFile.
func unlockFile(f *os.File) {
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	f.Close()
}

// writable reports whether this process may create and remove entries
// in dir (access(2) with W_OK; always true for root).
func writable(dir string) bool { return syscall.Access(dir, 2 /* W_OK */) == nil }
