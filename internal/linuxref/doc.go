// Package linuxref checks connsim against real Linux. It loads the
// reference measurements in testdata (page loads and single-object
// fetches on a Linux 6.18 kernel over an emulated bottleneck;
// testdata/README.md says how they were measured), maps each measured
// point to a connsim run with the same settings, simulates it and
// compares with the median of Linux's three runs.
//
// # Running
//
//	go test ./internal/linuxref                  # the fidelity tests (issue 9's acceptance)
//	go test ./internal/linuxref -v               # ... with the per-cluster and per-point tables
//	go test ./internal/linuxref -linuxref.csv=pages.csv -linuxref.warmcold.csv=wc.csv
//
// The tables are logged by each test (shown under -v and when a test
// fails); the flags write the comparison, one row per point, for
// analysis elsewhere. The whole package simulates 474 points in well under
// a second.
//
// # Mapping
//
// Page loads ([PageConfig]): one bottleneck link, RTT/2 propagation each
// way, the same rate both ways, a drop-tail queue of QueuePkts waiting
// packets per direction (the emulator drops a packet on arrival when the
// packets already waiting, the one being serialized not counted, number
// QueuePkts or more: sim/link's QueuePackets counts the same way), no
// random loss, no DNS, no TLS. TCP ([TCPConfig]): tcp.DefaultConfig with
// MSS 1460 and timestamps on: 1448 payload bytes and 52 header bytes per packet,
// IW 10, delayed ACKs, Nagle off, slow start after idle in Linux's mode,
// reno mapped to "newreno". HTTP: the reference's wire format, whose
// sizes the detail file's byte counts confirm (13-digit ids): requests of
// 73 + digits(size) bytes (68 + digits under short_lived, whose request
// and response say Connection: close) and response headers of
// 61 + digits(size) bytes (56 + digits under short_lived). httpmodel
// takes one size of each per run, so a page's sizes are averaged: exact
// for n10x10KB and n40x10KB, within a byte for hetero20. The server
// neither closes idle connections nor limits requests during a load.
//
// Models ([ModelFor]): short_lived, persistent and pipelined (unlimited
// depth, the objects' requests in one write) are httpmodel's models of
// the same names. parallel6 and sharded2/3 are httpmodel's parallel and
// sharded models with 6 connections per host and BindOnDial set: the
// reference's client starts up to 6 workers per host when the HTML has
// arrived, each takes the next object of its host's FIFO and then
// connects (worker 0 of host 0 reusing the HTML connection), and takes
// the next object when its previous one is complete. Objects go to host
// (i-1) mod K, i 1-based, as httpmodel's round-robin sharding does.
//
// Warm-cold fetches ([SimulateWarmCold]) run on a direct tcp harness:
// one connection, one request (cold), or one request right after a
// warm-up object has fully arrived (warm), or, after the warm-up and one
// fetch of the object, idle_ms after that fetch (the median idle of
// Linux's runs; the reference's last-data-sent times and SRTTs show this
// history, see [SimulateWarmCold]), the server answering with one write of
// header and body and reporting its cwnd, ssthresh (in packets: bytes /
// MSS) and RTO just before that write, as the reference read TCP_INFO.
package linuxref
