package nodeshell

import (
	"fmt"
	"net/netip"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/datapath"
	"github.com/kubesim/kubesim/components/nodefs"
	"github.com/kubesim/kubesim/sim/cluster"
)

// The shell of a container: what `kubectl exec POD -- COMMAND` runs.
//
// A command runs only if the container's image has it (the binaries of
// its entry in package images' catalog); one it lacks fails as containerd's runc
// says: `OCI runtime exec failed: exec failed: unable to start container
// process: exec: "curl": executable file not found in $PATH: unknown`,
// exit 127 — or, inside `sh -c`, as the image's shell says it (`sh: curl:
// not found`). `sh -c` takes the node shell's syntax plus lists (;, &&,
// ||).
//
// The container's files are what the kubelet and the image put there:
// /etc/resolv.conf (the pod's DNS policy), /etc/hosts and /etc/hostname
// (kubelet-managed), the service account's token, ca.crt and namespace
// under /var/run/secrets/kubernetes.io/serviceaccount, and the image's own
// few files. Network commands — curl, wget, nslookup, host, nc -z, ping — walk
// the simulated datapath from the pod through the datapath package's
// Prober, every hop a traced kernel message, so they are inputs of the run
// like any request (and serve's time travel replays them).
//
// Simplifications: the container's filesystem is made fresh for every
// exec (nothing written to it stays, kubesim has no writable container
// layer, except under the mounts of PersistentVolumeClaims bound to
// hostPath or local volumes: see claims.go); no process runs, so `ps` lists the image's main process as the
// container would have it; env shows the Service variables of the
// Services that exist now (a real container sees those that existed when
// it started).

// ContainerRef names the container a command runs in.
type ContainerRef struct {
	Namespace, Pod, Container string
}

// box is the container a shell runs in.
type box struct {
	pod   *api.Pod
	ctr   api.Container
	image Image
	fs    *nodefs.FS
	// claims are the container's mounted PersistentVolumeClaims.
	claims []claimMount
}

// fs is the filesystem the shell sees: the node's, or the container's.
func (sh *shell) fs() *nodefs.FS {
	if sh.box != nil {
		return sh.box.fs
	}
	return sh.c.NodeFS(sh.node)
}

// Exec runs argv in a container, with stdin as its standard input, as the
// container runtime does for kubectl exec (no shell unless argv names
// one). Call it from the goroutine that drives the cluster.
func Exec(c *cluster.Cluster, ref ContainerRef, argv []string, stdin string) Result {
	b, res, ok := openBox(c, ref)
	if !ok {
		return res
	}
	if len(argv) == 0 {
		return fail(1, "OCI runtime exec failed: exec failed: unable to start container process: exec: \"\": executable file not found in $PATH: unknown")
	}
	sh := &shell{c: c, node: b.pod.Spec.NodeName, cwd: "/", box: b}
	name := path.Base(argv[0])
	if !b.image.Has(name) {
		return fail(127, "OCI runtime exec failed: exec failed: unable to start container process: exec: %q: executable file not found in $PATH: unknown", argv[0])
	}
	res = sh.containerCommand(argv, stdin, stdin != "")
	b.syncClaims(c)
	return res
}

// openBox reads the pod through the apiserver, as the kubelet knows it,
// and lays out the container's files.
func openBox(c *cluster.Cluster, ref ContainerRef) (*box, Result, bool) {
	pod, err := client.Get[*api.Pod](c.Admin, ref.Namespace, ref.Pod)
	if err != nil {
		return nil, fail(1, "Error from server (NotFound): pods %q not found", ref.Pod), false
	}
	var ctr *api.Container
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == ref.Container {
			ctr = &pod.Spec.Containers[i]
		}
	}
	if ctr == nil {
		return nil, fail(1, "container %s is not valid for pod %s", ref.Container, ref.Pod), false
	}
	running := false
	for _, st := range pod.Status.ContainerStatuses {
		running = running || st.Name == ref.Container && st.State.Running != nil
	}
	if !running {
		return nil, fail(1, "error: unable to upgrade connection: container not found (%q)", ref.Container), false
	}
	b := &box{pod: pod, ctr: *ctr, image: imageOf(ctr.Image), fs: nodefs.New()}
	b.layout(c)
	b.mountConfig(c)
	b.mountClaims(c)
	return b, Result{}, true
}

