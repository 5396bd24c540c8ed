package sim_test

import (
	"fmt"
	"time"

	"github.com/connsim/connsim/sim"
)

// Three events, two of them at the same instant: events at equal times run
// in the order they were scheduled, whatever order their times were given
// in.
func ExampleScheduler() {
	s := sim.New(1)
	s.At(sim.Time(2*time.Millisecond), func() {
		fmt.Println(s.Now(), "b: scheduled first for 2ms")
	})
	s.After(time.Millisecond, func() {
		fmt.Println(s.Now(), "a: scheduled second for 1ms")
	})
	s.At(sim.Time(2*time.Millisecond), func() {
		fmt.Println(s.Now(), "c: scheduled third for 2ms")
	})
	s.Run()
	fmt.Println("events:", s.Events(), "now:", s.Now())
	// Output:
	// 0.001000000s a: scheduled second for 1ms
	// 0.002000000s b: scheduled first for 2ms
	// 0.002000000s c: scheduled third for 2ms
	// events: 3 now: 0.002000000s
}

// A retransmission timer: armed when data is sent, pushed back by every ACK
// that arrives in time, and fired once the ACKs stop.
func ExampleTimer() {
	s := sim.New(1)
	const rto = 200 * time.Millisecond
	timer := s.NewTimer(func() {
		fmt.Println(s.Now(), "RTO fired")
	})

	timer.Reset(rto) // send data at 0
	fmt.Println("armed, deadline", timer.When())
	for _, ack := range []time.Duration{50 * time.Millisecond, 120 * time.Millisecond} {
		s.After(ack, func() {
			timer.Reset(rto)
			fmt.Println(s.Now(), "ACK, deadline", timer.When())
		})
	}
	s.Run()
	fmt.Println("pending:", timer.Pending())
	// Output:
	// armed, deadline 0.200000000s
	// 0.050000000s ACK, deadline 0.250000000s
	// 0.120000000s ACK, deadline 0.320000000s
	// 0.320000000s RTO fired
	// pending: false
}
