package har

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestTimingsTotal checks HAR 1.2's time: the phases that apply (not -1)
// added, ssl left out because connect holds it.
func TestTimingsTotal(t *testing.T) {
	tests := []struct {
		name string
		t    Timings
		want float64
	}{
		{"reused connection", Timings{Blocked: 2, DNS: -1, Connect: -1, SSL: -1, Send: 0.5, Wait: 40, Receive: 7.5}, 50},
		{"new TLS connection", Timings{Blocked: 0, DNS: 10, Connect: 60, SSL: 30, Send: 1, Wait: 20, Receive: 9}, 100},
		{"nothing applies", Timings{Blocked: -1, DNS: -1, Connect: -1, SSL: -1}, 0},
	}
	for _, tc := range tests {
		if got := tc.t.Total(); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestWriteRequiredLists checks that Write puts [] where HAR 1.2
// requires a list the Go value leaves nil, does not change the value,
// and reads back with Decode.
func TestWriteRequiredLists(t *testing.T) {
	h := &HAR{Log: Log{Version: Version, Creator: Creator{Name: "t", Version: "1"}, Entries: []Entry{{
		StartedDateTime: "2000-01-01T00:00:00.000Z",
		Request:         Request{Method: "GET", URL: "http://a.example/", HTTPVersion: "HTTP/1.1", HeadersSize: 1},
		Response:        Response{Status: 200, Content: Content{Size: 3, MimeType: "text/html"}, BodySize: 3, HeadersSize: 2},
		Timings:         Timings{Blocked: -1, DNS: -1, Connect: -1, SSL: -1, Wait: 1},
	}}}}
	var a, b bytes.Buffer
	if err := Write(&a, h); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"pages": []`, `"cookies": []`, `"headers": []`, `"queryString": []`, `"redirectURL": ""`, `"cache": {}`} {
		if !strings.Contains(a.String(), want) {
			t.Errorf("output lacks %s:\n%s", want, a.String())
		}
	}
	if strings.Contains(a.String(), "null") {
		t.Errorf("output has null:\n%s", a.String())
	}
	if h.Log.Pages != nil || h.Log.Entries[0].Request.Cookies != nil {
		t.Error("Write changed its argument")
	}
	if err := Write(&b, h); err != nil || !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("two writes differ (%v)", err)
	}
	l, err := Decode(a.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	site, err := l.Site(Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if site.Host != "a.example" || site.HTML.Size != 5 || len(site.Objects) != 0 {
		t.Errorf("got %+v, want a.example, 5 bytes, no objects", site)
	}
}

// TestDecodeUnknownSizes checks that sizes left out or null read as -1
// and that content.size stands in for an unknown bodySize.
func TestDecodeUnknownSizes(t *testing.T) {
	doc := `{"log": {"version": "1.2", "creator": {"name": "t", "version": "1"}, "entries": [
	 {"startedDateTime": "2024-01-01T00:00:00+02:00", "request": {"method": "get", "url": "HTTPS://WWW.A.Example.:8443/x"},
	  "response": {"status": 200, "bodySize": null, "content": {"size": 70, "mimeType": "text/html"}}, "_extension": 1}]}}`
	l, err := Decode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	e := l.Entries[0]
	if e.Response.BodySize != -1 || e.Response.HeadersSize != -1 || e.Request.HeadersSize != -1 || e.Timings.DNS != -1 {
		t.Errorf("got %+v, want -1 for the sizes and timings not given", e)
	}
	site, err := l.Site(Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if site.Host != "www.a.example" || site.HTML.Size != 70 || site.HTML.Method != "GET" {
		t.Errorf("got %+v, want host www.a.example, 70 bytes, GET", site.HTML)
	}
}

// TestDecodeErrorPaths checks that problems name the field with the
// index of its entry or page.
func TestDecodeErrorPaths(t *testing.T) {
	head := `{"log": {"version": "1.2", "creator": {"name": "t", "version": "1"}, `
	e := `{"startedDateTime": "2024-01-01T00:00:00Z", "request": {"method": "GET", "url": "http://a.example/"}, "response": {"status": 200, "bodySize": 1}}`
	tests := []struct{ doc, path string }{
		{head + `"pages": [{"startedDateTime": "x", "id": "p", "title": "", "pageTimings": {}}, {"title": "x"}], "entries": []}}`, "log.pages[1].startedDateTime"},
		{head + `"pages": [{"startedDateTime": "x", "id": "p", "title": "", "pageTimings": {}}, {"startedDateTime": "x", "id": "p", "title": "", "pageTimings": {}}], "entries": []}}`, "log.pages[1].id"},
		{head + `"entries": [` + e + `, ` + strings.Replace(e, `"method": "GET"`, `"method": 7`, 1) + `]}}`, "log.entries[1].request.method"},
		{head + `"entries": [` + e + `, ` + e + `, ` + strings.Replace(e, `"bodySize": 1`, `"bodySize": 1.5`, 1) + `]}}`, "log.entries[2].response.bodySize"},
		{head + `"entries": [` + strings.Replace(e, `"status": 200, `, ``, 1) + `]}}`, "log.entries[0].response.status"},
		{head + `"entries": [` + strings.Replace(e, `"bodySize": 1`, `"headersSize": -2, "bodySize": 1`, 1) + `]}}`, "log.entries[0].response.headersSize"},
	}
	for _, tc := range tests {
		_, err := Decode([]byte(tc.doc))
		var he *Error
		if !errors.As(err, &he) || he.Path != tc.path {
			t.Errorf("got %v, want a problem at %s", err, tc.path)
		}
	}
}

// TestSiteOrderAndDocument checks request order (by startedDateTime,
// stable), the choice of the HTML (text/html, not a redirect), that
// entries other than http and https are left out, and the filters.
func TestSiteOrderAndDocument(t *testing.T) {
	mk := func(at, url string, status int, mime string) Entry {
		return Entry{StartedDateTime: at, Request: Request{Method: "GET", URL: url},
			Response: Response{Status: status, BodySize: 10, HeadersSize: -1, Content: Content{Size: 10, MimeType: mime}}}
	}
	l := &Log{Entries: []Entry{
		mk("2024-01-01T00:00:00.300Z", "https://x.example/b", 200, "image/png"),
		mk("2024-01-01T00:00:00.100Z", "https://x.example/", 200, "text/html;charset=UTF-8"),
		mk("2024-01-01T00:00:00.300Z", "https://y.example/c", 200, "image/png"),
		mk("2024-01-01T00:00:00.000Z", "http://x.example/", 301, "text/html"),
		mk("2024-01-01T00:00:00.200Z", "https://ads.z.example/d", 200, "image/gif"),
		mk("2024-01-01T00:00:00.050Z", "data:image/png;base64,AA", 200, "image/png"), // left out, not counted by First
	}}
	hosts := func(s *Site) string {
		out := s.Host + ":"
		for _, o := range s.Objects {
			out += " " + o.Host + "#" + string(rune('0'+o.Entry))
		}
		return out
	}
	tests := []struct {
		f    Filter
		want string
	}{
		{Filter{}, "x.example: x.example#3 ads.z.example#4 x.example#0 y.example#2"},
		{Filter{ExcludeHosts: []string{"*.z.example", "y.example"}}, "x.example: x.example#3 x.example#0"},
		{Filter{First: 3}, "x.example: x.example#3 ads.z.example#4"},
		{Filter{First: 1}, "x.example:"}, // the redirect alone: the HTML for want of a document
	}
	for _, tc := range tests {
		s, err := l.Site(tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if got := hosts(s); got != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.f, got, tc.want)
		}
	}
	if _, err := l.Site(Filter{ExcludeHosts: []string{"x.example", "y.example", "*.example"}}); err == nil {
		t.Error("a filter that leaves nothing: no error")
	}
}
