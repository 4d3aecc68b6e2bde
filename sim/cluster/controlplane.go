package cluster

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/kubesim/kubesim/components/controllers"
	"github.com/kubesim/kubesim/components/etcd"
	"github.com/kubesim/kubesim/components/kubelet"
	"github.com/kubesim/kubesim/components/scheduler"
	"github.com/kubesim/kubesim/sim"
)

// The control plane follows its static pods. Boot starts etcd,
// kube-apiserver, kube-controller-manager and kube-scheduler on every
// control-plane node with the flags of kubeadm's manifests (the kubelet
// then finds them running when it starts their static pods, as it finds
// containers that outlived it). From then on each actor runs only while
// its static pod's container runs: a changed manifest stops the program
// and starts it again with the new command line, a removed one stops it,
// and a command line the program refuses makes the container exit at once
// with the program's error on its log, as the real binary does. The flags
// that matter are read: kube-apiserver's --etcd-servers (an address that
// is no etcd member is unreachable), etcd's --data-dir (a data directory
// mounted on the node's disk; an empty one makes a new, empty member),
// the --kubeconfig of kube-scheduler and kube-controller-manager (the file
// must exist). Other known flags are accepted and not modelled; an
// unknown flag is refused with the binary's error.

// controlPlane is the kubelet.Programs of one control-plane node.
type controlPlane struct {
	c    *Cluster
	node string
	idx  int
	// running is the command line each program's actor runs.
	running map[string]string
}

var _ kubelet.Programs = (*controlPlane)(nil)

// knownFlags are the flags each binary accepts (those kubeadm writes and
// the common others).
var knownFlags = map[string][]string{
	"etcd": {"advertise-client-urls", "cert-file", "client-cert-auth", "data-dir", "experimental-initial-corrupt-check",
		"experimental-watch-progress-notify-interval", "initial-advertise-peer-urls", "initial-cluster", "initial-cluster-state",
		"initial-cluster-token", "key-file", "listen-client-urls", "listen-metrics-urls", "listen-peer-urls", "name",
		"peer-cert-file", "peer-client-cert-auth", "peer-key-file", "peer-trusted-ca-file", "snapshot-count", "trusted-ca-file",
		"heartbeat-interval", "election-timeout", "quota-backend-bytes", "auto-compaction-retention", "auto-compaction-mode", "log-level"},
	"kube-apiserver": {"advertise-address", "allow-privileged", "authorization-mode", "client-ca-file", "enable-admission-plugins",
		"disable-admission-plugins", "enable-bootstrap-token-auth", "etcd-cafile", "etcd-certfile", "etcd-keyfile", "etcd-servers",
		"kubelet-client-certificate", "kubelet-client-key", "kubelet-preferred-address-types", "proxy-client-cert-file",
		"proxy-client-key-file", "requestheader-allowed-names", "requestheader-client-ca-file", "requestheader-extra-headers-prefix",
		"requestheader-group-headers", "requestheader-username-headers", "secure-port", "service-account-issuer",
		"service-account-key-file", "service-account-signing-key-file", "service-cluster-ip-range", "tls-cert-file",
		"tls-private-key-file", "audit-log-path", "audit-policy-file", "event-ttl", "etcd-compaction-interval", "v", "feature-gates",
		"token-auth-file", "runtime-config", "max-requests-inflight", "max-mutating-requests-inflight"},
	"kube-controller-manager": {"allocate-node-cidrs", "authentication-kubeconfig", "authorization-kubeconfig", "bind-address",
		"client-ca-file", "cluster-cidr", "cluster-name", "cluster-signing-cert-file", "cluster-signing-key-file", "controllers",
		"kubeconfig", "leader-elect", "requestheader-client-ca-file", "root-ca-file", "service-account-private-key-file",
		"service-cluster-ip-range", "use-service-account-credentials", "node-monitor-grace-period", "node-monitor-period", "v",
		"feature-gates", "terminated-pod-gc-threshold", "concurrent-deployment-syncs"},
	"kube-scheduler": {"authentication-kubeconfig", "authorization-kubeconfig", "bind-address", "kubeconfig", "leader-elect",
		"config", "v", "feature-gates"},
}

