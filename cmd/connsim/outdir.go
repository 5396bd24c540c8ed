package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
)

// An output folder OUT/NAME is written as a transaction:
//
//  1. The command takes an exclusive lock on OUT/.NAME.lock (flock, held
//     until it exits; the kernel drops it if the process dies). A second
//     connsim writing the same folder fails at once with a message naming
//     the folder (exit 2) instead of mixing its files with the first's.
//  2. Under the lock it repairs what an earlier, killed command left: a
//     folder renamed away but not replaced (the two-rename fallback below)
//     is renamed back, and every staging or old folder (.NAME.stage-*,
//     .NAME.old-*, .NAME.partial.old-*, .NAME.partial.gone-*) is removed.
//  3. Every file of the run, manifest.json last, is written into a fresh
//     staging folder OUT/.NAME.stage-<pid>-<random>.
//  4. Files in the old folder that connsim did not write (neither its
//     manifest nor, for a folder from before manifests, connsim's fixed
//     names list them) are hard-linked into the staging folder, so they
//     survive; nothing is copied and nothing is followed.
//  5. The staging folder and OUT/NAME are exchanged in one step
//     (renameat2 RENAME_EXCHANGE on Linux), and the old run, now under
//     the staging name, is removed. Where the exchange is not available,
//     OUT/NAME is renamed to OUT/.NAME.old-*, the staging folder to
//     OUT/NAME, and the old one removed; a command killed between the two
//     renames leaves no OUT/NAME, and the next command renames the old
//     folder back (step 2).
//
// So OUT/NAME is always absent, one complete run, or one partial run
// that manifest.json and PARTIAL mark as such. A partial run (the command
// was interrupted) does not replace a complete one: it goes to
// OUT/NAME.partial instead, unless --replace-partial is given. A complete
// run removes OUT/NAME.partial.
//
// Deleting never follows a symbolic link: os.RemoveAll removes a link,
// not what it points to, and the only folders removed whole are the
// staging and old folders this protocol names.

// manifestName is the manifest's file name in an output folder.
const manifestName = "manifest.json"

// partialName is the file that marks a partial run's folder.
const partialName = "PARTIAL"

// manifestFormat is the version of manifest.json's layout.
const manifestFormat = 1

// Manifest statuses.
const (
	statusComplete = "complete"
	statusPartial  = "partial"
)

// manifest is manifest.json: what an output folder holds and where it
// came from. Every file of the folder but the manifest itself is listed,
// with its size and SHA-256, so that a changed, truncated or missing file
// is found (connsim merge checks every shard).
type manifest struct {
	Format     int            `json:"format"`
	Connsim    string         `json:"connsim"`     // version that wrote the folder
	Experiment string         `json:"experiment"`  // the spec's name
	Status     string         `json:"status"`      // complete or partial
	SpecSHA256 string         `json:"spec_sha256"` // of experiment.yaml, the resolved spec
	Seed       uint64         `json:"seed"`        // the spec's seed
	Shard      string         `json:"shard,omitempty"`
	Runs       manifestRuns   `json:"runs"`
	Files      []manifestFile `json:"files"`
}

// manifestRuns counts the runs of a folder.
type manifestRuns struct {
	Total  int `json:"total"`   // runs this folder is for (a shard's share)
	Done   int `json:"done"`    // finished without error
	Failed int `json:"failed"`  // finished with an error
	NotRun int `json:"not_run"` // not started, or stopped part way
}

