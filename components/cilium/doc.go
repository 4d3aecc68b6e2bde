// Package cilium owns the pure cores of Cilium, the cluster's CNI: IP
// address management, security identities, network policy and the Hubble
// flow log. It calls no kernel and no apiserver; the cilium agent and
// cilium-operator actors feed it objects from their watches and keep the
// results in CiliumNode, CiliumEndpoint and CiliumIdentity objects.
//
// # IPAM (cluster-pool mode, the default)
//
// ClusterPool is the operator's side: it carves cluster-pool-ipv4-cidr
// (default 10.0.0.0/8) into per-node pod CIDRs of
// cluster-pool-ipv4-mask-size (default /24), the next free one after the
// last given, wrapping around, as the Kubernetes CIDR set it is built on.
// NodeIPAM is the agent's side: pod addresses from its node's CIDR, never
// the network or broadcast address, never twice, freed on delete. The
// agent takes the router (cilium_host) and health addresses first
// (AllocateAgentAddresses).
//
// # Identities
//
// PodLabels derives the security-relevant labels of a pod as the agent
// does: its labels plus k8s:io.kubernetes.pod.namespace,
// io.cilium.k8s.policy.serviceaccount, io.cilium.k8s.policy.cluster and
// the namespace's labels under io.cilium.k8s.namespace.labels., filtered by
// Cilium's default label filter (pod-template-hash and kubernetes.io/* are
// not identity-relevant). IdentityAllocator gives each distinct label set
// one numeric identity from 256, reference-counted; 1..8 are reserved
// (host, world, unmanaged, health, init, remote-node, kube-apiserver,
// ingress).
//
// # Policy
//
// Repository compiles Kubernetes NetworkPolicies and CiliumNetworkPolicies
// into rules over identity labels and decides connections (Decide): egress
// at the source endpoint, ingress at the destination endpoint. A direction
// is open until a rule selecting the endpoint has a section for it; then it
// is default-deny and rules only allow, deny rules (ingressDeny,
// egressDeny) winning over allows. Selectors of a namespaced policy are
// limited to its namespace unless they name one; a CiliumNetworkPolicy
// rule "{}" selects nothing (the default-deny idiom), a rule with only
// toPorts selects every peer; CIDR rules (fromCIDR, fromCIDRSet, ipBlock)
// match only addresses outside the cluster, never a pod; entities world,
// cluster, host, remote-node, kube-apiserver, all are supported. The
// Decision names the rule that allowed, or why it dropped (133 "Policy
// denied", 181 "Policy denied by denylist").
//
// # Hubble
//
// Observer keeps flows in a bounded ring, filters them like "hubble
// observe" (--pod, --from-pod, --to-pod, --namespace, --verdict,
// --identity), follows them live and renders them in Hubble's compact
// format (Flow.Compact). Timestamps are the caller's virtual wall time.
// ProbeFlows turns a policy decision into the flows a real datapath would
// report.
//
// # Where kubesim simplifies (say so to trainees)
//
//   - Real Cilium picks pod addresses and identity numbers at random; kubesim
//     takes the lowest free ones so a trainee can predict them
//     (WithRandomScan restores Cilium's random start).
//   - Unused identities are released at once; Cilium's operator garbage
//     collects them after a grace period.
//   - Policy is L3/L4 only: no L7 (HTTP, DNS, Kafka) rules, no toFQDNs, no
//     fromRequires, no host policies (nodeSelector), no
//     CiliumClusterwideNetworkPolicy; CIDR peers are matched by address
//     instead of through CIDR identities; there is no connection tracking,
//     so replies are not modelled.
//   - Ingress from the local host is always allowed (allow-localhost).
//   - "hubble observe --pod x" without a namespace means the default
//     namespace here.
package cilium
