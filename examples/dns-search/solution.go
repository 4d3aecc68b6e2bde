//go:build solution

package dnssearch

import (
	"slices"
	"strings"
)

// Resolve predicts what the resolver of a pod in podNamespace does to
// resolve name.
//
// The kubelet writes, for a ClusterFirst pod:
//
//	search <ns>.svc.cluster.local svc.cluster.local cluster.local
//	nameserver 10.96.0.10
//	options ndots:5
//
// glibc tries a name with a trailing dot as it is, and only that; a name
// with fewer than ndots dots with each search suffix first and then as it
// is; a name with ndots dots or more as it is first, then with the
// suffixes. It stops at the first answer with an address.
func Resolve(podNamespace, name string, services []Service, internet []string) Lookup {
	var candidates []string
	if strings.HasSuffix(name, ".") {
		candidates = []string{name}
	} else {
		var searched []string
		for _, s := range []string{podNamespace + ".svc.cluster.local", "svc.cluster.local", "cluster.local"} {
			searched = append(searched, name+"."+s+".")
		}
		if strings.Count(name, ".") >= 5 {
			candidates = append([]string{name + "."}, searched...)
		} else {
			candidates = append(searched, name+".")
		}
	}
	var l Lookup
	for _, c := range candidates {
		l.Queries = append(l.Queries, c)
		if exists(c, services, internet) {
			l.Answered = c
			break
		}
	}
	return l
}

// exists reports whether a fully qualified name has an A record: a
// Service's <name>.<namespace>.svc.cluster.local. (CoreDNS's kubernetes
// plugin), or an Internet name (the forward plugin).
func exists(fqdn string, services []Service, internet []string) bool {
	if zone := "cluster.local."; strings.HasSuffix(fqdn, "."+zone) {
		for _, s := range services {
			if fqdn == s.Name+"."+s.Namespace+".svc."+zone {
				return true
			}
		}
		return false // cluster.local is CoreDNS's own: never forwarded
	}
	return slices.Contains(internet, fqdn)
}
