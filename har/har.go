// Package har reads and writes HTTP Archive (HAR) 1.2 files, the format
// in which browsers' developer tools ("Save all as HAR"), WebPageTest and
// HAR viewers exchange page loads (W3C Web Performance Working Group
// draft "HTTP Archive (HAR) format", version 1.2; the de facto reference
// is Jan Odvarko's HAR 1.2 specification).
//
// # Model
//
// The types below are HAR 1.2's objects with encoding/json tags: [HAR]
// is the document, {"log": ...}; [Log] holds the [Creator], the [Page]s
// and the [Entry]s, one entry per request with its [Request], [Response],
// [Cache] and [Timings]. Fields that HAR 1.2 requires have no omitempty,
// so a [Log] built in Go is written with every required field, an empty
// list as [] (never null); optional fields are written only when set.
//
// # Reading
//
// [Decode] reads a HAR document and checks what connsim uses of it; every
// problem names the field as a path into the document, entry index
// included, e.g. log.entries[3].response.bodySize. Unknown fields (the
// "_"-prefixed extensions of Chrome and WebPageTest) are ignored. Fields
// connsim does not read (cookies, headers, content.text) may be anything
// of the right JSON type.
//
// [Log.Site] turns the entries of the first page into the page connsim
// loads ([Site]): which entry is the HTML, each object's host, size and
// method, and their order; see its documentation. Package experiments
// makes an experiment's page of it (page: {har: FILE}).
//
// # Writing
//
// [Write] writes a document as indented JSON, keys in the order of the
// HAR 1.2 specification, with no HTML escaping: the same value gives the
// same bytes.
//
// # Timings
//
// HAR 1.2's timings are, in order, blocked, dns, connect, send, wait and
// receive, plus ssl, which happens inside connect: "If this field is
// defined then the time is also included in the connect field (to ensure
// backward compatibility with HAR 1.1)". An entry's time is "the sum of
// all timings available in the timings object (i.e. not including -1
// values)" other than ssl, which connect already counts: see
// [Timings.Total]. blocked, dns, connect and ssl are -1 when the phase
// does not apply (a reused connection has no connect); send, wait and
// receive are never negative.
package har

import (
	"bytes"
	"encoding/json"
	"io"
)

// Version is the HAR version this package writes and reads.
const Version = "1.2"

// HAR is a HAR document: {"log": ...}.
type HAR struct {
	Log Log `json:"log"`
}

// Log is the root of the exported data.
type Log struct {
	Version string   `json:"version"`           // "1.2"
	Creator Creator  `json:"creator"`           // the application that wrote the log
	Browser *Creator `json:"browser,omitempty"` // the browser, when one wrote it
	Pages   []Page   `json:"pages"`             // optional in HAR 1.2; written always ([] when none)
	Entries []Entry  `json:"entries"`           // every request, sorted by startedDateTime when written by a browser
	Comment string   `json:"comment,omitempty"`
}

// Creator names the application (or browser) that wrote a log.
type Creator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Comment string `json:"comment,omitempty"`
}

// Page is one page load; entries refer to it by ID (Entry.Pageref).
type Page struct {
	StartedDateTime string      `json:"startedDateTime"` // ISO 8601, e.g. 2000-01-01T00:00:00.000Z
	ID              string      `json:"id"`              // unique in the log
	Title           string      `json:"title"`
	PageTimings     PageTimings `json:"pageTimings"`
	Comment         string      `json:"comment,omitempty"`
}

// PageTimings are the page's milestones, in milliseconds from its
// StartedDateTime; -1 when not known.
type PageTimings struct {
	OnContentLoad float64 `json:"onContentLoad"` // DOMContentLoaded
	OnLoad        float64 `json:"onLoad"`        // the load event
	Comment       string  `json:"comment,omitempty"`
}

// Entry is one request and its response.
type Entry struct {
	Pageref         string   `json:"pageref,omitempty"` // the Page.ID it belongs to
	StartedDateTime string   `json:"startedDateTime"`   // when the request started (ISO 8601)
	Time            float64  `json:"time"`              // ms: Timings.Total
	Request         Request  `json:"request"`
	Response        Response `json:"response"`
	Cache           Cache    `json:"cache"`
	Timings         Timings  `json:"timings"`
	ServerIPAddress string   `json:"serverIPAddress,omitempty"`
	Connection      string   `json:"connection,omitempty"` // the TCP connection's ID
	Comment         string   `json:"comment,omitempty"`
}

