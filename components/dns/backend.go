package dns

import (
	"sort"
	"sync"
	"time"

	"github.com/kubesim/kubesim/components/api"
)

// Backend is what the kubernetes plugin needs from the cluster: the
// informer caches of CoreDNS. Tests fake it; Store is the implementation
// an actor feeds from its watches.
type Backend interface {
	// Service returns a Service by namespace and name.
	Service(namespace, name string) (*api.Service, bool)
	// ServicesByIP returns the Services with that cluster IP.
	ServicesByIP(ip string) []*api.Service
	// EndpointSlices returns the slices of a Service (by the
	// kubernetes.io/service-name label).
	EndpointSlices(namespace, service string) []*api.EndpointSlice
	// EndpointSlicesByIP returns the slices holding an endpoint address.
	EndpointSlicesByIP(ip string) []*api.EndpointSlice
	// PodsByIP returns the pods with that IP ("pods verified").
	PodsByIP(ip string) []*api.Pod
	// NamespaceExists reports a namespace.
	NamespaceExists(name string) bool
	// HasSynced reports that the informers listed once; before that
	// CoreDNS answers SERVFAIL instead of NXDOMAIN.
	HasSynced() bool
	// Modified is the time of the last change, the SOA serial.
	Modified() time.Time
}

// Store is an in-memory Backend the CoreDNS actor feeds with Upsert and
// Delete from its watches. It is safe for concurrent use. Objects are kept,
// not copied: they must not be modified afterwards.
type Store struct {
	mu         sync.RWMutex
	clock      func() time.Time
	services   map[string]*api.Service
	slices     map[string]*api.EndpointSlice
	pods       map[string]*api.Pod
	namespaces map[string]*api.Namespace
	synced     bool
	modified   time.Time
}

var _ Backend = (*Store)(nil)

// NewStore returns an empty store; clock stamps changes (the SOA serial).
func NewStore(clock func() time.Time) *Store {
	return &Store{
		clock:    clock,
		services: map[string]*api.Service{}, slices: map[string]*api.EndpointSlice{},
		pods: map[string]*api.Pod{}, namespaces: map[string]*api.Namespace{},
	}
}

func (s *Store) touch() {
	if s.clock != nil {
		s.modified = s.clock()
	}
}

// SetSynced marks the initial list as done.
func (s *Store) SetSynced(synced bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.synced = synced
}

// UpsertService records a Service.
func (s *Store) UpsertService(o *api.Service) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.services[o.Namespace+"/"+o.Name] = o
	s.touch()
}

// DeleteService forgets a Service.
func (s *Store) DeleteService(namespace, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.services, namespace+"/"+name)
	s.touch()
}

// UpsertEndpointSlice records an EndpointSlice.
func (s *Store) UpsertEndpointSlice(o *api.EndpointSlice) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slices[o.Namespace+"/"+o.Name] = o
	s.touch()
}

// DeleteEndpointSlice forgets an EndpointSlice.
func (s *Store) DeleteEndpointSlice(namespace, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.slices, namespace+"/"+name)
	s.touch()
}

// UpsertPod records a Pod.
func (s *Store) UpsertPod(o *api.Pod) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pods[o.Namespace+"/"+o.Name] = o
	s.touch()
}

// DeletePod forgets a Pod.
func (s *Store) DeletePod(namespace, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.pods, namespace+"/"+name)
	s.touch()
}

// UpsertNamespace records a Namespace.
func (s *Store) UpsertNamespace(o *api.Namespace) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.namespaces[o.Name] = o
	s.touch()
}

// DeleteNamespace forgets a Namespace.
func (s *Store) DeleteNamespace(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.namespaces, name)
	s.touch()
}

// Service implements Backend.
func (s *Store) Service(namespace, name string) (*api.Service, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, ok := s.services[namespace+"/"+name]
	return o, ok
}

// ServicesByIP implements Backend.
func (s *Store) ServicesByIP(ip string) []*api.Service {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*api.Service
	for _, k := range sortedKeys(s.services) {
		svc := s.services[k]
		for _, cip := range clusterIPs(svc) {
			if cip == ip {
				out = append(out, svc)
				break
			}
		}
	}
	return out
}

// EndpointSlices implements Backend.
func (s *Store) EndpointSlices(namespace, service string) []*api.EndpointSlice {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*api.EndpointSlice
	for _, k := range sortedKeys(s.slices) {
		es := s.slices[k]
		if es.Namespace == namespace && es.Labels[api.LabelServiceName] == service {
			out = append(out, es)
		}
	}
	return out
}

// EndpointSlicesByIP implements Backend.
func (s *Store) EndpointSlicesByIP(ip string) []*api.EndpointSlice {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*api.EndpointSlice
	for _, k := range sortedKeys(s.slices) {
		es := s.slices[k]
	eps:
		for _, ep := range es.Endpoints {
			for _, a := range ep.Addresses {
				if a == ip {
					out = append(out, es)
					break eps
				}
			}
		}
	}
	return out
}

// PodsByIP implements Backend.
func (s *Store) PodsByIP(ip string) []*api.Pod {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*api.Pod
	for _, k := range sortedKeys(s.pods) {
		p := s.pods[k]
		if p.Status.PodIP == ip {
			out = append(out, p)
			continue
		}
		for _, pip := range p.Status.PodIPs {
			if pip.IP == ip {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// NamespaceExists implements Backend.
func (s *Store) NamespaceExists(name string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.namespaces[name]
	return ok
}

// HasSynced implements Backend.
func (s *Store) HasSynced() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.synced
}

// Modified implements Backend.
func (s *Store) Modified() time.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.modified
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func clusterIPs(svc *api.Service) []string {
	if len(svc.Spec.ClusterIPs) > 0 {
		return svc.Spec.ClusterIPs
	}
	if svc.Spec.ClusterIP != "" {
		return []string{svc.Spec.ClusterIP}
	}
	return nil
}
