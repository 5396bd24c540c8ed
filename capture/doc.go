// Package capture writes the packets of a simulated run as a packet
// capture (pcapng by default, or classic pcap) that Wireshark and tshark
// open like one taken on a real host.
//
// # What a frame holds
//
// connsim's packets carry header fields and byte counts, not bytes
// (package link). A [Recorder], installed as an httpmodel run's tap
// (httpmodel.Config.Tap), turns each packet seen at its vantage point
// into a real frame, built and checksummed by the pure-Go layers of
// github.com/google/gopacket and written by its pcapgo package (no
// libpcap, no cgo):
//
//   - Ethernet II, with locally administered MAC addresses 02:00:00:00:hh:ll
//     from the node's ID + 1;
//   - IPv4 (RFC 791), 10.0.hh.ll from the node's ID + 1 (the single-client
//     world: client 10.0.0.1, server 10.0.0.2), TTL 64, DF set, the
//     identification the packet's ID modulo 2^16, a correct checksum;
//   - TCP (RFC 9293) with the model's sequence and acknowledgement numbers
//     (modulo 2^32, each direction offset by an initial sequence number
//     drawn from a hash of its addresses and ports, so one capture is the
//     same on every machine), flags (PSH added on a segment that ends a
//     message, as Linux does on the last segment of a write), the
//     advertised window and a correct checksum. The SYN and SYN-ACK carry
//     the options Linux sends: MSS, SACK-permitted when the model's
//     recovery uses SACK (RFC 2018), timestamps when it uses them (RFC
//     7323) and a window scale, the smallest shift that fits the
//     receive window into 16 bits; the window of later segments is
//     scaled by it (a SYN's never is, RFC 7323 2.2). Other segments carry
//     the timestamp option (TSval the time the packet was sent, in
//     milliseconds, as Linux's 1 kHz clock; TSecr the echo the model
//     keeps) and the SACK blocks the packet holds, D-SACK first (RFC
//     2883). The option bytes are the model's for every segment but the
//     SYNs, whose real options (20 bytes) the model counts as 12.
//
// Timestamps are virtual time from a fixed epoch ([DefaultEpoch]), in
// nanoseconds, so the same run gives the same file on every machine.
//
// # Payload
//
// Payload bytes are made up, but where the application's messages begin
// and end is the model's: the tap reads each message's extent and what
// it is (httpmodel.TapWorld.Message) as the packet leaves its sender, so
// every byte of the stream has one content, and a retransmission, or a
// resend that starts part-way into an old segment, carries the bytes the
// original did. An HTTP/1.x request is a request line and headers
// ("GET /object/3 HTTP/1.1", Host, Connection when the model sends one), a
// response header is a status line, Content-Length (the body the model
// sends), Connection when the model sends one; each is exactly as long
// as the model counts it (RequestBytes, ResponseHeaderBytes), padded with
// an X-Pad header (or, for a gap of less than its 9 bytes, with spaces
// after a header's colon), and cut short only when the model's size is
// smaller than the shortest header it could be. Bodies are filler text.
// The HTML is "/", object i of the page "/object/i", the paths of the
// run's HAR output (experiments.HAROf), so that its entries and the
// capture's requests match.
//
// Only HTTP/1.x is decoded: HTTP/2 frames, TLS records and an h2c
// upgrade's messages are written as filler of their length (tshark shows
// them as TCP payload or HTTP continuation data), and so is a response
// whose model counts no header bytes (ResponseHeaderBytes 0).
//
// # Vantage points
//
// One file holds one vantage point ([Vantage]): [Client] (the default)
// sees the packets a client sends as they leave it, dropped ones included
// (the bottleneck's queue is the network's, not the host's), and those
// it receives as they arrive; [Server] the same at the server;
// [Bottleneck] sees both directions as they enter the bottleneck's queue,
// tail drops and random losses included. With client populations the
// client file holds every client's packets (each with its own address);
// with several servers (httpmodel.Topology) the server file holds every
// server's, each at its node's address, the one the HTTP requests for
// the hostnames it serves go to. Routers only forward: a packet is
// written once, as it leaves the host that sent it or reaches the host
// it is for, however many hops its path has.
package capture
