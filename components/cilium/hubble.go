package cilium

import (
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Verdict is a Hubble flow verdict.
type Verdict string

// Flow verdicts.
const (
	VerdictForwarded  Verdict = "FORWARDED"
	VerdictDropped    Verdict = "DROPPED"
	VerdictError      Verdict = "ERROR"
	VerdictAudit      Verdict = "AUDIT"
	VerdictRedirected Verdict = "REDIRECTED"
	VerdictTraced     Verdict = "TRACED"
	VerdictTranslated Verdict = "TRANSLATED"
)

// EventType is the kind of datapath event a flow came from.
type EventType int

// Event types.
const (
	// EventTrace is a trace notification at an observation point.
	EventTrace EventType = iota
	// EventDrop is a drop notification with a DropReason.
	EventDrop
	// EventPolicyVerdict is a policy-verdict notification.
	EventPolicyVerdict
)

// ObservationPoint is where a trace event was seen.
type ObservationPoint string

// Observation points, as Hubble names them.
const (
	ToEndpoint   ObservationPoint = "to-endpoint"
	ToProxy      ObservationPoint = "to-proxy"
	ToHost       ObservationPoint = "to-host"
	ToStack      ObservationPoint = "to-stack"
	ToOverlay    ObservationPoint = "to-overlay"
	ToNetwork    ObservationPoint = "to-network"
	FromEndpoint ObservationPoint = "from-endpoint"
	FromHost     ObservationPoint = "from-host"
	FromStack    ObservationPoint = "from-stack"
	FromOverlay  ObservationPoint = "from-overlay"
	FromNetwork  ObservationPoint = "from-network"
)

// FlowEndpoint is one side of a flow.
type FlowEndpoint struct {
	IP        netip.Addr
	Port      uint16
	Namespace string
	PodName   string
	Identity  NumericIdentity
	Labels    Labels
}

// host renders the side as hubble does with IP translation: "ns/pod" for
// a pod, else the address, then ":port" when there is a port.
func (e FlowEndpoint) host() string {
	h := e.IP.String()
	if e.PodName != "" {
		h = e.PodName
		if e.Namespace != "" {
			h = e.Namespace + "/" + e.PodName
		}
	}
	if e.Port != 0 {
		return net.JoinHostPort(h, strconv.Itoa(int(e.Port)))
	}
	return h
}

// identity renders "(ID:1234)", or "(world)" for a reserved identity.
func (e FlowEndpoint) identity() string {
	if e.Identity.IsReserved() {
		return "(" + e.Identity.String() + ")"
	}
	return fmt.Sprintf("(ID:%d)", uint32(e.Identity))
}

// Flow is one Hubble flow: a datapath event about a packet.
type Flow struct {
	// Time is the virtual wall time of the event.
	Time        time.Time
	NodeName    string
	Source      FlowEndpoint
	Destination FlowEndpoint
	// Protocol is "TCP", "UDP", "SCTP" or "ICMPv4".
	Protocol string
	// TCPFlags such as "SYN" or "SYN, ACK".
	TCPFlags string
	// ICMPType such as "EchoRequest".
	ICMPType string
	// IsReply: nil when the datapath does not know (drops), else whether
	// the packet is a reply.
	IsReply *bool
	Verdict Verdict
	Event   EventType
	// DropReason for EventDrop.
	DropReason DropReason
	// ObservationPoint for EventTrace.
	ObservationPoint ObservationPoint
	// TrafficDirection ("INGRESS", "EGRESS") and PolicyMatch ("L3-L4",
	// "L3-Only", "L4-Only", "all", "none") for EventPolicyVerdict.
	TrafficDirection string
	PolicyMatch      string
}

// Summary is the flow summary Hubble prints in parentheses.
func (f Flow) Summary() string {
	switch f.Protocol {
	case "TCP":
		return "TCP Flags: " + f.TCPFlags
	case "ICMPv4":
		return "ICMPv4 " + f.ICMPType
	case "":
		return "UNKNOWN"
	}
	return f.Protocol
}

// Type is the flow type column: the observation point, the drop reason,
// or "policy-verdict:L3-L4 INGRESS".
func (f Flow) Type() string {
	switch f.Event {
	case EventDrop:
		return f.DropReason.String()
	case EventPolicyVerdict:
		return fmt.Sprintf("policy-verdict:%s %s", f.PolicyMatch, f.TrafficDirection)
	}
	return string(f.ObservationPoint)
}

func (f Flow) verdictText() string {
	if f.Event == EventPolicyVerdict {
		switch f.Verdict {
		case VerdictForwarded, VerdictRedirected:
			return "ALLOWED"
		case VerdictDropped, VerdictError:
			return "DENIED"
		case VerdictAudit:
			return "AUDITED"
		}
	}
	return string(f.Verdict)
}

// Compact renders the flow as "hubble observe" prints it (compact output,
// the default on a terminal), without the trailing newline:
//
//	Nov 25 10:00:01.234: default/xwing:43210 (ID:1234) <> default/deathstar-6c9f:80 (ID:5678) Policy denied DROPPED (TCP Flags: SYN)
//
// The time is UTC in time.StampMilli; the arrow is "->" for a request,
// "<-" for a reply (source and destination swapped back) and "<>" when
// the direction is unknown, as for drops.
func (f Flow) Compact() string {
	src, dst := f.Source.host(), f.Destination.host()
	srcID, dstID := f.Source.identity(), f.Destination.identity()
	arrow := "->"
	switch {
	case f.IsReply == nil:
		arrow = "<>"
	case *f.IsReply:
		src, dst = dst, src
		srcID, dstID = dstID, srcID
		arrow = "<-"
	}
	return fmt.Sprintf("%s: %s %s %s %s %s %s %s (%s)",
		f.Time.UTC().Format(time.StampMilli), src, srcID, arrow, dst, dstID, f.Type(), f.verdictText(), f.Summary())
}

// Filter selects flows; an Observer ANDs the filters it is given.
type Filter func(Flow) bool

// podRef parses "[namespace/]pod-prefix"; without a namespace the default
// namespace is meant.
func podRef(s string) (string, string) {
	if i := strings.IndexByte(s, '/'); i >= 0 {
		return s[:i], s[i+1:]
	}
	return "default", s
}

func podMatches(e FlowEndpoint, ns, prefix string) bool {
	return e.PodName != "" && e.Namespace == ns && strings.HasPrefix(e.PodName, prefix)
}

// FilterPod keeps flows from or to any of the pods, given as
// "[namespace/]name-prefix" as "hubble observe --pod" takes them.
func FilterPod(pods ...string) Filter {
	return func(f Flow) bool {
		for _, p := range pods {
			ns, prefix := podRef(p)
			if podMatches(f.Source, ns, prefix) || podMatches(f.Destination, ns, prefix) {
				return true
			}
		}
		return false
	}
}

// FilterFromPod keeps flows from the pod (--from-pod).
func FilterFromPod(pod string) Filter {
	ns, prefix := podRef(pod)
	return func(f Flow) bool { return podMatches(f.Source, ns, prefix) }
}

// FilterToPod keeps flows to the pod (--to-pod).
func FilterToPod(pod string) Filter {
	ns, prefix := podRef(pod)
	return func(f Flow) bool { return podMatches(f.Destination, ns, prefix) }
}

// FilterNamespace keeps flows from or to a namespace (--namespace).
func FilterNamespace(namespaces ...string) Filter {
	return func(f Flow) bool {
		for _, ns := range namespaces {
			if f.Source.Namespace == ns || f.Destination.Namespace == ns {
				return true
			}
		}
		return false
	}
}

// FilterVerdict keeps flows with one of the verdicts (--verdict).
func FilterVerdict(verdicts ...Verdict) Filter {
	return func(f Flow) bool {
		for _, v := range verdicts {
			if f.Verdict == v {
				return true
			}
		}
		return false
	}
}

// FilterIdentity keeps flows from or to one of the identities
// (--identity).
func FilterIdentity(ids ...NumericIdentity) Filter {
	return func(f Flow) bool {
		for _, id := range ids {
			if f.Source.Identity == id || f.Destination.Identity == id {
				return true
			}
		}
		return false
	}
}

func matchAll(f Flow, filters []Filter) bool {
	for _, flt := range filters {
		if !flt(f) {
			return false
		}
	}
	return true
}

// OnFlow is a hook run on every recorded flow before it is stored: stop
// drops the flow (and skips later hooks), an error is returned by Record.
type OnFlow func(Flow) (stop bool, err error)

// ObserverOption configures an Observer.
type ObserverOption interface{ apply(*observerOptions) }

type observerOptions struct {
	capacity int
	hooks    []OnFlow
}

type observerOptionFunc func(*observerOptions)

func (f observerOptionFunc) apply(o *observerOptions) { f(o) }

// DefaultRingCapacity is Hubble's default flow buffer size
// (hubble-event-buffer-capacity 4095).
const DefaultRingCapacity = 4095

// WithCapacity sets the ring size.
func WithCapacity(n int) ObserverOption {
	return observerOptionFunc(func(o *observerOptions) { o.capacity = n })
}

// WithOnFlow adds a hook.
func WithOnFlow(h OnFlow) ObserverOption {
	return observerOptionFunc(func(o *observerOptions) { o.hooks = append(o.hooks, h) })
}

type follower struct {
	fn      func(Flow) bool
	filters []Filter
}

// Observer is Hubble's flow store: a bounded ring of the last flows, which
// readers can query ("hubble observe") or follow live ("--follow"). It is
// safe for concurrent use; followers are called synchronously by Record.
type Observer struct {
	mu        sync.Mutex
	opts      observerOptions
	ring      []Flow
	start     int
	n         int
	seen      uint64
	followers map[int]follower
	nextID    int
}

// NewObserver returns an empty observer.
func NewObserver(opts ...ObserverOption) *Observer {
	o := observerOptions{capacity: DefaultRingCapacity}
	for _, opt := range opts {
		opt.apply(&o)
	}
	if o.capacity < 1 {
		o.capacity = 1
	}
	// The ring grows to its capacity as flows come: a node that forwards
	// nothing costs nothing (5,000 agents would otherwise hold 5,000 empty
	// rings).
	return &Observer{opts: o, followers: map[int]follower{}}
}

// Record stores a flow, overwriting the oldest when the ring is full, and
// hands it to the followers.
func (o *Observer) Record(f Flow) error {
	o.mu.Lock()
	for _, h := range o.opts.hooks {
		stop, err := h(f)
		if err != nil {
			o.mu.Unlock()
			return err
		}
		if stop {
			o.mu.Unlock()
			return nil
		}
	}
	c := o.opts.capacity
	if o.n < c {
		o.ring = append(o.ring, f) // not yet full: start is 0, the next slot is n
		o.n++
	} else {
		o.ring[o.start] = f
		o.start = (o.start + 1) % c
	}
	o.seen++
	ids := make([]int, 0, len(o.followers))
	for id := range o.followers {
		ids = append(ids, id)
	}
	fs := make([]follower, 0, len(ids))
	sort.Ints(ids)
	for _, id := range ids {
		fs = append(fs, o.followers[id])
	}
	o.mu.Unlock()
	for i, fl := range fs {
		if matchAll(f, fl.filters) && !fl.fn(f) {
			o.mu.Lock()
			delete(o.followers, ids[i])
			o.mu.Unlock()
		}
	}
	return nil
}

// Flows returns the stored flows matching all filters, oldest first.
func (o *Observer) Flows(filters ...Filter) []Flow {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []Flow
	for i := range o.n {
		f := o.ring[(o.start+i)%len(o.ring)]
		if matchAll(f, filters) {
			out = append(out, f)
		}
	}
	return out
}

// Last returns the last n matching flows (hubble observe --last n).
func (o *Observer) Last(n int, filters ...Filter) []Flow {
	fs := o.Flows(filters...)
	if len(fs) > n {
		fs = fs[len(fs)-n:]
	}
	return fs
}

// Observe renders the matching flows as "hubble observe" prints them.
func (o *Observer) Observe(filters ...Filter) string {
	var sb strings.Builder
	for _, f := range o.Flows(filters...) {
		sb.WriteString(f.Compact())
		sb.WriteByte('\n')
	}
	return sb.String()
}

// Follow calls fn for every later flow matching the filters until fn
// returns false or cancel is called.
func (o *Observer) Follow(fn func(Flow) bool, filters ...Filter) (cancel func()) {
	o.mu.Lock()
	defer o.mu.Unlock()
	id := o.nextID
	o.nextID++
	o.followers[id] = follower{fn: fn, filters: filters}
	return func() {
		o.mu.Lock()
		defer o.mu.Unlock()
		delete(o.followers, id)
	}
}

// Seen returns how many flows were recorded in total; Seen minus the
// stored count were overwritten (lost to a slow reader on a real node).
func (o *Observer) Seen() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.seen
}

