package experiments

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/connsim/connsim/capture"
)

const captureSpec = `name: cap
repeat: 2
network: {rtt: 40ms, bandwidth: 10Mbps}
page: {html: 8KB, objects: [{count: 3, size: 5KB}]}
models: [persistent, {parallel: {connections: 2}}]
sweep:
  network.rtt: [40ms, 80ms]
`

// TestCaptureSelectsRuns checks which runs of a swept, repeated spec get
// a capture (runs: first, one per point and model; all, every run), their
// names (one per run, unique) and formats (the files' magic numbers), and
// that the files are byte-identical for 1 and 3 workers.
func TestCaptureSelectsRuns(t *testing.T) {
	cases := []struct {
		capture string
		want    int
		magic   []byte
		names   []string
	}{
		{"", 0, nil, nil},
		{"capture: {}\n", 0, nil, nil},
		{"capture: {vantage: server}\n", 4, []byte{0x0a, 0x0d, 0x0d, 0x0a},
			[]string{"captures/network.rtt=40ms-persistent-r0.pcapng", "captures/network.rtt=40ms-parallel(connections=2)-r0.pcapng",
				"captures/network.rtt=80ms-persistent-r0.pcapng", "captures/network.rtt=80ms-parallel(connections=2)-r0.pcapng"}},
		{"capture: {runs: all, format: pcap}\n", 8, []byte{0x4d, 0x3c, 0xb2, 0xa1}, nil},
	}
	for _, tc := range cases {
		t.Run(strings.TrimSpace(tc.capture), func(t *testing.T) {
			s, err := Load("cap.yaml", []byte(captureSpec+tc.capture))
			if err != nil {
				t.Fatal(err)
			}
			rcs, err := s.Runs()
			if err != nil {
				t.Fatal(err)
			}
			var files [2][]*CaptureFile
			for i, w := range []int{1, 3} {
				for _, r := range RunAll(rcs, RunOptions{Workers: w}) {
					if r.Row.Err != "" {
						t.Fatalf("run %d: %s", r.Row.Index, r.Row.Err)
					}
					if r.Capture != nil {
						files[i] = append(files[i], r.Capture)
					}
				}
			}
			if len(files[0]) != tc.want {
				t.Fatalf("got %d captures, want %d", len(files[0]), tc.want)
			}
			seen := map[string]bool{}
			for i, f := range files[0] {
				if seen[f.Name] {
					t.Errorf("name %s twice", f.Name)
				}
				seen[f.Name] = true
				if tc.names != nil && f.Name != tc.names[i] {
					t.Errorf("capture %d: got %s, want %s", i, f.Name, tc.names[i])
				}
				if !bytes.HasPrefix(f.Data, tc.magic) || len(f.Data) < 1000 {
					t.Errorf("%s: %d bytes starting % x, want magic % x", f.Name, len(f.Data), f.Data[:min(4, len(f.Data))], tc.magic)
				}
				g := files[1][i]
				if g.Name != f.Name || !bytes.Equal(g.Data, f.Data) {
					t.Errorf("%s: differs between 1 and 3 workers", f.Name)
				}
			}
		})
	}
}

// TestCaptureName checks file names: swept values, the label reduced to
// safe characters, the repetition and the format's extension.
func TestCaptureName(t *testing.T) {
	pt := &Point{Axes: []AxisValue{{Key: "network.queue", Text: "100 packets"}, {Key: "network.rtt", Text: "50ms"}}}
	cases := []struct {
		rc   RunConfig
		f    capture.Format
		want string
	}{
		{RunConfig{Point: &Point{}, Model: ModelSpec{Label: "persistent"}, Rep: 3}, capture.PCAPNG, "captures/persistent-r3.pcapng"},
		{RunConfig{Point: pt, Model: ModelSpec{Label: "sharded(shards=3,connections=6)"}}, capture.PCAP,
			"captures/network.queue=100_packets,network.rtt=50ms-sharded(shards=3,connections=6)-r0.pcap"},
		{RunConfig{Point: &Point{}, Model: ModelSpec{Label: "../x/y z"}}, capture.PCAPNG, "captures/.._x_y_z-r0.pcapng"},
	}
	for _, tc := range cases {
		if got := CaptureName(tc.rc, tc.f); got != tc.want {
			t.Errorf("got %s, want %s", got, tc.want)
		}
	}
}

// TestWriteCapture writes a capture under a folder, making captures/.
func TestWriteCapture(t *testing.T) {
	dir := t.TempDir()
	if err := WriteCapture(dir, nil); err != nil {
		t.Fatal(err)
	}
	if err := WriteCapture(dir, &CaptureFile{Name: "captures/a-r0.pcap", Data: []byte("abc")}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "captures", "a-r0.pcap"))
	if err != nil || string(b) != "abc" {
		t.Fatalf("got %q, %v; want abc", b, err)
	}
}
