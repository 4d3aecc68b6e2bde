package api

// This file holds the cilium.io/v2 custom resources with the json names of
// Cilium's CRDs: CiliumNetworkPolicy, CiliumNode, CiliumEndpoint and
// CiliumIdentity.

// EndpointSelector selects Cilium endpoints by their labels. It has the
// shape of a LabelSelector; keys may carry a source prefix ("k8s:app",
// "any:app"); an unprefixed key means any source.
type EndpointSelector LabelSelector

// CiliumNetworkPolicy is a namespaced Cilium policy. Spec holds one rule,
// Specs several; both may be set.
type CiliumNetworkPolicy struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	// Description is free text beside the rules, as Cilium's own
	// examples carry at the top level (kubectl describe shows it).
	Description string                    `json:"description,omitempty"`
	Spec        *CiliumRule               `json:"spec,omitempty"`
	Specs       []CiliumRule              `json:"specs,omitempty"`
	Status      CiliumNetworkPolicyStatus `json:"status,omitempty"`
}

// CiliumNetworkPolicyList is a list of CiliumNetworkPolicies.
type CiliumNetworkPolicyList struct {
	TypeMeta `json:",inline"`
	ListMeta `json:"metadata"`
	Items    []CiliumNetworkPolicy `json:"items"`
}

// CiliumNetworkPolicyStatus reports whether the policy was imported.
type CiliumNetworkPolicyStatus struct {
	Conditions []CiliumPolicyCondition `json:"conditions,omitempty"`
}

// CiliumPolicyCondition is one condition of a Cilium policy (type "Valid").
type CiliumPolicyCondition struct {
	Type               string          `json:"type"`
	Status             ConditionStatus `json:"status"`
	LastTransitionTime Time            `json:"lastTransitionTime,omitempty"`
	Reason             string          `json:"reason,omitempty"`
	Message            string          `json:"message,omitempty"`
}

// CiliumRule is one policy rule: the endpoints it selects and what they
// may receive and send. A direction becomes default-deny for the selected
// endpoints once any rule has a section for it.
type CiliumRule struct {
	EndpointSelector  *EndpointSelector        `json:"endpointSelector,omitempty"`
	NodeSelector      *EndpointSelector        `json:"nodeSelector,omitempty"`
	Ingress           []CiliumIngressRule      `json:"ingress,omitempty"`
	IngressDeny       []CiliumIngressRule      `json:"ingressDeny,omitempty"`
	Egress            []CiliumEgressRule       `json:"egress,omitempty"`
	EgressDeny        []CiliumEgressRule       `json:"egressDeny,omitempty"`
	Labels            []CiliumLabel            `json:"labels,omitempty"`
	EnableDefaultDeny *CiliumDefaultDenyConfig `json:"enableDefaultDeny,omitempty"`
	Description       string                   `json:"description,omitempty"`
}

// CiliumLabel is a label attached to a rule.
type CiliumLabel struct {
	Key    string `json:"key"`
	Value  string `json:"value,omitempty"`
	Source string `json:"source"`
}

// CiliumDefaultDenyConfig turns off default-deny per direction.
type CiliumDefaultDenyConfig struct {
	Ingress *bool `json:"ingress,omitempty"`
	Egress  *bool `json:"egress,omitempty"`
}

// Cilium entities usable in fromEntities / toEntities.
const (
	EntityAll           = "all"
	EntityWorld         = "world"
	EntityCluster       = "cluster"
	EntityHost          = "host"
	EntityRemoteNode    = "remote-node"
	EntityKubeAPIServer = "kube-apiserver"
	EntityHealth        = "health"
	EntityInit          = "init"
	EntityUnmanaged     = "unmanaged"
	EntityIngress       = "ingress"
)

// CiliumIngressRule allows (or, in ingressDeny, denies) traffic from the
// listed peers to the listed ports. Peer lists are ORed; toPorts, when set,
// narrows the rule to those ports.
type CiliumIngressRule struct {
	FromEndpoints []EndpointSelector `json:"fromEndpoints,omitempty"`
	FromRequires  []EndpointSelector `json:"fromRequires,omitempty"`
	FromCIDR      []string           `json:"fromCIDR,omitempty"`
	FromCIDRSet   []CIDRRule         `json:"fromCIDRSet,omitempty"`
	FromEntities  []string           `json:"fromEntities,omitempty"`
	FromNodes     []EndpointSelector `json:"fromNodes,omitempty"`
	ToPorts       []CiliumPortRule   `json:"toPorts,omitempty"`
}

