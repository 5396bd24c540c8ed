package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary stand in for the connsim binary in the
// subprocess tests: with CONNSIM_TEST_MAIN set it runs main on its
// arguments. CONNSIM_TEST_PAUSE_AT=k makes it stop for good before its
// k-th file system change and say so on stderr, so that a test can kill
// it there.
func TestMain(m *testing.M) {
	if os.Getenv("CONNSIM_TEST_MAIN") != "" {
		if k, err := strconv.Atoi(os.Getenv("CONNSIM_TEST_PAUSE_AT")); err == nil {
			n := 0
			testStep = func(op, path string) error {
				n++
				if n == k {
					fmt.Fprintf(os.Stderr, "PAUSED at %s %s\n", op, filepath.Base(path))
					time.Sleep(time.Hour)
				}
				return nil
			}
		}
		main()
	}
	os.Exit(m.Run())
}

// connsimCmd returns the test binary set up to run as connsim.
func connsimCmd(t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(append(os.Environ(), "CONNSIM_TEST_MAIN=1"), env...)
	return cmd
}

// specWithSeed writes testdata/small.yaml with another seed (same name,
// other results) into dir.
func specWithSeed(t *testing.T, dir string, seed int) string {
	t.Helper()
	b, err := os.ReadFile("testdata/small.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, fmt.Sprintf("small-seed%d.yaml", seed))
	if err := os.WriteFile(p, bytes.Replace(b, []byte("seed: 3"), []byte("seed: "+strconv.Itoa(seed)), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkWhole requires dir to hold exactly the files its manifest lists,
// unchanged, plus the manifest (and the extra files named).
func checkWhole(t *testing.T, dir string, extra ...string) *manifest {
	t.Helper()
	m, err := readManifest(dir)
	if err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	if err := verifyManifest(dir, m); err != nil {
		t.Fatalf("%v", err)
	}
	listed := map[string]bool{manifestName: true}
	for _, f := range m.Files {
		listed[f.Name] = true
	}
	for _, e := range extra {
		listed[e] = true
	}
	for name := range readTree(t, dir) {
		if !listed[filepath.ToSlash(name)] {
			t.Errorf("%s: %s is not in the manifest", dir, name)
		}
	}
	return m
}

// leftovers lists what is in out besides the named folders and their locks.
func leftovers(t *testing.T, out string, keep ...string) []string {
	t.Helper()
	ents, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range ents {
		n := e.Name()
		if strings.HasSuffix(n, ".lock") || slices.Contains(keep, n) {
			continue
		}
		left = append(left, n)
	}
	return left
}

func mustRun(t *testing.T, args ...string) {
	t.Helper()
	if code, _, stderr := runCLI(t, args...); code != exitOK {
		t.Fatalf("%v: exit %d: %s", args, code, stderr)
	}
}

// TestFailedPlotKeepsFolderWhole: a rerun whose plot fails used to leave
// its results beside the report and figures of the run before. Now the
// folder is the new run's, whole: its results, no figures, no report.
func TestFailedPlotKeepsFolderWhole(t *testing.T) {
	out := t.TempDir()
	mustRun(t, "run", "testdata/small.yaml", "--out", out, "--quiet")
	spec, _ := os.ReadFile("testdata/small.yaml")
	bad := strings.Split(string(spec), "plots:\n")[0] + "seed: 9\nplots:\n  - {kind: line, x: network.rtt, y: revisit_plt_ms}\n"
	bad = strings.Replace(bad, "seed: 3\n", "", 1)
	p := filepath.Join(t.TempDir(), "bad-plot.yaml")
	os.WriteFile(p, []byte(bad), 0o644)
	code, _, stderr := runCLI(t, "run", p, "--out", out, "--quiet")
	if code != exitRunFail || !strings.Contains(stderr, "without plots or report") {
		t.Fatalf("exit %d, stderr %q; want 1 and a message that the plots are missing", code, stderr)
	}
	dir := filepath.Join(out, "small")
	checkWhole(t, dir)
	files := readTree(t, dir)
	if _, ok := files["report.html"]; ok {
		t.Errorf("report.html of the earlier run is still beside the new results")
	}
	for name := range files {
		if strings.HasPrefix(name, "plots") {
			t.Errorf("%s of the earlier run is still beside the new results", name)
		}
	}
	if !strings.Contains(string(files["experiment.yaml"]), "seed: 9") {
		t.Errorf("experiment.yaml is not the new run's")
	}
}

// TestReadOnlyPlotsFolder: a plots folder whose files cannot be removed
// used to leave new results beside old figures. Now the command either
// refuses before running (exit 2, folder untouched) or, where the
// permission does not bite (root), replaces the folder whole.
func TestReadOnlyPlotsFolder(t *testing.T) {
	out := t.TempDir()
	mustRun(t, "run", "testdata/small.yaml", "--out", out, "--quiet")
	dir := filepath.Join(out, "small")
	before := readTree(t, dir)
	plotsDir := filepath.Join(dir, "plots")
	if err := os.Chmod(plotsDir, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(plotsDir, 0o755)
	code, _, stderr := runCLI(t, "run", specWithSeed(t, t.TempDir(), 5), "--out", out, "--quiet")
	switch code {
	case exitBadUse:
		if !strings.Contains(stderr, "not writable") {
			t.Errorf("stderr %q; want it to say the plots folder is not writable", stderr)
		}
		sameTrees(t, before, readTree(t, dir), "after a refused run")
	case exitOK:
		if os.Geteuid() != 0 {
			t.Errorf("exit 0 with a read-only plots folder, not as root")
		}
		checkWhole(t, dir)
	default:
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if left := leftovers(t, out, "small"); len(left) > 0 {
		t.Errorf("left in %s: %q", out, left)
	}
}

// TestUndeletableOldFigure: as root, where a read-only folder does not
// stop a removal, an immutable figure (chattr +i) of the earlier run
// does. The old command then left the new results beside that figure.
// Now the new run is swapped in whole, the old folder that cannot be
// removed stays hidden beside it with a warning, and a later command
// removes it once it can.
func TestUndeletableOldFigure(t *testing.T) {
	chattr, err := exec.LookPath("chattr")
	if err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and chattr")
	}
	out := t.TempDir()
	mustRun(t, "run", "testdata/small.yaml", "--out", out, "--quiet")
	fig := filepath.Join(out, "small", "plots", "05-sequence.png")
	if _, err := os.Stat(fig); err != nil {
		t.Fatalf("no figure 5: %v", err)
	}
	if b, err := exec.Command(chattr, "+i", fig).CombinedOutput(); err != nil {
		t.Skipf("chattr +i: %v %s", err, b)
	}
	spec, _ := os.ReadFile("testdata/small.yaml")
	fewer := strings.Split(strings.Replace(string(spec), "seed: 3", "seed: 8", 1), "plots:\n")[0] +
		"plots:\n  - {kind: line, x: network.rtt, y: plt_ms}\n"
	p := filepath.Join(t.TempDir(), "fewer.yaml")
	os.WriteFile(p, []byte(fewer), 0o644)
	code, _, stderr := runCLI(t, "run", p, "--out", out, "--quiet")
	// Find the figure wherever the old folder went, to undo chattr.
	var moved []string
	filepath.WalkDir(out, func(q string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == "05-sequence.png" {
			moved = append(moved, q)
		}
		return nil
	})
	defer func() {
		for _, q := range moved {
			exec.Command(chattr, "-i", q).Run()
		}
	}()
	if code != exitOK || !strings.Contains(stderr, "warning: could not remove the earlier run") {
		t.Errorf("exit %d, stderr %q; want 0 and a warning", code, stderr)
	}
	m := checkWhole(t, filepath.Join(out, "small"))
	if m.Seed != 8 {
		t.Errorf("OUT/small has seed %d, want the new run's 8", m.Seed)
	}
	if len(moved) != 1 || strings.HasPrefix(moved[0], filepath.Join(out, "small")+string(filepath.Separator)) {
		t.Errorf("the immutable figure is at %q; want it only in the hidden old folder", moved)
	}
	for _, q := range moved {
		exec.Command(chattr, "-i", q).Run()
	}
	od, err := openOutDir(out, "small", nil)
	if err != nil {
		t.Fatal(err)
	}
	od.Close()
	if left := leftovers(t, out, "small"); len(left) > 0 {
		t.Errorf("once removable, the old folder is still there: %q", left)
	}
}

// TestConcurrentRunsLock: a command writing a folder holds its lock; a
// second one fails at once with a message, and two racing commands of
// different runs leave one whole run, never a mix.
func TestConcurrentRunsLock(t *testing.T) {
	out := t.TempDir()
	od, err := openOutDir(out, "small", nil)
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "run", "testdata/small.yaml", "--out", out, "--quiet")
	if code != exitBadUse || !strings.Contains(stderr, "is being written by another connsim") {
		t.Errorf("run while locked: exit %d, stderr %q; want 2 and a message", code, stderr)
	}
	od.Close()

	specs := []string{specWithSeed(t, t.TempDir(), 6), specWithSeed(t, t.TempDir(), 7)}
	var refs []map[string][]byte
	for _, s := range specs {
		ref := t.TempDir()
		mustRun(t, "run", s, "--out", ref, "--quiet")
		refs = append(refs, readTree(t, filepath.Join(ref, "small")))
	}
	for try := range 4 {
		var wg sync.WaitGroup
		codes := make([]int, 2)
		errs := make([]string, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var o, e bytes.Buffer
				codes[i] = run([]string{"run", specs[i], "--out", out, "--quiet", "--workers", "1"}, &o, &e)
				errs[i] = e.String()
			}()
		}
		wg.Wait()
		for i, c := range codes {
			if c != exitOK && !(c == exitBadUse && strings.Contains(errs[i], "being written by another connsim")) {
				t.Fatalf("try %d, command %d: exit %d: %s", try, i, c, errs[i])
			}
		}
		dir := filepath.Join(out, "small")
		checkWhole(t, dir)
		got := readTree(t, dir)
		if bytes.Equal(got["experiment.yaml"], refs[0]["experiment.yaml"]) {
			sameTrees(t, refs[0], got, fmt.Sprintf("try %d: seed 6", try))
		} else {
			sameTrees(t, refs[1], got, fmt.Sprintf("try %d: seed 7", try))
		}
	}
}

// pausedAt runs the test binary as connsim with CONNSIM_TEST_PAUSE_AT=k
// and waits until it pauses (it says so) or exits. It returns the
// process, still running when paused.
func pausedAt(t *testing.T, k int, args ...string) (cmd *exec.Cmd, paused bool) {
	t.Helper()
	cmd = connsimCmd(t, []string{"CONNSIM_TEST_PAUSE_AT=" + strconv.Itoa(k)}, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "PAUSED") {
				found <- true
				io.Copy(io.Discard, stderr)
				return
			}
		}
		found <- false
	}()
	select {
	case paused = <-found:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("pause at step %d: no word after 60s", k)
	}
	if !paused {
		cmd.Wait()
	}
	return cmd, paused
}

// TestSIGKILLDuringWriting kills a connsim process with SIGKILL before
// each of its file system changes in turn, while it replaces a complete
// run with another. Every time the folder is one of the two runs, whole,
// with the user's file in it, and the next command removes what the
// killed one left.
func TestSIGKILLDuringWriting(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocesses")
	}
	base := t.TempDir()
	specA, specB := specWithSeed(t, base, 11), specWithSeed(t, base, 12)
	refA, refB := filepath.Join(base, "a"), filepath.Join(base, "b")
	mustRun(t, "run", specA, "--out", refA, "--quiet")
	mustRun(t, "run", specB, "--out", refB, "--quiet")
	treeA, treeB := readTree(t, filepath.Join(refA, "small")), readTree(t, filepath.Join(refB, "small"))
	// A file of the user's, in the folder: kept whatever happens.
	treeA["plots/notes.txt"], treeB["plots/notes.txt"] = []byte("mine"), []byte("mine")
	for k := 1; ; k++ {
		out := filepath.Join(base, fmt.Sprintf("k%d", k))
		copyTree(t, filepath.Join(refA, "small"), filepath.Join(out, "small"))
		os.WriteFile(filepath.Join(out, "small", "plots", "notes.txt"), []byte("mine"), 0o644)
		cmd, paused := pausedAt(t, k, "run", specB, "--out", out, "--quiet")
		if !paused {
			if k < 5 {
				t.Fatalf("the command made only %d file system changes", k-1)
			}
			if st := cmd.ProcessState; st == nil || !st.Success() {
				t.Fatalf("unpaused command failed: %v", st)
			}
			break
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		check := func(when string) {
			got := readTree(t, filepath.Join(out, "small"))
			if !bytes.Equal(got["results.csv"], treeB["results.csv"]) {
				sameTrees(t, treeA, got, when+": the earlier run")
			} else {
				sameTrees(t, treeB, got, when+": the new run")
			}
		}
		check(fmt.Sprintf("killed at step %d", k))
		// The next command (here only its start: lock and repair).
		od, err := openOutDir(out, "small", nil)
		if err != nil {
			t.Fatalf("killed at step %d: the next command: %v", k, err)
		}
		od.Close()
		if left := leftovers(t, out, "small"); len(left) > 0 {
			t.Errorf("killed at step %d: the next command left %q", k, left)
		}
		check(fmt.Sprintf("killed at step %d, then repaired", k))
	}
	// And a whole run after the last kill.
	out := filepath.Join(base, "k1")
	mustRun(t, "run", specB, "--out", out, "--quiet")
	treeB["plots/notes.txt"] = []byte("mine")
	sameTrees(t, treeB, readTree(t, filepath.Join(out, "small")), "a whole run after a kill")
}

// longSpec takes about 6 s a run (10,000 objects of 1 MB, small MSS).
const longSpec = `name: long
network: {rtt: 20ms, bandwidth: 1Gbps}
tcp: {mss: 536}
page: {html: 10KB, objects: [{size: 1MB, count: 10000}]}
models: [persistent]
limits: {max_sim_time: 10h}
sweep: {network.dns: [0s, 1ms, 2ms, 3ms]}
plots:
  - {kind: line, x: network.dns, y: plt_ms}
`

// quickLong is an experiment named long that runs at once: the complete
// earlier run that an interrupted one must not replace.
const quickLong = `name: long
network: {rtt: 20ms, bandwidth: 1Gbps}
page: {html: 10KB}
sweep: {network.dns: [0s, 1ms, 2ms, 3ms]}
plots:
  - {kind: line, x: network.dns, y: plt_ms}
`

// TestSignalInLongRun sends SIGINT (and SIGTERM) to connsim in the middle
// of one long simulation: it exits within a second with 130 (143), writes
// the finished runs marked partial to OUT/long.partial, and keeps the
// complete earlier run in OUT/long.
func TestSignalInLongRun(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocesses")
	}
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, exitInterrupted}, {syscall.SIGTERM, exitTerminated}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			long, quick := filepath.Join(dir, "long.yaml"), filepath.Join(dir, "quick.yaml")
			os.WriteFile(long, []byte(longSpec), 0o644)
			os.WriteFile(quick, []byte(quickLong), 0o644)
			mustRun(t, "run", quick, "--out", out, "--quiet")
			earlier := readTree(t, filepath.Join(out, "long"))

			cmd := connsimCmd(t, nil, "run", long, "--out", out, "--workers", "2")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// The lock file names the process once it holds the lock,
			// which it takes after installing its signal handler and
			// before the runs.
			lock := filepath.Join(out, ".long.lock")
			pid := strconv.Itoa(cmd.Process.Pid) + "\n"
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
				if b, _ := os.ReadFile(lock); string(b) == pid {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("the command did not take the lock in 30s")
				}
			}
			time.Sleep(200 * time.Millisecond) // into the first runs (each takes seconds)
			sent := time.Now()
			cmd.Process.Signal(tc.sig)
			err := cmd.Wait()
			took := time.Since(sent)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tc.code {
				t.Fatalf("exit %v, want %d; stderr:\n%s", err, tc.code, stderr.String())
			}
			t.Logf("exited %v after %v", took, tc.sig)
			if took > time.Second {
				t.Errorf("exited %v after the signal; want within 1s", took)
			}
			sameTrees(t, earlier, readTree(t, filepath.Join(out, "long")), "the complete earlier run")
			pdir := filepath.Join(out, "long.partial")
			m := checkWhole(t, pdir)
			if m.Status != statusPartial || m.Runs.NotRun == 0 {
				t.Errorf("manifest status %q, %d not run; want partial", m.Status, m.Runs.NotRun)
			}
			files := readTree(t, pdir)
			if !strings.Contains(string(files[partialName]), "PARTIAL RUN") {
				t.Errorf("PARTIAL says %q", files[partialName])
			}
			if h, _, _ := strings.Cut(string(files["summary.csv"]), "\n"); !strings.HasSuffix(h, ",not_run") {
				t.Errorf("summary.csv header %q has no not_run column", h)
			}
			if !strings.Contains(string(files["report.html"]), "PARTIAL RUN") {
				t.Errorf("report.html does not say the run is partial")
			}
			if !strings.Contains(stderr.String(), "PARTIAL") || !strings.Contains(stderr.String(), "still holds the complete earlier run") {
				t.Errorf("stderr does not say what happened:\n%s", stderr.String())
			}
		})
	}
}

