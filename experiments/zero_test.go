package experiments

import (
	"strings"
	"testing"
)

// TestResponseHeaderZeroIsZero checks that http.response_header_bytes: 0
// runs with no header bytes (it used to run as 1 byte: the results of 0
// and 1 were identical), and that a response of 0 bytes in all is
// refused at the key, by httpmodel's rule.
func TestResponseHeaderZeroIsZero(t *testing.T) {
	s := mustLoad(t, "name: x\npage: {html: 1KB, objects: [{size: 1KB, count: 3}]}\nsweep: {http.response_header_bytes: [0, 1]}\n")
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	var bytes [2]int64
	for i, rc := range runs {
		bytes[i] = Run(rc, false).Row.Bytes
	}
	// Four responses, one header byte each more.
	if bytes[1]-bytes[0] != 4 {
		t.Errorf("bytes on the wire: %v with 0 header bytes, %v with 1; want 4 more", bytes[0], bytes[1])
	}
	got := loadErr(t, "name: x\nhttp: {response_header_bytes: 0}\npage: {objects: [{size: 0}]}\n")
	want := "test.yaml:2:31: http.response_header_bytes: a response of 0 bytes on the wire"
	if !strings.HasPrefix(got, want) {
		t.Errorf("got  %s\nwant %s...", got, want)
	}
}
