package experiments

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsHaveNoConflictMarkers (second audit of issue 11): the public
// documents are the YAML and output contract, and a merge once left its
// conflict markers in docs/experiment-format.md (the servers: section
// and the issue 12 section as the two sides of one conflict). No line
// of the README or a document under docs/ may be a conflict marker.
func TestDocsHaveNoConflictMarkers(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join("..", "README.md"))
	checked := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for i, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "<<<<<<< ") || strings.HasPrefix(line, ">>>>>>> ") || line == "=======" {
				t.Errorf("%s:%d: conflict marker %q", f, i+1, line)
			}
		}
	}
	if checked < 2 {
		t.Errorf("checked %d files, want the README and docs/experiment-format.md at least", checked)
	}
}
