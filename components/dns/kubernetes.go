package dns

import (
	"context"
	"errors"
	"math"
	"net/netip"
	"strconv"
	"strings"

	"github.com/kubesim/kubesim/components/api"
)

// PodMode is the "pods" option of the kubernetes plugin.
type PodMode string

// Pod modes.
const (
	PodsDisabled PodMode = "disabled"
	PodsInsecure PodMode = "insecure" // answer a-b-c-d.ns.pod.<zone> without checking
	PodsVerified PodMode = "verified" // only for a pod with that IP in that namespace
)

// KubernetesConfig configures the kubernetes plugin.
type KubernetesConfig struct {
	// Zones it is authoritative for; default cluster.local, in-addr.arpa,
	// ip6.arpa. The first is the cluster domain.
	Zones []string
	// TTL of the answers (plugin default 5; kubeadm's Corefile sets 30).
	TTL uint32
	// Pods is the pod-record mode (plugin default disabled; kubeadm's
	// Corefile sets insecure).
	Pods PodMode
	// Fallthrough lists zones whose NXDOMAIN goes to the next plugin
	// instead ("fallthrough in-addr.arpa ip6.arpa").
	Fallthrough []string
	// Backend is the cluster state.
	Backend Backend
	// Lookup resolves a name outside the zones (the target of an
	// ExternalName CNAME) through the server's own chain, as CoreDNS's
	// upstream does. Nil: such CNAMEs are answered without their target.
	Lookup func(ctx context.Context, name string, t Type) (*Msg, error)
}

// Kubernetes is the kubernetes plugin: it answers from Services,
// EndpointSlices and Pods the records of the Kubernetes DNS specification.
type Kubernetes struct {
	Next Handler
	cfg  KubernetesConfig
}

// NewKubernetes returns the plugin.
func NewKubernetes(cfg KubernetesConfig) *Kubernetes {
	if len(cfg.Zones) == 0 {
		cfg.Zones = []string{"cluster.local.", "in-addr.arpa.", "ip6.arpa."}
	}
	for i, z := range cfg.Zones {
		cfg.Zones[i] = lower(Fqdn(z))
	}
	for i, z := range cfg.Fallthrough {
		cfg.Fallthrough[i] = lower(Fqdn(z))
	}
	if cfg.TTL == 0 {
		cfg.TTL = 5
	}
	if cfg.Pods == "" {
		cfg.Pods = PodsDisabled
	}
	return &Kubernetes{cfg: cfg}
}

// Plugin returns the chain constructor.
func (k *Kubernetes) Plugin() Plugin {
	return func(next Handler) Handler { k.Next = next; return k }
}

// Name implements Handler.
func (k *Kubernetes) Name() string { return "kubernetes" }

func (k *Kubernetes) nextHandler() Handler { return k.Next }

func (k *Kubernetes) primaryZone() string { return k.cfg.Zones[0] }

var (
	errNoItems        = errors.New("no items found")
	errNsNotExposed   = errors.New("namespace is not exposed")
	errInvalidRequest = errors.New("invalid query name")
)

func isNameError(err error) bool {
	return err == errNoItems || err == errNsNotExposed || err == errInvalidRequest
}

// record is CoreDNS's msg.Service: a host (an IP, or a name for a CNAME),
// a port, and the domain the record is about.
type record struct {
	host   string
	port   int // -1: none
	domain string
}

func (r record) ip() (netip.Addr, bool) {
	a, err := netip.ParseAddr(r.host)
	return a, err == nil
}

