package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/connsim/connsim/experiments"
)

// copyTree copies the regular files under src to dst.
func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// shardFixture runs testdata/small.yaml as two shards once and returns
// their folders.
func shardFixture(t testing.TB) (s1, s2 string) {
	t.Helper()
	base := t.TempDir()
	for i, k := range []string{"1/2", "2/2"} {
		var o, e bytes.Buffer
		out := filepath.Join(base, fmt.Sprint(i+1))
		if code := run([]string{"run", "testdata/small.yaml", "--out", out, "--shard", k, "--quiet"}, &o, &e); code != exitOK {
			t.Fatalf("shard %s: exit %d: %s", k, code, e.String())
		}
	}
	return filepath.Join(base, "1", "small"), filepath.Join(base, "2", "small")
}

// resign rewrites dir's manifest for the files as they are now: a shard
// changed with care, which only the value checks can catch.
func resign(t testing.TB, dir string) {
	t.Helper()
	m, err := readManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, manifestName))
	if err := writeManifest(dir, m); err != nil {
		t.Fatal(err)
	}
}

// editCSV rewrites a CSV file through edit.
func editCSV(t testing.TB, path string, edit func(recs [][]string) [][]string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.WriteAll(edit(recs))
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// setCell sets column col of data row row (0 = the first after the header).
func setCell(col string, row int, v string) func([][]string) [][]string {
	return func(recs [][]string) [][]string {
		i := slices.Index(recs[0], col)
		recs[row+1][i] = v
		return recs
	}
}

// TestMergeRefusesBadShards: a shard whose files changed after they were
// written (a changed cell, a file cut at a line boundary, a missing or
// partial manifest, the same shard twice) is refused with exit 2 and
// the file named; so is a shard changed and re-signed with care, by the
// value checks (NaN, infinite or negative metrics, another seed, a
// request of 999999999 bytes, requests rows dropped, duplicated or cut).
func TestMergeRefusesBadShards(t *testing.T) {
	s1, s2 := shardFixture(t)
	res, req := "results.csv", "requests.csv"
	dropLast := func(recs [][]string) [][]string { return recs[:len(recs)-1] }
	for _, tc := range []struct {
		name   string
		resign bool
		file   string
		edit   func(dir string)
		want   string
	}{
		{"changed cell", false, res, func(d string) { editCSV(t, filepath.Join(d, res), setCell("plt_ms", 0, "1.5")) }, "changed since it was written"},
		{"same size", false, res, func(d string) {
			b, _ := os.ReadFile(filepath.Join(d, res))
			i := bytes.LastIndexAny(b, "123456789")
			b[i] = '0' + (b[i]-'0')%9 + 1 // another digit, same length
			os.WriteFile(filepath.Join(d, res), b, 0o644)
		}, "SHA-256"},
		{"cut at a line boundary", false, req, func(d string) { editCSV(t, filepath.Join(d, req), dropLast) }, "truncated"},
		{"no manifest", false, "", func(d string) { os.Remove(filepath.Join(d, manifestName)) }, "no manifest.json"},
		{"partial", false, manifestName, func(d string) {
			m, _ := readManifest(d)
			m.Status = statusPartial
			os.Remove(filepath.Join(d, manifestName))
			writeManifest(d, m)
		}, "partial"},
		{"negative plt_ms", true, res, func(d string) { editCSV(t, filepath.Join(d, res), setCell("plt_ms", 1, "-3")) }, "plt_ms -3"},
		{"NaN plt_ms", true, res, func(d string) { editCSV(t, filepath.Join(d, res), setCell("plt_ms", 1, "NaN")) }, "plt_ms NaN"},
		{"infinite server_conn_s", true, res, func(d string) { editCSV(t, filepath.Join(d, res), setCell("server_conn_s", 0, "+Inf")) }, "server_conn_s +Inf"},
		{"negative packets", true, res, func(d string) { editCSV(t, filepath.Join(d, res), setCell("packets", 0, "-1")) }, "packets -1"},
		{"changed seed", true, res, func(d string) { editCSV(t, filepath.Join(d, res), setCell("seed", 2, "12345")) }, "seed 12345"},
		{"huge request", true, req, func(d string) { editCSV(t, filepath.Join(d, req), setCell("bytes", 3, "999999999")) }, "bytes 999999999"},
		{"request row dropped", true, req, func(d string) {
			editCSV(t, filepath.Join(d, req), func(r [][]string) [][]string { return slices.Delete(r, 5, 6) })
		}, "rows dropped"},
		{"request row twice", true, req, func(d string) {
			editCSV(t, filepath.Join(d, req), func(r [][]string) [][]string { return slices.Insert(r, 5, r[5]) })
		}, "again"},
		{"requests cut at a line boundary", true, req, func(d string) { editCSV(t, filepath.Join(d, req), dropLast) }, "rows dropped"},
		{"requests all removed", true, req, func(d string) {
			editCSV(t, filepath.Join(d, req), func(r [][]string) [][]string { return r[:1] })
		}, "rows dropped"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := filepath.Join(t.TempDir(), "small")
			copyTree(t, s1, d)
			tc.edit(d)
			if tc.resign {
				resign(t, d)
			}
			code, _, stderr := runCLI(t, "merge", d, s2, "--out", t.TempDir(), "--no-plots")
			if code != exitBadUse || !strings.Contains(stderr, filepath.Join(d, tc.file)) || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2, %s named and %q", code, stderr, filepath.Join(d, tc.file), tc.want)
			}
		})
	}
	other := filepath.Join(t.TempDir(), "small")
	copyTree(t, s1, other)
	m, _ := readManifest(other)
	m.Connsim = "v0.0.1"
	os.Remove(filepath.Join(other, manifestName))
	writeManifest(other, m)
	code, _, stderr := runCLI(t, "merge", s2, other, "--out", t.TempDir(), "--no-plots")
	if code != exitBadUse || !strings.Contains(stderr, "another version") || !strings.Contains(stderr, other) {
		t.Errorf("shards of two versions: exit %d, stderr %q; want 2", code, stderr)
	}
	code, _, stderr = runCLI(t, "merge", s1, s1, s2, "--out", t.TempDir(), "--no-plots")
	if code != exitBadUse || !strings.Contains(stderr, "again") {
		t.Errorf("a shard twice: exit %d, stderr %q; want 2", code, stderr)
	}
}

