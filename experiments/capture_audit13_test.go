package experiments

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/google/gopacket/pcapgo"
)

// TestCaptureSelectsModelsAndPoints checks capture.models and
// capture.points on captureSpec (two points, two models, two
// repetitions): exactly the runs whose model, point and repetition are
// selected get a capture, named after them.
func TestCaptureSelectsModelsAndPoints(t *testing.T) {
	cases := []struct {
		capture string
		want    []string
	}{
		{"capture: {models: [persistent]}\n", []string{
			"captures/network.rtt=40ms-persistent-r0.pcapng", "captures/network.rtt=80ms-persistent-r0.pcapng"}},
		{"capture: {models: [parallel]}\n", []string{ // by name: every model of that name
			"captures/network.rtt=40ms-parallel(connections=2)-r0.pcapng", "captures/network.rtt=80ms-parallel(connections=2)-r0.pcapng"}},
		{"capture: {points: first}\n", []string{
			"captures/network.rtt=40ms-persistent-r0.pcapng", "captures/network.rtt=40ms-parallel(connections=2)-r0.pcapng"}},
		{"capture: {points: all, models: [\"parallel(connections=2)\"], runs: all}\n", []string{
			"captures/network.rtt=40ms-parallel(connections=2)-r0.pcapng", "captures/network.rtt=40ms-parallel(connections=2)-r1.pcapng",
			"captures/network.rtt=80ms-parallel(connections=2)-r0.pcapng", "captures/network.rtt=80ms-parallel(connections=2)-r1.pcapng"}},
		{"capture: {points: first, models: [persistent]}\n", []string{"captures/network.rtt=40ms-persistent-r0.pcapng"}},
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
			var got []string
			for _, rc := range rcs {
				if s.Capture.Selects(rc) {
					got = append(got, CaptureName(rc, s.Capture.Options().Format))
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("captured %q, want %q", got, tc.want)
			}
			var files []string
			for _, r := range RunAll(rcs, RunOptions{Workers: 2}) {
				if r.Capture != nil {
					files = append(files, r.Capture.Name)
				}
			}
			if !slices.Equal(files, tc.want) {
				t.Fatalf("files %q, want %q", files, tc.want)
			}
		})
	}
}

// TestCaptureSelectorErrors checks the errors of capture's selectors:
// the key, its position and what is wrong.
func TestCaptureSelectorErrors(t *testing.T) {
	cases := []struct{ capture, want string }{
		{"capture: {models: [pipelined]}\n", `cap.yaml:8:20: capture.models[0]: "pipelined" is not a model of the experiment (want persistent, parallel(connections=2) or parallel)`},
		{"capture: {models: [persistent, nope]}\n", `cap.yaml:8:32: capture.models[1]: "nope" is not a model`},
		{"capture: {points: last}\n", `cap.yaml:8:19: capture.points`},
		{"capture: {models: persistent}\n", `cap.yaml:8:19: capture.models`},
	}
	for _, tc := range cases {
		_, err := Load("cap.yaml", []byte(captureSpec+tc.capture))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %s", strings.TrimSpace(tc.capture), err, tc.want)
		}
	}
}

// TestCaptureVantageReachesTheFile checks that capture.vantage is the
// vantage point of the file written: the pcapng interface is named after
// it, and the files of the three vantage points differ.
func TestCaptureVantageReachesTheFile(t *testing.T) {
	seen := map[string]string{}
	for _, v := range []string{"client", "server", "bottleneck"} {
		s, err := Load("cap.yaml", []byte(strings.Replace(captureSpec, "bandwidth: 10Mbps", "bandwidth: 2Mbps, queue: 8KB", 1)+"capture: {vantage: "+v+", models: [persistent], points: first}\n"))
		if err != nil {
			t.Fatal(err)
		}
		rcs, err := s.Runs()
		if err != nil {
			t.Fatal(err)
		}
		res := Run(rcs[0], false)
		if res.Capture == nil {
			t.Fatalf("%s: no capture", v)
		}
		r, err := pcapgo.NewNgReader(bytes.NewReader(res.Capture.Data), pcapgo.DefaultNgReaderOptions)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := r.ReadPacketData(); err != nil { // the interface block is read with the first packet
			t.Fatal(err)
		}
		if intf, err := r.Interface(0); err != nil || intf.Name != v {
			t.Errorf("capture.vantage %s: the file's interface is %q (%v)", v, intf.Name, err)
		}
		if other, ok := seen[string(res.Capture.Data)]; ok {
			t.Errorf("capture.vantage %s: the same file as %s", v, other)
		}
		seen[string(res.Capture.Data)] = v
	}
}