// ServeDNS implements Handler, as CoreDNS's kubernetes handler.
func (k *Kubernetes) ServeDNS(ctx context.Context, w ResponseWriter, r *Msg) (Rcode, error) {
	q := r.Q()
	qname := lower(q.Name)
	zone := zoneMatch(k.cfg.Zones, qname)
	if zone == "" {
		return NextOrFailure(k.Name(), k.Next, ctx, w, r)
	}
	var (
		answer, extra []RR
		err           error
	)
	switch q.Type {
	case TypeA, TypeAAAA:
		answer, err = k.address(ctx, qname, zone, q.Type, 0)
	case TypeSRV:
		answer, extra, err = k.srv(qname, zone)
	case TypePTR:
		answer, err = k.ptr(qname, zone)
	case TypeCNAME:
		answer, err = k.cname(qname, zone)
	case TypeSOA:
		answer = []RR{k.soa(zone)}
	default:
		// A fake A lookup tells NODATA from NXDOMAIN.
		_, err = k.address(ctx, qname, zone, TypeA, 0)
	}
	if isNameError(err) {
		if zoneMatch(k.cfg.Fallthrough, qname) != "" {
			return NextOrFailure(k.Name(), k.Next, ctx, w, r)
		}
		if !k.cfg.Backend.HasSynced() {
			return k.backendError(w, r, zone, RcodeServerFailure)
		}
		return k.backendError(w, r, zone, RcodeNameError)
	}
	if err != nil {
		return RcodeServerFailure, err
	}
	if len(answer) == 0 {
		return k.backendError(w, r, zone, RcodeSuccess)
	}
	m := r.Reply()
	m.Authoritative = true
	m.Answer = answer
	m.Extra = extra
	return RcodeSuccess, w.WriteMsg(m)
}

// backendError writes an empty authoritative answer with the zone's SOA:
// NXDOMAIN, or NOERROR without records (NODATA).
func (k *Kubernetes) backendError(w ResponseWriter, r *Msg, zone string, rc Rcode) (Rcode, error) {
	m := r.ReplyRcode(rc)
	m.Authoritative = true
	m.Ns = []RR{k.soa(zone)}
	return rc, w.WriteMsg(m)
}

// soa is the zone's SOA as CoreDNS builds it: ns.dns.<zone>,
// hostmaster.<zone>, the serial from the last change, TTL min(ttl, 300).
func (k *Kubernetes) soa(zone string) RR {
	ttl := min(k.cfg.TTL, 300)
	var serial uint32
	if t := k.cfg.Backend.Modified(); !t.IsZero() {
		serial = uint32(t.Unix())
	}
	return NewSOA(zone, ttl, SOA{Ns: "ns.dns." + zone, Mbox: "hostmaster." + zone, Serial: serial,
		Refresh: 7200, Retry: 1800, Expire: 86400, Minttl: k.cfg.TTL})
}

// request is a parsed query name: [_port._proto.|endpoint.]service.namespace.(svc|pod).zone
type request struct {
	port, protocol string // "*" when not given
	endpoint       string
	service        string
	namespace      string
	podOrSvc       string
}

func parseRequest(name, zone string) (request, error) {
	r := request{port: "*", protocol: "*"}
	base := strings.TrimSuffix(strings.TrimSuffix(name, zone), ".")
	if name == zone {
		base = ""
	}
	if base == "" || base == "svc" || base == "pod" {
		return request{}, nil
	}
	segs := strings.Split(base, ".")
	last := len(segs) - 1
	r.podOrSvc = segs[last]
	if r.podOrSvc != "pod" && r.podOrSvc != "svc" {
		return r, errInvalidRequest
	}
	if last--; last < 0 {
		return r, nil
	}
	r.namespace = segs[last]
	if last--; last < 0 {
		return r, nil
	}
	r.service = segs[last]
	if last--; last < 0 {
		return r, nil
	}
	switch last {
	case 0:
		r.endpoint = segs[0]
	case 1:
		r.protocol = strings.TrimPrefix(segs[1], "_")
		r.port = strings.TrimPrefix(segs[0], "_")
	default:
		return r, errInvalidRequest
	}
	return r, nil
}

func wildcard(s string) bool { return s == "*" || s == "any" }

func match(a, b string) bool { return wildcard(a) || strings.EqualFold(a, b) }

// records finds the records a name stands for (CoreDNS's Records).
func (k *Kubernetes) records(qname, zone string) ([]record, error) {
	r, err := parseRequest(qname, zone)
	if err != nil {
		return nil, err
	}
	if r.podOrSvc == "" {
		return nil, nil // apex, "svc" or "pod": NODATA
	}
	if r.namespace != "" && !k.cfg.Backend.NamespaceExists(r.namespace) {
		return nil, errNsNotExposed
	}
	if r.podOrSvc == "pod" {
		return k.findPods(r, zone)
	}
	return k.findServices(r, zone)
}

