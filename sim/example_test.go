package sim_test

import (
	"fmt"
	"time"

	"github.com/kubesim/kubesim/sim"
)

// Two actors on two nodes: a client calls a server, which answers. The
// kernel delivers one event at a time on virtual time (500µs between
// nodes), and the trace records every delivery.
func Example() {
	k := sim.New(1)
	defer k.Shutdown()
	k.Spawn(sim.ActorSpec{Name: "server", Node: "node-a", Run: func(c *sim.Ctx) {
		for {
			m := c.Recv()
			c.Reply(m, "pong", fmt.Sprintf("hello, %s", m.Body))
		}
	}})
	k.Spawn(sim.ActorSpec{Name: "client", Node: "node-b", Run: func(c *sim.Ctx) {
		reply, err := c.Call("server", "ping", "client", time.Second)
		if err == nil {
			c.Note("got", fmt.Sprint(reply.Body))
		}
	}})
	k.RunFor(time.Second)
	for _, r := range k.Trace().Records() {
		if r.Event == sim.EventDeliver || r.Event == sim.EventReply || r.Event == sim.EventNote {
			fmt.Println(r.Text())
		}
	}
	// Output:
	// [     0.000500s] #3 client -> server ping: client
	// [     0.001000s] #4 server => client pong: hello, client
	// [     0.001000s] #5 client (got): hello, client
}

// Step delivers exactly one event and says whether there was one: the
// way a trainee walks through a flow.
func ExampleKernel_Step() {
	k := sim.New(1)
	defer k.Shutdown()
	k.Spawn(sim.ActorSpec{Name: "a", Node: "n1", Run: func(c *sim.Ctx) { c.Send("b", "hello", "one") }})
	k.Spawn(sim.ActorSpec{Name: "b", Node: "n1", Run: func(c *sim.Ctx) {
		for {
			c.Recv()
		}
	}})
	steps := 0
	for k.Step() {
		steps++
	}
	fmt.Println(steps, "steps; now", k.Now())
	for _, r := range k.Trace().Records() {
		if r.Event == sim.EventDeliver {
			fmt.Println(r.Text())
		}
	}
	// Output:
	// 3 steps; now 50µs
	// [     0.000050s] #4 a -> b hello: one
}

// RunUntil runs until a condition holds, or a virtual deadline passes.
func ExampleKernel_RunUntil() {
	k := sim.New(1)
	defer k.Shutdown()
	ticks := 0
	k.Spawn(sim.ActorSpec{Name: "ticker", Node: "n1", Run: func(c *sim.Ctx) {
		for {
			c.Sleep(10 * time.Second)
			ticks++
		}
	}})
	ok := k.RunUntil(func() bool { return ticks == 3 }, time.Hour)
	fmt.Println(ok, k.Now())
	// Output:
	// true 30s
}
