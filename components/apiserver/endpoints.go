package apiserver

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"github.com/kubesim/kubesim/sim"
	"go.uber.org/zap"
)

// The endpoints of the kubernetes Service. Every kube-apiserver keeps a
// lease for its advertise address in etcd (/registry/masterleases/<ip>,
// 15 s TTL, renewed every 10 s: --endpoint-reconciler-type=lease) and
// writes the addresses of the leases that are alive into the Endpoints
// and the EndpointSlice named kubernetes in namespace default, port 6443
// named https. A stopped apiserver's lease expires and the next
// reconcile of another apiserver drops its address, so kube-proxy's
// rules for 10.96.0.1:443 only lead to live apiservers.
const (
	masterLeasePrefix       = "/registry/masterleases/"
	masterLeaseTTL          = 15 // seconds
	endpointReconcilePeriod = 10 * time.Second
	kindEndpointsTick       = "endpoint-reconcile-tick"
	apiserverPort           = 6443
)

// reconcileEndpoints renews this apiserver's lease and rewrites the
// kubernetes Service's endpoints if the live set changed, in a task.
func (s *server) reconcileEndpoints() {
	c := s.c
	c.After(endpointReconcilePeriod, kindEndpointsTick, nil)
	ip := s.cfg.AdvertiseAddress
	if ip == "" {
		return
	}
	c.Go(func(tc *sim.Ctx) {
		cl := s.etcd.For(tc)
		l, err := cl.Grant(masterLeaseTTL)
		if err != nil {
			tc.Log().Warn("cannot renew the master lease", zap.String("ip", ip), zap.Error(err))
			return
		}
		own, _ := json.Marshal(masterEndpoints([]string{ip}))
		if _, err := cl.Txn(mvcc.TxnRequest{Success: []mvcc.Op{mvcc.OpPut(masterLeasePrefix+ip, own, l.ID)}}); err != nil {
			tc.Log().Warn("cannot renew the master lease", zap.String("ip", ip), zap.Error(err))
			return
		}
		res, err := cl.Range(masterLeasePrefix, mvcc.PrefixEnd(masterLeasePrefix), mvcc.RangeOptions{KeysOnly: true}, false)
		if err != nil {
			return
		}
		var ips []string
		for _, kv := range res.KVs {
			ips = append(ips, strings.TrimPrefix(kv.Key, masterLeasePrefix))
		}
		sort.Strings(ips)
		s.writeEndpoint(tc, masterEndpoints(ips))
		s.writeEndpoint(tc, masterSlice(ips))
	})
}

// writeEndpoint stores obj unless the cache already holds the same.
func (s *server) writeEndpoint(tc *sim.Ctx, obj api.Object) {
	info, _ := api.ResourceOf(obj)
	m := obj.GetObjectMeta()
	key := info.Key(m.Namespace, m.Name)
	cur, exists := s.cache.get(key)
	if exists && sameEndpointContent(cur.obj, obj) {
		return
	}
	cl := s.etcd.For(tc)
	if !exists {
		setDefaults(obj, true)
		s.stamp(obj)
		if _, err := createWith(cl, info, key, obj, 0, nil); err != nil {
			tc.Log().Warn("cannot write the kubernetes Service's endpoints", zap.String("key", key), zap.Error(err))
		}
		return
	}
	upd := api.DeepCopyObject(cur.obj)
	switch u := upd.(type) {
	case *api.Endpoints:
		u.Subsets = obj.(*api.Endpoints).Subsets
	case *api.EndpointSlice:
		u.Endpoints, u.Ports = obj.(*api.EndpointSlice).Endpoints, obj.(*api.EndpointSlice).Ports
	}
	rev, _ := strconv.ParseInt(cur.obj.GetObjectMeta().ResourceVersion, 10, 64)
	upd.GetObjectMeta().ResourceVersion = ""
	data, err := encode(upd)
	if err != nil {
		return
	}
	if _, err := cl.Txn(mvcc.TxnRequest{Compare: []mvcc.Compare{mvcc.CmpModRevision(key, mvcc.Equal, rev)},
		Success: []mvcc.Op{mvcc.OpPut(key, data, 0)}}); err != nil {
		tc.Log().Warn("cannot write the kubernetes Service's endpoints", zap.String("key", key), zap.Error(err))
	}
}

func sameEndpointContent(a, b api.Object) bool {
	switch x := a.(type) {
	case *api.Endpoints:
		y, ok := b.(*api.Endpoints)
		return ok && jsonEqual(x.Subsets, y.Subsets)
	case *api.EndpointSlice:
		y, ok := b.(*api.EndpointSlice)
		return ok && jsonEqual([]any{x.Endpoints, x.Ports}, []any{y.Endpoints, y.Ports})
	}
	return false
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func masterEndpoints(ips []string) *api.Endpoints {
	ep := &api.Endpoints{TypeMeta: api.TypeMeta{Kind: "Endpoints", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Name: "kubernetes", Namespace: "default", Labels: map[string]string{"endpointslice.kubernetes.io/skip-mirror": "true"}}}
	if len(ips) > 0 {
		sub := api.EndpointSubset{Ports: []api.EndpointPort{{Name: "https", Port: apiserverPort, Protocol: api.ProtocolTCP}}}
		for _, ip := range ips {
			sub.Addresses = append(sub.Addresses, api.EndpointAddress{IP: ip})
		}
		ep.Subsets = []api.EndpointSubset{sub}
	}
	return ep
}

func masterSlice(ips []string) *api.EndpointSlice {
	name, proto, port := "https", api.ProtocolTCP, int32(apiserverPort)
	s := &api.EndpointSlice{TypeMeta: api.TypeMeta{Kind: "EndpointSlice", APIVersion: "discovery.k8s.io/v1"},
		ObjectMeta:  api.ObjectMeta{Name: "kubernetes", Namespace: "default", Labels: map[string]string{api.LabelServiceName: "kubernetes"}},
		AddressType: api.AddressTypeIPv4,
		Ports:       []api.EndpointSlicePort{{Name: &name, Protocol: &proto, Port: &port}},
	}
	for _, ip := range ips {
		ready := true
		s.Endpoints = append(s.Endpoints, api.Endpoint{Addresses: []string{ip}, Conditions: api.EndpointConditions{Ready: &ready}})
	}
	return s
}

// View is what a debugger sees of a kube-apiserver (through
// sim.Kernel.Inspect), read while the actor is parked.
type View struct{ s *server }

// Ready reports what /readyz would: the watch cache is primed from etcd
// and the etcd watch that keeps it current is open.
func (v View) Ready() bool { return v.s.ready && v.s.etcdWatch != 0 }
