package datapath

import (
	"fmt"

	"github.com/kubesim/kubesim/components/proxy"
	"github.com/kubesim/kubesim/sim"
)

// Message kinds of a node's kernel actor.
const (
	// KindRestore programs the node's service rules: kube-proxy's
	// iptables-restore (a Program with a Proxier) or its BPF map update
	// (a Program with a BPFLoadBalancer). No reply.
	KindRestore = "iptables-restore"
	// KindWalk asks what a packet meets in the programmed rules: body a
	// proxy.Packet, reply a proxy.Trace.
	KindWalk = "netfilter"
	// KindSave asks for the programmed rules as text (iptables-save, or
	// cilium-dbg bpf lb list in eBPF mode): reply a string.
	KindSave = "iptables-save"
)

// NodeName is the actor name of a node's kernel: the netfilter tables or
// BPF maps kube-proxy programs. It lives as long as the node is up, so a
// crashed kube-proxy leaves its last rules in place, as on a real node.
func NodeName(node string) string { return "datapath-" + node }

// Program is what kube-proxy hands the node's kernel after a sync: the
// proxier (or load balancer) whose last Sync is now the node's rules.
// Exactly one of Proxier and LB is set.
type Program struct {
	Proxier *proxy.Proxier
	LB      *proxy.BPFLoadBalancer
	// Rules and Services count what was programmed, for the trace.
	Rules, Services int
}

// Summary implements sim.Summarizer.
func (p Program) Summary() string {
	if p.LB != nil {
		return fmt.Sprintf("bpf lb maps: %d frontends", p.Services)
	}
	return fmt.Sprintf("%d rules for %d service ports", p.Rules, p.Services)
}

// NewNode returns the actor body of a node's kernel (spawn it as
// NodeName(node) on that node). Statistic matches and random backend
// slots draw from the actor's seeded stream. It publishes its *Rules for
// views (sim.Kernel.Inspect).
func NewNode() func(*sim.Ctx) {
	return func(c *sim.Ctx) {
		rules := &Rules{}
		c.Publish(rules)
		for {
			m := c.Recv()
			switch m.Kind {
			case KindRestore:
				rules.prog = m.Body.(Program)
			case KindWalk:
				pkt := m.Body.(proxy.Packet)
				prog := rules.prog
				var tr proxy.Trace
				switch {
				case prog.Proxier != nil:
					tr = prog.Proxier.Walk(pkt, c.Rand(), c.WallTime())
				case prog.LB != nil:
					tr = prog.LB.Walk(pkt, c.Rand(), c.WallTime())
				default:
					if pkt.Protocol == "" {
						pkt.Protocol = "TCP"
					}
					tr = proxy.Trace{Packet: pkt, Verdict: proxy.VerdictUnchanged, Source: pkt.Src,
						Hops: []proxy.Hop{{Table: "nat", Rule: "no rules programmed yet", Note: "kube-proxy never synced"}}}
				}
				c.Reply(m, KindWalk, WalkReply{tr})
			case KindSave:
				c.Reply(m, KindSave, rules.Save())
			}
		}
	}
}

// Rules are the rules a node's kernel holds: what kube-proxy programmed
// last. A view reads them while the node's actor is parked.
type Rules struct{ prog Program }

// Program is what kube-proxy programmed last (the zero Program before its
// first sync). Only read it: a checker compares it with what the cluster's
// Services and EndpointSlices call for.
func (r *Rules) Program() Program { return r.prog }

// Save is the rules as text: iptables-save's nat table, or the BPF maps
// (cilium-dbg bpf lb list) in eBPF mode; "" before kube-proxy's first sync.
func (r *Rules) Save() string {
	switch {
	case r.prog.Proxier != nil && r.prog.Proxier.Rules() != nil:
		return r.prog.Proxier.Rules().String()
	case r.prog.LB != nil && r.prog.LB.Maps() != nil:
		return r.prog.LB.Maps().List()
	}
	return ""
}

// WalkReply carries a walk's trace; its summary is the verdict.
type WalkReply struct{ Trace proxy.Trace }

// Summary implements sim.Summarizer.
func (w WalkReply) Summary() string {
	return fmt.Sprintf("%s: %s", w.Trace.Packet, verdictText(w.Trace))
}

func verdictText(t proxy.Trace) string {
	switch t.Verdict {
	case proxy.VerdictDNAT:
		return fmt.Sprintf("DNAT to %s (%s)", t.Endpoint, t.Service)
	case proxy.VerdictReject, proxy.VerdictDrop:
		return fmt.Sprintf("%s (%s)", t.Verdict, t.Service)
	}
	return "no service rule"
}
