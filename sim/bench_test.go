package sim

import (
	"testing"
	"time"
)

// BenchmarkRawChannelPingPong is the physical floor of the kernel's design:
// one round trip between two goroutines over unbuffered channels, the
// hand-off that every kernel event costs.
func BenchmarkRawChannelPingPong(b *testing.B) {
	ping, pong := make(chan struct{}), make(chan struct{})
	done := make(chan struct{})
	go func() {
		for range ping {
			pong <- struct{}{}
		}
		close(done)
	}()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ping <- struct{}{}
		<-pong
	}
	b.StopTimer()
	close(ping)
	<-done
}

// BenchmarkKernelEvent measures one kernel event: two actors bounce a message
// between them, so every event is a queue pop, a trace record, a delivery
// and a kernel -> actor -> kernel hand-off.
func BenchmarkKernelEvent(b *testing.B) {
	k := New(1, WithTraceCapacity(1024))
	defer k.Shutdown()
	bounce := func(peer string) func(*Ctx) {
		return func(c *Ctx) {
			for {
				m := c.Recv()
				c.Send(peer, "ball", m.Body)
			}
		}
	}
	k.Spawn(ActorSpec{Name: "a", Node: "n", Run: bounce("b")})
	k.Spawn(ActorSpec{Name: "b", Node: "n", Run: bounce("a")})
	k.Drain(2)
	k.External("serve", "n").Send("a", "ball", nil)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k.Step()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkKernelCall measures a Call and its Reply (two events).
func BenchmarkKernelCall(b *testing.B) {
	k := New(1, WithTraceCapacity(1024))
	defer k.Shutdown()
	k.Spawn(ActorSpec{Name: "server", Node: "n", Run: echo})
	k.Spawn(ActorSpec{Name: "client", Node: "n", Run: func(c *Ctx) {
		for {
			c.Call("server", "ping", nil, time.Second)
		}
	}})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k.Step()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