// manifestFile is one file of a folder, by its slash-separated path.
type manifestFile struct {
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// badInputError is an error that exits 2: the command was asked for
// something it cannot do (an --out that is a file, a folder in use).
type badInputError struct{ msg string }

func (e *badInputError) Error() string { return e.msg }

func badInput(format string, args ...any) error {
	return &badInputError{fmt.Sprintf(format, args...)}
}

// exitFor returns the exit code of an output error: 2 for bad input, 1
// otherwise.
func exitFor(err error) int {
	var b *badInputError
	if errors.As(err, &b) {
		return exitBadUse
	}
	return exitRunFail
}

// outDir is one output folder, OUT/NAME, locked for writing.
type outDir struct {
	parent, name string
	lock         *os.File
	// step, when set (by tests), is called before every change to the
	// file system; an error stops the change and everything after it.
	step func(op, path string) error
	// noExchange makes commit use the two-rename fallback (tests).
	noExchange bool
	// warnings are problems that did not stop the command (an old folder
	// that could not be removed), for the caller to print.
	warnings []string
}

// openOutDir checks OUT, takes the lock on OUT/NAME and repairs what an
// interrupted command left. Close releases the lock.
func openOutDir(parent, name string, step func(op, path string) error) (*outDir, error) {
	if parent == "" {
		return nil, badInput("--out is empty: name an output folder (--out . for this one)")
	}
	o := &outDir{parent: parent, name: name, step: step}
	if fi, err := os.Stat(parent); err == nil && !fi.IsDir() {
		return nil, badInput("--out %s: not a folder", parent)
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) && (errors.Is(err, syscall.ENOTDIR) || errors.Is(err, fs.ErrExist)) {
			return nil, badInput("--out %s: %s is not a folder", parent, pe.Path)
		}
		return nil, badInput("--out %s: %v", parent, err)
	}
	lock, err := lockFile(filepath.Join(parent, "."+name+".lock"), filepath.Join(parent, name))
	if err != nil {
		return nil, err
	}
	o.lock = lock
	if err := o.checkTarget(o.target()); err != nil {
		o.Close()
		return nil, err
	}
	if err := o.recover(); err != nil {
		o.Close()
		return nil, err
	}
	return o, nil
}

// Close releases the lock.
func (o *outDir) Close() {
	if o.lock != nil {
		unlockFile(o.lock)
		o.lock = nil
	}
}

// target is OUT/NAME; partialTarget is OUT/NAME.partial.
func (o *outDir) target() string        { return filepath.Join(o.parent, o.name) }
func (o *outDir) partialTarget() string { return filepath.Join(o.parent, o.name+".partial") }

func (o *outDir) do(op, path string) error {
	if o.step != nil {
		return o.step(op, path)
	}
	return nil
}

// checkTarget refuses a target the transaction cannot replace safely: a
// symbolic link or a file where the folder should be, or a folder with a
// subfolder that cannot be written (its files could not be removed).
func (o *outDir) checkTarget(t string) error {
	fi, err := os.Lstat(t)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return badInput("%s: %v", t, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return badInput("%s is a symbolic link: connsim replaces an output folder as a whole and does not follow links; remove the link or choose another --out", t)
	}
	if !fi.IsDir() {
		return badInput("%s exists and is not a folder", t)
	}
	return filepath.WalkDir(t, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return badInput("%s: %v", p, err)
		}
		if d.IsDir() && !writable(p) {
			return badInput("%s is not writable, so the files of the run there cannot be replaced; make it writable (chmod u+w) or choose another --out", p)
		}
		return nil
	})
}

// leftover reports whether base (an entry of OUT) is a staging or old
// folder of this output folder.
func (o *outDir) leftover(base string) bool {
	for _, p := range []string{"." + o.name + ".stage-", "." + o.name + ".old-", "." + o.name + ".partial.old-", "." + o.name + ".partial.gone-"} {
		if strings.HasPrefix(base, p) {
			return true
		}
	}
	return false
}

// recover repairs what an interrupted command left: an old folder whose
// replacement never arrived goes back in place, and staging and old
// folders are removed.
func (o *outDir) recover() error {
	ents, err := os.ReadDir(o.parent)
	if err != nil {
		return err
	}
	for _, t := range []string{o.name, o.name + ".partial"} {
		if _, err := os.Lstat(filepath.Join(o.parent, t)); !errors.Is(err, fs.ErrNotExist) {
			continue
		}
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), "."+t+".old-") && e.IsDir() {
				if err := o.do("rename", e.Name()); err != nil {
					return err
				}
				if err := os.Rename(filepath.Join(o.parent, e.Name()), filepath.Join(o.parent, t)); err != nil {
					return fmt.Errorf("restoring %s from %s: %w", t, e.Name(), err)
				}
				break
			}
		}
	}
	ents, err = os.ReadDir(o.parent)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !o.leftover(e.Name()) {
			continue
		}
		if err := o.do("removeall", e.Name()); err != nil {
			return err
		}
		if err := os.RemoveAll(filepath.Join(o.parent, e.Name())); err != nil {
			o.warn("could not remove %s, left by an interrupted run: %v", filepath.Join(o.parent, e.Name()), err)
		}
	}
	return nil
}

