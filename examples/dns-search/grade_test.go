package dnssearch

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/dns"
	"github.com/kubesim/kubesim/examples/internal/exercise"
	"github.com/stretchr/testify/assert"
)

// stubSHA256 is the sha256 of stub.go as shipped (see exercise.Grade).
const stubSHA256 = "77af37bc3b3baeaf610960c59216b2d69d7ed7a0a950a84246384ae74bb39f6a"

var (
	services = []Service{{"default", "kubernetes"}, {"default", "web"}, {"shop", "api"}, {"shop", "web"}, {"kube-system", "kube-dns"}}
	internet = []string{"example.com.", "api.github.com.", "img.eu-1.cdn.shop.example.com."}
)

// observe runs the real thing: CoreDNS with kubeadm's Corefile (package
// dns) over the cluster's Services, and a pod's stub resolver with the
// resolv.conf the kubelet writes, and reports what the resolver asked.
func observe(podNamespace, name string) (Lookup, []string) {
	epoch := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return epoch }
	store := dns.NewStore(clock)
	for _, ns := range []string{"default", "kube-system", "shop"} {
		store.UpsertNamespace(&api.Namespace{ObjectMeta: api.ObjectMeta{Name: ns}})
	}
	for i, s := range services {
		store.UpsertService(&api.Service{ObjectMeta: api.ObjectMeta{Namespace: s.Namespace, Name: s.Name},
			Spec: api.ServiceSpec{Type: api.ServiceTypeClusterIP, ClusterIP: fmt.Sprintf("10.96.0.%d", 100+i),
				Ports: []api.ServicePort{{Name: "http", Protocol: api.ProtocolTCP, Port: 80}}}})
	}
	store.SetSynced(true)
	up := &dns.StaticUpstream{Addr: "192.168.1.1:53"}
	for i, n := range internet {
		up.Records = append(up.Records, dns.NewA(n, 300, netip.AddrFrom4([4]byte{93, 184, 216, byte(i + 1)})))
	}
	server := dns.NewKubeadmServer(dns.KubeadmConfig{Backend: store, Upstreams: []dns.Upstream{up}, Clock: clock, Rand: rand.New(rand.NewPCG(1, 2))})
	pod := netip.MustParseAddrPort("10.244.1.7:40000")
	resolver := dns.NewResolver(dns.PodResolvConf(podNamespace, "cluster.local", netip.MustParseAddr("10.96.0.10")),
		func(ctx context.Context, _ netip.Addr, q *dns.Msg) (*dns.Msg, error) {
			return server.ServeDNS(ctx, pod, q), nil
		})
	res := resolver.Lookup(context.Background(), name, dns.TypeA)
	var l Lookup
	var log []string
	for _, q := range res.Queries {
		l.Queries = append(l.Queries, q.Question.Name)
		log = append(log, q.String())
	}
	if res.Answer != nil {
		l.Answered = res.LastName
	}
	return l, log
}

func TestResolveMatchesThePodsResolver(t *testing.T) {
	exercise.Grade(t, "stub.go", stubSHA256, gradeResolve)
}

func gradeResolve(t testing.TB) {
	for _, tc := range []struct{ pod, name string }{
		{"shop", "api"},         // a Service of the pod's own namespace
		{"default", "api"},      // no such Service here: every candidate fails
		{"default", "api.shop"}, // <service>.<namespace>
		{"shop", "web"},         // the pod's namespace comes first
		{"shop", "kubernetes.default"},
		{"default", "example.com"},                   // the ndots:5 tax on external names
		{"default", "example.com."},                  // a trailing dot: no search
		{"default", "api.shop.svc.cluster.local"},    // 4 dots < ndots
		{"default", "img.eu-1.cdn.shop.example.com"}, // 5 dots: as it is, first
		{"default", "api.github.com"},
	} {
		want, log := observe(tc.pod, tc.name)
		got := Resolve(tc.pod, tc.name, services, internet)
		if !assert.Equal(t, want, got, "a pod in namespace %q resolves %q\nthe pod's resolver asked CoreDNS:\n  %s\nServices: %v\nInternet: %v",
			tc.pod, tc.name, joinLines(log), services, internet) {
			return // one case at a time: the first difference is the lesson
		}
	}
}

func joinLines(lines []string) string {
	out := ""
	for i, l := range lines {
		if i > 0 {
			out += "\n  "
		}
		out += l
	}
	return out
}
