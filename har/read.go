package har

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"time"
)

// MaxSize is the largest HAR document Read and Decode accept, in bytes.
// Browsers that save response bodies in the file (content.text) make
// large files; 256 MiB holds any page connsim would simulate.
const MaxSize = 256 << 20

// MaxEntries is the most entries Decode accepts.
const MaxEntries = 100000

// maxBytes bounds a size field, so that sizes add up without overflow
// (1 PB; experiments bound an object far lower).
const maxBytes = 1 << 50

// Error is a problem in a HAR document.
type Error struct {
	// Path is the field, a path into the document such as
	// log.entries[3].response.bodySize; "" for the document as a whole.
	Path string
	// Line and Column locate a JSON syntax error (1-based); 0 otherwise.
	Line, Column int
	Msg          string
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0:
		return fmt.Sprintf("%d:%d: %s", e.Line, e.Column, e.Msg)
	case e.Path == "":
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

func errorf(path, format string, args ...any) *Error {
	return &Error{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Read reads a HAR document from r (at most MaxSize bytes) and decodes
// it with Decode.
func Read(r io.Reader) (*Log, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, err
	}
	return Decode(data)
}

// unset marks a size field that the document does not give (absent or
// null); Decode turns it into -1, HAR's "unknown".
const unset = math.MinInt64

// rawLog is a log whose pages and entries are decoded one at a time, so
// that a problem names its index.
type rawLog struct {
	Version *string           `json:"version"`
	Creator *Creator          `json:"creator"`
	Browser *Creator          `json:"browser"`
	Pages   []json.RawMessage `json:"pages"`
	Entries []json.RawMessage `json:"entries"`
	Comment string            `json:"comment"`
}

// Decode decodes a HAR 1.1 or 1.2 document and checks the fields connsim
// reads: log.version (1.1 or 1.2), log.creator, every page's id, and of
// every entry startedDateTime (ISO 8601 with a time zone), request
// (method and url) and response (status; bodySize, headersSize and
// content.size -1 or more, at least one of bodySize and content.size
// known). Sizes a document leaves out (or null) read as -1, unknown;
// blocked, dns, connect and ssl left out read as -1. It returns the first
// problem as an *Error naming the field.
func Decode(data []byte) (*Log, error) {
	if len(data) > MaxSize {
		return nil, errorf("", "the file is larger than %d bytes (256 MiB)", MaxSize)
	}
	var doc struct {
		Log *rawLog `json:"log"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, jsonError(data, "", err)
	}
	raw := doc.Log
	if raw == nil {
		return nil, errorf("log", `required: a HAR file is {"log": {"version": "1.2", "entries": [...]}}`)
	}
	l := &Log{Browser: raw.Browser, Comment: raw.Comment}
	switch {
	case raw.Version == nil:
		return nil, errorf("log.version", "required (1.2)")
	case *raw.Version != "1.2" && *raw.Version != "1.1":
		return nil, errorf("log.version", "%q: connsim reads HAR 1.1 and 1.2", clip(*raw.Version))
	}
	l.Version = *raw.Version
	if raw.Creator == nil {
		return nil, errorf("log.creator", "required (the application that wrote the file)")
	}
	l.Creator = *raw.Creator
	if raw.Entries == nil {
		return nil, errorf("log.entries", "required (a list of requests)")
	}
	if len(raw.Entries) > MaxEntries {
		return nil, errorf("log.entries", "%d entries is too many (at most %d)", len(raw.Entries), MaxEntries)
	}
	ids := map[string]int{}
	for i, m := range raw.Pages {
		path := fmt.Sprintf("log.pages[%d]", i)
		var p Page
		if err := decodeObject(m, path, &p, "startedDateTime", "id", "title", "pageTimings"); err != nil {
			return nil, err
		}
		if p.ID == "" {
			return nil, errorf(path+".id", "required (entries refer to their page by id)")
		}
		if j, dup := ids[p.ID]; dup {
			return nil, errorf(path+".id", "%q is the id of log.pages[%d] already", clip(p.ID), j)
		}
		ids[p.ID] = i
		l.Pages = append(l.Pages, p)
	}
	l.Entries = make([]Entry, len(raw.Entries))
	for i, m := range raw.Entries {
		if err := decodeEntry(m, fmt.Sprintf("log.entries[%d]", i), &l.Entries[i]); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// decodeEntry decodes and checks one entry.
func decodeEntry(m json.RawMessage, path string, e *Entry) error {
	*e = Entry{
		Request:  Request{HeadersSize: unset, BodySize: unset},
		Response: Response{HeadersSize: unset, BodySize: unset, Content: Content{Size: unset}},
		Timings:  Timings{Blocked: -1, DNS: -1, Connect: -1, SSL: -1},
	}
	if err := decodeObject(m, path, e, "startedDateTime", "request", "response"); err != nil {
		return err
	}
	if _, err := ParseTime(e.StartedDateTime); err != nil {
		return errorf(path+".startedDateTime", "%v", err)
	}
	q := &e.Request
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(m, &fields) // decodeObject checked it is an object
	if err := requireKeys(fields["request"], path+".request", "method", "url"); err != nil {
		return err
	}
	if err := requireKeys(fields["response"], path+".response", "status"); err != nil {
		return err
	}
	if q.Method == "" {
		return errorf(path+".request.method", "empty (want GET, POST, ...)")
	}
	if q.URL == "" {
		return errorf(path+".request.url", "empty (want an absolute URL)")
	}
	r := &e.Response
	if r.Status < 0 || r.Status > 999 {
		return errorf(path+".response.status", "%d is not an HTTP status (0 when there was no response, else 100..999)", r.Status)
	}
	for _, s := range []struct {
		name string
		v    *int64
	}{
		{"request.headersSize", &q.HeadersSize},
		{"request.bodySize", &q.BodySize},
		{"response.headersSize", &r.HeadersSize},
		{"response.bodySize", &r.BodySize},
		{"response.content.size", &r.Content.Size},
	} {
		switch {
		case *s.v == unset:
			*s.v = -1
		case *s.v < -1:
			return errorf(path+"."+s.name, "%d: want -1 (unknown) or a size of 0 or more bytes", *s.v)
		case *s.v > maxBytes:
			return errorf(path+"."+s.name, "%d bytes is too large (at most %d)", *s.v, int64(maxBytes))
		}
	}
	if r.BodySize < 0 && r.Content.Size < 0 {
		return errorf(path+".response.bodySize", "unknown (-1 or absent) and so is content.size: the response's size is not known")
	}
	return nil
}

// decodeObject decodes the JSON object m (at path) into v and checks
// that it has the keys required.
func decodeObject(m json.RawMessage, path string, v any, required ...string) error {
	if err := json.Unmarshal(m, v); err != nil {
		return jsonError(m, path, err)
	}
	return requireKeys(m, path, required...)
}

// requireKeys checks that m is a JSON object holding the keys required
// (null counts as absent).
func requireKeys(m json.RawMessage, path string, required ...string) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(m, &fields); err != nil || fields == nil {
		return errorf(path, "want an object, got %s", jsonKind(m))
	}
	for _, k := range required {
		if v, ok := fields[k]; !ok || string(bytes.TrimSpace(v)) == "null" {
			return errorf(path+"."+k, "required")
		}
	}
	return nil
}

// jsonError turns an encoding/json error on data, the value at path,
// into an *Error: a syntax error at its line and column, a type error at
// its field.
func jsonError(data []byte, path string, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := position(data, se.Offset)
		return &Error{Line: line, Column: col, Msg: "JSON syntax error: " + se.Error()}
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		p := path
		if te.Field != "" {
			p = joinPath(path, te.Field)
		}
		return errorf(p, "want %s, got a JSON %s", typeName(te.Type), te.Value)
	}
	return errorf(path, "%v", err)
}

func joinPath(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

// position returns the 1-based line and column of byte offset off (the
// byte after the error, as encoding/json counts it).
func position(data []byte, off int64) (line, col int) {
	off = min(max(off-1, 0), int64(len(data)))
	line = 1 + bytes.Count(data[:off], []byte("\n"))
	col = int(off) - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}

// typeName names a Go type as the JSON value it decodes.
func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "an object"
	}
	return t.String()
}

// jsonKind names the kind of JSON value m is.
func jsonKind(m json.RawMessage) string {
	s := bytes.TrimSpace(m)
	if len(s) == 0 {
		return "nothing"
	}
	switch s[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// ParseTime parses an ISO 8601 date and time with a time zone, as HAR's
// startedDateTime (e.g. 2009-07-24T19:20:30.45+01:00).
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an ISO 8601 date and time with a time zone (e.g. 2024-05-01T10:00:00.123Z)", clip(s))
	}
	return t, nil
}

// clip cuts a text from the document that a message repeats.
func clip(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	for i := max; i > 0; i-- {
		if s[i]&0xC0 != 0x80 {
			return s[:i] + "..."
		}
	}
	return "..."
}
