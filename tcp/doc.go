// Package tcp models TCP endpoints on a [link.Network]: the handshake,
// sequence and acknowledgement numbers, congestion control, loss recovery,
// the retransmission timer, delayed ACKs, Nagle, restart after idle and
// close, with per-connection statistics and a cwnd trace. Payload bytes
// are counted, not carried: an application writes messages of n bytes
// with a tag ([Conn.Send]) and the peer hears [Handler.Delivered] with
// that tag once the message's last byte has arrived in order.
//
// A [Stack] holds the [Endpoint] of each node; an endpoint dials
// ([Endpoint.Dial]) and listens ([Endpoint.Listen]). Callbacks into the
// application always run through the scheduler ([sim.Scheduler.Defer]),
// never from inside Send, Close or packet processing, so a handler may
// call back into its [Conn] freely.
//
// # Model scope
//
// What is modelled, with the defaults of [DefaultConfig]:
//
//   - Handshake: SYN, SYN-ACK, ACK; the client may send one RTT after its
//     SYN, and data written before that leaves with the handshake's ACK.
//     SYN (and SYN-ACK) retransmission with exponential backoff from the
//     initial RTO of 1 s, given up after [Config.SynRetries] retries
//     (TimedOut). After a handshake timeout the RTO for the data starts at
//     3 s (RFC 6298 5.7).
//   - Windows in bytes with an MSS of 1460 and an initial window of 10
//     segments (RFC 6928). Every packet has [Config.HeaderBytes] = 40
//     bytes of TCP/IP header, fixed: the timestamp option's 12 bytes and
//     any other option are not counted.
//   - Slow start with appropriate byte counting, cwnd += min(acked,
//     2*MSS) per ACK (RFC 3465, L = 2); congestion avoidance adds one MSS
//     per cwnd of acknowledged bytes, counted in integers, so exactly one
//     MSS per round trip of a fully used window (RFC 5681 3.1).
//   - Growth only when earned: an ACK grows the window only if the
//     window its data was sent in was used, as Linux's
//     tcp_is_cwnd_limited decides: the window was found full at some send
//     of it, or (in slow start) cwnd < 2 * its largest flight, or (in
//     congestion avoidance) the largest flight was within one MSS of cwnd.
//     An application-limited sender does not inflate its window, but the
//     tail of a response, acknowledged while the flight drains, still
//     counts. CUBIC restarts its epoch when growth is not earned, so
//     quiet time does not count on its curve; and when new data is sent
//     with nothing in flight it moves its epoch on by the time since data
//     was last sent (Linux bictcp_cwnd_event on CA_EVENT_TX_START), so a
//     sender that was window-limited up to an idle period resumes on the
//     curve where it left off, whether restart after idle is on or off.
//   - Congestion control behind [CongestionControl]: NewReno ([Reno],
//     RFC 5681 and RFC 6582) and CUBIC ([Cubic], RFC 9438: C = 0.4,
//     beta = 0.7; fast convergence, which compares the window at a loss
//     with the W_max the previous loss left, as RFC 9438 4.7 and Linux
//     do; the Reno-friendly region, whose alpha becomes 1 once W_est
//     reaches the window before the last reduction (4.3)). CUBIC runs
//     HyStart as Linux does ([Config.HyStart], on by default): in slow
//     start, from a window of 16 segments, each round (up to the first
//     ACK beyond what was sent when it began) is watched for an ACK
//     train (ACKs at most 2 ms apart) lasting more than half the
//     smallest RTT seen, and for its smallest RTT over 8 or more samples
//     exceeding the smallest RTT seen by clamp(minimum/8, 4 ms, 16 ms);
//     either ends slow start before any loss (ssthresh = cwnd). RTT
//     samples in the first second of a congestion-avoidance epoch are
//     not counted, and a timeout starts HyStart afresh. There is no
//     pacing, so the ACK-train threshold has no pacing allowance.
//   - Loss recovery without SACK: fast retransmit on the third duplicate
//     ACK and NewReno fast recovery (RFC 6582): ssthresh = max(flight/2,
//     2 MSS) for NewReno, cwnd*0.7 for CUBIC, once per loss episode (the
//     "recover" point); window inflation by one MSS per duplicate ACK; a
//     partial ACK retransmits the next hole, deflates the window and adds
//     one MSS; the full ACK deflates the window to ssthresh (RFC 6582 3.2
//     step 3, second option, with no burst mitigation). The Impatient
//     variant (RFC 6582 4): only the first partial ACK re-arms the
//     retransmission timer, so a window with many holes falls back to a
//     timeout instead of recovering one hole per round trip.
//   - Retransmission timeout: the RFC 6298 estimator in integer
//     nanoseconds with a 1 ms clock granularity, RTO = SRTT + max(1 ms,
//     4*RTTVAR) clamped to [200 ms, 120 s] (the lower bound is Linux's
//     minimum, applied as a clamp as RFC 6298 2.4 does, not added as Linux
//     does), initial 1 s; exponential backoff; data retransmissions given
//     up after [Config.MaxRetries] timeouts in a row (TimedOut, with a
//     reset). On a timeout cwnd collapses to one segment and the sender
//     goes back N: everything after the first unacknowledged byte is
//     resent as the window allows, since without SACK it cannot tell what
//     arrived. ssthresh is reduced by the first timeout of an episode
//     only; a backed-off repeat, or a timeout during fast recovery, keeps
//     it (RFC 5681 3.1; Linux tcp_enter_loss).
//   - RTT measurement with timestamps (RFC 7323): every ACK that advances
//     the window echoes the send time of the segment that started the
//     acknowledged run (or of the segment that filled a hole), so
//     retransmitted data is measured too; the handshake, which carries no
//     echo here, is measured by send time under Karn's rule.
//   - Delayed ACKs (RFC 1122 4.2.3.2, Linux's rule): an ACK as soon as more
//     than one MSS is unacknowledged (every second full segment), else
//     after [Config.DelayedAckTimeout] = 40 ms; an immediate ACK for
//     out-of-order, duplicate or hole-filling data and for a FIN. Any
//     segment we send carries the ACK. No quick-ACK mode at the start of a
//     connection and no adaptive timeout, as Linux has.
//   - Nagle (RFC 896, off by default): a segment of new data smaller than
//     the MSS waits while any data is unacknowledged (the classic rule,
//     not Minshall's variant); retransmissions never wait. [Conn.Cork]
//     holds everything back until [Conn.Uncork] (TCP_CORK).
//   - Restart after idle, keyed on the last data *sent* (RFC 5681 4.1,
//     Linux tcp_cwnd_restart): when the sender has sent no data for more
//     than the RTO and nothing is in flight, [RestartRFC5681] sets cwnd =
//     min(cwnd, IW); [RestartLinux] halves cwnd once for every whole RTO the
//     idle time exceeds the RTO by, not below min(cwnd, IW), and keeps
//     ssthresh at least 3/4 of the old cwnd. [Config.SlowStartAfterIdle]
//     switches it off.
//   - A fixed advertised receive window (4 MiB): no receive buffer, no
//     window updates, no zero window.
//   - Close: [Conn.Close] sends a FIN after what was written; the handler
//     hears Closed(ClosedLocally) when both FINs have been exchanged. The
//     side that receives a FIN first hears ClosedByPeer at once and closes
//     its half after its own data, like an application that closes on
//     end of file. Data arriving after Close is answered with a reset, as
//     Linux does for a socket closed with data arriving; so is any segment
//     for a fully closed connection (RFC 9293 3.10.7.1). A refused or
//     unanswered connection request ends in Refused or TimedOut;
//     [Conn.Abort] resets at once. Closed comes exactly once per
//     connection that had a handler.
//
// What is not modelled: SACK and DSACK (RFC 2018, 2883, 6675), and with
// them RACK and PRR; spurious-retransmission detection and undo (Eifel,
// F-RTO, DSACK undo), so after a timeout go-back-N can resend segments
// still in flight, and the duplicate ACKs those duplicates cause can start
// a second, needless fast retransmit; TIME-WAIT (a closed connection
// still acknowledges a repeated FIN, but holds no port); PAWS, window
// scaling and receive-buffer autotuning; pacing, TSO/GSO and ECN; the
// reduction of the initial window after a lost SYN (RFC 6928 2); path MTU
// discovery; urgent data; simultaneous open. CUBIC's HyStart has no
// HyStart++ (RFC 9406) and no conservative slow start after its exit;
// after the exit the window grows as congestion avoidance with no W_max
// (the cubic curve from the exit window, or one segment per RTT if
// faster), without Linux's floor of 5% growth per RTT while no loss has
// set W_max (bictcp_update's cnt = 20).
//
// # Units
//
// Byte counts are [Bytes] (an int64): windows, sequence distances,
// message sizes. Sequence numbers are unwrapped int64 counts starting at 0
// for the SYN (data starts at 1); a packet capture would take them modulo
// 2^32. Time is [sim.Time] (integer nanoseconds since the start of the
// run) and spans are [time.Duration]; the RTT estimator, timers and idle
// checks are integer arithmetic throughout. Rates are [link.Bandwidth]
// (bits per second). Floating point appears only in CUBIC (its curve, K,
// W_max and W_est), with every product converted explicitly, so results
// are the same on every architecture.
//
// # RFCs
//
//   - RFC 9293: TCP (handshake, states, resets, segment acceptability).
//   - RFC 5681: congestion control (slow start, congestion avoidance, fast
//     retransmit and recovery, restart after idle).
//   - RFC 6582: the NewReno modification to fast recovery (recover, partial
//     ACKs, the Impatient variant).
//   - RFC 6298: the retransmission timer (estimator, backoff, Karn,
//     the 3 s RTO after a SYN timeout).
//   - RFC 6928: the initial window of 10 segments.
//   - RFC 3465: appropriate byte counting (L = 2).
//   - RFC 7323: timestamps (RTT measurement, TS.Recent).
//   - RFC 9438: CUBIC.
//   - RFC 1122: host requirements (delayed ACK bounds).
//   - RFC 896: Nagle's algorithm.
package tcp