// newStaging makes an empty staging folder.
func (o *outDir) newStaging() (string, error) {
	if err := o.do("mkdir", "stage"); err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(o.parent, fmt.Sprintf(".%s.stage-%d-", o.name, os.Getpid()))
	if err != nil {
		return "", err
	}
	// MkdirTemp makes it private; an output folder is as any other.
	if err := os.Chmod(dir, 0o755); err != nil {
		os.Remove(dir)
		return "", err
	}
	return dir, nil
}

// holdsComplete reports whether dir holds a complete run: its manifest
// says so, or it is a folder from before manifests with results in it.
func holdsComplete(dir string) bool {
	m, err := readManifest(dir)
	if err == nil {
		return m.Status == statusComplete
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return true // unreadable: treat as worth keeping
	}
	for _, f := range []string{"results.csv", "results.json"} {
		if fi, err := os.Lstat(filepath.Join(dir, f)); err == nil && fi.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// commit makes staging the folder at target in one step, keeping the
// files in the old folder that connsim did not write, and removes the old
// run.
func (o *outDir) commit(staging, target string) error {
	fi, err := os.Lstat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := o.do("rename", target); err != nil {
			return err
		}
		if err := os.Rename(staging, target); err != nil {
			return err
		}
		syncDir(o.parent)
		return nil
	case err != nil:
		return err
	case !fi.IsDir():
		return badInput("%s exists and is not a folder", target)
	}
	if err := o.carry(target, staging); err != nil {
		return err
	}
	if err := o.do("exchange", target); err != nil {
		return err
	}
	err = errNoExchange
	if !o.noExchange {
		err = exchange(staging, target)
	}
	if errors.Is(err, errNoExchange) {
		old := filepath.Join(o.parent, "."+filepath.Base(target)+".old-"+filepath.Base(staging)[len(o.name)+len("..stage-"):])
		if err := o.do("rename", old); err != nil {
			return err
		}
		if err := os.Rename(target, old); err != nil {
			return err
		}
		if err := o.do("rename", target); err != nil {
			return err
		}
		if err := os.Rename(staging, target); err != nil {
			os.Rename(old, target) // put the old run back
			return err
		}
		staging = old
	} else if err != nil {
		return err
	}
	syncDir(o.parent)
	// The old run is now at staging: remove it. The new run is in place
	// whatever happens now; should the removal fail, the next command
	// tries again (recover).
	if err := o.do("removeall", staging); err != nil {
		return nil
	}
	if err := os.RemoveAll(staging); err != nil {
		o.warn("could not remove the earlier run (now %s): %v", staging, err)
	}
	return nil
}

// warn records a problem that does not stop the command, for the caller
// to print.
func (o *outDir) warn(format string, args ...any) {
	o.warnings = append(o.warnings, fmt.Sprintf(format, args...))
}

// removePartial removes OUT/NAME.partial when it holds a partial run
// (once a complete run is in place it is out of date). It goes through
// an old-folder name, so an interruption leaves something recover
// removes. Failing is only a warning: the complete run is in place.
func (o *outDir) removePartial() {
	t := o.partialTarget()
	fi, err := os.Lstat(t)
	if err != nil || !fi.IsDir() {
		return
	}
	if m, err := readManifest(t); err != nil || m.Status != statusPartial {
		return // not ours to remove
	}
	// Not ".old-": recover would put it back.
	old := filepath.Join(o.parent, fmt.Sprintf(".%s.partial.gone-%d", o.name, os.Getpid()))
	if err := o.do("rename", old); err != nil {
		return
	}
	if err := os.Rename(t, old); err != nil {
		o.warn("could not remove the out-of-date partial run %s: %v", t, err)
		return
	}
	if err := o.do("removeall", old); err != nil {
		return
	}
	if err := os.RemoveAll(old); err != nil {
		o.warn("could not remove the out-of-date partial run (now %s): %v", old, err)
	}
}

// legacyNames matches the files connsim wrote before manifests, and the
// temporary files of its atomic writes.
var legacyNames = regexp.MustCompile(`^((results|summary|requests)\.(csv|json)|report\.html|experiment\.yaml|` +
	manifestName + `|` + partialName + `|plots/[0-9][0-9]-[^/]*\.(png|svg)|(plots/)?\.[^/]*\.tmp-[^/]*)$`)

// carry hard-links into staging the files of old that connsim did not
// write, unless staging has a file of that name (the new run's wins).
// Links are not followed: a symbolic link is carried as a link.
func (o *outDir) carry(old, staging string) error {
	ours := func(rel string) bool { return legacyNames.MatchString(rel) }
	if m, err := readManifest(old); err == nil {
		named := map[string]bool{manifestName: true}
		for _, f := range m.Files {
			named[f.Name] = true
		}
		tmp := regexp.MustCompile(`^(plots/)?\.[^/]*\.tmp-[^/]*$`)
		ours = func(rel string) bool { return named[rel] || tmp.MatchString(rel) }
	}
	return filepath.WalkDir(old, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(old, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			// A folder of the user's is kept even when empty (its files
			// are carried below); plots is connsim's.
			if rel == "plots" {
				return nil
			}
			dst := filepath.Join(staging, filepath.FromSlash(rel))
			if _, err := os.Lstat(dst); err == nil {
				return nil
			}
			if err := o.do("mkdir", rel); err != nil {
				return err
			}
			return os.MkdirAll(dst, 0o755)
		}
		if ours(rel) {
			return nil
		}
		dst := filepath.Join(staging, filepath.FromSlash(rel))
		if _, err := os.Lstat(dst); err == nil {
			return nil
		}
		if err := o.do("link", rel); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.Link(p, dst); err != nil {
			return fmt.Errorf("keeping %s, which connsim did not write: %w", p, err)
		}
		return nil
	})
}

