package sim

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"time"
)

// Faults. Every fault takes effect at the current virtual instant (use At to
// schedule one) and is recorded in the trace.

// Crash kills a running actor: its goroutine unwinds, its inbox, timers and
// pending calls are lost, and messages sent to it are dropped (a caller
// whose node is up is refused at once) until it is restarted.
func (k *Kernel) Crash(name string) error {
	a, err := k.persistent(name)
	if err != nil {
		return err
	}
	if !a.alive() && a.state != stNew {
		return fmt.Errorf("sim: actor %q is not running", name)
	}
	k.kill(a, "crashed", true)
	k.driverRecorded()
	return nil
}

// Stop ends a running actor the way its supervisor stops it (systemctl
// stop): like Crash, but recorded as "stopped by <by>".
func (k *Kernel) Stop(name, by string) error {
	a, err := k.persistent(name)
	if err != nil {
		return err
	}
	if !a.alive() && a.state != stNew {
		return fmt.Errorf("sim: actor %q is not running", name)
	}
	k.kill(a, "stopped by "+by, true)
	k.driverRecorded()
	return nil
}

// Restart starts a new incarnation of an actor (crashing the running one
// first, if any). The new incarnation runs the body from the top.
func (k *Kernel) Restart(name string) error {
	a, err := k.persistent(name)
	if err != nil {
		return err
	}
	if n := k.nodes[a.node]; n != nil && n.down {
		return fmt.Errorf("sim: node %q of actor %q is down", a.node, name)
	}
	if a.alive() || a.state == stNew {
		k.kill(a, "restarted", true)
	}
	k.start(a)
	k.driverRecorded()
	return nil
}

func (k *Kernel) persistent(name string) (*actor, error) {
	a := k.actors[name]
	if a == nil || a.ext {
		return nil, fmt.Errorf("sim: no actor named %q", name)
	}
	return a, nil
}

// StopNode powers a node off: every actor on it stops, and messages to or
// from the node are dropped without an answer (callers time out).
func (k *Kernel) StopNode(name string) error {
	n := k.nodes[name]
	if n == nil || name == "" {
		return fmt.Errorf("sim: no node named %q", name)
	}
	if n.down {
		return fmt.Errorf("sim: node %q is already stopped", name)
	}
	k.seq++
	k.trace.add(Record{Time: k.now, Seq: k.seq, Event: EventFault, From: "kernel", To: name, Node: name, Kind: "node-stop", summary: "node " + name + " powered off"})
	n.down = true // first, so monitors learn the peer's node is gone
	for _, a := range n.actors {
		if a.alive() || a.state == stNew {
			k.kill(a, "node stopped", false)
		}
	}
	k.driverRecorded()
	return nil
}

// StartNode powers a node back on and starts its actors afresh.
func (k *Kernel) StartNode(name string) error {
	n := k.nodes[name]
	if n == nil || name == "" {
		return fmt.Errorf("sim: no node named %q", name)
	}
	if !n.down {
		return fmt.Errorf("sim: node %q is already running", name)
	}
	n.down = false
	k.seq++
	k.trace.add(Record{Time: k.now, Seq: k.seq, Event: EventFault, From: "kernel", To: name, Node: name, Kind: "node-start", summary: "node " + name + " powered on"})
	for _, a := range n.actors {
		k.start(a)
	}
	k.driverRecorded()
	return nil
}

// Endpoints of a link are actor names or "node:<name>" for a whole node.

// NodeEndpoint names a whole node as one end of a link.
func NodeEndpoint(node string) string { return "node:" + node }

// CutLink partitions two endpoints: messages between them (both ways) are
// dropped until HealLink. Messages already in flight are dropped too.
func (k *Kernel) CutLink(a, b string) {
	k.faults.cuts[linkKey(a, b)] = true
	k.seq++
	k.trace.add(Record{Time: k.now, Seq: k.seq, Event: EventFault, From: a, To: b, Kind: "link-cut", summary: "link " + a + " <-> " + b + " cut"})
	k.driverRecorded()
}

// HealLink restores a link cut with CutLink.
func (k *Kernel) HealLink(a, b string) {
	delete(k.faults.cuts, linkKey(a, b))
	k.seq++
	k.trace.add(Record{Time: k.now, Seq: k.seq, Event: EventFault, From: a, To: b, Kind: "link-heal", summary: "link " + a + " <-> " + b + " healed"})
	k.driverRecorded()
}