// Request is a request's method, URL and sizes.
type Request struct {
	Method      string      `json:"method"`
	URL         string      `json:"url"` // absolute, fragments removed
	HTTPVersion string      `json:"httpVersion"`
	Cookies     []Cookie    `json:"cookies"`
	Headers     []NameValue `json:"headers"`
	QueryString []NameValue `json:"queryString"`
	PostData    *PostData   `json:"postData,omitempty"`
	HeadersSize int64       `json:"headersSize"` // bytes up to and including the blank line; -1 unknown
	BodySize    int64       `json:"bodySize"`    // request body bytes; -1 unknown
	Comment     string      `json:"comment,omitempty"`
}

// Response is a response's status and sizes.
type Response struct {
	Status      int         `json:"status"`
	StatusText  string      `json:"statusText"`
	HTTPVersion string      `json:"httpVersion"`
	Cookies     []Cookie    `json:"cookies"`
	Headers     []NameValue `json:"headers"`
	Content     Content     `json:"content"`
	RedirectURL string      `json:"redirectURL"`
	HeadersSize int64       `json:"headersSize"` // bytes up to and including the blank line; -1 unknown
	BodySize    int64       `json:"bodySize"`    // body bytes as received (compressed); 0 from cache, -1 unknown
	Comment     string      `json:"comment,omitempty"`
}

// Content is the response body as decoded.
type Content struct {
	Size        int64  `json:"size"` // decoded body bytes
	Compression *int64 `json:"compression,omitempty"`
	MimeType    string `json:"mimeType"`
	Text        string `json:"text,omitempty"`
	Encoding    string `json:"encoding,omitempty"`
	Comment     string `json:"comment,omitempty"`
}

// Cache is the browser cache's state before and after the request.
type Cache struct {
	BeforeRequest *CacheEntry `json:"beforeRequest,omitempty"`
	AfterRequest  *CacheEntry `json:"afterRequest,omitempty"`
	Comment       string      `json:"comment,omitempty"`
}

// CacheEntry is a cache entry's state.
type CacheEntry struct {
	Expires    string `json:"expires,omitempty"`
	LastAccess string `json:"lastAccess"`
	ETag       string `json:"eTag"`
	HitCount   int    `json:"hitCount"`
	Comment    string `json:"comment,omitempty"`
}

// Cookie is a request or response cookie.
type Cookie struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Path     string `json:"path,omitempty"`
	Domain   string `json:"domain,omitempty"`
	Expires  string `json:"expires,omitempty"`
	HTTPOnly *bool  `json:"httpOnly,omitempty"`
	Secure   *bool  `json:"secure,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

// NameValue is a header or a query string parameter.
type NameValue struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	Comment string `json:"comment,omitempty"`
}

// PostData is a request body.
type PostData struct {
	MimeType string      `json:"mimeType"`
	Params   []NameValue `json:"params,omitempty"`
	Text     string      `json:"text,omitempty"`
	Comment  string      `json:"comment,omitempty"`
}

// Timings are the phases of a request in milliseconds (see the package
// doc): blocked, dns, connect (ssl included) and ssl are -1 when they do
// not apply.
type Timings struct {
	Blocked float64 `json:"blocked"` // waiting for a connection (queued)
	DNS     float64 `json:"dns"`
	Connect float64 `json:"connect"` // TCP handshake, TLS (SSL) included
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"` // time to first byte after the request was sent
	Receive float64 `json:"receive"`
	SSL     float64 `json:"ssl"` // TLS handshake, also counted in Connect
	Comment string  `json:"comment,omitempty"`
}

// Total is an entry's time per HAR 1.2: the sum of blocked, dns, connect,
// send, wait and receive, leaving out those that are -1 (negative); ssl
// is not added, connect counts it already.
func (t Timings) Total() float64 {
	sum := 0.0
	for _, v := range []float64{t.Blocked, t.DNS, t.Connect, t.Send, t.Wait, t.Receive} {
		if v > 0 {
			sum += v
		}
	}
	return sum
}

// Write writes h as indented JSON (two spaces), followed by a newline.
// Lists HAR 1.2 requires (pages, entries, cookies, headers, queryString)
// are written [] when nil; h is not changed. The bytes depend only on h.
func Write(w io.Writer, h *HAR) error {
	c := *h
	c.Log.Pages = nonNil(c.Log.Pages)
	c.Log.Entries = nonNil(c.Log.Entries)
	if len(h.Log.Entries) > 0 {
		c.Log.Entries = make([]Entry, len(h.Log.Entries))
		for i, e := range h.Log.Entries {
			e.Request.Cookies = nonNil(e.Request.Cookies)
			e.Request.Headers = nonNil(e.Request.Headers)
			e.Request.QueryString = nonNil(e.Request.QueryString)
			e.Response.Cookies = nonNil(e.Response.Cookies)
			e.Response.Headers = nonNil(e.Response.Headers)
			c.Log.Entries[i] = e
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&c); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
