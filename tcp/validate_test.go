package tcp

import (
	"strings"
	"testing"
	"time"
)

// Validate holds tcp's own rules, so that a Go user of tcp or httpmodel
// gets them as a YAML user does (experiments adds the key positions).
func TestValidateCrossFieldRules(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Config)
		want string // "" = valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"receive window below the MSS", func(c *Config) { c.MSS, c.ReceiveWindow = 9000, 8000 }, "ReceiveWindow: 8000 bytes is smaller than MSS 9000"},
		{"receive window of one MSS", func(c *Config) { c.MSS, c.ReceiveWindow = 1460, 1460 }, ""},
		{"min RTO above the initial RTO", func(c *Config) { c.MinRTO, c.InitialRTO = 200*time.Millisecond, 100*time.Millisecond }, "MinRTO: 200ms is above InitialRTO 100ms"},
		{"min RTO at the initial RTO", func(c *Config) { c.MinRTO, c.InitialRTO = time.Second, time.Second }, ""},
	} {
		cfg := DefaultConfig()
		c.edit(&cfg)
		err := cfg.Validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v, want valid", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}
