package apiserver

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/etcd/mvcc"
)

// Service IP and node port allocation, as kube-apiserver does it: a
// ClusterIP from --service-cluster-ip-range (10.96.0.0/12), dynamic ones
// from the upper band so that the lower band stays free for addresses
// people choose (ServiceIPStaticSubrange), and node ports from
// --service-node-port-range (30000-32767). Every allocation is a key of its
// own written in the same etcd transaction as the Service — as the
// IPAddress objects of the newer allocator are — so two apiservers can never
// hand out one address twice.

const (
	// DefaultServiceCIDR is --service-cluster-ip-range.
	DefaultServiceCIDR = "10.96.0.0/12"
	nodePortMin        = 30000
	nodePortMax        = 32767
	ipKeyPrefix        = "/registry/ipaddresses/"
	portKeyPrefix      = "/registry/servicenodeports/"
)

var serviceCIDR = netip.MustParsePrefix(DefaultServiceCIDR)

// lowerBand is the size of the static sub-range: min(max(16, size/16), 256).
func lowerBand(p netip.Prefix) int {
	size := 1 << (32 - p.Bits())
	b := size / 16
	if b < 16 {
		b = 16
	}
	if b > 256 {
		b = 256
	}
	return b
}

func addrAt(p netip.Prefix, offset int) netip.Addr {
	a := p.Masked().Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v += uint32(offset)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// validateService checks a Service with the real messages.
func validateService(svc *api.Service) []apierrors.FieldError {
	var errs []apierrors.FieldError
	s := &svc.Spec
	switch s.Type {
	case api.ServiceTypeClusterIP, api.ServiceTypeNodePort, api.ServiceTypeLoadBalancer, api.ServiceTypeExternalName:
	default:
		errs = append(errs, apierrors.NotSupported("spec.type", string(s.Type), []string{"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"}))
	}
	if s.Type == api.ServiceTypeExternalName {
		if s.ExternalName == "" {
			errs = append(errs, apierrors.Required("spec.externalName", ""))
		} else if msgs := IsDNS1123Subdomain(s.ExternalName); len(msgs) > 0 {
			errs = append(errs, apierrors.Invalid("spec.externalName", s.ExternalName, msgs[0]))
		}
		return errs
	}
	headless := s.ClusterIP == api.ClusterIPNone
	if len(s.Ports) == 0 && !headless {
		errs = append(errs, apierrors.Required("spec.ports", ""))
	}
	names := map[string]bool{}
	for i, p := range s.Ports {
		path := fmt.Sprintf("spec.ports[%d]", i)
		if len(s.Ports) > 1 && p.Name == "" {
			errs = append(errs, apierrors.Required(path+".name", ""))
		} else if p.Name != "" {
			for _, msg := range IsDNS1123Label(p.Name) {
				errs = append(errs, apierrors.Invalid(path+".name", p.Name, msg))
			}
			if names[p.Name] {
				errs = append(errs, apierrors.Duplicate(path+".name", p.Name))
			}
			names[p.Name] = true
		}
		if p.Port < 1 || p.Port > 65535 {
			errs = append(errs, apierrors.Invalid(path+".port", p.Port, "must be between 1 and 65535, inclusive"))
		}
		switch p.Protocol {
		case api.ProtocolTCP, api.ProtocolUDP, api.ProtocolSCTP:
		default:
			errs = append(errs, apierrors.NotSupported(path+".protocol", string(p.Protocol), []string{"SCTP", "TCP", "UDP"}))
		}
		if p.TargetPort.Type == api.IntOrStringInt && (p.TargetPort.IntVal < 1 || p.TargetPort.IntVal > 65535) {
			errs = append(errs, apierrors.Invalid(path+".targetPort", p.TargetPort.IntVal, "must be between 1 and 65535, inclusive"))
		}
		if p.NodePort != 0 {
			if s.Type == api.ServiceTypeClusterIP {
				errs = append(errs, apierrors.Forbidden(path+".nodePort", "may not be used when `type` is 'ClusterIP'"))
			} else if p.NodePort < nodePortMin || p.NodePort > nodePortMax {
				errs = append(errs, apierrors.Invalid(path+".nodePort", p.NodePort, fmt.Sprintf("provided port is not in the valid range. The range of valid ports is %d-%d", nodePortMin, nodePortMax)))
			}
		}
	}
	if headless && s.Type != api.ServiceTypeClusterIP {
		errs = append(errs, apierrors.Invalid("spec.clusterIPs[0]", api.ClusterIPNone, "may not be set to 'None' for LoadBalancer services"))
	}
	if s.ClusterIP != "" && !headless {
		ip, err := netip.ParseAddr(s.ClusterIP)
		if err != nil || !ip.Is4() {
			errs = append(errs, apierrors.Invalid("spec.clusterIPs[0]", s.ClusterIP, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"))
		}
	}
	return errs
}

// allocation is what a new Service reserves.
type allocation struct {
	keys []string
}

// allocateService fills in clusterIP(s), ipFamilies and node ports, and
// returns the allocation keys to write with the Service. Addresses and ports
// in use are read from the watch cache; the transaction's compares catch a
// race with another apiserver.
func (h *handler) allocateService(svc *api.Service) (allocation, error) {
	var al allocation
	s := &svc.Spec
	if s.Type == api.ServiceTypeExternalName {
		s.ClusterIP, s.ClusterIPs = "", nil
		return al, nil
	}
	if s.IPFamilyPolicy == nil {
		p := api.IPFamilyPolicySingleStack
		s.IPFamilyPolicy = &p
	}
	if len(s.IPFamilies) == 0 {
		s.IPFamilies = []api.IPFamily{api.IPv4Protocol}
	}
	usedIPs, usedPorts := h.s.servicesInUse()
	switch s.ClusterIP {
	case api.ClusterIPNone:
		s.ClusterIPs = []string{api.ClusterIPNone}
	case "":
		band := lowerBand(serviceCIDR)
		size := 1 << (32 - serviceCIDR.Bits())
		rng := h.c.Rand()
		var ip netip.Addr
		for tries := 0; tries < 64; tries++ {
			cand := addrAt(serviceCIDR, band+rng.IntN(size-band-1))
			if !usedIPs[cand.String()] {
				ip = cand
				break
			}
		}
		if !ip.IsValid() {
			return al, apierrors.NewInternalError(fmt.Errorf("failed to allocate a serviceIP: range is full"))
		}
		s.ClusterIP, s.ClusterIPs = ip.String(), []string{ip.String()}
		al.keys = append(al.keys, ipKeyPrefix+ip.String())
	default:
		ip, _ := netip.ParseAddr(s.ClusterIP)
		if !serviceCIDR.Contains(ip) || ip == serviceCIDR.Masked().Addr() {
			return al, apierrors.NewInvalid("", "Service", svc.Name, []apierrors.FieldError{apierrors.Invalid("spec.clusterIPs", []string{s.ClusterIP},
				fmt.Sprintf("failed to allocate IP %s: the provided IP (%s) is not in the valid range. The range of valid IPs is %s", s.ClusterIP, s.ClusterIP, DefaultServiceCIDR))})
		}
		if usedIPs[s.ClusterIP] {
			return al, errIPAllocated(svc)
		}
		s.ClusterIPs = []string{s.ClusterIP}
		al.keys = append(al.keys, ipKeyPrefix+s.ClusterIP)
	}
	if s.Type == api.ServiceTypeNodePort || s.Type == api.ServiceTypeLoadBalancer {
		rng := h.c.Rand()
		for i := range s.Ports {
			p := &s.Ports[i]
			if p.NodePort == 0 {
				for tries := 0; tries < 64; tries++ {
					cand := int32(nodePortMin + rng.IntN(nodePortMax-nodePortMin+1))
					if !usedPorts[cand] {
						p.NodePort = cand
						break
					}
				}
			} else if usedPorts[p.NodePort] {
				return al, apierrors.NewInvalid("", "Service", svc.Name, []apierrors.FieldError{apierrors.Invalid(fmt.Sprintf("spec.ports[%d].nodePort", i), p.NodePort, "provided port is already allocated")})
			}
			usedPorts[p.NodePort] = true
			al.keys = append(al.keys, portKeyPrefix+strconv.Itoa(int(p.NodePort)))
		}
	}
	return al, nil
}

func errIPAllocated(svc *api.Service) error {
	return apierrors.NewInvalid("", "Service", svc.Name, []apierrors.FieldError{apierrors.Invalid("spec.clusterIPs", []string{svc.Spec.ClusterIP},
		fmt.Sprintf("failed to allocate IP %s: provided IP is already allocated", svc.Spec.ClusterIP))})
}

// servicesInUse lists the cluster IPs and node ports of the cached Services.
func (s *server) servicesInUse() (map[string]bool, map[int32]bool) {
	ips, ports := map[string]bool{}, map[int32]bool{}
	s.cache.list(api.KeyFor("services", "", ""), func(e *cacheEntry) bool {
		svc := e.obj.(*api.Service)
		for _, ip := range svc.Spec.ClusterIPs {
			ips[ip] = true
		}
		if svc.Spec.ClusterIP != "" {
			ips[svc.Spec.ClusterIP] = true
		}
		for _, p := range svc.Spec.Ports {
			if p.NodePort != 0 {
				ports[p.NodePort] = true
			}
		}
		return true
	})
	return ips, ports
}

// releaseKeys are the allocation keys a deleted Service frees.
func releaseKeys(svc *api.Service) []string {
	var keys []string
	for _, ip := range svc.Spec.ClusterIPs {
		if ip != api.ClusterIPNone && ip != "" {
			keys = append(keys, ipKeyPrefix+ip)
		}
	}
	for _, p := range svc.Spec.Ports {
		if p.NodePort != 0 {
			keys = append(keys, portKeyPrefix+strconv.Itoa(int(p.NodePort)))
		}
	}
	sort.Strings(keys)
	return keys
}

// createService stores a Service and its allocations in one transaction.
func (h *handler) createService(info *api.ResourceInfo, svc *api.Service) (*apiwire.Response, error) {
	explicit := svc.Spec.ClusterIP != ""
	for attempt := 0; attempt < 5; attempt++ {
		cand := api.DeepCopy(svc)
		al, err := h.allocateService(cand)
		if err != nil {
			return nil, err
		}
		data, err := encode(cand)
		if err != nil {
			return nil, apierrors.NewInternalError(err)
		}
		key := info.Key(cand.Namespace, cand.Name)
		cmps := []mvcc.Compare{mvcc.CmpModRevision(key, mvcc.Equal, 0)}
		ops := []mvcc.Op{mvcc.OpPut(key, data, 0)}
		for _, k := range al.keys {
			cmps = append(cmps, mvcc.CmpModRevision(k, mvcc.Equal, 0))
			ops = append(ops, mvcc.OpPut(k, []byte(cand.Namespace+"/"+cand.Name), 0))
		}
		h.s.written[key] = pendingWrite{obj: cand, data: data}
		res, err := h.etcd.Txn(mvcc.TxnRequest{Compare: cmps, Success: ops})
		if err != nil {
			return nil, storageError(err)
		}
		if res.Succeeded {
			cand.ResourceVersion = strconv.FormatInt(res.Header.Revision, 10)
			h.c.Note(NoteAllocation, AllocationNote{Namespace: cand.Namespace, Name: cand.Name, ClusterIP: cand.Spec.ClusterIP, NodePorts: nodePortsOf(cand)})
			return &apiwire.Response{Code: 201, Object: cand}, nil
		}
		if _, exists := h.s.cache.get(key); exists {
			return nil, apierrors.NewAlreadyExists(info.Group, info.Resource, svc.Name)
		}
		if explicit {
			return nil, errIPAllocated(svc)
		}
		// Another apiserver took the address at the same moment: try again.
	}
	return nil, apierrors.NewInternalError(fmt.Errorf("failed to allocate a serviceIP: too many conflicts"))
}

func orNone(ip string) string {
	if ip == "" {
		return "<none>"
	}
	return ip
}

func nodePortsOf(svc *api.Service) []int32 {
	var out []int32
	for _, p := range svc.Spec.Ports {
		if p.NodePort != 0 {
			out = append(out, p.NodePort)
		}
	}
	return out
}

// kubernetesService is the default/kubernetes Service the apiserver keeps,
// at the first address of the service range.
func kubernetesService() *api.Service {
	return &api.Service{TypeMeta: api.TypeMeta{Kind: "Service", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Name: "kubernetes", Namespace: "default", Labels: map[string]string{"component": "apiserver", "provider": "kubernetes"}},
		Spec: api.ServiceSpec{Type: api.ServiceTypeClusterIP, ClusterIP: addrAt(serviceCIDR, 1).String(),
			Ports: []api.ServicePort{{Name: "https", Protocol: api.ProtocolTCP, Port: 443, TargetPort: api.FromInt32(6443)}}}}
}

// patchAllocatedValues keeps what the apiserver allocated when an update
// leaves it out (kubectl apply never sends it), and refuses to change it.
func patchAllocatedValues(svc, old *api.Service) []apierrors.FieldError {
	if svc.Spec.ClusterIP == "" && svc.Spec.Type != api.ServiceTypeExternalName && old.Spec.Type != api.ServiceTypeExternalName {
		svc.Spec.ClusterIP = old.Spec.ClusterIP
	}
	if len(svc.Spec.ClusterIPs) == 0 && svc.Spec.ClusterIP == old.Spec.ClusterIP {
		svc.Spec.ClusterIPs = old.Spec.ClusterIPs
	}
	if svc.Spec.IPFamilyPolicy == nil {
		svc.Spec.IPFamilyPolicy = old.Spec.IPFamilyPolicy
	}
	if len(svc.Spec.IPFamilies) == 0 {
		svc.Spec.IPFamilies = old.Spec.IPFamilies
	}
	for i := range svc.Spec.Ports {
		p := &svc.Spec.Ports[i]
		if p.NodePort != 0 {
			continue
		}
		for _, op := range old.Spec.Ports {
			if op.Port == p.Port && op.Protocol == p.Protocol {
				p.NodePort = op.NodePort
			}
		}
	}
	if old.Spec.ClusterIP != "" && svc.Spec.ClusterIP != old.Spec.ClusterIP && svc.Spec.Type != api.ServiceTypeExternalName {
		return []apierrors.FieldError{apierrors.Invalid("spec.clusterIPs[0]", svc.Spec.ClusterIPs, "may not change once set")}
	}
	return nil
}
