package cluster

import (
	"encoding/base64"
	"fmt"
	"io/fs"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/kubelet"
	"github.com/kubesim/kubesim/components/nodefs"
)

// Node disks. Boot writes every node's disk as kubeadm init (or join) and
// Cilium's agent leave it: the static pod manifests of the control plane in
// /etc/kubernetes/manifests, the kubeconfigs in /etc/kubernetes, the
// kubelet's KubeletConfiguration, the CNI configuration, /etc/resolv.conf,
// and etcd's data directory mounted at /var/lib/etcd. The kubelet reads its
// static pods from there; the node shell reads and writes the files.
// kubesim authenticates with the static token file instead of client
// certificates, so the kubeconfigs carry tokens, and the files under
// /etc/kubernetes/pki hold placeholders, not keys.

// Paths on a kubeadm node.
const (
	ManifestsDir   = kubelet.DefaultStaticPodPath
	KubeletConfig  = "/var/lib/kubelet/config.yaml"
	EtcdDataDir    = "/var/lib/etcd"
	CNIConfig      = "/etc/cni/net.d/05-cilium.conflist"
	ResolvConf     = "/etc/resolv.conf"
	ClusterDNSAddr = "10.96.0.10"
)

// NodeFS returns a node's disk (nil for an unknown node).
func (c *Cluster) NodeFS(node string) *nodefs.FS { return c.nodeDisks[node] }

// ControlPlaneEndpoint is the address the kubeconfigs point at: the first
// control-plane node's API server.
func (c *Cluster) ControlPlaneEndpoint() string { return "https://" + nodeIP(0) + ":6443" }

// NodeIP is a node's InternalIP.
func (c *Cluster) NodeIP(node string) string {
	for i, n := range c.allNodes() {
		if n == node {
			return nodeIP(i)
		}
	}
	return ""
}

// IsControlPlane reports whether node is a control-plane node.
func (c *Cluster) IsControlPlane(node string) bool {
	for _, n := range c.cfg.ControlPlanes {
		if n == node {
			return true
		}
	}
	return false
}

// NodeNames lists the nodes, control planes first.
func (c *Cluster) NodeNames() []string { return c.allNodes() }

func (c *Cluster) allNodes() []string {
	return append(append([]string(nil), c.cfg.ControlPlanes...), c.cfg.Workers...)
}

// writeNodeDisk lays out a node's disk as kubeadm leaves it.
func (c *Cluster) writeNodeDisk(node string, i int, cp bool, static []*api.Pod) (*nodefs.FS, error) {
	d := nodefs.New()
	write := func(p, content string, mode fs.FileMode) error {
		return d.WriteFile(p, []byte(content), mode)
	}
	var err error
	check := func(e error) {
		if err == nil {
			err = e
		}
	}
	server := c.ControlPlaneEndpoint()
	if cp {
		server = "https://" + nodeIP(i) + ":6443"
		for _, p := range static {
			y, e := api.ToYAML(p)
			check(e)
			check(write(ManifestsDir+"/"+p.Name+".yaml", string(y), 0o600))
		}
		check(write("/etc/kubernetes/admin.conf", kubeconfig(server, "kubernetes-admin", AdminToken), 0o600))
		// What kubeadm init tells the admin to do: cp admin.conf ~/.kube/config.
		check(write("/root/.kube/config", kubeconfig(server, "kubernetes-admin", AdminToken), 0o600))
		check(write("/etc/kubernetes/super-admin.conf", kubeconfig(server, "kubernetes-super-admin", AdminToken), 0o600))
		check(write("/etc/kubernetes/controller-manager.conf", kubeconfig(server, "system:kube-controller-manager", ControllerToken), 0o600))
		check(write("/etc/kubernetes/scheduler.conf", kubeconfig(server, "system:kube-scheduler", SchedulerToken), 0o600))
		for _, f := range []string{"ca.crt", "ca.key", "apiserver.crt", "apiserver.key", "apiserver-etcd-client.crt", "apiserver-etcd-client.key",
			"apiserver-kubelet-client.crt", "apiserver-kubelet-client.key", "front-proxy-ca.crt", "front-proxy-ca.key",
			"front-proxy-client.crt", "front-proxy-client.key", "sa.key", "sa.pub", "etcd/ca.crt", "etcd/ca.key", "etcd/server.crt", "etcd/server.key",
			"etcd/peer.crt", "etcd/peer.key", "etcd/healthcheck-client.crt", "etcd/healthcheck-client.key"} {
			check(write("/etc/kubernetes/pki/"+f, placeholderPEM(f), 0o600))
		}
		check(d.Mount(EtcdDataDir, c.disks[node]))
	} else {
		check(d.MkdirAll(ManifestsDir))
		check(write("/etc/kubernetes/pki/ca.crt", placeholderPEM("ca.crt"), 0o644))
	}
	check(write("/etc/kubernetes/kubelet.conf", kubeconfig(server, "system:node:"+node, KubeletTokenPrefix+node), 0o600))
	check(write(KubeletConfig, kubeletConfiguration, 0o644))
	check(write(CNIConfig, ciliumConflist, 0o644))
	check(write(ResolvConf, "# This is /run/systemd/resolve/resolv.conf managed by man:systemd-resolved(8).\nnameserver 172.18.0.1\nsearch .\n", 0o644))
	check(write("/etc/hostname", node+"\n", 0o644))
	check(d.MkdirAll("/root"))
	return d, err
}