// syncDir makes renames in dir durable where the system allows.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// readManifest reads dir's manifest.json.
func readManifest(dir string) (*manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return nil, err
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Join(dir, manifestName), err)
	}
	return &m, nil
}

// writeManifest lists every regular file under dir (sorted by path) in
// m.Files and writes dir/manifest.json. It syncs every file and folder on
// the way (the figures are written without), so that what the manifest
// lists is on disk before the folder is swapped in.
func writeManifest(dir string, m *manifest) error { return writeManifestKnown(dir, m, nil) }

// writeManifestKnown is writeManifest, given the size and SHA-256 of
// files already synced and not written since (the streamed tables,
// hashed as they were closed), by name: those are neither read nor
// synced again.
func writeManifestKnown(dir string, m *manifest, known map[string]manifestFile) error {
	m.Files = nil
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			syncDir(p)
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if rel == manifestName {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file", p)
		}
		if k, ok := known[rel]; ok {
			m.Files = append(m.Files, k)
			return nil
		}
		size, sum, err := hashFile(p)
		if err != nil {
			return err
		}
		if f, err := os.Open(p); err == nil {
			_ = f.Sync()
			f.Close()
		}
		m.Files = append(m.Files, manifestFile{Name: rel, Bytes: size, SHA256: sum})
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(m.Files, func(a, b manifestFile) int { return strings.Compare(a.Name, b.Name) })
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileSynced(filepath.Join(dir, manifestName), append(b, '\n')); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// writeFileSynced writes a file and syncs it.
func writeFileSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return syncClose(f)
}

// hashFile returns the size and hex SHA-256 of a file.
func hashFile(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// verifyManifest checks that every file m lists is in dir, a regular
// file, with its size and SHA-256, naming the first that is not.
func verifyManifest(dir string, m *manifest) error {
	for _, f := range m.Files {
		if f.Name == "" || strings.HasPrefix(f.Name, "/") || slices.Contains(strings.Split(f.Name, "/"), "..") {
			return fmt.Errorf("%s: lists a file outside the folder: %q", filepath.Join(dir, manifestName), f.Name)
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		fi, err := os.Lstat(p)
		if err != nil {
			return fmt.Errorf("%s: listed in %s but %v", p, manifestName, errors.Unwrap(err))
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%s: not a regular file", p)
		}
		size, sum, err := hashFile(p)
		if err != nil {
			return err
		}
		if size != f.Bytes {
			return fmt.Errorf("%s: %d bytes, %s says %d: truncated or changed since it was written", p, size, manifestName, f.Bytes)
		}
		if sum != f.SHA256 {
			return fmt.Errorf("%s: its SHA-256 is not the one %s records: changed since it was written", p, manifestName)
		}
	}
	return nil
}