// Start runs the program of a static pod's container.
func (p *controlPlane) Start(ctx *sim.Ctx, pod *api.Pod, container string) error {
	var spec *api.Container
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == container {
			spec = &pod.Spec.Containers[i]
		}
	}
	component := pod.Labels["component"]
	if spec == nil || knownFlags[component] == nil || component != container {
		return nil // not a control-plane program: its behaviour is all there is
	}
	argv := append(append([]string(nil), spec.Command...), spec.Args...)
	line := spec.Image + " " + strings.Join(argv, " ")
	actor := component + "-" + p.node
	if ctx.Running(actor) {
		if p.running[actor] == line {
			return nil // it outlived the kubelet, or this is boot
		}
		ctx.Stop(actor) // an older incarnation still ends first
	}
	run, err := p.program(component, argv)
	if err != nil {
		return err
	}
	if ctx.Running(actor) {
		// The old process still holds its port until it has stopped; the
		// kubelet starts the container again after its back-off.
		port := map[string]string{"etcd": "2379", "kube-apiserver": "6443", "kube-controller-manager": "10257", "kube-scheduler": "10259"}[component]
		return &kubelet.ProgramExit{Code: 1, Log: []string{fmt.Sprintf("failed to create listener: failed to listen on 127.0.0.1:%s: listen tcp 127.0.0.1:%s: bind: address already in use", port, port)}}
	}
	if err := ctx.Spawn(sim.ActorSpec{Name: actor, Node: p.node, Component: component, Run: run}); err != nil {
		return &kubelet.ProgramExit{Code: 1, Log: []string{err.Error()}}
	}
	p.running[actor] = line
	return nil
}

// Stop ends the program of a container that stopped.
func (p *controlPlane) Stop(ctx *sim.Ctx, pod *api.Pod, container string) {
	component := pod.Labels["component"]
	if knownFlags[component] == nil || component != container {
		return
	}
	actor := component + "-" + p.node
	if ctx.Running(actor) {
		ctx.Stop(actor)
	}
	delete(p.running, actor)
}

// Sync stops the programs whose static pod the kubelet does not run.
func (p *controlPlane) Sync(ctx *sim.Ctx, pods []*api.Pod) {
	want := map[string]bool{}
	for _, pod := range pods {
		want[pod.Labels["component"]] = true
	}
	for _, component := range sortedKeys(knownFlags) {
		actor := component + "-" + p.node
		if !want[component] && ctx.Running(actor) {
			ctx.Stop(actor)
			delete(p.running, actor)
		}
	}
}

// program builds a component's actor body from its command line, or the
// error the binary would stop with.
func (p *controlPlane) program(component string, argv []string) (func(*sim.Ctx), error) {
	if len(argv) == 0 {
		return nil, &kubelet.ProgramExit{Code: 128, Reason: "StartError", Log: []string{"failed to create containerd task: no command specified: unknown"}}
	}
	if bin := argv[0]; bin != component && bin != "/usr/local/bin/"+component {
		return nil, &kubelet.ProgramExit{Code: 128, Reason: "StartError", Log: []string{fmt.Sprintf(
			"failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: %q: executable file not found in $PATH: unknown", bin)}}
	}
	flags := map[string]string{}
	known := map[string]bool{}
	for _, f := range knownFlags[component] {
		known[f] = true
	}
	for _, a := range argv[1:] {
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || !known[name] {
			if component == "etcd" {
				return nil, &kubelet.ProgramExit{Code: 2, Log: []string{"flag provided but not defined: -" + name}}
			}
			if !strings.HasPrefix(a, "-") {
				continue // a positional argument: ignored by these binaries
			}
			return nil, &kubelet.ProgramExit{Code: 1, Log: []string{"Error: unknown flag: --" + name}}
		}
		if !hasValue {
			value = "true"
		}
		flags[name] = value
	}
	c := p.c
	switch component {
	case "etcd":
		dir := flags["data-dir"]
		if dir == "" {
			dir = "default.etcd"
		}
		if !strings.HasPrefix(dir, "/") {
			dir = "/" + dir
		}
		disk := c.nodeDisks[p.node]
		d, _ := disk.Mounted(dir)
		data, ok := d.(*etcd.Disk)
		if !ok {
			data = etcd.NewDisk() // etcd makes a new, empty data directory
			if err := disk.Mount(dir, data); err != nil {
				return nil, &kubelet.ProgramExit{Code: 1, Log: []string{err.Error()}}
			}
		}
		// The member takes the directory when its process starts, not
		// before: an older incarnation that still runs keeps serving (and
		// writing) its own data until it has stopped.
		m, node := c.members[p.idx], p.node
		return func(ctx *sim.Ctx) {
			m.Disk = data
			c.disks[node] = data
			m.Run(ctx)
		}, nil
	case "kube-apiserver":
		servers := flags["etcd-servers"]
		if servers == "" {
			return nil, &kubelet.ProgramExit{Code: 1, Log: []string{"Error: [--etcd-servers must be specified]"}}
		}
		var endpoints []string
		for _, s := range strings.Split(servers, ",") {
			endpoints = append(endpoints, c.EtcdEndpoint(p.node, s))
		}
		return c.apiserverProgram(endpoints, flags["advertise-address"]), nil
	case "kube-scheduler", "kube-controller-manager":
		if kc := flags["kubeconfig"]; kc != "" {
			if _, err := c.nodeDisks[p.node].ReadFile(kc); err != nil {
				return nil, &kubelet.ProgramExit{Code: 1, Log: []string{"Error: stat " + kc + ": no such file or directory"}}
			}
		}
		if component == "kube-scheduler" {
			return c.schedulerProgram(), nil
		}
		rootCA := []byte(clusterCA)
		if f := flags["root-ca-file"]; f != "" {
			b, err := c.nodeDisks[p.node].ReadFile(f)
			if err != nil {
				return nil, &kubelet.ProgramExit{Code: 1, Log: []string{`"Error starting controllers" err="error parsing root-ca-file at ` + f + `: open ` + f + `: no such file or directory"`}}
			}
			rootCA = b
		}
		return c.controllerManagerProgram(rootCA), nil
	}
	return nil, fmt.Errorf("no program for %s", component)
}