// CiliumEgressRule allows (or, in egressDeny, denies) traffic to the listed
// peers on the listed ports.
type CiliumEgressRule struct {
	ToEndpoints []EndpointSelector `json:"toEndpoints,omitempty"`
	ToRequires  []EndpointSelector `json:"toRequires,omitempty"`
	ToCIDR      []string           `json:"toCIDR,omitempty"`
	ToCIDRSet   []CIDRRule         `json:"toCIDRSet,omitempty"`
	ToEntities  []string           `json:"toEntities,omitempty"`
	ToNodes     []EndpointSelector `json:"toNodes,omitempty"`
	ToFQDNs     []FQDNSelector     `json:"toFQDNs,omitempty"`
	ToPorts     []CiliumPortRule   `json:"toPorts,omitempty"`
}

// CIDRRule is a CIDR with exceptions.
type CIDRRule struct {
	CIDR         string   `json:"cidr,omitempty"`
	CIDRGroupRef string   `json:"cidrGroupRef,omitempty"`
	Except       []string `json:"except,omitempty"`
}

// FQDNSelector matches DNS names.
type FQDNSelector struct {
	MatchName    string `json:"matchName,omitempty"`
	MatchPattern string `json:"matchPattern,omitempty"`
}

// CiliumPortRule lists L4 ports.
type CiliumPortRule struct {
	Ports []CiliumPortProtocol `json:"ports,omitempty"`
}

// CiliumPortProtocol is a port (a number or a named port, as a string) and
// protocol (TCP, UDP, SCTP, ANY; empty means ANY).
type CiliumPortProtocol struct {
	Port     string `json:"port"`
	EndPort  int32  `json:"endPort,omitempty"`
	Protocol string `json:"protocol,omitempty"`
}

// ---------------------------------------------------------------- CiliumNode

// CiliumNode is Cilium's view of a node, holding its IPAM allocation.
type CiliumNode struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Spec       CiliumNodeSpec   `json:"spec"`
	Status     CiliumNodeStatus `json:"status,omitempty"`
}

// CiliumNodeList is a list of CiliumNodes.
type CiliumNodeList struct {
	TypeMeta `json:",inline"`
	ListMeta `json:"metadata"`
	Items    []CiliumNode `json:"items"`
}

// CiliumNodeSpec is the node's addresses and IPAM spec.
type CiliumNodeSpec struct {
	InstanceID   string                 `json:"instance-id,omitempty"`
	BootID       string                 `json:"bootid,omitempty"`
	Addresses    []CiliumNodeAddress    `json:"addresses,omitempty"`
	Health       CiliumHealthAddressing `json:"health,omitempty"`
	Encryption   CiliumEncryptionSpec   `json:"encryption,omitempty"`
	IPAM         CiliumIPAMSpec         `json:"ipam,omitempty"`
	NodeIdentity uint64                 `json:"nodeidentity,omitempty"`
}

// CiliumNodeAddress is one address of a CiliumNode (InternalIP,
// CiliumInternalIP, ...).
type CiliumNodeAddress struct {
	Type string `json:"type,omitempty"`
	IP   string `json:"ip,omitempty"`
}

// CiliumHealthAddressing is the address of the node's health endpoint.
type CiliumHealthAddressing struct {
	IPv4 string `json:"ipv4,omitempty"`
	IPv6 string `json:"ipv6,omitempty"`
}

// CiliumEncryptionSpec is the node's encryption key index.
type CiliumEncryptionSpec struct {
	Key int `json:"key,omitempty"`
}

// CiliumIPAMSpec is what the operator allocated to the node; in
// cluster-pool mode, podCIDRs.
type CiliumIPAMSpec struct {
	PodCIDRs          []string                      `json:"podCIDRs,omitempty"`
	Pool              map[string]CiliumAllocationIP `json:"pool,omitempty"`
	MinAllocate       int                           `json:"min-allocate,omitempty"`
	MaxAllocate       int                           `json:"max-allocate,omitempty"`
	PreAllocate       int                           `json:"pre-allocate,omitempty"`
	MaxAboveWatermark int                           `json:"max-above-watermark,omitempty"`
}

