package experiments

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed library/*.yaml
var libraryFS embed.FS

// LibraryEntry is one built-in experiment.
type LibraryEntry struct {
	Name  string // file name without .yaml; also the experiment's name
	Title string // the title key, for listings
	YAML  []byte // the file as shipped
}

// Library returns the built-in experiments (experiments/library/*.yaml,
// compiled into the binary), sorted by name.
func Library() []LibraryEntry {
	files, err := fs.Glob(libraryFS, "library/*.yaml")
	if err != nil {
		panic(err) // the pattern is constant
	}
	sort.Strings(files)
	var out []LibraryEntry
	for _, f := range files {
		data, err := libraryFS.ReadFile(f)
		if err != nil {
			panic(err)
		}
		name := strings.TrimSuffix(path.Base(f), ".yaml")
		out = append(out, LibraryEntry{Name: name, Title: titleOf(data), YAML: data})
	}
	return out
}

// LibraryYAML returns the built-in experiment called name.
func LibraryYAML(name string) ([]byte, error) {
	for _, e := range Library() {
		if e.Name == name {
			return e.YAML, nil
		}
	}
	var names []string
	for _, e := range Library() {
		names = append(names, e.Name)
	}
	return nil, fmt.Errorf("no built-in experiment %q (built-in: %s)", name, strings.Join(names, ", "))
}

// titleOf finds the title: line of a spec without a full parse.
func titleOf(data []byte) string {
	for _, line := range strings.Split(string(data), "\n") {
		if t, ok := strings.CutPrefix(line, "title:"); ok {
			return strings.Trim(strings.TrimSpace(t), `"'`)
		}
	}
	return ""
}
