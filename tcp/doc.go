// Package tcp models TCP endpoints on a [link.Network]: the handshake,
// sequence and acknowledgement numbers, congestion control, loss recovery,
// the retransmission timer, delayed ACKs, Nagle, restart after idle and
// close, with per-connection statistics and a cwnd trace. Payload bytes
// are counted, not carried: an application writes messages of n bytes
// with a tag ([Conn.Send]) and the peer hears [Handler.Delivered] with
// that tag once the message's last byte has arrived in order. Where
// messages end travels with the packets, as the payload's framing would
// tell a parser: each segment carries the count of messages ending in it
// and where the last one ends (link.Packet's MsgCount, MsgEnds, LastEnd),
// and the receiver delivers from what arrives in order, so an agent on
// the path sees the same boundaries ([Stack.MessageEnds] reads the other
// ends of a segment holding several).
//
// A [Stack] holds the [Endpoint] of each node; an endpoint dials
// ([Endpoint.Dial]) and listens ([Endpoint.Listen]). Callbacks into the
// application always run through the scheduler ([sim.Scheduler.Defer]),
// never from inside Send, Close or packet processing, so a handler may
// call back into its [Conn] freely.
//
// # Model scope
//
// The defaults ([DefaultConfig]) follow Linux 6.x with its default
// sysctls, which the model is regression-checked against (see
// internal/linuxref): the textbook sender of the RFCs stays reachable as
// settings ([TextbookConfig]: no timestamps, NewReno without SACK, byte
// counting, the RFC 6298 estimator, the plain delayed-ACK rule), and the
// theory tests run on it.
//
//   - Handshake: SYN, SYN-ACK, ACK; the client may send one RTT after its
//     SYN, and data written before that leaves with the handshake's ACK.
//     SYN (and SYN-ACK) retransmission with exponential backoff from the
//     initial RTO of 1 s, given up after [Config.SynRetries] retries
//     (TimedOut). The handshake's RTT sample comes from the echoed
//     timestamp, so it holds after a retransmitted SYN too (Linux
//     tcp_synack_rtt_meas); without timestamps Karn's rule applies and,
//     after a handshake timeout, the RTO for the data starts at 3 s (RFC
//     6298 5.7).
//   - Segments and headers: [Config.MSS] (1460) is the MSS announced;
//     options come out of each segment's payload (RFC 6691), so with the
//     timestamp option (RFC 7323, [Config.Timestamps], on) a full segment
//     carries 1448 bytes. Every packet has 40 bytes of TCP/IP header, 12
//     of timestamp option, and 2 + 8 bytes per SACK block rounded up to 4
//     (RFC 2018 3; at most three blocks beside timestamps). Initial window
//     10 segments (RFC 6928).
//   - Window accounting ([Config.CwndCounting]): Linux counts cwnd in
//     segments ([CountPackets], the default): slow start adds one segment
//     per segment delivered whatever its size (tcp_slow_start), congestion
//     avoidance one per window of segments (tcp_cong_avoid_ai), and the
//     send test counts segments in flight (tcp_cwnd_test), so short tails
//     do not leave the window a segment short. [CountBytes] is RFC 5681
//     with appropriate byte counting, cwnd += min(acked, 2*MSS) per ACK
//     (RFC 3465, L = 2), and one MSS per cwnd of acknowledged bytes in
//     congestion avoidance.
//   - Growth only when earned: an ACK grows the window only if the
//     window its data was sent in was used, much as Linux's
//     tcp_is_cwnd_limited decides: the window was found full at some send
//     of it, or (in slow start) cwnd < 2 * its largest flight, or (this
//     package's slack, which Linux does not have) the largest flight was
//     within one MSS of cwnd.
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
//     reaches the window before the last reduction (4.3), or, counting
//     packets, stays Linux's 8/15; the curve read one minimum RTT ahead,
//     as Linux). CUBIC runs
//     HyStart as Linux does ([Config.HyStart], on by default): in slow
//     start, from a window of 16 segments, each round (up to the first
//     ACK beyond what was sent when it began) is watched for an ACK
//     train (ACKs at most 2 ms apart) lasting more than half of the
//     smallest RTT seen plus Linux's ACK delay allowance (the time four
//     64 KiB GSO packets take at the pacing rate Linux computes on every
//     ACK, at most 1 ms: hystart_ack_delay), and for its smallest RTT
//     over 8 or more samples
//     exceeding the smallest RTT seen by clamp(minimum/8, 4 ms, 16 ms);
//     either ends slow start before any loss (ssthresh = cwnd). CUBIC
//     takes the RTT sample of every ACK, the newest segment's, also of
//     an ACK that only SACKs and of one in fast recovery ([AckSampler],
//     Linux's pkts_acked hook), except in the first second of a
//     congestion-avoidance epoch. A timeout forgets the curve and starts HyStart
//     afresh (Linux's bictcp_reset on entering TCP_CA_Loss: no W_max, no
//     delay_min; an undo of the timeout does not bring them back). Nothing
//     paces the packets (no fq qdisc), so the threshold is halved as
//     Linux's is for an unpaced socket. Until a
//     loss sets W_max, and after a timeout, CUBIC with cwnd in packets grows at least one
//     segment per 20 ACKed (5 % per RTT; Linux bictcp_update's cnt = 20).
//     Congestion controls are a registry ([RegisterCongestionControl])
//     and can be built from Go ([Config.NewCC]); slow start's increase
//     is shared by both, and both carry the part of an ACK that takes
//     the window past ssthresh into congestion avoidance.
//   - Loss recovery as Linux does it ([RecoverySACK], the default;
//     tcp_input.c, tcp_recovery.c). The receiver reports up to three SACK
//     blocks, the one holding the latest arrival first, and a D-SACK
//     block for a duplicate (RFC 2018, RFC 2883). The sender keeps a
//     scoreboard of every segment (SACKed, lost, retransmitted) and its
//     congestion state (Open, Disorder, Recovery, Loss), changed only by
//     named transitions (recovery.go). RACK (RFC 8985) marks a segment
//     lost when a segment sent after it was delivered more than RACK.rtt
//     plus a reordering window ago: min_rtt/4, or none once three
//     segments are SACKed or in recovery, while no reordering has been
//     seen; a reordering timer covers the rest. Any segment marked lost
//     starts fast recovery: ssthresh from the congestion control (Reno
//     halves cwnd, tcp_reno_ssthresh; CUBIC 0.7 cwnd), then Proportional
//     Rate Reduction (RFC 6937 with the slow-start reduction bound; Linux
//     tcp_cwnd_reduction) sizes what each ACK may send, lost segments
//     first, and cwnd = ssthresh when recovery ends. A tail loss probe
//     (RFC 8985 7; [Config.TLP]) replaces the RTO in Open: two smoothed
//     RTTs after the last transmission (plus the minimum RTO when one
//     segment is outstanding, plus 2 ms otherwise, in whole ticks, no
//     later than the RTO; Linux 6.6 and later)
//     it sends new data or resends the last segment, then the RTO runs
//     from then; a probe that repairs a loss reduces the window once.
//   - Undo ([Config.Undo]): a reduction that proves spurious is undone,
//     cwnd and ssthresh restored and lost marks cleared: by the timestamp
//     echo of an original transmission (Eifel, RFC 3522 and RFC 4015;
//     Linux tcp_packet_delayed), by F-RTO after a timeout (RFC 5682, the
//     SACK-enhanced version: never-retransmitted data delivered; after the
//     first ACK new data is sent before more is retransmitted), or by
//     D-SACKs covering every retransmission of the episode (RFC 3708). A
//     resend whose ACK echoes the original's timestamp does not count as
//     a delivery for RACK (tcp_skb_spurious_retrans).
//   - The textbook sender ([RecoveryNewReno]): fast retransmit on the
//     third duplicate ACK and NewReno fast recovery (RFC 6582): ssthresh =
//     max(flight/2, 2 MSS) for NewReno, cwnd*0.7 for CUBIC, once per loss
//     episode; window inflation by one MSS per duplicate ACK; a partial
//     ACK retransmits the next hole, deflates the window and adds one MSS;
//     the full ACK deflates the window to ssthresh (RFC 6582 3.2 step 3,
//     second option). The Impatient variant (RFC 6582 4): only the first
//     partial ACK re-arms the retransmission timer. After a timeout,
//     go-back-N: everything outstanding is presumed lost.
//   - Retransmission timeout ([Config.RTOEstimator]): Linux's estimator
//     ([RTOLinux]; tcp_rtt_estimator, tcp_set_rto): RTO = SRTT + rttvar,
//     where rttvar follows the largest mean deviation (times four) over
//     the last window of data and is floored at [Config.MinRTO] (200 ms):
//     the floor applies to the variance term, so a 20 ms path's RTO is
//     about 224 ms. [RTORFC6298] is SRTT + max(1 ms, 4 RTTVAR) clamped to
//     [MinRTO, MaxRTO]. Initial 1 s; exponential backoff. The timer is
//     re-armed from now by an ACK that acknowledges data, and by one that
//     SACKs data sent before the first outstanding segment was last sent
//     (Linux FLAG_SET_XMIT_TIMER), so the SACKs of a flight put off the
//     timeout of its repair while they arrive. Data
//     retransmissions given up after [Config.MaxRetries] timeouts in a row
//     (TimedOut, with a reset). On a timeout (Linux tcp_enter_loss) the
//     first segment and every segment RACK has given time to be
//     acknowledged are marked lost, cwnd = segments in flight + 1, the
//     first segment is resent at once and the rest as ACKs open the
//     window, never what the receiver SACKed. ssthresh is reduced by the
//     first timeout of an episode only.
//   - RTT samples (Linux tcp_ack_update_rtt): from the send time of the
//     oldest newly acknowledged segment never resent (Karn), else of the
//     oldest newly SACKed one, else from the echoed timestamp when the ACK
//     acknowledges new data.
//   - Delayed ACKs (RFC 1122 4.2.3.2, Linux's rule): an ACK as soon as more
//     than one MSS is unacknowledged (every second full segment), else
//     after [Config.DelayedAckTimeout] = 40 ms; an immediate ACK for
//     out-of-order, duplicate or hole-filling data and for a FIN (see
//     below for Linux's receiver). Any
//     segment we send carries the ACK. With [Config.QuickAck] (on) the
//     receiver is Linux's: quick-ACK mode, an ACK for every segment, for
//     up to 16 ACKs at the first data, after a silence longer than the RTO
//     and after a duplicate, and one more ACK whenever the receive window
//     grows (tcp_grow_window: the count left from the start lasts while
//     the window opens from 64 KiB to the receive window); ping-pong
//     mode, which turns quick ACKs off, once this side answers data with
//     data within the delayed-ACK timeout, until a delayed ACK has to wait
//     for its timer. A FIN received while established is not acknowledged
//     at once (Linux tcp_fin: ping-pong mode, the ACK scheduled): the FIN
//     this side sends as its application closes carries the ACK, or the
//     delayed-ACK timer sends it. No adaptive ACK timeout and no SACK
//     compression.
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
//     Linux does for a socket closed with data arriving, which ends the
//     connection (ClosedLocally too); so is any segment for a fully
//     closed connection (RFC 9293 3.10.7.1). A refused or unanswered
//     connection request ends in Refused or TimedOut; [Conn.Abort]
//     resets at once (Aborted). Closed comes exactly once per connection
//     that had a handler.
//
// What is not modelled: TIME-WAIT as a timer (a closed connection still
// acknowledges a repeated FIN, and holds its port until no packet can
// reach it: see # Scale); PAWS, window scaling and
// receive-buffer autotuning (the receive window is a fixed number); the
// reordering detection of RACK beyond its simplest form (links here never
// reorder); SACK reneging; pacing, TSO/GSO and ECN; the reduction of the
// initial window after a lost SYN (RFC 6928 2); path MTU discovery; urgent
// data; simultaneous open; HyStart++ (RFC 9406). The processing time of a
// real host (a client issuing many connects takes some microseconds for
// each) is not modelled: simultaneous events are simultaneous.
//
// # Scale
//
// A run may hold tens of thousands of connections at once and make any
// number in turn. Packets find their connection by an index carried as
// simulation metadata (a slice lookup, no map and no scan per packet); a
// repeated SYN finds its connection in SYN-RECEIVED by a map keyed by the
// requesting connection, on the SYN path only and never iterated. An
// endpoint forgets a closed connection as soon as no packet can reach it
// (see [Endpoint]; indexes are never reused, so nothing is misdelivered)
// and frees its ephemeral port then; its counters live on in
// [Endpoint.Totals]. Ephemeral ports rotate through 49152-65535,
// skipping those of held connections to the same destination; beyond
// 16,384 connections held to one destination, ports are shared, which
// the model (connections are told apart by index) does not mind. The
// ports in use are a short list per destination (a bitmap of the range
// past 32). An endpoint whose application is done ([Endpoint.Retire]:
// a client that has left) leaves the stack once it holds nothing, its
// counters kept in [Stack.Totals], and its node can then be removed
// from the network.
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
// # RFCs and Linux
//
//   - RFC 9293: TCP (handshake, states, resets, segment acceptability).
//   - RFC 5681: congestion control (slow start, congestion avoidance, fast
//     retransmit and recovery, restart after idle).
//   - RFC 2018, RFC 2883: SACK and D-SACK. RFC 6675: the scoreboard.
//   - RFC 8985: RACK-TLP. RFC 6937: Proportional Rate Reduction.
//   - RFC 3522, RFC 4015, RFC 5682, RFC 3708: Eifel detection and
//     response, F-RTO, D-SACK-based detection of spurious retransmissions.
//   - RFC 6582: the NewReno modification to fast recovery (recover, partial
//     ACKs, the Impatient variant).
//   - RFC 6298: the retransmission timer (estimator, backoff, Karn,
//     the 3 s RTO after a SYN timeout).
//   - RFC 6928: the initial window of 10 segments. RFC 6691: MSS and
//     options.
//   - RFC 3465: appropriate byte counting (L = 2).
//   - RFC 7323: timestamps (RTT measurement, TS.Recent).
//   - RFC 9438: CUBIC.
//   - RFC 1122: host requirements (delayed ACK bounds).
//   - RFC 896: Nagle's algorithm.
//   - Linux net/ipv4: tcp_input.c (tcp_ack, tcp_fastretrans_alert, undo,
//     the RTT estimator, quick ACKs), tcp_recovery.c (RACK), tcp_output.c
//     (TLP, the cwnd test, restart after idle), tcp_timer.c, tcp_cubic.c.
package tcp