func (b *box) layout(c *cluster.Cluster) {
	write := func(p, data string) {
		b.fs.MkdirAll(path.Dir(p))
		b.fs.WriteFile(p, []byte(data), 0o644)
	}
	for _, d := range []string{"/bin", "/dev", "/etc", "/home", "/proc", "/root", "/sys", "/tmp", "/usr", "/var"} {
		b.fs.MkdirAll(d)
	}
	files := b.image.Files()
	for _, p := range sortedKeys(files) {
		write(p, files[p])
	}
	if b.pod.Spec.DNSPolicy != api.DNSDefault && !b.pod.Spec.HostNetwork {
		write("/etc/resolv.conf", b.resolvConf(c))
	}
	write("/etc/hostname", b.hostname()+"\n")
	write("/etc/hosts", b.hosts())
	if b.pod.Spec.AutomountServiceAccountToken == nil || *b.pod.Spec.AutomountServiceAccountToken {
		sa := b.pod.Spec.ServiceAccountName
		if sa == "" {
			sa = "default"
		}
		dir := "/var/run/secrets/kubernetes.io/serviceaccount"
		write(dir+"/namespace", b.pod.Namespace)
		write(dir+"/token", apiserver.ServiceAccountTokenFor(b.pod.Namespace, sa))
		write(dir+"/ca.crt", "-----BEGIN CERTIFICATE-----\n(the cluster CA of kube-root-ca.crt; kubesim does not sign with it)\n-----END CERTIFICATE-----\n")
	}
}

func (b *box) resolvConf(c *cluster.Cluster) string {
	p := c.Prober()
	return fmt.Sprintf("search %s.svc.%s svc.%s %s\nnameserver %s\noptions ndots:5\n",
		b.pod.Namespace, p.ClusterDomain, p.ClusterDomain, p.ClusterDomain, p.DNSServiceIP)
}

func (b *box) hostname() string {
	if b.pod.Spec.Hostname != "" {
		return b.pod.Spec.Hostname
	}
	return b.pod.Name
}

// hosts is the kubelet-managed /etc/hosts.
func (b *box) hosts() string {
	var sb strings.Builder
	sb.WriteString("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n")
	if ip := b.pod.Status.PodIP; ip != "" {
		name := b.hostname()
		if b.pod.Spec.Subdomain != "" {
			fmt.Fprintf(&sb, "%s\t%s.%s.%s.svc.cluster.local\t%s\n", ip, name, b.pod.Spec.Subdomain, b.pod.Namespace, name)
		} else {
			fmt.Fprintf(&sb, "%s\t%s\n", ip, name)
		}
	}
	return sb.String()
}

// containerCommand runs one command of the container's shell; the
// generic tools (ls, cat, grep, sed, head, tail, wc, echo) are the node
// shell's, over the container's files.
func (sh *shell) containerCommand(argv []string, stdin string, piped bool) Result {
	name, args := path.Base(argv[0]), argv[1:]
	switch name {
	case "sh", "bash", "ash", "dash":
		return sh.shC(name, args, stdin)
	case "hostname":
		return ok(sh.box.hostname() + "\n")
	case "env", "printenv":
		return sh.env(args)
	case "ps":
		return ok(sh.ps())
	case "id":
		return ok("uid=0(root) gid=0(root) groups=0(root)\n")
	case "curl":
		return sh.curl(args)
	case "wget":
		return sh.wget(args)
	case "nslookup":
		return sh.nslookup(args)
	case "host":
		return sh.host(args)
	case "nc":
		return sh.nc(args)
	case "ping":
		return sh.ping(args)
	case "tar":
		return sh.tar(args, stdin)
	case "sleep":
		return Result{}
	case "ls", "cat", "grep", "sed", "head", "tail", "wc", "echo", "pwd", "whoami", "date", "true", "false", ":":
		return sh.exec(argv, stdin, piped)
	}
	return fail(126, "OCI runtime exec failed: exec failed: unable to start container process: exec: %q: kubesim does not simulate this program", argv[0])
}

