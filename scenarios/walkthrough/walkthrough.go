// Package walkthrough holds the narrated walkthroughs of the documented
// flows. A walkthrough is a cursor.Program: it boots a cluster, drives it
// through the flow, and leaves marks in the trace (package play) — a
// checkpoint per stage of the flow, paragraphs computed from the run — and
// tags every record with the stage it belongs to, from the record's typed
// fields (its body, what caused it, what it answers). package play shows
// it, straight through or step by step, forwards and backwards.
package walkthrough

import (
	"strings"

	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/kubesim/kubesim/scenarios/play"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/cursor"
)

// Walkthrough is one narrated flow.
type Walkthrough struct {
	Name      string
	Title     narrate.Text
	Component string
	// Program returns the flow's run for a seed.
	Program func(seed uint64) cursor.Program
}

// All lists the built-in walkthroughs.
func All() []Walkthrough {
	return []Walkthrough{
		{Name: "first-flow", Component: "all seven",
			Title: narrate.Text{
				En: "pod create -> kube-apiserver -> etcd -> kube-scheduler -> kubelet and Cilium -> Running -> Service -> CoreDNS and kube-proxy -> curl",
				Ko: "파드 생성 -> kube-apiserver -> etcd -> kube-scheduler -> kubelet과 Cilium -> Running -> Service -> CoreDNS와 kube-proxy -> curl"},
			Program: FirstFlow},
	}
}

// Find returns a walkthrough by name.
func Find(name string) (Walkthrough, bool) {
	for _, w := range All() {
		if w.Name == name {
			return w, true
		}
	}
	return Walkthrough{}, false
}

// say marks a paragraph.
func say(k *sim.Kernel, en, ko string) { k.Mark(play.KindSay, play.Say{En: en, Ko: ko}) }

// boot starts a cluster under the cursor's host (cluster.UnderCursor).
func boot(h *cursor.Host, cfg cluster.Config) (*cluster.Cluster, error) {
	cluster.UnderCursor(h, &cfg)
	return cluster.New(cfg)
}

// drive steps the kernel until done holds or nothing is left.
func drive(k *sim.Kernel, done func() bool) {
	for !done() && k.Step() {
	}
}

// trim formats a virtual time without padding.
func trim(s string) string { return strings.TrimSpace(s) }
