package experiments_test

import (
	"fmt"

	"github.com/connsim/connsim/experiments"
)

// ExampleLoad loads a small experiment and prints its runs.
func ExampleLoad() {
	spec := `
name: rtt-vs-models
repeat: 2
network: {bandwidth: 5Mbps}
models:
  - persistent
  - pipelined: {depth: 4}
sweep:
  network.rtt: [20ms, 200ms]
`
	s, err := experiments.Load("example.yaml", []byte(spec))
	if err != nil {
		fmt.Println(err)
		return
	}
	runs, err := s.Runs()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range runs {
		fmt.Printf("%d %s rtt=%v seed=%#x\n", r.Index, r.ID, r.Point.Spec.Network.RTT, r.Seed)
	}
	// Output:
	// 0 network.rtt=20ms/model=persistent/run=0 rtt=20ms seed=0x910a2dec89025cc1
	// 1 network.rtt=20ms/model=persistent/run=1 rtt=20ms seed=0xbeeb8da1658eec67
	// 2 network.rtt=20ms/model=pipelined(depth=4)/run=0 rtt=20ms seed=0x910a2dec89025cc1
	// 3 network.rtt=20ms/model=pipelined(depth=4)/run=1 rtt=20ms seed=0xbeeb8da1658eec67
	// 4 network.rtt=200ms/model=persistent/run=0 rtt=200ms seed=0x910a2dec89025cc1
	// 5 network.rtt=200ms/model=persistent/run=1 rtt=200ms seed=0xbeeb8da1658eec67
	// 6 network.rtt=200ms/model=pipelined(depth=4)/run=0 rtt=200ms seed=0x910a2dec89025cc1
	// 7 network.rtt=200ms/model=pipelined(depth=4)/run=1 rtt=200ms seed=0xbeeb8da1658eec67
}

// ExampleLoad_errors shows how problems are reported: all of them, each
// with file, line, column and key.
func ExampleLoad_errors() {
	spec := `name: broken
network:
  rtt: 100
  bandwith: 10Mbps
tcp: {cc: vegas}
`
	_, err := experiments.Load("broken.yaml", []byte(spec))
	fmt.Println(err)
	// Output:
	// broken.yaml:3:8: network.rtt: "100" needs a unit (e.g. 100ms)
	// broken.yaml:4:3: network.bandwith: unknown key (known: rtt, bandwidth, uplink, queue, loss, dns); did you mean bandwidth?
	// broken.yaml:5:11: tcp.cc: "vegas" is not allowed (use newreno or cubic)
}