// EtcdEndpoint maps an --etcd-servers URL to the etcd member actor at that
// address, or to a name no actor has (nothing answers there).
func (c *Cluster) EtcdEndpoint(node, raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return "etcd@" + raw
	}
	host, port := u.Hostname(), u.Port()
	if port != "2379" {
		return "etcd@" + u.Host
	}
	if host == "127.0.0.1" || host == "localhost" {
		host = c.NodeIP(node)
	}
	for i := range c.cfg.ControlPlanes {
		if nodeIP(i) == host {
			return c.EtcdMembers[i]
		}
	}
	return "etcd@" + u.Host
}

func (c *Cluster) apiserverProgram(endpoints []string, advertise string) func(*sim.Ctx) {
	return apiserver.New(apiserver.Config{Etcd: endpoints, Tokens: c.tokens, Bootstrap: append(append(apiserver.DefaultBootstrap(), addonAccounts()...), defaultStorageClass()), AdvertiseAddress: advertise})
}

func (c *Cluster) schedulerProgram() func(*sim.Ctx) {
	return scheduler.New(scheduler.Config{Token: SchedulerToken, APIServers: c.APIServers, Configure: c.cfg.Scheduler})
}

// controllerManagerProgram is kube-controller-manager publishing rootCA as
// each namespace's kube-root-ca.crt: the --root-ca-file's contents, or
// without that flag the cluster's CA, which the real one reads from its
// kubeconfig's certificate-authority-data.
func (c *Cluster) controllerManagerProgramDefault() func(*sim.Ctx) {
	return c.controllerManagerProgram([]byte(clusterCA))
}

// controllerManagerProgram is kube-controller-manager publishing rootCA.
func (c *Cluster) controllerManagerProgram(rootCA []byte) func(*sim.Ctx) {
	ctrls := c.cfg.Controllers
	if ctrls == nil {
		ctrls = controllers.Defaults()
	}
	return controllers.New(controllers.Config{Token: ControllerToken, APIServers: c.APIServers, Controllers: ctrls, RootCA: rootCA})
}

// imageExists is the registry: registry.k8s.io has the releases of its
// images (a mistyped tag or name is "not found"); other registries have
// every image.
func imageExists(ref string) bool {
	rest, ok := strings.CutPrefix(ref, "registry.k8s.io/")
	if !ok {
		return true
	}
	name, tag, _ := strings.Cut(rest, ":")
	semver := func(t string) bool {
		t, ok := strings.CutPrefix(t, "v")
		parts := strings.Split(t, ".")
		if !ok || len(parts) != 3 {
			return false
		}
		for _, p := range parts {
			if p == "" || strings.Trim(p, "0123456789") != "" {
				return false
			}
		}
		return true
	}
	switch name {
	case "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy":
		return semver(tag) && strings.HasPrefix(tag, "v1.")
	case "etcd":
		base, suffix, _ := strings.Cut(tag, "-")
		return semver("v"+base) && strings.HasPrefix(base, "3.") && (suffix == "" || suffix == "0")
	case "pause":
		return tag == "3.9" || tag == "3.10"
	case "coredns/coredns":
		return semver(tag) && strings.HasPrefix(tag, "v1.")
	}
	// Other images of registry.k8s.io (e2e-test-images/agnhost, ...) are
	// there; a mistyped control-plane name (kube-schedular) is not.
	return strings.Contains(name, "/") || !strings.HasPrefix(name, "kube-")
}

// sortedKeys is a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