func (k *Kubernetes) findPods(r request, zone string) ([]record, error) {
	if k.cfg.Pods == PodsDisabled {
		return nil, errNoItems
	}
	if r.service == "" {
		return nil, nil
	}
	if r.endpoint != "" || r.port != "*" {
		return nil, errInvalidRequest
	}
	podname := r.service
	var ip string
	if strings.Count(podname, "-") == 3 && !strings.Contains(podname, "--") {
		ip = strings.ReplaceAll(podname, "-", ".")
	} else {
		ip = strings.ReplaceAll(podname, "-", ":")
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return nil, errNoItems
	}
	rec := record{host: addr.String(), port: -1, domain: podname + "." + r.namespace + ".pod." + zone}
	if k.cfg.Pods == PodsInsecure {
		return []record{rec}, nil
	}
	for _, p := range k.cfg.Backend.PodsByIP(addr.String()) {
		if p.Namespace == r.namespace && p.DeletionTimestamp == nil {
			return []record{rec}, nil
		}
	}
	return nil, errNoItems
}

// endpointHostname is the name of an endpoint inside its service: its
// hostname, else its address with dashes.
func endpointHostname(ep api.Endpoint, addr string) string {
	if ep.Hostname != nil && *ep.Hostname != "" {
		return *ep.Hostname
	}
	if strings.Contains(addr, ".") {
		return strings.ReplaceAll(addr, ".", "-")
	}
	return strings.ReplaceAll(addr, ":", "-")
}

// ready reports an endpoint CoreDNS serves: ready, nil counting as true.
func ready(ep api.Endpoint) bool { return ep.Conditions.Ready == nil || *ep.Conditions.Ready }

func (k *Kubernetes) findServices(r request, zone string) ([]record, error) {
	if r.service == "" {
		return nil, nil // "ns.svc.cluster.local": the namespace exists, NODATA
	}
	svc, ok := k.cfg.Backend.Service(r.namespace, r.service)
	if !ok {
		return nil, errNoItems
	}
	svcDomain := svc.Name + "." + svc.Namespace + ".svc." + zone
	var out []record
	err := errNoItems
	switch {
	case svc.Spec.Type == api.ServiceTypeExternalName:
		if r.endpoint != "" || r.port != "*" {
			return nil, errNoItems
		}
		return []record{{host: Fqdn(svc.Spec.ExternalName), port: -1, domain: svcDomain}}, nil
	case svc.Spec.ClusterIP == api.ClusterIPNone || r.endpoint != "":
		for _, es := range k.cfg.Backend.EndpointSlices(svc.Namespace, svc.Name) {
			for _, ep := range es.Endpoints {
				if !ready(ep) {
					continue
				}
				for _, a := range ep.Addresses {
					host := endpointHostname(ep, a)
					if r.endpoint != "" && !strings.EqualFold(r.endpoint, host) {
						continue
					}
					if len(es.Ports) == 0 {
						if r.port == "*" && r.protocol == "*" {
							err = nil
							out = append(out, record{host: a, port: -1, domain: host + "." + svcDomain})
						}
						continue
					}
					for _, p := range es.Ports {
						name, proto := "", string(api.ProtocolTCP)
						if p.Name != nil {
							name = *p.Name
						}
						if p.Protocol != nil {
							proto = string(*p.Protocol)
						}
						if !match(r.port, name) || !match(r.protocol, proto) {
							continue
						}
						port := -1
						if p.Port != nil {
							port = int(*p.Port)
						}
						err = nil
						out = append(out, record{host: a, port: port, domain: host + "." + svcDomain})
					}
				}
			}
		}
	default:
		for _, p := range svc.Spec.Ports {
			proto := p.Protocol
			if proto == "" {
				proto = api.ProtocolTCP
			}
			if !match(r.port, p.Name) || !match(r.protocol, string(proto)) {
				continue
			}
			err = nil
			for _, ip := range clusterIPs(svc) {
				out = append(out, record{host: ip, port: int(p.Port), domain: svcDomain})
			}
		}
	}
	return out, err
}