// FuzzMergeReader feeds shard files of any content, re-signed so that
// they reach the readers and the value checks, to merge: it never
// panics, and it merges only when every check passes.
func FuzzMergeReader(f *testing.F) {
	s1, s2 := shardFixture(f)
	res, _ := os.ReadFile(filepath.Join(s1, "results.csv"))
	req, _ := os.ReadFile(filepath.Join(s1, "requests.csv"))
	f.Add(res, req)
	f.Add(res[:len(res)/2], req)
	f.Add(res, req[:bytes.LastIndexByte(req[:len(req)-1], '\n')+1])
	f.Add(bytes.Replace(res, []byte(",0,"), []byte(",-0,"), 1), req)
	f.Add([]byte("model\n"), []byte(""))
	f.Add(bytes.ReplaceAll(res, []byte("\n"), []byte("\r\n")), bytes.ReplaceAll(req, []byte(","), []byte(",,")))
	f.Fuzz(func(t *testing.T, res, req []byte) {
		d := filepath.Join(t.TempDir(), "small")
		copyTree(t, s1, d)
		os.WriteFile(filepath.Join(d, "results.csv"), res, 0o644)
		os.WriteFile(filepath.Join(d, "requests.csv"), req, 0o644)
		resign(t, d)
		var o, e bytes.Buffer
		code := run([]string{"merge", d, s2, "--out", t.TempDir(), "--no-plots"}, &o, &e)
		switch code {
		case exitOK, exitRunFail:
		case exitBadUse:
			if !strings.Contains(e.String(), "connsim merge: ") {
				t.Errorf("exit 2 without a message: %q", e.String())
			}
		default:
			t.Errorf("exit %d: %s", code, e.String())
		}
	})
}

// errCrash is the injected failure of FuzzOutputTransaction.
var errCrash = errors.New("crash")

