package main

import (
	"errors"
	"os"
	"runtime"
	"syscall"
	"unsafe"
)

// errNoExchange says the system cannot exchange two paths in one step.
var errNoExchange = errors.New("atomic exchange not supported")

// renameat2Number returns the renameat2 system call's number on this
// architecture (the syscall package does not name it), or 0.
func renameat2Number() uintptr {
	switch runtime.GOARCH {
	case "amd64":
		return 316
	case "arm64", "riscv64", "loong64":
		return 276
	case "386":
		return 353
	case "arm":
		return 382
	case "ppc64", "ppc64le":
		return 357
	case "s390x":
		return 347
	}
	return 0
}

// exchange swaps the paths a and b in one step (renameat2 with
// RENAME_EXCHANGE, Linux 3.15 and later): whoever looks at either path
// sees the old entry or the new one, never neither. It returns
// errNoExchange where the kernel or file system cannot.
func exchange(a, b string) error {
	nr := renameat2Number()
	if nr == 0 {
		return errNoExchange
	}
	pa, err := syscall.BytePtrFromString(a)
	if err != nil {
		return err
	}
	pb, err := syscall.BytePtrFromString(b)
	if err != nil {
		return err
	}
	const atFDCWD = -100
	const renameExchange = 1 << 1
	fd := atFDCWD
	_, _, e := syscall.Syscall6(nr, uintptr(fd), uintptr(unsafe.Pointer(pa)), uintptr(fd), uintptr(unsafe.Pointer(pb)), renameExchange, 0)
	runtime.KeepAlive(pa)
	runtime.KeepAlive(pb)
	switch e {
	case 0:
		return nil
	case syscall.ENOSYS, syscall.EINVAL, syscall.ENOTSUP:
		return errNoExchange
	}
	return &os.LinkError{Op: "exchange", Old: a, New: b, Err: e}
}
