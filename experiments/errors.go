package experiments

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Bounds on what one file's problems print, so that a huge or broken file
// gives a short, readable report.
const (
	// maxErrors bounds the problems reported for one file.
	maxErrors = 100
	// maxErrorsPerKey bounds the problems reported at one key path;
	// the rest are counted in one "and N more" line.
	maxErrorsPerKey = 10
	// maxQuoted bounds, in bytes, a text from the file (a value, a key,
	// a list of values) that a message repeats: longer ones are cut.
	// (It is also the bound of a whole message passed on as text, so it
	// is well above the longest message connsim composes.)
	maxQuoted = 500
	// maxMessage bounds, in bytes, the key path and the message of one
	// problem.
	maxMessage = 1000
)

// clip returns s cut to at most n bytes on a rune boundary, saying how
// long it was.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s... (%d bytes in all)", s[:cut], len(s))
}

// tooManyMsg starts the message of the line that ends a list cut at
// maxErrors.
const tooManyMsg = "too many problems"

// tooMany returns the last line of a file's list cut at maxErrors (sorted
// puts it last), with the number of problems not listed when known.
func tooMany(file string, more int) *Error {
	msg := tooManyMsg + "; fix these first"
	if more > 0 {
		msg = fmt.Sprintf("%s (%d more not shown); fix these first", tooManyMsg, more)
	}
	return &Error{File: file, Msg: msg}
}

// Error is one problem in an experiment file.
type Error struct {
	File   string
	Line   int    // 1-based; 0 when unknown
	Column int    // 1-based; 0 when unknown
	Path   string // the key path, e.g. "network.rtt" or "models[2].shards"; "" for syntax errors
	Msg    string
}

// Error formats e as FILE:LINE:COL: PATH: MSG, leaving out the parts
// that are unknown (a Spec built in Go has no file: PATH: MSG).
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(clip(e.File, maxMessage))
	if e.File != "" && e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteString(":" + strconv.Itoa(e.Column))
		}
	}
	sep := func() {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
	}
	if e.Path != "" {
		sep()
		b.WriteString(oneLine(clip(e.Path, maxMessage)))
	}
	sep()
	b.WriteString(oneLine(clip(e.Msg, maxMessage)))
	return b.String()
}

// oneLine escapes line breaks and other control characters, so that each
// problem is one line even when a key or value holds them.
func oneLine(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r == '\n' || riskyRune(r) }) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == '\n' || riskyRune(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ErrorList is every problem found in one file, sorted by line and column.
type ErrorList []*Error

// Error returns the problems one per line.
func (l ErrorList) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap returns the problems for errors.Is and errors.As.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// sorted returns l sorted by position (a stable sort, so problems at one
// position keep the order they were found in) with duplicates removed,
// and at most maxErrors of them (then a line saying there are more).
func (l ErrorList) sorted() ErrorList {
	out := slices.Clone(l)
	slices.SortStableFunc(out, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	out = slices.CompactFunc(out, func(a, b *Error) bool { return *a == *b })
	// The lists merged here may each end with a "too many" line.
	cut := false
	out = slices.DeleteFunc(out, func(e *Error) bool {
		if e.Line == 0 && e.Path == "" && strings.HasPrefix(e.Msg, tooManyMsg) {
			cut = true
			return true
		}
		return false
	})
	if len(out) > maxErrors {
		more := len(out) - maxErrors
		if cut {
			more = 0 // unknown: some were never listed
		}
		out = append(out[:maxErrors:maxErrors], tooMany(out[0].File, more))
	} else if cut {
		out = append(out, tooMany(out[0].File, 0))
	}
	return out
}