// shC runs `sh -c LINE` (or reads the script from stdin): lists of
// pipelines, each command looked up in the image as its shell does.
func (sh *shell) shC(shell string, args []string, stdin string) Result {
	var line string
	switch {
	case len(args) >= 2 && args[0] == "-c":
		line = args[1]
	case len(args) == 0:
		line = stdin // a script on standard input (kubectl exec -i POD -- sh)
	default:
		return fail(2, "%s: can't open '%s': No such file or directory", shell, args[0])
	}
	items, err := parseList(line)
	if err != nil {
		return fail(2, "%s: syntax error: %s", shell, err)
	}
	var out, errs strings.Builder
	res := Result{}
	for _, it := range items {
		if (it.op == "&&" && res.Code != 0) || (it.op == "||" && res.Code == 0) {
			continue
		}
		res = sh.pipeline(shell, it.stages)
		out.WriteString(res.Stdout)
		errs.WriteString(res.Stderr)
	}
	return Result{Stdout: out.String(), Stderr: errs.String(), Code: res.Code}
}

// pipeline runs stages joined by pipes inside the container's shell.
func (sh *shell) pipeline(shell string, stages [][]string) Result {
	var res Result
	var stderr strings.Builder
	for i, argv := range stages {
		if len(argv) == 0 {
			return Result{Stderr: shell + ": syntax error: unexpected \"|\"\n", Code: 2}
		}
		if argv[0] == "exit" {
			code := 0
			if len(argv) > 1 {
				code, _ = strconv.Atoi(argv[1])
			}
			return Result{Stderr: stderr.String(), Code: code}
		}
		name := path.Base(argv[0])
		in := res.Stdout
		if builtin(name) || sh.box.image.Has(name) {
			res = sh.containerCommand(argv, in, i > 0)
		} else {
			res = Result{Stderr: sh.box.image.NotFound(argv[0]), Code: 127}
		}
		stderr.WriteString(res.Stderr)
	}
	res.Stderr = stderr.String()
	return res
}

// builtin names the shell builtins every shell has.
func builtin(name string) bool {
	switch name {
	case "echo", "pwd", "true", "false", ":", "exit":
		return true
	}
	return false
}

// env prints the container's environment as the kubelet sets it: the
// image's PATH, HOSTNAME, the container's env, the Service variables of
// its namespace (enableServiceLinks) and the kubernetes Service's.
func (sh *shell) env(args []string) Result {
	vars := sh.environ()
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		// printenv NAME
		for _, kv := range vars {
			if k, v, _ := strings.Cut(kv, "="); k == args[0] {
				return ok(v + "\n")
			}
		}
		return Result{Code: 1}
	}
	return ok(strings.Join(vars, "\n") + "\n")
}

func (sh *shell) environ() []string {
	b := sh.box
	vars := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=" + b.hostname()}
	vars = append(vars, b.envFromVars(sh.c)...)
	for _, e := range b.ctr.Env {
		v := e.Value
		if e.ValueFrom != nil {
			if ref, ok := b.keyRefValue(sh.c, e.ValueFrom); ok {
				v = ref
			}
		}
		if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
			switch e.ValueFrom.FieldRef.FieldPath {
			case "metadata.name":
				v = b.pod.Name
			case "metadata.namespace":
				v = b.pod.Namespace
			case "spec.nodeName":
				v = b.pod.Spec.NodeName
			case "status.podIP":
				v = b.pod.Status.PodIP
			case "spec.serviceAccountName":
				v = b.pod.Spec.ServiceAccountName
			}
		}
		vars = setEnv(vars, e.Name, v)
	}
	var links []string
	seen := map[string]bool{}
	addService := func(svc *api.Service) {
		if svc.Spec.ClusterIP == "" || svc.Spec.ClusterIP == "None" || seen[svc.Name] {
			return
		}
		seen[svc.Name] = true
		links = append(links, serviceEnv(svc)...)
	}
	if b.pod.Spec.EnableServiceLinks == nil || *b.pod.Spec.EnableServiceLinks {
		objs, _, _ := sh.c.Admin.List("services", b.pod.Namespace, client.ListOptions{})
		for _, o := range objs {
			addService(o.(*api.Service))
		}
	}
	if k, err := client.Get[*api.Service](sh.c.Admin, "default", "kubernetes"); err == nil {
		addService(k)
	}
	sort.Strings(links)
	vars = append(vars, links...)
	return append(vars, "HOME=/root")
}