func linkKey(a, b string) [2]string {
	if b < a {
		a, b = b, a
	}
	return [2]string{a, b}
}

// Rule drops or delays matching messages. Empty fields match anything; From,
// To and Kind are path.Match patterns ("kubelet/*").
type Rule struct {
	From, To, Kind string
	// Drop drops matching messages; otherwise they are delayed by Delay.
	Drop  bool
	Delay time.Duration
	// Probability applies the rule to a matching message with this chance,
	// drawn from the kernel's seeded stream (0 means always).
	Probability float64
	// Count limits how many messages the rule affects (0 means no limit).
	Count int
}

func (r Rule) String() string {
	var b strings.Builder
	if r.Drop {
		b.WriteString("drop")
	} else {
		fmt.Fprintf(&b, "delay %s", r.Delay)
	}
	fmt.Fprintf(&b, " %s -> %s kind %s", orAny(r.From), orAny(r.To), orAny(r.Kind))
	if r.Probability > 0 {
		fmt.Fprintf(&b, " p=%.2f", r.Probability)
	}
	if r.Count > 0 {
		fmt.Fprintf(&b, " count=%d", r.Count)
	}
	return b.String()
}

func orAny(s string) string {
	if s == "" {
		return "*"
	}
	return s
}

// RuleID identifies an installed rule.
type RuleID int

// AddRule installs a message rule and returns its id.
func (k *Kernel) AddRule(r Rule) (RuleID, error) {
	for _, p := range []string{r.From, r.To, r.Kind} {
		if _, err := path.Match(p, ""); err != nil {
			return 0, fmt.Errorf("sim: bad pattern %q in rule: %w", p, err)
		}
	}
	k.faults.nextRule++
	id := k.faults.nextRule
	k.faults.rules = append(k.faults.rules, &rule{id: id, Rule: r})
	k.seq++
	k.trace.add(Record{Time: k.now, Seq: k.seq, Event: EventFault, From: "kernel", To: "kernel", Kind: "rule-add", summary: r.String()})
	k.driverRecorded()
	return id, nil
}

// RemoveRule uninstalls a rule.
func (k *Kernel) RemoveRule(id RuleID) {
	rs := k.faults.rules[:0]
	for _, r := range k.faults.rules {
		if r.id != id {
			rs = append(rs, r)
		}
	}
	k.faults.rules = rs
}

type rule struct {
	id RuleID
	Rule
	used int
}

type faultTable struct {
	cuts     map[[2]string]bool
	rules    []*rule
	nextRule RuleID
}

func (f *faultTable) init() {
	f.cuts = make(map[[2]string]bool)
}

// onSend applies rules when a message leaves its sender.
func (f *faultTable) onSend(k *Kernel, m *Message) (delay time.Duration, drop string) {
	if len(f.rules) == 0 {
		return 0, ""
	}
	for _, r := range f.rules {
		if r.Count > 0 && r.used >= r.Count {
			continue
		}
		if !match(r.From, m.From) || !match(r.To, m.To) || !match(r.Kind, m.Kind) {
			continue
		}
		if r.Probability > 0 && k.rng.Float64() >= r.Probability {
			continue
		}
		r.used++
		if r.Drop {
			return 0, fmt.Sprintf("dropped by rule %d", r.id)
		}
		delay += r.Delay
	}
	return delay, ""
}

func match(pattern, s string) bool {
	if pattern == "" || pattern == "*" {
		return true
	}
	ok, _ := path.Match(pattern, s)
	return ok
}

// check applies link cuts when a message arrives.
func (f *faultTable) check(k *Kernel, m *Message, e *event) string {
	if len(f.cuts) == 0 || m.sender == nil {
		return ""
	}
	from, to := m.sender, e.to
	if f.cuts[linkKey(from.name, to.name)] {
		return dropLinkCut
	}
	if from.node != to.node && f.cuts[linkKey(NodeEndpoint(from.node), NodeEndpoint(to.node))] {
		return dropLinkCut
	}
	if f.cuts[linkKey(from.name, NodeEndpoint(to.node))] || f.cuts[linkKey(NodeEndpoint(from.node), to.name)] {
		return dropLinkCut
	}
	return ""
}

// Links lists the cut links, sorted.
func (k *Kernel) Links() [][2]string {
	out := make([][2]string, 0, len(k.faults.cuts))
	for l := range k.faults.cuts {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i][0] != out[j][0] {
			return out[i][0] < out[j][0]
		}
		return out[i][1] < out[j][1]
	})
	return out
}