// FuzzOutputTransaction interrupts the writing of a run's folder before
// its k-th file system change, as a crash would (that change and all
// after it do not happen), while a complete run is in place; the new run
// is complete or partial, with or without --replace-partial, with or
// without an out-of-date OUT/small.partial beside. Whatever
// k, OUT/small is the earlier run or the new one, whole (or, with the
// two-rename fallback, absent between its renames); OUT/small.partial
// is absent or a whole partial run; a file of the user's in the folder
// stays; and the next command repairs the rest, leaving nothing behind.
func FuzzOutputTransaction(f *testing.F) {
	base := f.TempDir()
	ref := filepath.Join(base, "ref")
	var o, e bytes.Buffer
	if code := run([]string{"run", "testdata/small.yaml", "--out", ref, "--quiet"}, &o, &e); code != exitOK {
		f.Fatal(e.String())
	}
	earlier := filepath.Join(ref, "small")
	// The new run: another seed, and one plot (figures are the slow part).
	full, err := os.ReadFile("testdata/small.yaml")
	if err != nil {
		f.Fatal(err)
	}
	one := strings.Split(strings.Replace(string(full), "seed: 3", "seed: 21", 1), "plots:\n")[0] +
		"plots:\n  - {kind: line, x: network.rtt, y: plt_ms}\n"
	newSpec, err := experiments.Load("small-one-plot.yaml", []byte(one))
	if err != nil {
		f.Fatal(err)
	}
	// A partial run of small, for small.partial beside the complete one.
	stalePartial := filepath.Join(base, "stale")
	{
		sig := &signals{stop: new(atomic.Bool)}
		sig.stop.Store(true)
		var o, e bytes.Buffer
		runSpec(sig, newSpec, runFlags{out: stalePartial, workers: 1, format: "csv", quiet: true}, &o, &e)
		if m, err := readManifest(filepath.Join(stalePartial, "small")); err != nil || m.Status != statusPartial {
			f.Fatalf("stale partial fixture: %v %v", m, err)
		}
	}
	for k := range 18 {
		f.Add(uint8(k+1), false, false, false, false)
		f.Add(uint8(k+1), true, false, false, false)
		f.Add(uint8(k+1), true, true, false, false)
		f.Add(uint8(k+1), false, false, false, true)
	}
	for k := 8; k < 16; k++ { // the last steps, by two renames
		f.Add(uint8(k+1), false, false, true, false)
		f.Add(uint8(k+1), true, true, true, false)
	}
	f.Fuzz(func(t *testing.T, k uint8, partial, replace, renames, stale bool) {
		out := t.TempDir()
		copyTree(t, earlier, filepath.Join(out, "small"))
		if stale {
			copyTree(t, filepath.Join(stalePartial, "small"), filepath.Join(out, "small.partial"))
		}
		os.WriteFile(filepath.Join(out, "small", "plots", "notes.txt"), []byte("mine"), 0o644)
		before := readTree(t, filepath.Join(out, "small"))
		n, crashed := 0, false
		rf := runFlags{out: out, workers: 2, format: "csv", quiet: true, replacePartial: replace, noExchange: renames,
			step: func(op, path string) error {
				n++
				if n >= int(k) {
					crashed = true
					return errCrash
				}
				return nil
			}}
		sig := &signals{stop: new(atomic.Bool)}
		sig.stop.Store(partial) // every run "not run": a partial run
		var o, e bytes.Buffer
		runSpec(sig, newSpec, rf, &o, &e)

		check := func(when string, absentOK bool) {
			dir := filepath.Join(out, "small")
			if _, err := os.Lstat(dir); err != nil && absentOK && renames {
				return // between the two renames of the fallback
			}
			got := readTree(t, dir)
			if bytes.Equal(got["experiment.yaml"], before["experiment.yaml"]) {
				sameTrees(t, before, got, when+": the earlier run")
			} else {
				m := checkWhole(t, dir, "plots/notes.txt")
				if string(got["plots/notes.txt"]) != "mine" {
					t.Errorf("%s: the user's plots/notes.txt is gone", when)
				}
				if m.Status == statusPartial && !(partial && replace) {
					t.Errorf("%s: a partial run replaced the complete one", when)
				}
			}
			if _, err := os.Lstat(filepath.Join(out, "small.partial")); err == nil {
				if m := checkWhole(t, filepath.Join(out, "small.partial")); m.Status != statusPartial {
					t.Errorf("%s: small.partial is %s", when, m.Status)
				}
			}
		}
		check(fmt.Sprintf("crash at step %d (crashed %v)", k, crashed), true)
		od, err := openOutDir(out, "small", nil)
		if err != nil {
			t.Fatalf("the next command: %v", err)
		}
		od.Close()
		check("after repair", false)
		if left := leftovers(t, out, "small", "small.partial"); len(left) > 0 {
			t.Errorf("crash at step %d: left %q after repair", k, left)
		}
		if !crashed && !partial {
			if m := checkWhole(t, filepath.Join(out, "small"), "plots/notes.txt"); m.Seed != 21 {
				t.Errorf("no crash: seed %d, want the new run's 21", m.Seed)
			}
			if _, err := os.Lstat(filepath.Join(out, "small.partial")); err == nil {
				t.Errorf("no crash: a complete run left small.partial in place")
			}
		}
	})
}
