package dns

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"strings"
	"time"
)

// CorefileOptions fills kubeadm's Corefile template.
type CorefileOptions struct {
	// DNSDomain is the cluster domain (default cluster.local).
	DNSDomain string
	// Upstream is the forward target (default /etc/resolv.conf).
	Upstream string
	// CacheClusterDomain renders the older kubeadm text ("cache 30", as in
	// REFERENCE.md), which also caches cluster answers. The default is the
	// current kubeadm template, which turns the cache off for the cluster
	// domain ("disable success/denial cluster.local").
	CacheClusterDomain bool
}

func (o CorefileOptions) withDefaults() CorefileOptions {
	if o.DNSDomain == "" {
		o.DNSDomain = "cluster.local"
	}
	if o.Upstream == "" {
		o.Upstream = "/etc/resolv.conf"
	}
	return o
}

// KubeadmCorefile renders the Corefile kubeadm installs in the coredns
// ConfigMap of kube-system.
func KubeadmCorefile(o CorefileOptions) string {
	o = o.withDefaults()
	var sb strings.Builder
	sb.WriteString(`.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes ` + o.DNSDomain + ` in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . ` + o.Upstream + ` {
       max_concurrent 1000
    }
`)
	if o.CacheClusterDomain {
		sb.WriteString("    cache 30\n")
	} else {
		sb.WriteString(`    cache 30 {
       disable success ` + o.DNSDomain + `
       disable denial ` + o.DNSDomain + `
    }
`)
	}
	sb.WriteString(`    loop
    reload
    loadbalance
}
`)
	return sb.String()
}

// KubeadmConfig configures the server of kubeadm's Corefile.
type KubeadmConfig struct {
	CorefileOptions
	// Backend is the cluster state (a Store fed by the CoreDNS actor).
	Backend Backend
	// Upstreams stand for the nameservers of the node's /etc/resolv.conf.
	Upstreams []Upstream
	// Clock is virtual time, for the cache.
	Clock func() time.Time
	// Rand drives loadbalance's shuffle and forward's random policy.
	Rand *rand.Rand
}

// KubeadmServer is CoreDNS running kubeadm's Corefile, with its plugins
// exposed for inspection. The chain is errors, loadbalance, cache,
// kubernetes, forward: CoreDNS orders plugins by plugin.cfg, not by their
// order in the Corefile. health, ready, prometheus, loop and reload have no
// effect on answers and are not in the chain.
type KubeadmServer struct {
	*Server
	Errors      *Errors
	LoadBalance *LoadBalance
	Cache       *Cache
	Kubernetes  *Kubernetes
	Forward     *Forward
	Corefile    string
}

// NewKubeadmServer builds CoreDNS as kubeadm configures it.
func NewKubeadmServer(cfg KubeadmConfig) *KubeadmServer {
	o := cfg.withDefaults()
	zone := Fqdn(o.DNSDomain)
	cc := CacheConfig{SuccessTTL: 30 * time.Second, DenialTTL: 30 * time.Second, Clock: cfg.Clock}
	if !o.CacheClusterDomain {
		cc.DisableSuccess = []string{zone}
		cc.DisableDenial = []string{zone}
	}
	ks := &KubeadmServer{
		Errors:      NewErrors(),
		LoadBalance: NewLoadBalance(cfg.Rand),
		Cache:       NewCache(cc),
		Kubernetes: NewKubernetes(KubernetesConfig{
			Zones:       []string{zone, "in-addr.arpa.", "ip6.arpa."},
			TTL:         30,
			Pods:        PodsInsecure,
			Fallthrough: []string{"in-addr.arpa.", "ip6.arpa."},
			Backend:     cfg.Backend,
		}),
		Forward:  NewForward(".", cfg.Rand, cfg.Upstreams...),
		Corefile: KubeadmCorefile(o),
	}
	ks.Server = NewServer(ks.Errors.Plugin(), ks.LoadBalance.Plugin(), ks.Cache.Plugin(), ks.Kubernetes.Plugin(), ks.Forward.Plugin())
	ks.Kubernetes.cfg.Lookup = func(ctx context.Context, name string, t Type) (*Msg, error) {
		return ks.ServeDNS(ctx, netip.AddrPort{}, NewQuery(0, name, t)), nil
	}
	return ks
}
