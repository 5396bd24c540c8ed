package experiments

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", path, lineDiff(string(got), string(want)))
	}
}

// lineDiff names the first line where got and want differ.
func lineDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + strconv.Itoa(i+1) + ":\n got: " + gl + "\nwant: " + wl
		}
	}
	return "(same lines, different bytes)"
}

// mustLoad loads a spec from text or fails the test.
func mustLoad(t testing.TB, text string) *Spec {
	t.Helper()
	s, err := Load("test.yaml", []byte(text))
	if err != nil {
		t.Fatalf("Load: %v\n--- spec:\n%s", err, text)
	}
	return s
}

// loadErr loads a spec that must fail and returns the error text.
func loadErr(t testing.TB, text string) string {
	t.Helper()
	_, err := Load("test.yaml", []byte(text))
	if err == nil {
		t.Fatalf("Load succeeded, want an error\n--- spec:\n%s", text)
	}
	return err.Error()
}
