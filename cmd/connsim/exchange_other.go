//go:build !linux

package main

import "errors"

// errNoExchange says the system cannot exchange two paths in one step.
var errNoExchange = errors.New("atomic exchange not supported")

// exchange is not available here: commit falls back to two renames.
func exchange(a, b string) error { return errNoExchange }
