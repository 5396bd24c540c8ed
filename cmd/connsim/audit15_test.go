package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// readCSV reads a whole CSV file.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// runOf returns the columns that name a row's run (the model, the swept
// values and the repetition: every column up to and including "run").
func runOf(header, rec []string) string {
	return strings.Join(rec[:slices.Index(header, "run")+1], ",")
}

// setTotal re-signs dir's manifest with another count of runs, as one
// who edits a shard with care would, so that only the row checks can
// tell.
func setTotal(t *testing.T, dir string, total int) {
	t.Helper()
	m, err := readManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	m.Runs.Total, m.Runs.Done = total, total
	os.Remove(filepath.Join(dir, manifestName))
	if err := writeManifest(dir, m); err != nil {
		t.Fatal(err)
	}
}

// TestMergeRefusesResultRowsEdited: merge checks one results row per
// run, not only one requests row per request. A shard re-signed with care
// (manifest sizes, hashes and run count matching the edited files) is
// refused with exit 2, naming its results.csv, when
//   - a results row is there twice (and the manifest counts it twice),
//   - a results row is gone with its requests (with the manifest's count
//     of runs as it was, or one fewer),
//   - a results row and its requests are replaced by those of a run of
//     the other shard, so that the folders together hold as many rows as
//     the experiment has runs, one run twice and one not at all.
func TestMergeRefusesResultRowsEdited(t *testing.T) {
	s1, s2 := shardFixture(t)
	res, req := "results.csv", "requests.csv"
	for _, tc := range []struct {
		name string
		edit func(t *testing.T, d string)
		file string
		want string
	}{
		{"results row twice", func(t *testing.T, d string) {
			editCSV(t, filepath.Join(d, res), func(r [][]string) [][]string { return slices.Insert(r, 2, r[1]) })
			resign(t, d)
			m, _ := readManifest(d)
			setTotal(t, d, m.Runs.Total+1)
		}, res, "twice"},
		{"results row gone with its requests", func(t *testing.T, d string) {
			rr := readCSV(t, filepath.Join(d, res))
			gone := runOf(rr[0], rr[1])
			editCSV(t, filepath.Join(d, res), func(r [][]string) [][]string { return slices.Delete(r, 1, 2) })
			editCSV(t, filepath.Join(d, req), func(r [][]string) [][]string {
				return slices.DeleteFunc(r, func(x []string) bool { return runOf(r[0], x) == gone })
			})
			resign(t, d)
			m, _ := readManifest(d)
			setTotal(t, d, m.Runs.Total-1)
		}, "", "runs"},
		{"results row gone with its requests, manifest count kept", func(t *testing.T, d string) {
			rr := readCSV(t, filepath.Join(d, res))
			gone := runOf(rr[0], rr[1])
			editCSV(t, filepath.Join(d, res), func(r [][]string) [][]string { return slices.Delete(r, 1, 2) })
			editCSV(t, filepath.Join(d, req), func(r [][]string) [][]string {
				return slices.DeleteFunc(r, func(x []string) bool { return runOf(r[0], x) == gone })
			})
			resign(t, d)
		}, res, "says the shard has"},
		{"results row of the other shard", func(t *testing.T, d string) {
			other := readCSV(t, filepath.Join(s2, res))
			otherReq := readCSV(t, filepath.Join(s2, req))
			rr := readCSV(t, filepath.Join(d, res))
			gone, moved := runOf(rr[0], rr[1]), runOf(other[0], other[1])
			editCSV(t, filepath.Join(d, res), func(r [][]string) [][]string { r[1] = other[1]; return r })
			editCSV(t, filepath.Join(d, req), func(r [][]string) [][]string {
				r = slices.DeleteFunc(r, func(x []string) bool { return runOf(r[0], x) == gone })
				for _, x := range otherReq[1:] {
					if runOf(otherReq[0], x) == moved {
						r = append(r, x)
					}
				}
				return r
			})
			resign(t, d)
		}, res, "again"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := filepath.Join(t.TempDir(), "small")
			copyTree(t, s1, d)
			tc.edit(t, d)
			code, _, stderr := runCLI(t, "merge", d, s2, "--out", t.TempDir(), "--no-plots")
			if code != exitBadUse || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.want)
			}
			if tc.file != "" && !strings.Contains(stderr, filepath.Join(d, tc.file)) {
				t.Errorf("stderr %q does not name %s", stderr, filepath.Join(d, tc.file))
			}
		})
	}
}

// TestUserFoldersKept: a folder the user made in the output folder is
// kept by the next run, also when it is empty (the old folder is removed
// whole once swapped out, and only files were carried over).
func TestUserFoldersKept(t *testing.T) {
	out := t.TempDir()
	mustRun(t, "run", "testdata/small.yaml", "--out", out, "--quiet")
	dir := filepath.Join(out, "small")
	for _, d := range []string{"empty", "notes/sub", "plots/mine"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "notes", "sub", "a.txt"), []byte("mine"), 0o644)
	for _, extra := range [][]string{nil, {"--no-plots"}} {
		mustRun(t, append([]string{"run", specWithSeed(t, t.TempDir(), 4), "--out", out, "--quiet"}, extra...)...)
		for _, d := range []string{"empty", "notes/sub", "plots/mine"} {
			if fi, err := os.Lstat(filepath.Join(dir, d)); err != nil || !fi.IsDir() {
				t.Errorf("%v: the user's folder %s is gone: %v", extra, d, err)
			}
		}
		if b, err := os.ReadFile(filepath.Join(dir, "notes", "sub", "a.txt")); string(b) != "mine" {
			t.Errorf("%v: notes/sub/a.txt: %q %v", extra, b, err)
		}
		checkWhole(t, dir, "notes/sub/a.txt")
	}
}
