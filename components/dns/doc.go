// Package dns owns the pure core of cluster DNS: CoreDNS's plugin chain
// with its kubernetes plugin, and the pod's stub resolver with nslookup.
// It calls no kernel and no apiserver: the CoreDNS actor feeds a Store from
// its watches and hands queries to a Server; a pod's probe resolves names
// through a Resolver whose Transport the actor routes (through the kernel
// to a CoreDNS pod, or into a timeout when DNS is down).
//
// # Messages
//
// Msg, Question and RR are kubesim's own message types, not wire format (a
// front end may map them later). Records print in zone-file style, tab
// separated, as dig and CoreDNS's tests show them; tests compare answers as
// sorted strings (Sorted), as CoreDNS's tests do.
//
// # The server
//
// A Server is a chain of Handlers (ServeDNS, Name) built from Plugins, in
// CoreDNS's shape. NewKubeadmServer assembles kubeadm's Corefile (errors,
// loadbalance, cache, kubernetes, forward, in plugin.cfg order):
//
//   - kubernetes answers cluster.local from the Backend: A for
//     svc.ns.svc.cluster.local (the cluster IP; a headless Service gives one
//     A per ready endpoint, NXDOMAIN when none is ready),
//     hostname.svc.ns.svc.cluster.local and a-b-c-d.svc.ns... for
//     endpoints, SRV _port._proto.svc.ns.svc.cluster.local for named ports
//     (targets svc.ns.svc... or the endpoints' names, addresses in the
//     additional section, weights 100/n), PTR for cluster IPs and endpoint
//     addresses, CNAME for ExternalName (the target resolved through the
//     server), a-b-c-d.ns.pod.cluster.local with "pods insecure". A known
//     name without records of the asked type is NOERROR with no answer
//     (NODATA) and the zone SOA; an unknown one NXDOMAIN with the SOA. TTL
//     30. Reverse lookups it cannot answer fall through to forward.
//   - cache caps TTLs at 30 s and counts them down on the caller's virtual
//     clock; the current kubeadm Corefile disables caching for
//     cluster.local (CorefileOptions.CacheClusterDomain restores the older
//     "cache 30" of REFERENCE.md). Cached answers carry the aa flag, as in
//     CoreDNS.
//   - forward sends other names to Upstreams (an interface; StaticUpstream
//     is a fake Internet), picked at random, skipping one that failed twice.
//   - loadbalance shuffles A/AAAA records with the caller's random source.
//   - errors logs what failed, in CoreDNS's format.
//
// KubeadmCorefile renders the Corefile text of the coredns ConfigMap.
//
// # The pod resolver
//
// PodResolvConf is the resolv.conf the kubelet writes for ClusterFirst
// pods (nameserver 10.96.0.10, search <ns>.svc.cluster.local
// svc.cluster.local cluster.local, ndots:5). Resolver.Lookup walks the
// search list as glibc does — fewer dots than ndots: each suffix, then the
// name as given; otherwise the name first — going on after NXDOMAIN, NODATA
// and SERVFAIL, stopping when no nameserver answers; the Result lists every
// query made. Resolver.Nslookup prints what BIND 9's nslookup prints.
//
// # Where kubesim simplifies (say so to trainees)
//
//   - No wire format, EDNS, DNSSEC, TCP fallback or truncation.
//   - The resolver follows glibc (musl, in Alpine images, stops at the first
//     NODATA); nslookup asks A only; the kubelet's copy of the node's own
//     search domains is left out.
//   - health, ready, prometheus, loop and reload do not change answers and
//     are only in the Corefile text; autopath, wildcard queries and the
//     NS records of the zone apex are not modelled.
//   - The cache evicts its oldest entry when full (CoreDNS a random one) and
//     has no prefetch or serve_stale.
package dns
