package har

import (
	"errors"
	"strings"
	"testing"
)

// TestDecodeMissingAndNullFields checks that a HAR document missing a
// required member, or with null where an object or a value is due, gives
// an error at that member's path, never a panic (Decode dereferences
// what it has checked).
func TestDecodeMissingAndNullFields(t *testing.T) {
	e := `{"startedDateTime": "2024-01-01T00:00:00Z", "request": {"method": "GET", "url": "http://a.example/"}, "response": {"status": 200, "bodySize": 1}}`
	doc := func(log string) string { return `{"log": {` + log + `}}` }
	const ver, cre = `"version": "1.2", `, `"creator": {"name": "t", "version": "1"}, `
	tests := []struct{ doc, path string }{
		{`{}`, "log"},
		{`{"log": null}`, "log"},
		{doc(cre + `"entries": [` + e + `]`), "log.version"},
		{doc(`"version": null, ` + cre + `"entries": [` + e + `]`), "log.version"},
		{doc(`"version": "2.0", ` + cre + `"entries": [` + e + `]`), "log.version"},
		{doc(ver + `"entries": [` + e + `]`), "log.creator"},
		{doc(ver + `"creator": null, "entries": [` + e + `]`), "log.creator"},
		{doc(ver + cre + `"pages": []`), "log.entries"},
		{doc(ver + cre + `"entries": null`), "log.entries"},
		{doc(ver + cre + `"entries": [null]`), "log.entries[0]"},
		{doc(ver + cre + `"entries": [` + strings.Replace(e, `"request": {"method": "GET", "url": "http://a.example/"}, `, ``, 1) + `]`), "log.entries[0].request"},
		{doc(ver + cre + `"entries": [` + strings.Replace(e, `"request": {"method": "GET", "url": "http://a.example/"}`, `"request": null`, 1) + `]`), "log.entries[0].request"},
		{doc(ver + cre + `"entries": [` + strings.Replace(e, `, "url": "http://a.example/"`, ``, 1) + `]`), "log.entries[0].request.url"},
		{doc(ver + cre + `"entries": [` + strings.Replace(e, `"response": {"status": 200, "bodySize": 1}`, `"response": null`, 1) + `]`), "log.entries[0].response"},
		{doc(ver + cre + `"entries": [` + strings.Replace(e, `"startedDateTime": "2024-01-01T00:00:00Z", `, ``, 1) + `]`), "log.entries[0].startedDateTime"},
	}
	for _, tc := range tests {
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: panic %v", tc.doc, r)
				}
			}()
			_, err = Decode([]byte(tc.doc))
		}()
		var he *Error
		if !errors.As(err, &he) || !strings.HasPrefix(he.Path, tc.path) {
			t.Errorf("%s:\n got %v, want a problem at %s", tc.doc, err, tc.path)
		}
	}
}
