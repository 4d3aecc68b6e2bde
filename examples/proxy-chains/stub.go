//go:build !solution

package proxychains

// Predict returns the name of the KUBE-SVC-... chain kube-proxy (iptables
// mode) writes for one Service port, and the rules of that chain that
// jump to the endpoints' KUBE-SEP-... chains, in order.
//
// Start here: read README.md, then replace the body.
func Predict(sp ServicePort, endpoints []Endpoint) (svcChain string, jumps []Jump) {
	// TODO: the chain name is "KUBE-SVC-" + proxy.PortProtoHash(...). What
	// is the servicePortName kube-proxy hashes, and in which case is the
	// protocol?
	// TODO: which endpoints get a KUBE-SEP chain, in which order, and with
	// which --probability?
	return "", nil
}
