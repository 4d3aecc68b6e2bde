// Package proxychains is an exercise on kube-proxy's iptables mode:
// predict the names of the chains it writes for a Service and the
// probabilities with which it spreads connections over the endpoints.
// See README.md.
package proxychains

// ServicePort is one port of a ClusterIP Service.
type ServicePort struct {
	Namespace string
	Service   string
	// PortName is the port's name in the Service ("" for a Service with a
	// single unnamed port).
	PortName string
	// Protocol is TCP, UDP or SCTP, as written in the Service.
	Protocol string
	// TargetPort is the port the endpoints listen on.
	TargetPort int
}

// Endpoint is one address of the Service's EndpointSlices.
type Endpoint struct {
	IP    string
	Ready bool
}

// Jump is one rule of the KUBE-SVC chain:
//
//	-A KUBE-SVC-... -m statistic --mode random --probability 0.3333333333 -j KUBE-SEP-...
type Jump struct {
	// Chain is the KUBE-SEP-... chain jumped to.
	Chain string
	// Probability is the --probability text, "" for the last rule, which
	// has no statistic match.
	Probability string
}
