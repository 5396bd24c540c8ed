package experiments

import (
	"strings"
	"testing"
)

// TestProxiesErrorsAtKey: the problems httpmodel finds with a proxy
// (its link loss, a route that loops through DNS) are reported at the
// key that causes them, line and column, named once: the key path names
// the proxy, the message does not repeat it.
func TestProxiesErrorsAtKey(t *testing.T) {
	base := strings.SplitN(proxiesYAML, "proxies:\n", 2)[0]
	for _, c := range []struct{ proxies, want string }{
		{"  - {name: a, link: {loss: 1}}\n", `test.yaml:11:28: proxies[0].link.loss: link loss 1, want [0, 1)`},
		{"  - {name: a, hosts: [example.com], upstream: b}\n  - {name: b, for: [web]}\n", `test.yaml:11:47: proxies[0].upstream: the route of host "example.com" loops through proxy "a"`},
	} {
		got := loadErr(t, base+"proxies:\n"+c.proxies)
		if !strings.Contains(got, c.want) || strings.Contains(got, "(a):") {
			t.Errorf("%q:\n got %s\nwant %s", c.proxies, got, c.want)
		}
	}
}
