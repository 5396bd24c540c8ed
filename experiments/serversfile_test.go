package experiments

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// serversOf runs s and writes its servers.csv.
func serversOf(t *testing.T, s *Spec) ([]byte, []Result) {
	t.Helper()
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	res := RunAll(runs, RunOptions{Workers: 2})
	var b bytes.Buffer
	w, err := NewServersWriter(&b, s, CSV)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		for _, v := range r.Servers {
			if err := w.Write(v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), res
}

// TestServersReadBack: third-party-origin's servers.csv has each run's
// two sites in the order of servers:; ServersReader reads what
// ServersWriter wrote (written again, the same bytes) and refuses rows
// connsim does not write; a spec without servers: wants no file.
func TestServersReadBack(t *testing.T) {
	s := libSpec(t, "third-party-origin")
	if !s.WantsServers() {
		t.Fatal("third-party-origin wants no servers.csv")
	}
	data, res := serversOf(t, s)
	for _, r := range res {
		if len(r.Servers) != 2 || r.Servers[0].Server != "origin" || r.Servers[1].Server != "third-party" {
			t.Fatalf("run %d: sites %+v", r.Row.Index, r.Servers)
		}
		if r.Servers[0].Requests == 0 || r.Servers[1].Requests == 0 {
			t.Errorf("run %d: a site served nothing: %+v", r.Row.Index, r.Servers)
		}
	}
	sr, err := NewServersReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w, err := NewServersWriter(&b, s, CSV)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		v, err := sr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(v); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), data) || n != 2*len(res) {
		t.Errorf("read back (%d rows of %d runs) and written again, servers.csv differs:\n%s", n, len(res), lineDiff(b.String(), string(data)))
	}
	lines := strings.SplitN(string(data), "\n", 3)
	cells := strings.Split(lines[1], ",")
	col := map[string]int{}
	for i, c := range strings.Split(lines[0], ",") {
		col[c] = i
	}
	for _, tc := range []struct{ col, v string }{
		{"server", ""}, {"accepted", "-1"}, {"requests_served", "x"}, {"server_open_max", "0"},
		{"server_open_mean", "-0.5"}, {"server_conn_s", "NaN"}, {"backlog_max", "-3"},
	} {
		bad := append([]string(nil), cells...)
		bad[col[tc.col]] = tc.v
		r, err := NewServersReader(strings.NewReader(lines[0] + "\n" + strings.Join(bad, ",") + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Read(); err == nil {
			t.Errorf("%s %q: read without an error", tc.col, tc.v)
		}
	}
	plain := mustLoad(t, "name: t\nclients: [{name: u, count: 2}]\npage: {html: 5KB}\nmodels: [persistent]\n")
	if plain.WantsServers() {
		t.Error("WantsServers without servers:")
	}
}

// FuzzServersReader: any bytes as servers.csv give rows or an error,
// never a panic; a row read back is one a site can hold.
func FuzzServersReader(f *testing.F) {
	f.Add([]byte("model,x,run,server,accepted,refused,syn_drops,requests_served,server_open_max,server_open_mean,busy_workers_max,backlog_max,server_memory_max_bytes,server_conn_s\n" +
		"http2,0,0,origin,20,0,0,80,4,1.5,0,0,0,12.25\n"))
	f.Add([]byte("model,run\n"))
	f.Add([]byte("model,run,server\nhttp2,0,a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sr, err := NewServersReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		for range 100 {
			v, err := sr.Read()
			if err != nil {
				return
			}
			if v.Server == "" || v.Accepted < 0 || v.Requests < 0 || v.OpenMax < 0 || !(v.OpenMean >= 0) || !(v.ConnS >= 0) {
				t.Fatalf("read %+v", v)
			}
		}
	})
}
