package experiments

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Error is one problem in an experiment file.
type Error struct {
	File   string
	Line   int    // 1-based; 0 when unknown
	Column int    // 1-based; 0 when unknown
	Path   string // the key path, e.g. "network.rtt" or "models[2].shards"; "" for syntax errors
	Msg    string
}

// Error formats e as FILE:LINE:COL: PATH: MSG, leaving out the parts
// that are unknown.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteString(":" + strconv.Itoa(e.Column))
		}
	}
	if e.Path != "" {
		b.WriteString(": " + oneLine(e.Path))
	}
	b.WriteString(": " + oneLine(e.Msg))
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
// position keep the order they were found in) with duplicates removed.
func (l ErrorList) sorted() ErrorList {
	out := slices.Clone(l)
	slices.SortStableFunc(out, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return slices.CompactFunc(out, func(a, b *Error) bool { return *a == *b })
}

// add appends e unless an identical problem is already listed.
func (l *ErrorList) add(e *Error) {
	for _, o := range *l {
		if *o == *e {
			return
		}
	}
	*l = append(*l, e)
}