// serviceEnv is the docker-links style variables the kubelet sets for a
// Service: NAME_SERVICE_HOST, NAME_SERVICE_PORT[_PORTNAME], NAME_PORT,
// NAME_PORT_<port>_<proto>[_PROTO|_PORT|_ADDR].
func serviceEnv(svc *api.Service) []string {
	if len(svc.Spec.Ports) == 0 {
		return nil
	}
	prefix := strings.ToUpper(strings.ReplaceAll(svc.Name, "-", "_"))
	ip := svc.Spec.ClusterIP
	first := svc.Spec.Ports[0]
	out := []string{
		prefix + "_SERVICE_HOST=" + ip,
		prefix + "_SERVICE_PORT=" + strconv.Itoa(int(first.Port)),
		fmt.Sprintf("%s_PORT=%s://%s:%d", prefix, protoOf(first.Protocol), ip, first.Port),
	}
	for _, p := range svc.Spec.Ports {
		if p.Name != "" {
			out = append(out, fmt.Sprintf("%s_SERVICE_PORT_%s=%d", prefix, strings.ToUpper(strings.ReplaceAll(p.Name, "-", "_")), p.Port))
		}
		proto := protoOf(p.Protocol)
		base := fmt.Sprintf("%s_PORT_%d_%s", prefix, p.Port, strings.ToUpper(proto))
		out = append(out, fmt.Sprintf("%s=%s://%s:%d", base, proto, ip, p.Port), base+"_PROTO="+proto,
			fmt.Sprintf("%s_PORT=%d", base, p.Port), base+"_ADDR="+ip)
	}
	return out
}

func protoOf(p api.Protocol) string {
	if p == "" {
		return "tcp"
	}
	return strings.ToLower(string(p))
}

// ps lists the container's main process, as it runs in the container's
// PID namespace, and ps itself.
func (sh *shell) ps() string {
	main := process(sh.box.ctr)
	return fmt.Sprintf("PID   USER     TIME  COMMAND\n    1 root      0:00 %s\n    7 root      0:00 ps\n", main)
}

// probeTarget splits "http://host:port/path" for wget.
func probeTarget(raw string) (host string, port uint16, pathPart string) {
	t := strings.TrimPrefix(strings.TrimPrefix(raw, "http://"), "https://")
	pathPart = "/"
	if i := strings.IndexByte(t, '/'); i >= 0 {
		t, pathPart = t[:i], t[i:]
	}
	host, port = t, 80
	if h, p, found := strings.Cut(t, ":"); found {
		if n, err := strconv.Atoi(p); err == nil && n > 0 && n < 65536 {
			host, port = h, uint16(n)
		}
	}
	return host, port, pathPart
}

// prober is the cluster's Prober, with a connect timeout in seconds if
// one was asked for (curl -m, wget -T, nc -w).
func (sh *shell) prober(timeout int) *datapath.Prober {
	p := sh.c.Prober()
	if timeout > 0 {
		p.ConnectTimeout = secondsDuration(timeout)
	}
	return p
}

func (sh *shell) podRef() string { return sh.box.pod.Namespace + "/" + sh.box.pod.Name }

func resolvedAddr(res datapath.Result, host string) string {
	if a, err := netip.ParseAddr(host); err == nil {
		return a.String()
	}
	if res.Lookup != nil {
		if addrs := res.Lookup.Addrs(); len(addrs) > 0 {
			return addrs[0].String()
		}
	}
	return host
}

// ContainerImage is the image of a pod's container, as the catalog knows
// it.
func ContainerImage(c *cluster.Cluster, ref ContainerRef) (Image, bool) {
	pod, err := client.Get[*api.Pod](c.Admin, ref.Namespace, ref.Pod)
	if err != nil {
		return Image{}, false
	}
	for _, ct := range pod.Spec.Containers {
		if ct.Name == ref.Container {
			return imageOf(ct.Image), true
		}
	}
	return Image{}, false
}

func secondsDuration(s int) time.Duration { return time.Duration(s) * time.Second }
