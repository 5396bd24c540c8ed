package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Experiments of one command run two at a time (runSpecs): their folders
// are what each writes alone, and the command prints its lines in the
// experiments' order, whichever finishes first.
func TestExperimentsInFlightKeepFilesAndOrder(t *testing.T) {
	dir := t.TempDir()
	small, err := os.ReadFile("testdata/small.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Three experiments: a slow one first, so the two after it finish
	// while it still runs.
	var files []string
	for i, name := range []string{"slow", "quick-a", "quick-b"} {
		spec := regexp.MustCompile(`(?m)^name: .*$`).ReplaceAllString(string(small), "name: "+name)
		if i == 0 {
			spec = strings.Replace(spec, "seed:", "repeat: 6\nseed:", 1)
		}
		f := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(f, []byte(spec), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	together := t.TempDir()
	args := append([]string{"run"}, files...)
	code, _, stderr := runCLI(t, append(args, "--out", together, "--workers", "2")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var order []string
	for _, line := range strings.Split(stderr, "\n") {
		if m := regexp.MustCompile(`^connsim: ([a-z-]+): \d+ runs`).FindStringSubmatch(line); m != nil {
			order = append(order, m[1])
		}
	}
	if strings.Join(order, ",") != "slow,quick-a,quick-b" {
		t.Errorf("printed in the order %v, want slow, quick-a, quick-b\n%s", order, stderr)
	}
	for _, f := range files {
		alone := t.TempDir()
		if code, _, e := runCLI(t, "run", f, "--out", alone, "--workers", "1", "--quiet"); code != 0 {
			t.Fatalf("%s alone: exit %d: %s", f, code, e)
		}
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		a, b := readTree(t, filepath.Join(alone, name)), readTree(t, filepath.Join(together, name))
		delete(a, "."+name+".lock")
		delete(b, "."+name+".lock")
		sameTrees(t, a, b, name+": alone vs beside others")
	}
}
