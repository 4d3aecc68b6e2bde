package kubelet

import (
	"github.com/kubesim/kubesim/components/api"
)

// Images kubeadm v1.32 deploys the control plane with.
const (
	EtcdImage                  = "registry.k8s.io/etcd:3.5.16-0"
	KubeAPIServerImage         = "registry.k8s.io/kube-apiserver:" + KubeletVersion
	KubeControllerManagerImage = "registry.k8s.io/kube-controller-manager:" + KubeletVersion
	KubeSchedulerImage         = "registry.k8s.io/kube-scheduler:" + KubeletVersion
)

// pki is where kubeadm keeps the cluster's certificates and keys.
const pki = "/etc/kubernetes/pki/"

// ClusterCIDR is the pod network kube-controller-manager is given, as
// `kubeadm init --pod-network-cidr` would pass it: Cilium's cluster-pool
// default, since Cilium (not the controller manager's node IPAM) gives pods
// their addresses.
const ClusterCIDR = "10.0.0.0/8"

// KubeadmStaticPods returns the four manifests kubeadm init writes to
// /etc/kubernetes/manifests on a control-plane node with the given address:
// etcd, kube-apiserver, kube-controller-manager and kube-scheduler, with
// their labels (component, tier=control-plane), host networking, the
// system-node-critical priority and the main flags. Pass them as
// Config.StaticPods; the kubelet publishes them as mirror pods such as
// kube-apiserver-cp-1.
func KubeadmStaticPods(advertiseAddress string) []*api.Pod {
	ip := advertiseAddress
	mk := func(name, image string, command []string, annotations map[string]string, port int32, scheme api.URIScheme, path string, requestCPU string) *api.Pod {
		prio := int32(2000001000)
		grace := int64(30)
		cpu := api.MustParseQuantity(requestCPU)
		host := "127.0.0.1"
		if name == "kube-apiserver" {
			host = ip
		}
		probe := func(delay, failures int32) *api.Probe {
			return &api.Probe{ProbeHandler: api.ProbeHandler{HTTPGet: &api.HTTPGetAction{Host: host, Path: path, Port: api.FromInt32(port), Scheme: scheme}},
				InitialDelaySeconds: delay, TimeoutSeconds: 15, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: failures}
		}
		c := api.Container{Name: name, Image: image, Command: command, ImagePullPolicy: api.PullIfNotPresent,
			Resources:              api.ResourceRequirements{Requests: api.ResourceList{api.ResourceCPU: cpu}},
			LivenessProbe:          probe(10, 8),
			StartupProbe:           probe(10, 24),
			TerminationMessagePath: "/dev/termination-log", TerminationMessagePolicy: api.TerminationMessageReadFile}
		if name == "kube-apiserver" || name == "etcd" {
			rp := probe(0, 3)
			rp.PeriodSeconds = 1
			if name == "kube-apiserver" {
				rp.HTTPGet.Path = "/readyz"
			}
			c.ReadinessProbe = rp
		}
		return &api.Pod{
			TypeMeta: api.TypeMeta{Kind: "Pod", APIVersion: "v1"},
			ObjectMeta: api.ObjectMeta{Name: name, Namespace: api.NamespaceSystem, Annotations: annotations,
				Labels: map[string]string{"component": name, "tier": "control-plane"}},
			Spec: api.PodSpec{
				Containers:                    []api.Container{c},
				HostNetwork:                   true,
				PriorityClassName:             "system-node-critical",
				Priority:                      &prio,
				RestartPolicy:                 api.RestartPolicyAlways,
				DNSPolicy:                     api.DNSClusterFirst,
				SchedulerName:                 api.DefaultSchedulerName,
				TerminationGracePeriodSeconds: &grace,
				Tolerations:                   []api.Toleration{{Operator: api.TolerationOpExists, Effect: api.TaintEffectNoExecute}},
			},
		}
	}
	return []*api.Pod{
		mk("etcd", EtcdImage, []string{"etcd", "--advertise-client-urls=https://" + ip + ":2379", "--data-dir=/var/lib/etcd",
			"--listen-client-urls=https://127.0.0.1:2379,https://" + ip + ":2379", "--listen-metrics-urls=http://127.0.0.1:2381",
			"--listen-peer-urls=https://" + ip + ":2380", "--snapshot-count=10000"},
			map[string]string{"kubeadm.kubernetes.io/etcd.advertise-client-urls": "https://" + ip + ":2379"}, 2381, api.URISchemeHTTP, "/livez", "100m"),
		mk("kube-apiserver", KubeAPIServerImage, []string{"kube-apiserver", "--advertise-address=" + ip, "--allow-privileged=true",
			"--authorization-mode=Node,RBAC", "--client-ca-file=" + pki + "ca.crt", "--enable-admission-plugins=NodeRestriction",
			"--enable-bootstrap-token-auth=true", "--etcd-cafile=" + pki + "etcd/ca.crt", "--etcd-certfile=" + pki + "apiserver-etcd-client.crt",
			"--etcd-keyfile=" + pki + "apiserver-etcd-client.key", "--etcd-servers=https://127.0.0.1:2379",
			"--kubelet-client-certificate=" + pki + "apiserver-kubelet-client.crt", "--kubelet-client-key=" + pki + "apiserver-kubelet-client.key",
			"--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname", "--proxy-client-cert-file=" + pki + "front-proxy-client.crt",
			"--proxy-client-key-file=" + pki + "front-proxy-client.key", "--requestheader-allowed-names=front-proxy-client",
			"--requestheader-client-ca-file=" + pki + "front-proxy-ca.crt", "--requestheader-extra-headers-prefix=X-Remote-Extra-",
			"--requestheader-group-headers=X-Remote-Group", "--requestheader-username-headers=X-Remote-User", "--secure-port=6443",
			"--service-account-issuer=https://kubernetes.default.svc.cluster.local", "--service-account-key-file=" + pki + "sa.pub",
			"--service-account-signing-key-file=" + pki + "sa.key", "--service-cluster-ip-range=10.96.0.0/12",
			"--tls-cert-file=" + pki + "apiserver.crt", "--tls-private-key-file=" + pki + "apiserver.key"},
			map[string]string{"kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint": ip + ":6443"}, 6443, api.URISchemeHTTPS, "/livez", "250m"),
		mk("kube-controller-manager", KubeControllerManagerImage, []string{"kube-controller-manager", "--allocate-node-cidrs=true",
			"--authentication-kubeconfig=/etc/kubernetes/controller-manager.conf", "--authorization-kubeconfig=/etc/kubernetes/controller-manager.conf",
			"--bind-address=127.0.0.1", "--client-ca-file=" + pki + "ca.crt", "--cluster-cidr=" + ClusterCIDR, "--cluster-name=kubernetes",
			"--cluster-signing-cert-file=" + pki + "ca.crt", "--cluster-signing-key-file=" + pki + "ca.key",
			"--controllers=*,bootstrapsigner,tokencleaner", "--kubeconfig=/etc/kubernetes/controller-manager.conf", "--leader-elect=true",
			"--requestheader-client-ca-file=" + pki + "front-proxy-ca.crt", "--root-ca-file=" + pki + "ca.crt",
			"--service-account-private-key-file=" + pki + "sa.key", "--service-cluster-ip-range=10.96.0.0/12", "--use-service-account-credentials=true"},
			nil, 10257, api.URISchemeHTTPS, "/healthz", "200m"),
		mk("kube-scheduler", KubeSchedulerImage, []string{"kube-scheduler", "--authentication-kubeconfig=/etc/kubernetes/scheduler.conf",
			"--authorization-kubeconfig=/etc/kubernetes/scheduler.conf", "--bind-address=127.0.0.1",
			"--kubeconfig=/etc/kubernetes/scheduler.conf", "--leader-elect=true"},
			nil, 10259, api.URISchemeHTTPS, "/livez", "100m"),
	}
}
