package tcp

func (c *Conn) notify(r CloseReason) {
	if c.notified || c.h == nil {
		c.notified = true
		return
	}
	c.notified = true
	c.ep.stack.deferUpcall(upcall{c: c, h: c.h, kind: upClosed, reason: r})
}

func (c *Conn) terminate(r CloseReason) {
	if c.state == Closed {
		return
	}
	if c.state == SynReceived {
		c.ep.dropEmbryo(c) // leave the embryo list
	}
	c.state = Closed
	c.stats.ClosedAt = c.sched.Now()
	c.xmitTimer.Stop()
	if c.rcv.ackTimer != nil {
		c.rcv.ackTimer.Stop()
	}
	// A closed connection never sends or acknowledges data again: drop
	// the sender's segment list and the receiver's out-of-order spans,
	// so that an endpoint that keeps every connection it had (Conns)
	// holds little for the closed ones. The marks stay: the peer may
	// still be receiving data this side wrote.
	c.ep.stack.keepArrays(&c.sb)
	c.sb.reset()
	c.rcv.ooo, c.rcv.endsAhead = nil, nil
	c.notify(r)
	c.ep.maybeForget(c) // waits for the end of Receive when called from it
}

// traceCwnd records cwnd and ssthresh when either changed.
func (c *Conn) traceCwnd() {
	if !c.cfg.TraceCwnd {
		return
	}
	w, s := c.cc.Window(), c.cc.SSThresh()
	if w == c.lastCwnd && s == c.lastSSThresh {
		return
	}
	c.lastCwnd, c.lastSSThresh = w, s
	c.stats.Cwnd = append(c.stats.Cwnd, CwndSample{At: c.sched.Now(), Cwnd: w, SSThresh: s})
}
