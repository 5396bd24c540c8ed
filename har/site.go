package har

import (
	"cmp"
	"fmt"
	"mime"
	"net/url"
	"slices"
	"strings"
)

// Site is a page load as connsim simulates it: the HTML, then the other
// requests, each on its own host.
type Site struct {
	Host    string     // the HTML's host: the page's origin
	HTML    Resource   // the document
	Objects []Resource // every other request kept, in request order
}

// Resource is one request of a Site.
type Resource struct {
	Entry  int    // index in log.entries, for messages
	Host   string // lower case, without port
	Method string // upper case, as the entry gives it
	// Size is the response's bytes: the body as transferred (bodySize,
	// or content.size when bodySize is -1), plus headersSize when it is
	// known.
	Size int64
}

// Filter selects the entries of a Site.
type Filter struct {
	// ExcludeHosts leaves out the entries of these hosts: a name matches
	// itself, and "*.example.com" matches every subdomain of
	// example.com (not example.com itself).
	ExcludeHosts []string
	// First keeps only the first First entries in request order (after
	// ExcludeHosts; the HTML is chosen among them). 0 keeps every entry.
	First int
}

// Site turns the log's first page into a Site:
//
//   - the entries are those of the first page (log.pages[0]: the entries
//     whose pageref is its id, or that have none); a log without pages
//     uses every entry;
//   - they are put in request order, by startedDateTime (stable: entries
//     that start at the same instant keep their order in the file), then
//     filtered (Filter);
//   - the HTML is the first entry, in that order, whose response is an
//     HTML document (content.mimeType text/html, status not a 3xx
//     redirect), or the first entry when none is;
//   - every other entry is an object, on the host of its URL, so that
//     the page's own shards, CDNs and third parties keep their hosts;
//   - entries whose URL is not http or https (data:, blob:, WebSocket
//     ws: and wss:, browser extensions) are left out, before First
//     counts.
//
// A problem names the entry and the field, e.g.
// log.entries[3].request.url.
func (l *Log) Site(f Filter) (*Site, error) {
	type entry struct {
		i int
		e *Entry
		t int64 // startedDateTime, ns since the Unix epoch
	}
	page := ""
	if len(l.Pages) > 0 {
		page = l.Pages[0].ID
	}
	var es []entry
	for i := range l.Entries {
		e := &l.Entries[i]
		if page != "" && e.Pageref != "" && e.Pageref != page {
			continue
		}
		t, err := ParseTime(e.StartedDateTime)
		if err != nil {
			return nil, errorf(fmt.Sprintf("log.entries[%d].startedDateTime", i), "%v", err)
		}
		es = append(es, entry{i, e, t.UnixNano()})
	}
	if len(es) == 0 {
		if page != "" {
			return nil, errorf("log.entries", "no entries of the first page (log.pages[0].id %q)", clip(page))
		}
		return nil, errorf("log.entries", "no entries: the file holds no request")
	}
	slices.SortStableFunc(es, func(a, b entry) int { return cmp.Compare(a.t, b.t) })

	site := &Site{}
	var kept []Resource
	var htmlAt = -1
	for _, x := range es {
		if f.First > 0 && len(kept) == f.First {
			break
		}
		r, err := resource(x.i, x.e, fmt.Sprintf("log.entries[%d]", x.i))
		if err != nil {
			return nil, err
		}
		if r.Host == "" || excluded(r.Host, f.ExcludeHosts) {
			continue // not an HTTP request, or excluded
		}
		if htmlAt < 0 && isDocument(x.e) {
			htmlAt = len(kept)
		}
		kept = append(kept, r)
	}
	if len(kept) == 0 {
		return nil, errorf("log.entries", "no http or https request of the page is left (exclude_hosts leaves out every one, or there is none)")
	}
	if htmlAt < 0 {
		htmlAt = 0
	}
	site.HTML = kept[htmlAt]
	site.Host = site.HTML.Host
	site.Objects = slices.Delete(kept, htmlAt, htmlAt+1)
	return site, nil
}

// resource reads an entry's host, method and size.
func resource(i int, e *Entry, path string) (Resource, error) {
	u, err := url.Parse(e.Request.URL)
	if err != nil || !u.IsAbs() {
		return Resource{}, errorf(path+".request.url", "%q is not an absolute URL", clip(e.Request.URL))
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		// data:, blob:, ws:, wss:, extensions: not a request of the
		// page load over HTTP; left out (Host "").
		return Resource{Entry: i}, nil
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" {
		return Resource{}, errorf(path+".request.url", "%q has no host", clip(e.Request.URL))
	}
	r := &e.Response
	size := r.BodySize
	if size < 0 {
		size = r.Content.Size
	}
	if size < 0 { // Decode refuses it; a Log built in Go may have it
		return Resource{}, errorf(path+".response.bodySize", "unknown (-1) and so is content.size: the response's size is not known")
	}
	if r.HeadersSize > 0 {
		size += r.HeadersSize
	}
	return Resource{Entry: i, Host: host, Method: strings.ToUpper(e.Request.Method), Size: size}, nil
}

// isDocument reports an HTML document: media type text/html, not a redirect.
func isDocument(e *Entry) bool {
	if s := e.Response.Status; s >= 300 && s < 400 {
		return false
	}
	mt, _, err := mime.ParseMediaType(e.Response.Content.MimeType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.Split(e.Response.Content.MimeType, ";")[0]))
	}
	return mt == "text/html"
}

// excluded reports whether host matches one of the patterns.
func excluded(host string, patterns []string) bool {
	for _, p := range patterns {
		if suffix, ok := strings.CutPrefix(p, "*."); ok {
			if strings.HasSuffix(host, "."+suffix) {
				return true
			}
		} else if host == p {
			return true
		}
	}
	return false
}