// CiliumAllocationIP is the owner of an allocated IP.
type CiliumAllocationIP struct {
	Owner    string `json:"owner,omitempty"`
	Resource string `json:"resource,omitempty"`
}

// CiliumNodeStatus is the agent's report on IP usage.
type CiliumNodeStatus struct {
	IPAM CiliumIPAMStatus `json:"ipam,omitempty"`
}

// CiliumIPAMStatus lists used IPs and the state of each pod CIDR.
type CiliumIPAMStatus struct {
	Used           map[string]CiliumAllocationIP `json:"used,omitempty"`
	PodCIDRs       map[string]CiliumPodCIDREntry `json:"pod-cidrs,omitempty"`
	OperatorStatus CiliumOperatorStatus          `json:"operator-status,omitempty"`
}

// CiliumPodCIDREntry is the status of one pod CIDR: in-use, depleted or
// released.
type CiliumPodCIDREntry struct {
	Status string `json:"status,omitempty"`
}

// CiliumOperatorStatus carries the operator's IPAM error, if any.
type CiliumOperatorStatus struct {
	Error string `json:"error,omitempty"`
}

// ---------------------------------------------------------------- CiliumEndpoint

// CiliumEndpoint mirrors one Cilium-managed pod endpoint; it has no spec.
type CiliumEndpoint struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata"`
	Status     CiliumEndpointStatus `json:"status,omitempty"`
}

// CiliumEndpointList is a list of CiliumEndpoints.
type CiliumEndpointList struct {
	TypeMeta `json:",inline"`
	ListMeta `json:"metadata"`
	Items    []CiliumEndpoint `json:"items"`
}

// CiliumEndpointStatus is the endpoint's id, identity, addresses and state
// (e.g. "ready", "waiting-for-identity", "regenerating").
type CiliumEndpointStatus struct {
	ID         int64                     `json:"id,omitempty"`
	Identity   *CiliumEndpointIdentity   `json:"identity,omitempty"`
	Networking *CiliumEndpointNetworking `json:"networking,omitempty"`
	Encryption CiliumEncryptionSpec      `json:"encryption,omitempty"`
	State      string                    `json:"state,omitempty"`
	NamedPorts []CiliumNamedPort         `json:"named-ports,omitempty"`
}

// CiliumEndpointIdentity is the security identity and its labels.
type CiliumEndpointIdentity struct {
	ID     int64    `json:"id,omitempty"`
	Labels []string `json:"labels,omitempty"`
}

// CiliumEndpointNetworking is the endpoint's addresses and node IP.
type CiliumEndpointNetworking struct {
	Addressing []CiliumAddressPair `json:"addressing"`
	NodeIP     string              `json:"node,omitempty"`
}

// CiliumAddressPair is an IPv4/IPv6 pair.
type CiliumAddressPair struct {
	IPv4 string `json:"ipv4,omitempty"`
	IPv6 string `json:"ipv6,omitempty"`
}

// CiliumNamedPort is a named container port.
type CiliumNamedPort struct {
	Name     string `json:"name,omitempty"`
	Port     uint16 `json:"port,omitempty"`
	Protocol string `json:"protocol,omitempty"`
}

// ---------------------------------------------------------------- CiliumIdentity

// CiliumIdentity is a cluster-scoped security identity; its name is the
// numeric identity and security-labels its label set.
type CiliumIdentity struct {
	TypeMeta       `json:",inline"`
	ObjectMeta     `json:"metadata"`
	SecurityLabels map[string]string `json:"security-labels"`
}

// CiliumIdentityList is a list of CiliumIdentities.
type CiliumIdentityList struct {
	TypeMeta `json:",inline"`
	ListMeta `json:"metadata"`
	Items    []CiliumIdentity `json:"items"`
}

// Reserved Cilium identities.
const (
	IdentityUnknown       = 0
	IdentityHost          = 1
	IdentityWorld         = 2
	IdentityUnmanaged     = 3
	IdentityHealth        = 4
	IdentityInit          = 5
	IdentityRemoteNode    = 6
	IdentityKubeAPIServer = 7
	// IdentityMinAllocated is the first identity allocated for a label set.
	IdentityMinAllocated = 256
)
