package tcp

import (
	"fmt"
	"testing"
)

// TestStringsOfUnknownValues checks that the String methods of the
// package's enumerations name every defined value and, for a value
// outside the set (a corrupt trace, a value added without a name), return
// Type(n) instead of panicking or passing it off as a defined one.
func TestStringsOfUnknownValues(t *testing.T) {
	tests := []struct {
		v    fmt.Stringer
		want string
	}{
		{Open, "open"},
		{Disorder, "disorder"},
		{Recovery, "recovery"},
		{Loss, "loss"},
		{CongState(7), "CongState(7)"},
		{CongState(255), "CongState(255)"},

		{SynSent, "SYN-SENT"},
		{SynReceived, "SYN-RECEIVED"},
		{Established, "ESTABLISHED"},
		{Closed, "CLOSED"},
		{State(9), "State(9)"},

		{ClosedLocally, "closed"},
		{ClosedByPeer, "closed-by-peer"},
		{Reset, "reset"},
		{Refused, "refused"},
		{TimedOut, "timed-out"},
		{Aborted, "aborted"},
		{CloseReason(200), "CloseReason(200)"},

		{HyStartNone, "none"},
		{HyStartAckTrain, "ack-train"},
		{HyStartDelay, "delay"},
		{HyStartExit(3), "HyStartExit(3)"},
	}
	for _, tt := range tests {
		var got string
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%T(%d).String() panicked: %v", tt.v, tt.v, r)
				}
			}()
			got = tt.v.String()
		}()
		if got != tt.want {
			t.Errorf("%T.String() = %q, want %q", tt.v, got, tt.want)
		}
	}
}
