//go:build solution

package proxychains

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/kubesim/kubesim/components/proxy"
)

// Predict returns the name of the KUBE-SVC-... chain kube-proxy (iptables
// mode) writes for one Service port, and the rules of that chain that
// jump to the endpoints' KUBE-SEP-... chains, in order.
func Predict(sp ServicePort, endpoints []Endpoint) (svcChain string, jumps []Jump) {
	// ServicePortName.String(): "namespace/name:port", or "namespace/name"
	// for an unnamed port; the protocol goes in lower case.
	name := sp.Namespace + "/" + sp.Service
	if sp.PortName != "" {
		name += ":" + sp.PortName
	}
	proto := strings.ToLower(sp.Protocol)
	svcChain = "KUBE-SVC-" + proxy.PortProtoHash(name, proto)

	// The Cluster traffic policy uses the ready endpoints, sorted as
	// "IP:port" strings (so 10.0.0.10 comes before 10.0.0.9).
	var eps []string
	for _, e := range endpoints {
		if e.Ready {
			eps = append(eps, e.IP+":"+strconv.Itoa(sp.TargetPort))
		}
	}
	sort.Strings(eps)
	// Endpoint i of n is taken with probability 1/(n-i) of what is left,
	// so each gets 1/n overall; the last one takes the rest.
	n := len(eps)
	for i, ep := range eps {
		j := Jump{Chain: "KUBE-SEP-" + proxy.EndpointHash(name, proto, ep)}
		if i < n-1 {
			j.Probability = fmt.Sprintf("%0.10f", 1/float64(n-i))
		}
		jumps = append(jumps, j)
	}
	return svcChain, jumps
}
