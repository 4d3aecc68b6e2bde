// Package sim is kubesim's deterministic kernel.
//
// Every component instance of the simulated cluster — an etcd member, a
// kube-apiserver, a kubelet — is an actor: a goroutine with an inbox. The
// kernel owns one event queue ordered by (virtual time, sequence number) and
// lets exactly one actor run at a time: it delivers an event, resumes the
// actor that it concerns and waits until that actor parks again inside a
// kernel primitive (Recv, Call, Sleep) or returns. Component code therefore
// reads as ordinary sequential Go, while the order of everything is fixed by
// the queue, whatever GOMAXPROCS is.
//
// The kernel owns:
//
//   - virtual time (Kernel.Now, Ctx.Now, Ctx.Sleep, Ctx.After); components
//     never read the wall clock;
//   - randomness: one seed per run, and for every actor a stream derived from
//     the seed and the actor's name, so adding an actor does not reshuffle
//     the others (Ctx.Rand);
//   - faults: crash and restart an actor, stop and start a node, cut and heal
//     a link, drop or delay messages (fault.go);
//   - the trace: every delivery (virtual time, sequence, from, to, kind,
//     summary), kept in a bounded ring and streamed to optional sinks, and
//     exported as text, JSON lines or a Mermaid sequence diagram (trace.go);
//   - logs: zap loggers stamped with virtual time (log.go).
//
// Drivers (a unit test, the kubesim command, the HTTP front end) call Step,
// RunFor and RunUntil from a single goroutine. Code outside the simulation
// talks to actors through an External endpoint, which sends messages and
// makes calls by stepping the kernel until the reply arrives.
//
// The kernel does not know about Kubernetes: the assembly of a cluster lives
// in package cluster, above both sim and the components.
package sim
