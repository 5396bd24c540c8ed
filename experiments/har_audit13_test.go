package experiments

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// requestAddresses reads a client-side capture and returns, for each
// Host of the HTTP requests in it, the addresses they were sent to, and
// each request as host and target ("example.com/object/2").
func requestAddresses(t *testing.T, data []byte) (map[string]map[string]bool, []string) {
	t.Helper()
	r, err := pcapgo.NewNgReader(bytes.NewReader(data), pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]bool{}
	var reqs []string
	for {
		b, _, err := r.ReadPacketData()
		if err == io.EOF {
			return out, reqs
		}
		if err != nil {
			t.Fatal(err)
		}
		p := gopacket.NewPacket(b, layers.LinkTypeEthernet, gopacket.Default)
		ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		tc, _ := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if ip == nil || tc == nil || !bytes.HasPrefix(tc.Payload, []byte("GET ")) {
			continue
		}
		target := "" // of the request whose headers follow (a pipelined segment holds several)
		for _, line := range strings.Split(string(tc.Payload), "\r\n") {
			if f := strings.Fields(line); len(f) == 3 && f[0] == "GET" {
				target = f[1]
			}
			if h, ok := strings.CutPrefix(line, "Host:"); ok {
				h = strings.TrimSpace(h)
				if out[h] == nil {
					out[h] = map[string]bool{}
				}
				out[h][ip.DstIP.String()] = true
				reqs = append(reqs, h+target)
			}
		}
	}
}

// TestHARServerIPMatchesCapture runs worlds with several hostnames (the
// single client, with a third party; populations with one server, with
// servers: of one site, of two sites and of three) with a client-side
// capture, and checks that every request for a host is sent, in the
// capture, to the address HARServerIP gives that host, that hosts of
// different sites get different addresses, and (single client) that
// the HAR output's entries carry it as serverIPAddress and the
// capture's requests' hosts and paths.
func TestHARServerIPMatchesCapture(t *testing.T) {
	page := "page:\n  html: 5KB\n  objects:\n    - {size: 4KB, count: 2}\n    - {size: 4KB, count: 2, host: cdn.example.net}\n    - {size: 4KB, count: 1, host: ads.example.org}\n"
	pop := "clients:\n  - {name: u, count: 2, arrival: {interval: 200ms}}\n"
	cases := []struct {
		name, yaml string
		distinct   bool // the hosts are served by different nodes
	}{
		{"single client", "outputs: [har]\n", false},
		{"single client pipelined", "outputs: [har]\n#pipelined", false},
		{"single client sharded", "outputs: [har]\n#sharded", false},
		{"single client short-lived", "outputs: [har]\n#short-lived", false},
		{"populations", pop, false},
		{"one site", pop + "servers:\n  - {name: origin}\n", false},
		{"one site with a link", pop + "servers:\n  - {name: origin, link: {rtt: 5ms}}\n", false},
		{"two sites", pop + "servers:\n  - {name: origin}\n  - {name: cdn, hosts: [cdn.example.net], link: {rtt: 20ms}}\n", false},
		{"three sites", pop + "servers:\n  - {name: origin, hosts: [example.com]}\n  - {name: cdn, hosts: [cdn.example.net]}\n  - {name: ads, hosts: [ads.example.org], link: {rtt: 10ms}}\n", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			model := "parallel"
			if _, m, ok := strings.Cut(tc.yaml, "#"); ok {
				model = m
			}
			s, err := Load("a.yaml", []byte("name: a\nmodels: ["+model+"]\nnetwork: {rtt: 30ms}\ncapture: {vantage: client}\n"+page+tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			runs, err := s.Runs()
			if err != nil {
				t.Fatal(err)
			}
			res := Run(runs[0], false)
			if res.Row.Err != "" || res.Capture == nil {
				t.Fatalf("run: %q, capture %v", res.Row.Err, res.Capture != nil)
			}
			got, reqs := requestAddresses(t, res.Capture.Data)
			addrs := map[string]bool{}
			for _, host := range []string{"example.com", "cdn.example.net", "ads.example.org"} {
				want := HARServerIP(s, host)
				addrs[want] = true
				if len(got[host]) != 1 || !got[host][want] {
					t.Errorf("requests for %s went to %v in the capture; HARServerIP says %s", host, got[host], want)
				}
			}
			if tc.distinct && len(addrs) != 3 {
				t.Errorf("three sites, addresses %v", addrs)
			}
			if !s.WantsHAR() {
				return
			}
			h, err := HAROf(runs[0], res, "test")
			if err != nil {
				t.Fatal(err)
			}
			var urls []string
			for i, e := range h.Log.Entries {
				host := strings.SplitN(strings.TrimPrefix(e.Request.URL, "http://"), "/", 2)[0]
				if !got[host][e.ServerIPAddress] {
					t.Errorf("entry %d (%s): serverIPAddress %s, the capture sent its requests to %v", i, host, e.ServerIPAddress, got[host])
				}
				urls = append(urls, strings.TrimPrefix(e.Request.URL, "http://"))
			}
			// The same requests, host and path, in HAR and capture.
			slices.Sort(urls)
			slices.Sort(reqs)
			if !slices.Equal(urls, reqs) {
				t.Errorf("HAR requests %q, capture's %q", urls, reqs)
			}
		})
	}
}
