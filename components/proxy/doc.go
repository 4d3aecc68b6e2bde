// Package proxy owns the pure core of kube-proxy's data path: turning
// Services and EndpointSlices into the rules of one node, and walking a
// probe ("curl 10.96.12.34:80 from this pod") through them.
//
// It calls no kernel and no apiserver. An actor (kube-proxy on a node, or
// the Cilium agent for the eBPF mode) feeds it the objects its informers
// see with Upsert/Delete, decides when to Sync, and asks Walk what a probe
// meets. Between two syncs the programmed rules are the old ones: a node
// whose kube-proxy is slow or down keeps sending traffic to endpoints that
// are gone, exactly the symptom a trainee should learn to recognise.
//
// # iptables mode (Proxier)
//
// Sync renders the filter and nat tables as kube-proxy's iptables proxier
// writes them to iptables-restore (Ruleset.String): chain declarations
// ":KUBE-SERVICES - [0:0]", then the rules in the order kube-proxy
// generates them, per service port: the KUBE-SERVICES capture, node ports,
// the KUBE-SVC masquerade rule, KUBE-EXT, the KUBE-SVC -> KUBE-SEP
// statistic rules (endpoint i of n with probability 1/(n-i), 10 decimals,
// the last without), the KUBE-SEP hairpin and DNAT rules; and last the
// "--dst-type LOCAL -j KUBE-NODEPORTS" rule. Chain names are kube-proxy's
// hashes (PortProtoHash, EndpointHash). A service without endpoints gets a
// REJECT rule in the filter table. Session affinity writes the "-m recent"
// rcheck rules and the --set in the endpoint chain. Large-cluster mode (more
// than 1000 endpoints) drops the per-endpoint comments, as kube-proxy does.
//
// Walk interprets those rules like netfilter: nat PREROUTING (OUTPUT for a
// host-network client), filter FORWARD/INPUT/OUTPUT, nat POSTROUTING. The
// statistic match draws a 31-bit number from the caller's *rand.Rand and
// compares it with round(p * 2^31), as xt_statistic does, so the endpoint
// distribution over many seeded probes follows the probabilities; the
// "-m recent" lists (session affinity) live in the Proxier and age on the
// caller's virtual time.
//
// # eBPF mode (BPFLoadBalancer)
//
// Cilium's kube-proxy replacement keeps the same information in BPF maps:
// cilium_lb4_services_v2 (per frontend, slot 0 holds the backend count,
// slots 1..N the backend ids), cilium_lb4_backends_v3 and
// cilium_lb4_reverse_nat. BPFLoadBalancer.Sync builds them and renders them
// as "cilium-dbg bpf lb list" prints them; its Walk picks a random slot as
// Cilium's default random algorithm does.
//
// # Where kubesim simplifies (say so to trainees)
//
//   - Only IPv4 single-stack; no topology-aware hints, no
//     loadBalancerSourceRanges (KUBE-FW chains), no nftables or IPVS mode.
//   - kube-proxy walks Go maps, so on a real node the order of services in
//     the restore input changes from sync to sync; kubesim sorts service
//     ports by name so the output is stable. Within a service the order is
//     the real one (endpoints sorted as "IP:port" strings).
//   - The text is kube-proxy's iptables-restore input, which is also what
//     kube-proxy's own tests compare. "iptables-save" on a node prints the
//     same rules with matches reordered by the kernel ("-d 10.96.12.34/32
//     -p tcp -m comment ..."); the built-in chains (PREROUTING, ...) are
//     not part of kube-proxy's restore input and are shown only in walks.
//   - Every probe is the first packet of a new connection: there is no
//     conntrack table, so a rule change never keeps an old connection on an
//     old endpoint.
package proxy
