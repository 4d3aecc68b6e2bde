package proxy

import (
	"net/netip"
	"sort"
	"strings"

	"github.com/kubesim/kubesim/components/api"
)

// tracker holds the Services and EndpointSlices an actor fed in, as
// kube-proxy's service and endpoint-slice change trackers do. It is the
// desired state; what the data path does is decided by the last Sync.
type tracker struct {
	services map[string]*api.Service       // "ns/name"
	slices   map[string]*api.EndpointSlice // "ns/slice-name"
	changed  bool
}

func newTracker() tracker {
	return tracker{
		services: map[string]*api.Service{},
		slices:   map[string]*api.EndpointSlice{},
	}
}

func (t *tracker) upsertService(svc *api.Service) {
	t.services[svc.Namespace+"/"+svc.Name] = svc
	t.changed = true
}

func (t *tracker) deleteService(namespace, name string) {
	key := namespace + "/" + name
	if _, ok := t.services[key]; ok {
		delete(t.services, key)
		t.changed = true
	}
}

func (t *tracker) upsertSlice(es *api.EndpointSlice) {
	t.slices[es.Namespace+"/"+es.Name] = es
	t.changed = true
}

func (t *tracker) deleteSlice(namespace, name string) {
	key := namespace + "/" + name
	if _, ok := t.slices[key]; ok {
		delete(t.slices, key)
		t.changed = true
	}
}

// servicePort is one port of one Service as a proxier sees it: kube-proxy's
// ServicePortName ("ns/name:port") plus the fields the rules need.
type servicePort struct {
	svc        *api.Service
	name       string // ServicePortName: "ns/svc:port", or "ns/svc" for an unnamed port
	namespace  string
	service    string
	portName   string
	protocol   string // lower case, as in the rules: "tcp", "udp", "sctp"
	clusterIP  netip.Addr
	port       int
	nodePort   int
	externalIP []netip.Addr
	lbIP       []netip.Addr
	healthPort int
	affinity   bool
	sticky     int // affinity timeout in seconds
	intLocal   bool
	extLocal   bool // externalTrafficPolicy Local on an externally reachable port
	svcType    api.ServiceType
}

// externallyAccessible is kube-proxy's ExternallyAccessible: a NodePort,
// an external IP or a load-balancer IP.
func (sp *servicePort) externallyAccessible() bool {
	return sp.nodePort != 0 || len(sp.externalIP) > 0 || len(sp.lbIP) > 0
}

func (sp *servicePort) usesClusterEndpoints() bool {
	return !sp.intLocal || (sp.externallyAccessible() && !sp.extLocal)
}

func (sp *servicePort) usesLocalEndpoints() bool {
	return sp.intLocal || (sp.externallyAccessible() && sp.extLocal)
}

// endpoint is one backend of a service port.
type endpoint struct {
	addr        netip.AddrPort
	str         string // "IP:port", the form kube-proxy hashes and sorts by
	node        string
	ready       bool
	serving     bool
	terminating bool
	local       bool
}

// servicePorts lists the proxied service ports sorted by ServicePortName
// and protocol. kube-proxy walks a Go map here; kubesim sorts so that
// output is stable. Headless, ExternalName and service-proxy-name-labelled
// Services are not proxied, as in kube-proxy.
func (t *tracker) servicePorts() []*servicePort {
	var out []*servicePort
	for _, svc := range t.services {
		if svc.Spec.Type == api.ServiceTypeExternalName {
			continue
		}
		if _, ok := svc.Labels[api.LabelServiceProxyName]; ok {
			continue
		}
		cip, err := netip.ParseAddr(svc.Spec.ClusterIP)
		if err != nil || !cip.Is4() {
			continue // "None", empty, or another family than this IPv4 proxier
		}
		affinity := svc.Spec.SessionAffinity == api.ServiceAffinityClientIP
		sticky := int(api.DefaultClientIPServiceAffinitySeconds)
		if c := svc.Spec.SessionAffinityConfig; c != nil && c.ClientIP != nil && c.ClientIP.TimeoutSeconds != nil {
			sticky = int(*c.ClientIP.TimeoutSeconds)
		}
		var ext []netip.Addr
		for _, s := range svc.Spec.ExternalIPs {
			if a, err := netip.ParseAddr(s); err == nil && a.Is4() {
				ext = append(ext, a)
			}
		}
		var lbs []netip.Addr
		if svc.Spec.Type == api.ServiceTypeLoadBalancer {
			for _, in := range svc.Status.LoadBalancer.Ingress {
				if a, err := netip.ParseAddr(in.IP); err == nil && a.Is4() {
					lbs = append(lbs, a)
				}
			}
		}
		intLocal := svc.Spec.InternalTrafficPolicy != nil && *svc.Spec.InternalTrafficPolicy == api.ServiceInternalTrafficPolicyLocal
		for _, p := range svc.Spec.Ports {
			proto := p.Protocol
			if proto == "" {
				proto = api.ProtocolTCP
			}
			sp := &servicePort{
				svc:        svc,
				name:       servicePortName(svc.Namespace, svc.Name, p.Name),
				namespace:  svc.Namespace,
				service:    svc.Name,
				portName:   p.Name,
				protocol:   strings.ToLower(string(proto)),
				clusterIP:  cip,
				port:       int(p.Port),
				externalIP: ext,
				lbIP:       lbs,
				affinity:   affinity,
				sticky:     sticky,
				intLocal:   intLocal,
				svcType:    svc.Spec.Type,
			}
			if svc.Spec.Type == api.ServiceTypeNodePort || svc.Spec.Type == api.ServiceTypeLoadBalancer {
				sp.nodePort = int(p.NodePort)
			}
			if sp.externallyAccessible() && svc.Spec.ExternalTrafficPolicy == api.ServiceExternalTrafficPolicyLocal {
				sp.extLocal = true
				if svc.Spec.Type == api.ServiceTypeLoadBalancer {
					sp.healthPort = int(svc.Spec.HealthCheckNodePort)
				}
			}
			out = append(out, sp)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].name != out[j].name {
			return out[i].name < out[j].name
		}
		return out[i].protocol < out[j].protocol
	})
	return out
}

