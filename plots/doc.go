// Package plots turns connsim's result rows into figures with gonum/plot,
// and figures plus a summary into a self-contained HTML report.
//
// It knows only the result types of package experiments (Row,
// RequestRow, Trace): a figure is a view of rows, never a side effect of
// a run. Every constructor returns a *plot.Plot and an error; empty input,
// an unknown metric or key, or data that is all NaN is an error (wrapping
// [ErrNoData] when there is simply nothing to draw), never a panic.
//
// # Units
//
// The output files hold durations in ms, rates in bit/s and sizes in
// bytes. Figures show ms, Mbit/s and KB (1 KB = 1000 bytes, as in the
// spec), and every axis label names its unit: "RTT (ms)", "bandwidth
// (Mbit/s)", "page load time (ms)", "bytes on the wire (KB)". A swept
// key is shown in the unit its rows' values carry
// ([experiments.AxisValue].Unit: a queue swept in packets is shown in
// packets), and [KeyUnit] when they carry none; [MetricUnit] gives a
// metric's label and conversion.
//
// # Line: a metric against a swept key
//
// [Line] draws one series per model: x is the swept key (e.g.
// network.rtt), y the median of the runs at that point, and a shaded band
// spans the 25th to 75th percentile when a point has more than one run
// (error bars with [ErrorBars]). Read the vertical distance between
// lines as the cost of a model at that x, and the slope as how the cost
// grows with x: a model whose page load takes k round trips has a slope
// of about k in ms per ms of RTT. A wide band means the runs disagree
// (random loss); no band means one run per point. Series differ in
// colour, marker shape and dash pattern, so the figure reads in
// greyscale. A band is translucent and outlined in its series' dash
// pattern, so overlapping bands stay visible. [LineOptions].Join draws a
// metric that changes in jumps as steps (each value held until the next
// x) or as points without joins, never as a ramp. Log axes ([LineOptions].LogX, LogY) show ratios: equal
// vertical gaps are equal factors. When another key is swept too, its
// values split the series ("pipelined, bandwidth=1Mbps") rather than being
// pooled into one median; [LineOptions].Where fixes them instead. When
// the key takes at most 12 values (a sweep), the x axis is ticked at
// exactly those values, the first one included, on linear and log axes;
// a label that would overlap its neighbour is left out, never the first
// or the last.
//
// # Bar: a metric per model
//
// [Bar] draws one bar per model, grouped by the values of a swept key
// (or one bar per model, named on the x axis, without a key). The bar is
// the median, the error bar p25–p75 when a point has several runs, and
// the median is printed above each bar when there are few. The y axis
// always starts at 0, so bar heights compare as ratios.
//
// # Waterfall: one page load
//
// [Waterfall] draws the requests of one load top to bottom in request
// order (or grouped by connection), against time since the start of the
// load. Each bar is split into HAR's phases: queued (waiting for a free
// connection), dns, connect (TCP handshake), tls, send, wait (server time
// plus one RTT, HAR's "time to first byte") and receive. A send phase
// lasts a packet's time on the link, invisible at page scale, so it is
// drawn at least 2 pt wide, as the legend says. The "c<N>" in
// each row's label names the connection: rows with the same number
// reused one connection, and a connect phase marks a new one. The stripe
// left of each row tells neighbouring connections apart; its colours
// (red, yellow, brown, pink, olive, peach, sky, sand) are never phase
// colours, are given in the order connections first appear, and repeat
// after eight connections, as the legend says; with two to eight
// hostnames they colour hosts instead. Long grey queued phases show
// requests waiting for one of
// the few connections; a staircase of wait phases on one connection shows
// requests served one after another; a dotted line marks the end of the
// load. Given the run's trace ([WaterfallOptions].Trace), each
// retransmission is marked on the rows of its connection under way when
// it was resent: a red line from the lost original to the copy, ending
// in a red bar; a long line is a stall until a loss probe or the
// retransmission timer fired. Refused connection attempts hatch the
// queued span and a replayed request carries an "R". Numbers in a title
// come from the run: {loaded_ms}, {connections} and {requests} are
// replaced by its values; [WaterfallOptions].XMax gives waterfalls meant
// to be compared one time axis. [DefaultSize] makes a waterfall tall
// enough for a readable label per row.
//
// # Cwnd: congestion window over time
//
// [Cwnd] draws each connection's congestion window (KB) as a step line
// against time (ms), its slow-start threshold as a dotted line of the same
// colour once it is set (values of 1<<40 and more mean unset and are not
// drawn), and a short vertical bar on the line where a response
// completed at the client (the same clock as the window, about half a
// round trip after the server sent the response's last byte). Slow start is the steep staircase (the window doubles per
// RTT), a loss halves it to ssthresh, congestion avoidance is the slow
// climb after it, and restart after idle is the drop back to the initial
// window when a connection sends again after resting longer than an RTO.
//
// Given the run's request rows ([CwndOptions].Requests), the x axis
// spans the page loads: from the first request's start to the last
// request's end plus a small margin, not the keep-alive tail of an idle
// connection waiting to be closed. Request rows count time from the start
// of their visit and the trace from the start of the run; each visit is
// placed by matching its requests' ends to the responses in the trace.
// With several visits a labelled dashed line marks where each later visit
// starts, and an idle time between visits longer than 1.5 times the loads
// beside it is cut out of the axis: the cut is shaded, takes a fixed 6%
// of the axis, carries a "//" on the axis line, and the tick labels on
// either side are the true times. Response marks that crowd (under about
// 14 points apart) are drawn thinner and lighter, so the line stays
// visible. [CwndOptions].FullRange keeps the whole trace on a plain axis.
//
// # Sequence: a Stevens time-sequence plot
//
// [Sequence] draws one connection's server-to-client data as vertical
// bars at the time each segment was sent, spanning its bytes (relative
// sequence number, KB), and the client's cumulative ACK as a step line.
// The slope of the bars is the sending rate; the horizontal gap between a
// bar and the ACK line reaching it is one round trip. Retransmissions are
// red with a triangle, lost packets carry an x, and dotted verticals mark
// completed responses. A flat ACK line while data keeps coming means the
// receiver is waiting for a lost segment (duplicate ACKs). The ACK line
// ends at the last ACK of data (the ACK of the server's FIN at close is
// not drawn), and the x axis ends shortly after the last segment or ACK.
//
// # Ladder: the first packets of a run
//
// [Ladder] draws the textbook ladder diagram: the client's and the
// server's time lines side by side, time running down, and each packet
// of the run's trace an arrow from when it left one side to when it
// reached the other (both times recorded, so queueing and serialization
// are in the slope). SYN, SYN-ACK, FIN and RST are dark, request data
// blue, response data orange, pure ACKs grey; a retransmission is
// dashed and a lost packet ends half way in an X. The first
// [LadderOptions].MaxPackets packets are drawn (40 by default), and the
// figure says when it cuts. Arrows that leave together share one label
// ("c2 SYN +4"). A stretch of more than 4 RTT with nothing in flight
// (a keep-alive wait) is cut out of the time axis and marked, with the
// tick labels still true times. [LadderDataOf] is the data without the
// drawing. The YAML plot kind is ladder (experiments.PlotLadder).
//
// # Files and report
//
// [Save] writes NAME.png (at [DPI], [DefaultWidth] x [DefaultHeight] by
// default: an 8 x 5 inch slide, title 15 pt, axis labels 13 pt) and
// NAME.svg, each atomically. [Encode] returns the bytes instead. The same
// input always gives the same bytes: nothing in gonum's SVG depends on
// time, randomness or map order. SVG text asks for Liberation Sans with
// Arial's metrics as fallback, so labels keep their size in any browser.
//
// [Report] writes report.html from [ReportData]: title, description,
// figures with captions, the summary table, the resolved spec and a note.
// The page loads nothing from the network; figures are embedded as data
// URIs or linked as plots/NAME.svg. An inline script writes "ok
// images=N" or "failed: ..." into <div id="selfcheck"> once the page has
// loaded, for a headless-browser test.
//
// # Style
//
// gonum/plot keeps defaults in package variables (plot.DefaultFont,
// plotter.DefaultLineStyle, ...). This package reads them at most and
// never writes them: every style is set on the plot or plotter it
// creates, so figures do not depend on what other code did before.
package plots