// Probe describes the first packet of a connection whose policy decision
// is known, for ProbeFlows.
type Probe struct {
	Time     time.Time
	Src, Dst Peer
	// SrcNode and DstNode are the nodes the endpoints run on ("" for
	// peers outside the cluster).
	SrcNode, DstNode string
	SrcPort, DstPort uint16
	Protocol         string
	Decision         Decision
}

func flowEndpoint(p Peer, port uint16) FlowEndpoint {
	return FlowEndpoint{IP: p.IP, Port: port, Namespace: p.Namespace, PodName: p.Name, Identity: p.Identity, Labels: p.Labels}
}

// ProbeFlows returns the flows the datapath reports for the first packet
// of a connection: a drop at the source node when egress policy denies it;
// otherwise a forwarded trace leaving the source node (to-overlay towards
// a pod on another node, to-stack towards anything outside the cluster),
// then at the destination node either a drop (ingress denied) or
// to-endpoint. Drops carry no direction ("<>"), traces are requests.
func ProbeFlows(p Probe) []Flow {
	proto := strings.ToUpper(p.Protocol)
	if proto == "" {
		proto = "TCP"
	}
	base := Flow{
		Time: p.Time, Source: flowEndpoint(p.Src, p.SrcPort), Destination: flowEndpoint(p.Dst, p.DstPort),
		Protocol: proto,
	}
	if proto == "TCP" {
		base.TCPFlags = "SYN"
	}
	notReply := false
	drop := func(node string) Flow {
		f := base
		f.NodeName, f.Verdict, f.Event, f.DropReason = node, VerdictDropped, EventDrop, p.Decision.DropReason
		return f
	}
	trace := func(node string, at ObservationPoint) Flow {
		f := base
		f.NodeName, f.Verdict, f.Event, f.ObservationPoint, f.IsReply = node, VerdictForwarded, EventTrace, at, &notReply
		return f
	}
	var out []Flow
	if !p.Decision.Allowed && p.Decision.DroppedAt == Egress {
		return append(out, drop(p.SrcNode))
	}
	if p.Src.Endpoint && (!p.Dst.Endpoint || p.DstNode != p.SrcNode) {
		at := ToStack
		if p.Dst.Endpoint {
			at = ToOverlay
		}
		out = append(out, trace(p.SrcNode, at))
	}
	if p.Dst.Endpoint {
		if !p.Decision.Allowed {
			out = append(out, drop(p.DstNode))
		} else {
			out = append(out, trace(p.DstNode, ToEndpoint))
		}
	}
	return out
}
