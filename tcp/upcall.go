package tcp

// Calls into the application (Handler.Connected, Delivered, Closed,
// SendSpacer.SendSpace) are deferred (sim.Scheduler.Defer), so that no
// application code runs inside a protocol state update. Each is an event
// of its own, in the order the stack asked for them; rather than a
// closure per call (an allocation per delivered message), the stack
// queues what to call and every deferred event runs the oldest entry:
// the events run in the order they were scheduled (same instant: by
// sequence number; Defer never schedules in the past), which is the
// queue's order, so each runs the call it was scheduled for.

// upcallKind is what an upcall calls.
type upcallKind uint8

const (
	upConnected upcallKind = iota // Handler.Connected, unless the connection has closed since
	upDelivered                   // Handler.Delivered with tag
	upClosed                      // h.Closed with reason
	upSendSpace                   // SendSpacer.SendSpace, unless the connection has closed since
)

type upcall struct {
	c      *Conn
	h      Handler // upClosed, upSendSpace: the handler when the call was queued
	tag    any
	kind   upcallKind
	reason CloseReason
}

// deferUpcall queues u and schedules the event that runs it.
func (s *Stack) deferUpcall(u upcall) {
	if s.runUpcall == nil {
		s.runUpcall = s.nextUpcall // one method value for the stack's life
	}
	s.upcalls.Push(u)
	s.sched.Defer(s.runUpcall)
}

// nextUpcall runs the oldest queued upcall.
func (s *Stack) nextUpcall() {
	u := s.upcalls.Pop()
	c := u.c
	switch u.kind {
	case upConnected:
		if c.h != nil && c.state != Closed {
			c.h.Connected(c)
		}
	case upDelivered:
		if c.h != nil {
			c.h.Delivered(c, u.tag)
		}
	case upClosed:
		u.h.Closed(c, u.reason)
	case upSendSpace:
		if c.state != Closed {
			u.h.(SendSpacer).SendSpace(c)
		}
	}
}
