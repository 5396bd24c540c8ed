package experiments

import "github.com/connsim/connsim/httpmodel"

// The TLS session keys (ext, issue 14), beside the scalar tls key:
//
//	tls_resumption: true  # a client resumes its TLS session with a host it has a ticket for
//	tls_0rtt: true        # TLS 1.3: a resuming client sends safe requests as early data
//
// Both default to false, the model before they existed: every
// connection pays a full handshake. httpmodel's tls.go has the model.
// tls_0rtt needs tls13 and tls_resumption: a file that sets it without
// them is refused at the key. A sweep may cross them (tls over none,
// tls12 and tls13 with tls_0rtt: [false, true]); the points where a
// setting cannot apply run without it, as the tcp section's ignored
// combinations do: resumption with tls none, 0-RTT without tls13 or
// resumption.

// tlsSession returns the httpmodel resumption and 0-RTT settings of
// spec s for TLS version tls: each only where it applies.
func tlsSession(s *Spec, tls httpmodel.TLS) (resumption, zeroRTT bool) {
	resumption = s.TLSResumption && tls != httpmodel.NoTLS
	return resumption, resumption && s.TLS0RTT && tls == httpmodel.TLS13
}

// checkTLS refuses tls_0rtt where it cannot apply, unless a sweep made
// the combination (then it is ignored, see above).
func checkTLS(s *Spec, d *decoder) {
	if !s.TLS0RTT || (s.TLS == "tls13" && s.TLSResumption) {
		return
	}
	for _, m := range d.over {
		for _, k := range []string{"tls", "tls_resumption", "tls_0rtt"} {
			if m[k] != nil {
				return // crossed by the sweep: ignored at this point
			}
		}
	}
	n, p := d.nodeFor("tls_0rtt")
	switch {
	case s.TLS != "tls13":
		d.errorf(n, p, "needs tls: tls13 (early data is a TLS 1.3 mechanism, RFC 8446 2.3), not %s", s.TLS)
	default:
		d.errorf(n, p, "needs tls_resumption: true (early data is sent under a resumed session's key, RFC 8446 2.3)")
	}
}