// address answers A or AAAA (CoreDNS's plugin.A / plugin.AAAA): addresses
// of the name, or for a CNAME (ExternalName) the CNAME and, resolved
// through Lookup, the target's addresses.
func (k *Kubernetes) address(ctx context.Context, qname, zone string, t Type, depth int) ([]RR, error) {
	recs, err := k.records(qname, zone)
	if err != nil {
		return nil, err
	}
	var out []RR
	seen := map[string]bool{}
	for _, rec := range recs {
		ip, isIP := rec.ip()
		if !isIP {
			target := lower(rec.host)
			if target == qname || depth > 7 {
				continue
			}
			cname := NewCNAME(qname, k.cfg.TTL, target)
			if z := zoneMatch(k.cfg.Zones, target); z != "" {
				next, err := k.address(ctx, target, z, t, depth+1)
				if err == nil && len(next) > 0 {
					out = append(out, cname)
					out = append(out, next...)
				}
				continue
			}
			if k.cfg.Lookup == nil {
				out = append(out, cname)
				continue
			}
			// As CoreDNS: when the target cannot be looked up, the CNAME
			// is left out too.
			if m, err := k.cfg.Lookup(ctx, target, t); err == nil {
				out = append(out, cname)
				out = append(out, m.Answer...)
			}
			continue
		}
		if (t == TypeA) != ip.Is4() || seen[rec.host] {
			continue
		}
		seen[rec.host] = true
		out = append(out, NewA(qname, k.cfg.TTL, ip))
	}
	return out, nil
}

// srv answers SRV (CoreDNS's plugin.SRV): one SRV per port with a target
// in the zone, the weight 100 split between the records of a priority, and
// the targets' addresses in the additional section.
func (k *Kubernetes) srv(qname, zone string) ([]RR, []RR, error) {
	recs, err := k.records(qname, zone)
	if err != nil {
		return nil, nil, err
	}
	total := 0
	for _, rec := range recs {
		if rec.port != -1 {
			total += 100
		}
	}
	var answer, extra []RR
	seenSRV, seenExtra := map[string]bool{}, map[string]bool{}
	for _, rec := range recs {
		if rec.port == -1 {
			continue
		}
		w := math.Floor(100.0 / float64(total) * 100)
		weight := uint16(max(w, 1))
		ip, isIP := rec.ip()
		target := rec.domain
		if !isIP {
			target = rec.host
		}
		key := target + "/" + strconv.Itoa(rec.port)
		if !seenSRV[key] {
			seenSRV[key] = true
			answer = append(answer, NewSRV(qname, k.cfg.TTL, 0, weight, uint16(rec.port), target))
		}
		if isIP && !seenExtra[target+"/"+rec.host] {
			seenExtra[target+"/"+rec.host] = true
			extra = append(extra, NewA(target, k.cfg.TTL, ip))
		}
	}
	return answer, extra, nil
}

// ptr answers reverse lookups: a Service's cluster IP first, else every
// endpoint with that address ("<hostname>.<service>.<ns>.svc.<zone>").
func (k *Kubernetes) ptr(qname, zone string) ([]RR, error) {
	ip, ok := AddrFromReverse(qname)
	if !ok {
		_, err := k.records(qname, zone)
		if err == nil {
			err = errNoItems
		}
		return nil, err
	}
	primary := k.primaryZone()
	for _, svc := range k.cfg.Backend.ServicesByIP(ip.String()) {
		return []RR{NewPTR(qname, k.cfg.TTL, svc.Name+"."+svc.Namespace+".svc."+primary)}, nil
	}
	var out []RR
	seen := map[string]bool{}
	for _, es := range k.cfg.Backend.EndpointSlicesByIP(ip.String()) {
		svc := es.Labels[api.LabelServiceName]
		for _, ep := range es.Endpoints {
			for _, a := range ep.Addresses {
				if a != ip.String() {
					continue
				}
				target := endpointHostname(ep, a) + "." + svc + "." + es.Namespace + ".svc." + primary
				if !seen[target] {
					seen[target] = true
					out = append(out, NewPTR(qname, k.cfg.TTL, target))
				}
			}
		}
	}
	if len(out) == 0 {
		return nil, errNoItems
	}
	return out, nil
}

// cname answers a CNAME question: only names that are CNAMEs
// (ExternalName Services) have one.
func (k *Kubernetes) cname(qname, zone string) ([]RR, error) {
	recs, err := k.records(qname, zone)
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		if _, isIP := rec.ip(); !isIP {
			return []RR{NewCNAME(qname, k.cfg.TTL, rec.host)}, nil
		}
	}
	return nil, nil
}
