package experiments

import (
	"reflect"
	"strings"
	"testing"
)

// TestModelHTTPVersion: a model's http_version option (issue 14) sets
// the HTTP version of that model's runs alone, over http.version; bad
// values and HTTP/1.1 mechanisms under 1.0 are errors that name the
// file, line, column and key; a resolved file writes the option only
// when set and reads back to the same models.
func TestModelHTTPVersion(t *testing.T) {
	const page = "name: t\npage: {html: 10KB, objects: [{size: 3KB, count: 4}]}\n"
	for _, tc := range []struct {
		name, spec string
		versions   []string // each model's config
		labels     []string
		err        string
	}{
		{"quoted", "models:\n  - short-lived: {http_version: \"1.0\"}\n  - pipelined\n",
			[]string{"1.0", "1.1"}, []string{"short-lived(http_version=1.0)", "pipelined"}, ""},
		{"unquoted", "models:\n  - persistent: {http_version: 1.0, label: p10}\n",
			[]string{"1.0"}, []string{"p10"}, ""},
		{"over a global 1.0", "http: {version: \"1.0\"}\nmodels:\n  - pipelined: {http_version: \"1.1\"}\n  - short-lived\n",
			[]string{"1.1", "1.0"}, []string{"pipelined(http_version=1.1)", "short-lived"}, ""},
		{"bad value", "models:\n  - short-lived: {http_version: \"2\"}\n",
			nil, nil, `test.yaml:4:33: models[0].http_version: "2" is not allowed (use 1.0 or 1.1)`},
		{"pipelining under 1.0", "models:\n  - pipelined: {http_version: \"1.0\"}\n",
			nil, nil, "models[0]: pipelined needs http version 1.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := page + tc.spec
			if tc.err != "" {
				if got := loadErr(t, text); !strings.Contains(got, tc.err) {
					t.Errorf("error %q, want it to contain %q", got, tc.err)
				}
				return
			}
			s := mustLoad(t, text)
			var labels, versions []string
			for _, m := range s.Models {
				cfg, err := modelConfig(s, m, false)
				if err != nil {
					t.Fatal(err)
				}
				labels, versions = append(labels, m.Label), append(versions, cfg.HTTPVersion)
			}
			if !reflect.DeepEqual(versions, tc.versions) || !reflect.DeepEqual(labels, tc.labels) {
				t.Errorf("versions %v labels %v, want %v %v", versions, labels, tc.versions, tc.labels)
			}
			out, err := s.MarshalResolved()
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(string(out), "http_version: "); n != strings.Count(tc.spec, "http_version: ") {
				t.Errorf("resolved file has http_version %d times, want only where set:\n%s", n, out)
			}
			back := mustLoad(t, string(out))
			if !reflect.DeepEqual(back.Models, s.Models) {
				t.Errorf("resolved models read back as %+v, want %+v", back.Models, s.Models)
			}
		})
	}
}

// TestModelHTTPVersionBytes: under HTTP/1.0 the persistent model asks to
// keep the connection with "Connection: keep-alive" (24 bytes) on every
// request, and the server echoes it on every response but the last one,
// after which it keeps the connection too (it closes on its timeout):
// 2 x 24 bytes a request more than under HTTP/1.1, and nothing else
// changes. Short-lived costs the same bytes under both.
func TestModelHTTPVersionBytes(t *testing.T) {
	s := mustLoad(t, `name: t
page: {html: 10KB, objects: [{size: 3KB, count: 4}]}
models:
  - persistent: {http_version: "1.0", label: p10}
  - persistent: {label: p11}
  - short-lived: {http_version: "1.0", label: s10}
  - short-lived: {label: s11}
`)
	p, err := s.Plan()
	if err != nil {
		t.Fatal(err)
	}
	bytes := map[string]int64{}
	for i := range p.Len() {
		r := Run(p.Run(i), false).Row
		if r.Err != "" {
			t.Fatalf("%s: %s", r.Model, r.Err)
		}
		bytes[r.Model] = r.Metrics.Bytes
	}
	const requests, keepAlive = 5, 24
	if d := bytes["p10"] - bytes["p11"]; d != 2*keepAlive*requests {
		t.Errorf("persistent: HTTP/1.0 sends %d bytes more, want %d (%v)", d, 2*keepAlive*requests, bytes)
	}
	if bytes["s10"] != bytes["s11"] {
		t.Errorf("short-lived: %d bytes under 1.0, %d under 1.1, want the same", bytes["s10"], bytes["s11"])
	}
}

// TestLibraryHTTP10 (issue 14): the http10-vs-http11 experiment's
// HTTP/1.0 client runs under HTTP/1.0, its HTTP/1.1 ones under 1.1.
func TestLibraryHTTP10(t *testing.T) {
	data, err := LibraryYAML("http10-vs-http11")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Load("http10-vs-http11.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"HTTP 1.0, 4 short-lived connections": "1.0",
		"HTTP 1.1 persistent":                 "1.1",
		"HTTP 1.1 pipelined":                  "1.1",
	}
	for _, m := range s.Models {
		cfg, err := modelConfig(s, m, false)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.HTTPVersion != want[m.Label] {
			t.Errorf("%s runs under HTTP %q, want %q", m.Label, cfg.HTTPVersion, want[m.Label])
		}
	}
}
