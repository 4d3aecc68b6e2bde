// Package datapath is the path a packet takes between pods: the node
// kernel actor that holds a node's programmed service rules, and the
// probes — "kubectl exec <pod> -- curl ..." and "... -- nslookup ..." —
// that walk a packet through the cluster's actors, every hop a traced
// kernel message.
//
// # The node kernel
//
// NewNode is the actor "datapath-<node>" (NodeName): the node's netfilter
// tables, or BPF maps in eBPF mode. kube-proxy programs it after each sync
// (KindRestore, a Program); it answers KindWalk (a proxy.Packet through the
// rules, statistic matches and random backend slots drawn from its seeded
// stream) and KindSave (the rules as iptables-save, or "cilium-dbg bpf lb
// list"). It lives as long as its node: a crashed kube-proxy leaves the
// rules as they were, so traffic follows stale rules until kube-proxy is
// back, exactly as on a real node.
//
// # Probes
//
// A Prober reads the client pod through the apiserver (kubectl exec does)
// and then acts from an External endpoint "exec-<ns>-<pod>" on the pod's
// node. A packet goes:
//
//	datapath-<client node>   KindWalk: KUBE-SERVICES -> KUBE-SVC -> KUBE-SEP DNAT (or REJECT)
//	cilium-agent-<client>    KindVerdict egress: policy at the source; the ipcache names the destination's node
//	cilium-agent-<dst node>  KindVerdict ingress: policy at the destination
//	cilium-agent-<dst node>  KindDeliver: the endpoint's stack: SYN-ACK if a container's process listens, else RST
//	the server               CoreDNS's actor for DNS (KindQuery); for HTTP, containerd-<dst node>
//	                         (kubelet.KindServe): the container's process answers as its image does
//
// Names resolve through the pod's resolv.conf (nameserver 10.96.0.10,
// search <ns>.svc.cluster.local svc.cluster.local cluster.local, ndots:5),
// each query a UDP packet to the kube-dns ClusterIP over the same hops, so
// a default-deny egress policy breaks DNS as it does in a real cluster.
//
// Failures read as the real tools print them: curl exits 6 "Could not
// resolve host" (NXDOMAIN, or no DNS answer), 7 "Failed to connect ...
// Couldn't connect to server" (REJECT for a Service without endpoints, or
// a reset because nothing listens on the port) and 28 "Connection timed
// out after 10000 milliseconds" (a policy drop, a dead node or pod, stale
// rules to an endpoint that is gone — curl runs as with
// --connect-timeout 10, and the virtual clock runs out the timeout);
// nslookup prints what package dns's Nslookup prints. A Result has every
// hop, the kube-proxy walks, the verdicts, the output and the exit code;
// Result.String prints it as a trainee would see it.
//
// # Where kubesim simplifies (say so to trainees)
//
//   - Only the first packet of a connection is modelled: no conntrack, no
//     replies, no retransmissions; a connection is its SYN.
//   - No process runs in a simulated container: package images says
//     which ports its image's command listens on (containerPort is
//     informational, as in Kubernetes) and what it answers; an image the
//     catalog does not know listens on its declared ports and answers
//     with the pod's name, as the "hostname" demo images do, and the
//     trace says so.
//   - curl understands -X, -H Host, -i, -I, -f, -d, -o and -w; it does
//     not check that the client's image has curl.
//   - Policy is enforced by the agents' actors, so a crashed agent stops
//     traffic to and from its node's pods (a real node keeps enforcing the
//     last policy loaded into BPF).
//   - curl asks for A records only and uses the first address.
package datapath