// TestSymlinkVictimSurvives: a plots folder that is a symbolic link to
// another folder used to have that folder's NN-*.png and NN-*.svg files
// deleted. Now nothing is deleted through a link.
func TestSymlinkVictimSurvives(t *testing.T) {
	for _, extra := range [][]string{nil, {"--no-plots"}} {
		base := t.TempDir()
		victim := filepath.Join(base, "victim")
		os.MkdirAll(victim, 0o755)
		names := []string{"01-line.png", "01-line.svg", "02-holiday.png", "07-map.svg"}
		for _, n := range names {
			os.WriteFile(filepath.Join(victim, n), []byte("mine"), 0o644)
		}
		out := filepath.Join(base, "out")
		dir := filepath.Join(out, "small")
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "results.csv"), []byte("model\n"), 0o644) // a run from before manifests
		if err := os.Symlink(victim, filepath.Join(dir, "plots")); err != nil {
			t.Fatal(err)
		}
		mustRun(t, append([]string{"run", "testdata/small.yaml", "--out", out, "--quiet"}, extra...)...)
		for _, n := range names {
			if b, err := os.ReadFile(filepath.Join(victim, n)); err != nil || string(b) != "mine" {
				t.Errorf("%v: victim %s: %q, %v", extra, n, b, err)
			}
		}
		fi, err := os.Lstat(filepath.Join(dir, "plots"))
		if extra == nil && (err != nil || !fi.IsDir()) {
			t.Errorf("plots is not the new run's folder: %v %v", fi, err)
		}
	}
}

