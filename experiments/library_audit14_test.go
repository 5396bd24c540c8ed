package experiments_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestHOLBlockingDescriptionNumbers (audit of issue 14: numbers in text
// come from the data of the figure they describe): the times
// hol-blocking's description gives for its four waterfalls (run 0, at
// 0 and 1 % loss) are those runs' times, rounded to the ms.
func TestHOLBlockingDescriptionNumbers(t *testing.T) {
	s := libLoad(t, "hol-blocking")
	res := libRun(t, s, libKeep{"network.loss": {"0", "0.01"}}, 1)
	// smalls returns the first and last end (ms, rounded) of the ten
	// 20 KB objects of model at loss.
	smalls := func(model, loss string) (lo, hi int) {
		first, last, n := math.Inf(1), math.Inf(-1), 0
		for _, r := range res {
			if !libAt(r.Row, model, "network.loss="+loss) || r.Row.Run != 0 {
				continue
			}
			for _, q := range r.Requests {
				if q.Request == 0 || q.Bytes > 100_000 {
					continue // the HTML, the large object
				}
				first, last = min(first, q.EndMS), max(last, q.EndMS)
				n++
			}
		}
		if n != 10 {
			t.Fatalf("%s at loss %s: %d small objects, want 10", model, loss, n)
		}
		return int(math.Round(first)), int(math.Round(last))
	}
	h2lo, h2hi := smalls("http2", "0.01")
	h2lo0, h2hi0 := smalls("http2", "0")
	p6lo, p6hi := smalls("parallel", "0.01")
	p6lo0, p6hi0 := smalls("parallel", "0")
	if h2lo != h2hi {
		t.Errorf("HTTP/2 at 1 %% loss: the small streams end from %d to %d ms, not at one instant", h2lo, h2hi)
	}
	desc := strings.Join(strings.Fields(s.Description), " ")
	for _, want := range []string{
		fmt.Sprintf("all end at the same instant, %d ms, where they ended between %d and %d ms without loss", h2hi, h2lo0, h2hi0),
		fmt.Sprintf("on six connections they end between %d and %d ms (%d to %d ms without loss)", p6lo, p6hi, p6lo0, p6hi0),
	} {
		if !strings.Contains(desc, want) {
			t.Errorf("the description lacks %q", want)
		}
	}
}
