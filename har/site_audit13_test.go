package har

import "testing"

// TestSiteSizeFromBodySize checks which size an entry gives its object:
// the bytes transferred (bodySize), not the decoded content (content.size,
// larger for a compressed response), plus headersSize when known; and
// content.size only when bodySize is unknown (-1).
func TestSiteSizeFromBodySize(t *testing.T) {
	mk := func(at, url string, body, content, headers int64, mime string) Entry {
		return Entry{StartedDateTime: at, Request: Request{Method: "GET", URL: url},
			Response: Response{Status: 200, BodySize: body, HeadersSize: headers, Content: Content{Size: content, MimeType: mime}}}
	}
	l := &Log{Entries: []Entry{
		mk("2024-01-01T00:00:00.000Z", "https://x.example/", 3000, 12000, 250, "text/html"), // gzip: 3000 on the wire
		mk("2024-01-01T00:00:00.100Z", "https://x.example/a.js", 1000, 5000, -1, "text/javascript"),
		mk("2024-01-01T00:00:00.200Z", "https://x.example/b.png", -1, 7000, 100, "image/png"),
		mk("2024-01-01T00:00:00.300Z", "https://x.example/c.png", 0, 7000, 120, "image/png"), // 304-like: no body sent
	}}
	s, err := l.Site(Filter{})
	if err != nil {
		t.Fatal(err)
	}
	got := []int64{s.HTML.Size}
	for _, o := range s.Objects {
		got = append(got, o.Size)
	}
	want := []int64{3250, 1000, 7100, 120}
	if len(got) != len(want) {
		t.Fatalf("sizes %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d: size %d, want %d (sizes %v)", i, got[i], want[i], got)
		}
	}
}