// TestOutErrorsAreBadInput: an empty --out and an --out that is a file
// exit 2 and write nothing.
func TestOutErrorsAreBadInput(t *testing.T) {
	wd, _ := os.Getwd()
	tmp := t.TempDir()
	os.Chdir(tmp)
	defer os.Chdir(wd)
	code, _, stderr := runCLI(t, "run", filepath.Join(wd, "testdata/small.yaml"), "--out", "")
	if code != exitBadUse || !strings.Contains(stderr, "--out is empty") {
		t.Errorf(`--out "": exit %d, stderr %q; want 2`, code, stderr)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) > 0 {
		t.Errorf(`--out "" wrote into the current folder`)
	}
	file := filepath.Join(tmp, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	for _, out := range []string{file, filepath.Join(file, "sub")} {
		code, _, stderr = runCLI(t, "run", filepath.Join(wd, "testdata/small.yaml"), "--out", out, "--quiet")
		if code != exitBadUse || !strings.Contains(stderr, "not a folder") {
			t.Errorf("--out %s: exit %d, stderr %q; want 2", out, code, stderr)
		}
	}
	code, _, stderr = runCLI(t, "merge", "x", "--out", "")
	if code != exitBadUse {
		t.Errorf(`merge --out "": exit %d, stderr %q; want 2`, code, stderr)
	}
}

// TestPageLimits: --shards is 1..64 and --connections 1..1000, the
// limits of a file's models[].shards and models[].connections (the
// spec's model check, not a copy of it), and the errors name the flag.
func TestPageLimits(t *testing.T) {
	for _, arg := range []string{"0", "-2", "65", "1000"} {
		code, _, stderr := runCLI(t, "page", "--model", "sharded", "--shards", arg)
		if code != exitBadUse || !strings.Contains(stderr, "--shards: "+arg+" is out of range 1..64") {
			t.Errorf("--shards %s: exit %d, stderr %q", arg, code, stderr)
		}
	}
	for _, arg := range []string{"0", "1001"} {
		code, _, stderr := runCLI(t, "page", "--model", "parallel", "--connections", arg)
		if code != exitBadUse || !strings.Contains(stderr, "--connections: "+arg+" is out of range 1..1000") {
			t.Errorf("--connections %s: exit %d, stderr %q", arg, code, stderr)
		}
	}
}

// TestSecondSignalExitsAtOnce: a second SIGINT while the first one's
// partial run is being written (the writing held at its first step)
// ends the process at once with 130, and the complete earlier run stays.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocesses")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	long, quick := filepath.Join(dir, "long.yaml"), filepath.Join(dir, "quick.yaml")
	os.WriteFile(long, []byte(longSpec), 0o644)
	os.WriteFile(quick, []byte(quickLong), 0o644)
	mustRun(t, "run", quick, "--out", out, "--quiet")
	earlier := readTree(t, filepath.Join(out, "long"))

	cmd := connsimCmd(t, []string{"CONNSIM_TEST_PAUSE_AT=1"}, "run", long, "--out", out, "--workers", "2", "--quiet")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	paused := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "PAUSED") {
				paused <- true
			}
		}
		close(paused)
	}()
	lock := filepath.Join(out, ".long.lock")
	pid := strconv.Itoa(cmd.Process.Pid) + "\n"
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if b, _ := os.ReadFile(lock); string(b) == pid {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the command did not take the lock in 30s")
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case ok := <-paused:
		if !ok {
			cmd.Wait()
			t.Fatalf("the command ended without pausing")
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("no pause in 30s after the first SIGINT")
	}
	sent := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	// Bounded: a second signal that is ignored leaves the command paused
	// for an hour, which would otherwise hang the test until go test's
	// timeout and leave the process behind.
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err = <-waited:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-waited
		t.Fatalf("still running 10s after the second SIGINT; want it to exit at once")
	}
	took := time.Since(sent)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
		t.Fatalf("exit %v after the second SIGINT, want %d", err, exitInterrupted)
	}
	if took > time.Second {
		t.Errorf("exited %v after the second SIGINT; want at once", took)
	}
	sameTrees(t, earlier, readTree(t, filepath.Join(out, "long")), "the complete earlier run")
	if _, err := os.Lstat(filepath.Join(out, "long.partial")); err == nil {
		t.Errorf("long.partial written although the second signal came first")
	}
}
