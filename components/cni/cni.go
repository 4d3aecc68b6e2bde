// Package cni is the contract between the kubelet and the node's network
// plugin (Cilium's agent), as the container runtime calls a CNI plugin: ADD
// when a pod sandbox is created, DEL when it is torn down. In the simulator
// the kubelet sends these as kernel messages to the agent on its node.
package cni

import (
	"fmt"

	"github.com/kubesim/kubesim/components/api"
)

// Message kinds.
const (
	KindAdd = "CNI ADD"
	KindDel = "CNI DEL"
)

// AgentName is the actor name of the network agent on a node.
func AgentName(node string) string { return "cilium-agent-" + node }

// AddRequest asks for a pod's network: an address from the node's pod CIDR,
// an interface, routes, and an endpoint with a security identity.
type AddRequest struct {
	Namespace   string
	Name        string
	UID         api.UID
	ContainerID string // the sandbox id
	Node        string
	// Labels are the pod's labels (the identity is derived from them and
	// from the namespace's labels).
	Labels         map[string]string
	ServiceAccount string
}

// Summary implements sim.Summarizer.
func (r AddRequest) Summary() string {
	return fmt.Sprintf("ADD %s/%s sandbox %s", r.Namespace, r.Name, short(r.ContainerID))
}

// AddResult is the plugin's answer.
type AddResult struct {
	IP         string // the pod's IPv4 address
	Gateway    string // the node's router address (cilium_host)
	Interface  string // eth0 inside the pod
	HostVeth   string // lxc... on the host
	EndpointID int64
	Identity   int64
}

// Summary implements sim.Summarizer.
func (r *AddResult) Summary() string {
	return fmt.Sprintf("IP %s via %s, endpoint %d, identity %d", r.IP, r.HostVeth, r.EndpointID, r.Identity)
}

// DelRequest tears a pod's network down.
type DelRequest struct {
	Namespace   string
	Name        string
	UID         api.UID
	ContainerID string
}

// Summary implements sim.Summarizer.
func (r DelRequest) Summary() string {
	return fmt.Sprintf("DEL %s/%s sandbox %s", r.Namespace, r.Name, short(r.ContainerID))
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
