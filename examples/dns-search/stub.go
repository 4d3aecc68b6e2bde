//go:build !solution

package dnssearch

// Resolve predicts what the resolver of a pod in podNamespace (dnsPolicy
// ClusterFirst, the resolv.conf the kubelet writes, glibc's resolver) does
// to resolve name: the queries it sends to CoreDNS, in order, and the one
// that gets an address. The cluster (domain cluster.local) has services;
// outside it, the Internet knows the names in internet (fully qualified).
//
// Start here: read README.md, then replace the body.
func Resolve(podNamespace, name string, services []Service, internet []string) Lookup {
	// TODO: the pod's resolv.conf: which search list, which ndots?
	// TODO: in which order does the resolver try the candidates, and when
	// does it stop?
	return Lookup{}
}