// kubeconfig is a kubeconfig as kubeadm writes it, with a token.
func kubeconfig(server, user, token string) string {
	ca := base64.StdEncoding.EncodeToString([]byte(placeholderPEM("ca.crt")))
	return fmt.Sprintf(`apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: %s
    server: %s
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: %s
  name: %s@kubernetes
current-context: %s@kubernetes
kind: Config
preferences: {}
users:
- name: %s
  user:
    # kubesim: a static token instead of a client certificate
    token: %s
`, ca, server, user, user, user, user, token)
}

// clusterCA is the cluster's CA certificate: /etc/kubernetes/pki/ca.crt on
// every node, and what kube-controller-manager publishes as
// kube-root-ca.crt.
var clusterCA = placeholderPEM("ca.crt")

func placeholderPEM(name string) string {
	kind := "CERTIFICATE"
	switch {
	case strings.HasSuffix(name, ".key"):
		kind = "RSA PRIVATE KEY"
	case strings.HasSuffix(name, ".pub"):
		kind = "PUBLIC KEY"
	}
	body := base64.StdEncoding.EncodeToString([]byte("kubesim placeholder for " + name + ": no real key material"))
	return "-----BEGIN " + kind + "-----\n" + body + "\n-----END " + kind + "-----\n"
}

// kubeletConfiguration is /var/lib/kubelet/config.yaml as kubeadm v1.32
// writes it.
const kubeletConfiguration = `apiVersion: kubelet.config.k8s.io/v1beta1
authentication:
  anonymous:
    enabled: false
  webhook:
    cacheTTL: 0s
    enabled: true
  x509:
    clientCAFile: /etc/kubernetes/pki/ca.crt
authorization:
  mode: Webhook
  webhook:
    cacheAuthorizedTTL: 0s
    cacheUnauthorizedTTL: 0s
cgroupDriver: systemd
clusterDNS:
- ` + ClusterDNSAddr + `
clusterDomain: cluster.local
containerRuntimeEndpoint: ""
cpuManagerReconcilePeriod: 0s
crashLoopBackOff: {}
evictionPressureTransitionPeriod: 0s
fileCheckFrequency: 0s
healthzBindAddress: 127.0.0.1
healthzPort: 10248
httpCheckFrequency: 0s
imageMaximumGCAge: 0s
imageMinimumGCAge: 0s
kind: KubeletConfiguration
logging:
  flushFrequency: 0
  options:
    json:
      infoBufferSize: "0"
    text:
      infoBufferSize: "0"
  verbosity: 0
memorySwap: {}
nodeStatusReportFrequency: 0s
nodeStatusUpdateFrequency: 0s
resolvConf: /run/systemd/resolve/resolv.conf
rotateCertificates: true
runtimeRequestTimeout: 0s
shutdownGracePeriod: 0s
shutdownGracePeriodCriticalPods: 0s
staticPodPath: ` + ManifestsDir + `
streamingConnectionIdleTimeout: 0s
syncFrequency: 0s
volumeStatsAggPeriod: 0s
`

// ciliumConflist is what Cilium's agent writes to /etc/cni/net.d.
const ciliumConflist = `{
  "cniVersion": "0.3.1",
  "name": "cilium",
  "plugins": [
    {
       "type": "cilium-cni",
       "enable-debug": false,
       "log-file": "/var/run/cilium/cilium-cni.log"
    }
  ]
}
`

// ProxyMode is kube-proxy's mode ("iptables" or "ebpf").
func (c *Cluster) ProxyMode() string {
	if c.cfg.ProxyMode == "" {
		return "iptables"
	}
	return string(c.cfg.ProxyMode)
}