// servicePortName renders kube-proxy's ServicePortName.String().
func servicePortName(namespace, name, port string) string {
	if port == "" {
		return namespace + "/" + name
	}
	return namespace + "/" + name + ":" + port
}

// endpointsIndex maps "ns/svc" to the slices labelled with that service.
func (t *tracker) endpointsIndex() map[string][]*api.EndpointSlice {
	idx := map[string][]*api.EndpointSlice{}
	keys := make([]string, 0, len(t.slices))
	for k := range t.slices {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		es := t.slices[k]
		svc, ok := es.Labels[api.LabelServiceName]
		if !ok || es.AddressType != api.AddressTypeIPv4 {
			continue
		}
		idx[es.Namespace+"/"+svc] = append(idx[es.Namespace+"/"+svc], es)
	}
	return idx
}

// endpointsFor collects the endpoints of one service port from its slices:
// the slice port with the same name and protocol gives the port; only the
// first address of an endpoint counts; nil ready and serving mean true, nil
// terminating false; duplicates collapse; the result is sorted by "IP:port"
// as kube-proxy's endpoint cache sorts it.
func endpointsFor(sp *servicePort, slices []*api.EndpointSlice, node string) []*endpoint {
	seen := map[string]bool{}
	var out []*endpoint
	for _, es := range slices {
		for _, port := range es.Ports {
			name := ""
			if port.Name != nil {
				name = *port.Name
			}
			proto := api.ProtocolTCP
			if port.Protocol != nil {
				proto = *port.Protocol
			}
			if name != sp.portName || strings.ToLower(string(proto)) != sp.protocol || port.Port == nil {
				continue
			}
			for _, ep := range es.Endpoints {
				if len(ep.Addresses) == 0 {
					continue
				}
				a, err := netip.ParseAddr(ep.Addresses[0])
				if err != nil || !a.Is4() {
					continue
				}
				ap := netip.AddrPortFrom(a, uint16(*port.Port))
				s := ap.String()
				if seen[s] {
					continue
				}
				seen[s] = true
				e := &endpoint{
					addr:        ap,
					str:         s,
					ready:       ep.Conditions.Ready == nil || *ep.Conditions.Ready,
					serving:     ep.Conditions.Serving == nil || *ep.Conditions.Serving,
					terminating: ep.Conditions.Terminating != nil && *ep.Conditions.Terminating,
				}
				if ep.NodeName != nil {
					e.node = *ep.NodeName
					e.local = node != "" && *ep.NodeName == node
				}
				out = append(out, e)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].str < out[j].str })
	return out
}

// categorized is the result of kube-proxy's CategorizeEndpoints.
type categorized struct {
	cluster   []*endpoint // used by the Cluster traffic policy
	local     []*endpoint // used by the Local traffic policy
	reachable []*endpoint // every endpoint that gets a KUBE-SEP chain
	any       bool        // the service has usable endpoints somewhere
}

// categorize follows kube-proxy's CategorizeEndpoints (without topology
// hints): Cluster policy uses the ready endpoints, falling back to
// serving-and-terminating ones when none is ready; Local policy uses the
// node's ready endpoints, or its serving-terminating ones.
func categorize(sp *servicePort, eps []*endpoint) categorized {
	var c categorized
	useServingTerminating := false
	if sp.usesClusterEndpoints() {
		c.cluster = filter(eps, func(e *endpoint) bool { return e.ready })
		if len(c.cluster) == 0 {
			c.cluster = filter(eps, func(e *endpoint) bool { return e.serving && e.terminating })
		}
		c.any = len(c.cluster) > 0
	}
	if !sp.usesLocalEndpoints() {
		c.reachable = c.cluster
		return c
	}
	localReady, localServing := false, false
	for _, e := range eps {
		switch {
		case e.ready:
			c.any = true
			localReady = localReady || e.local
		case e.serving && e.terminating:
			c.any = true
			localServing = localServing || e.local
		}
	}
	if localReady {
		c.local = filter(eps, func(e *endpoint) bool { return e.local && e.ready })
	} else if localServing {
		useServingTerminating = true
		c.local = filter(eps, func(e *endpoint) bool { return e.local && e.serving && e.terminating })
	}
	if !sp.usesClusterEndpoints() {
		c.reachable = c.local
		return c
	}
	if !useServingTerminating {
		c.reachable = c.cluster
		return c
	}
	merged := map[string]*endpoint{}
	for _, e := range c.cluster {
		merged[e.str] = e
	}
	for _, e := range c.local {
		merged[e.str] = e
	}
	for _, e := range merged {
		c.reachable = append(c.reachable, e)
	}
	sort.Slice(c.reachable, func(i, j int) bool { return c.reachable[i].str < c.reachable[j].str })
	return c
}

func filter(eps []*endpoint, keep func(*endpoint) bool) []*endpoint {
	var out []*endpoint
	for _, e := range eps {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}
