package nodeshell

import (
	"bytes"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/cilium"
	"github.com/kubesim/kubesim/components/cilium/agent"
	"github.com/kubesim/kubesim/components/cni"
	"github.com/kubesim/kubesim/scenarios/views"
)

func (sh *shell) iptablesSave(args []string) Result {
	table := ""
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case (a == "-t" || a == "--table") && i+1 < len(args):
			table = args[i+1]
			i++
		case strings.HasPrefix(a, "--table="):
			table = strings.TrimPrefix(a, "--table=")
		case a == "-c" || a == "--counters":
		default:
			return fail(1, "iptables-save: unknown option %q", a)
		}
	}
	var b bytes.Buffer
	if err := views.Exec(views.Context{Cluster: sh.c}, "iptables-save "+sh.node, &b); err != nil {
		return fail(1, "%s", err.Error())
	}
	out := b.String()
	if table == "" {
		return ok(out)
	}
	// Keep one table: from its *name line to its COMMIT.
	var keep strings.Builder
	in := false
	for _, l := range lines(out) {
		if strings.HasPrefix(l, "*") {
			in = l == "*"+table
		}
		if in {
			keep.WriteString(l + "\n")
			if l == "COMMIT" {
				in = false
			}
		}
	}
	if keep.Len() == 0 && table != "nat" && table != "filter" {
		return fail(1, "iptables-save v1.8.9 (nf_tables): Cannot initialize: Table does not exist (do you need to insmod?)")
	}
	return ok(keep.String())
}

func (sh *shell) agentView() (agent.View, bool) {
	v, ok := sh.c.Inspect(cni.AgentName(sh.node)).(agent.View)
	return v, ok
}

const ciliumDown = "Error: Unable to connect to Cilium daemon: Get \"http://localhost/v1/healthz\": dial unix /var/run/cilium/cilium.sock: connect: connection refused\nIs the agent running?"

func (sh *shell) cilium(tool string, args []string) Result {
	v, up := sh.agentView()
	if !up {
		return fail(1, "%s", ciliumDown)
	}
	switch strings.Join(args, " ") {
	case "status", "status --brief":
		if len(args) == 2 {
			return ok("OK\n")
		}
		return ok(sh.ciliumStatus(v))
	case "endpoint list":
		return ok(sh.endpointList(v))
	case "identity list":
		return ok(sh.identityList())
	}
	return fail(1, "%s: this shell knows: %s status [--brief], %s endpoint list, %s identity list", tool, tool, tool, tool)
}

func (sh *shell) ciliumStatus(v agent.View) string {
	cidr, used, size := v.IPAM()
	ipam := "IPv4: not ready (no pod CIDR from cilium-operator yet)"
	if cidr != "" {
		ipam = fmt.Sprintf("IPv4: %d/%d allocated from %s", used, size, cidr)
	}
	kpr := "False"
	if sh.c.ProxyMode() == "ebpf" {
		kpr = "True   [eth0   " + sh.c.NodeIP(sh.node) + " (Direct Routing)]"
	}
	flows := strings.Count(v.Observe(agent.ObserveRequest{}), "\n")
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 1, ' ', 0)
	rows := [][2]string{
		{"KVStore:", "Disabled"},
		{"Kubernetes:", "Ok   1.32 (v1.32.4) [linux/amd64]"},
		{"Kubernetes APIs:", `["EndpointSliceOrEndpoint", "cilium/v2::CiliumClusterwideNetworkPolicy", "cilium/v2::CiliumEndpoint", "cilium/v2::CiliumNetworkPolicy", "cilium/v2::CiliumNode", "core/v1::Namespace", "core/v1::Pods", "core/v1::Service", "networking.k8s.io/v1::NetworkPolicy"]`},
		{"KubeProxyReplacement:", kpr},
		{"Host firewall:", "Disabled"},
		{"Cilium:", "Ok   1.16.5 (v1.16.5)"},
		{"NodeMonitor:", fmt.Sprintf("Listening for events on %s CPUs with 64x4096 of shared memory", sh.kubelet().Config().CPU)},
		{"Cilium health daemon:", "Ok"},
		{"IPAM:", ipam},
		{"IPv4 BIG TCP:", "Disabled"},
		{"BandwidthManager:", "Disabled"},
		{"Routing:", "Network: Tunnel [vxlan]   Host: Legacy"},
		{"Masquerading:", "IPTables [IPv4: Enabled, IPv6: Disabled]"},
		{"Global Identity Range:", "min 256, max 65535"},
		{"Hubble:", fmt.Sprintf("Ok   Current/Max Flows: %d/4095", flows)},
		{"Encryption:", "Disabled"},
	}
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\n", r[0], r[1])
	}
	w.Flush()
	return b.String()
}

// identityLabels are the stored identities' labels, by ID.
func (sh *shell) identityLabels() map[int64][]string {
	out := map[int64][]string{}
	objs, _ := sh.c.StoredObjects("ciliumidentities", "", "")
	for _, o := range objs {
		id := o.(*api.CiliumIdentity)
		n, err := strconv.ParseInt(id.Name, 10, 64)
		if err != nil {
			continue
		}
		var ls []string
		for _, k := range sortedKeys(id.SecurityLabels) {
			ls = append(ls, k+"="+id.SecurityLabels[k])
		}
		out[n] = ls
	}
	return out
}

func (sh *shell) identityList() string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 8, 3, ' ', 0)
	fmt.Fprintln(w, "ID\tLABELS")
	for id := cilium.IdentityHost; id <= cilium.IdentityIngress; id++ {
		fmt.Fprintf(w, "%d\treserved:%s\n", id, id.String())
	}
	labels := sh.identityLabels()
	var ids []int64
	for id := range labels {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		ls := labels[id]
		if len(ls) == 0 {
			fmt.Fprintf(w, "%d\t\n", id)
			continue
		}
		fmt.Fprintf(w, "%d\t%s\n", id, ls[0])
		for _, l := range ls[1:] {
			fmt.Fprintf(w, "\t%s\n", l)
		}
	}
	w.Flush()
	return b.String()
}

func (sh *shell) endpointList(v agent.View) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 8, 3, ' ', 0)
	fmt.Fprintln(w, "ENDPOINT\tPOLICY (ingress)\tPOLICY (egress)\tIDENTITY\tLABELS (source:key[=value])\tIPv6\tIPv4\tSTATUS")
	fmt.Fprintln(w, "\tENFORCEMENT\tENFORCEMENT\t\t\t\t\t")
	labels := sh.identityLabels()
	for _, ep := range v.Endpoints() {
		ls := labels[ep.Identity]
		if len(ls) == 0 {
			ls = []string{""}
		}
		in, eg := v.Enforced(labels[ep.Identity])
		fmt.Fprintf(w, "%d\t%s\t%s\t%d\t%s\t\t%s\tready\n", ep.ID, enforcement(in), enforcement(eg), ep.Identity, ls[0], ep.IPv4)
		for _, l := range ls[1:] {
			fmt.Fprintf(w, "\t\t\t\t%s\t\t\t\n", l)
		}
	}
	w.Flush()
	return b.String()
}

func (sh *shell) hubble(args []string) Result {
	if len(args) == 0 || args[0] != "observe" {
		return fail(1, "hubble: this shell knows: hubble observe [--pod NS/NAME] [--from-pod ..] [--to-pod ..] [--namespace NS] [--verdict DROPPED] [--last N]")
	}
	v, up := sh.agentView()
	if !up {
		return fail(1, "failed to connect to 'unix:///var/run/cilium/hubble.sock': connection error: desc = \"transport: error while dialing: dial unix /var/run/cilium/hubble.sock: connect: connection refused\"")
	}
	var req agent.ObserveRequest
	for i := 1; i < len(args); i++ {
		a := args[i]
		name, val, has := strings.Cut(a, "=")
		if !has && i+1 < len(args) && a != "-f" && a != "--follow" {
			val = args[i+1]
			i++
		}
		switch name {
		case "--pod":
			req.Pod = val
		case "--from-pod":
			req.FromPod = val
		case "--to-pod":
			req.ToPod = val
		case "--namespace", "-n":
			req.Namespace = val
		case "--verdict":
			req.Verdict = cilium.Verdict(val)
		case "--last":
			n, err := strconv.Atoi(val)
			if err != nil {
				return fail(1, "invalid argument %q for \"--last\" flag", val)
			}
			req.Last = n
		case "-f", "--follow":
		default:
			return fail(1, "unknown flag: %s", name)
		}
	}
	return ok(v.Observe(req))
}

func (sh *shell) ip(args []string) Result {
	if len(args) == 0 {
		return fail(1, "Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }")
	}
	obj := args[0]
	switch {
	case strings.HasPrefix("addr", obj) || strings.HasPrefix("address", obj) || obj == "a":
		return ok(sh.ipAddr())
	case strings.HasPrefix("route", obj) || obj == "r":
		return ok(sh.ipRoute())
	}
	return fail(255, "Object \"%s\" is unknown, try \"ip help\".", obj)
}

// mac makes a locally administered MAC address from a seed string.
func mac(seed string) string {
	h := uint32(2166136261)
	for i := 0; i < len(seed); i++ {
		h = (h ^ uint32(seed[i])) * 16777619
	}
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", 0x02|byte(h>>24)&0xfc, byte(h>>16), byte(h>>8), byte(h), byte(h>>4), byte(h>>12))
}

func (sh *shell) ipAddr() string {
	ip := sh.c.NodeIP(sh.node)
	var b strings.Builder
	b.WriteString("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n")
	b.WriteString("    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n")
	fmt.Fprintf(&b, "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default\n    link/ether %s brd ff:ff:ff:ff:ff:ff\n", mac(sh.node+"/eth0"))
	fmt.Fprintf(&b, "    inet %s/16 brd 172.18.255.255 scope global eth0\n       valid_lft forever preferred_lft forever\n", ip)
	v, up := sh.agentView()
	if !up || v.Router() == "" {
		return b.String()
	}
	fmt.Fprintf(&b, "3: cilium_net@cilium_host: <BROADCAST,MULTICAST,NOARP,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000\n    link/ether %s brd ff:ff:ff:ff:ff:ff\n", mac(sh.node+"/cilium_net"))
	fmt.Fprintf(&b, "4: cilium_host@cilium_net: <BROADCAST,MULTICAST,NOARP,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000\n    link/ether %s brd ff:ff:ff:ff:ff:ff\n", mac(sh.node+"/cilium_host"))
	fmt.Fprintf(&b, "    inet %s/32 scope global cilium_host\n       valid_lft forever preferred_lft forever\n", v.Router())
	fmt.Fprintf(&b, "5: cilium_vxlan: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UNKNOWN group default qlen 1000\n    link/ether %s brd ff:ff:ff:ff:ff:ff\n", mac(sh.node+"/cilium_vxlan"))
	n := 6
	for _, ep := range v.Endpoints() {
		fmt.Fprintf(&b, "%d: lxc%04x@if%d: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000\n    link/ether %s brd ff:ff:ff:ff:ff:ff link-netns cni-%04x\n",
			n, ep.ID, n+1, mac(ep.Pod), ep.ID)
		n += 2
	}
	return b.String()
}

func (sh *shell) ipRoute() string {
	ip := sh.c.NodeIP(sh.node)
	var b strings.Builder
	b.WriteString("default via 172.18.0.1 dev eth0\n")
	v, up := sh.agentView()
	if up && v.Router() != "" {
		router := v.Router()
		cidrs := map[string]string{}
		objs, _ := sh.c.StoredObjects("ciliumnodes", "", "")
		for _, o := range objs {
			cn := o.(*api.CiliumNode)
			for _, c := range cn.Spec.IPAM.PodCIDRs {
				cidrs[c] = cn.Name
			}
		}
		keys := sortedKeys(cidrs)
		sort.Slice(keys, func(i, j int) bool {
			a, _ := netip.ParsePrefix(keys[i])
			c, _ := netip.ParsePrefix(keys[j])
			return a.Addr().Less(c.Addr())
		})
		for _, c := range keys {
			if cidrs[c] == sh.node {
				fmt.Fprintf(&b, "%s via %s dev cilium_host proto kernel src %s\n", c, router, router)
				fmt.Fprintf(&b, "%s dev cilium_host proto kernel scope link\n", router)
			} else {
				fmt.Fprintf(&b, "%s via %s dev cilium_host proto kernel src %s mtu 1450\n", c, router, router)
			}
		}
	}
	fmt.Fprintf(&b, "172.18.0.0/16 dev eth0 proto kernel scope link src %s\n", ip)
	return b.String()
}

// kubectl on the node: the kubeconfig (--kubeconfig, $KUBECONFIG is not
// read, else ~/.kube/config) names the API server; the command answers
// like kubectl when that server is down or the file missing, and reads the
// cluster out of band (package views) when it is up.
func (sh *shell) kubectl(args []string) Result {
	kubeconfig := Home + "/.kube/config"
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--kubeconfig" && i+1 < len(args):
			kubeconfig = abs(sh.cwd, args[i+1])
			i++
		case strings.HasPrefix(a, "--kubeconfig="):
			kubeconfig = abs(sh.cwd, strings.TrimPrefix(a, "--kubeconfig="))
		default:
			rest = append(rest, a)
		}
	}
	d := sh.fs()
	data, err := d.ReadFile(kubeconfig)
	if err != nil {
		if kubeconfig != Home+"/.kube/config" {
			return fail(1, "error: stat %s: no such file or directory", kubeconfig)
		}
		return fail(1, "E0101 00:00:00.000000    1234 memcache.go] \"Unhandled Error\" err=\"couldn't get current server API group list: Get \\\"http://localhost:8080/api?timeout=32s\\\": dial tcp 127.0.0.1:8080: connect: connection refused\"\nThe connection to the server localhost:8080 was refused - did you specify the right host or port?")
	}
	server := ""
	for _, l := range lines(string(data)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "server: "); ok {
			server = v
		}
	}
	hostPort := strings.TrimPrefix(server, "https://")
	up := false
	for i, n := range sh.c.NodeNames() {
		if i < len(sh.c.APIServers) && hostPort == sh.c.NodeIP(n)+":6443" {
			up = sh.c.K.Running(sh.c.APIServers[i])
		}
	}
	if !up {
		return fail(1, "The connection to the server %s was refused - did you specify the right host or port?", hostPort)
	}
	line := strings.Join(rest, " ")
	if !views.IsView(line) || len(rest) == 0 || (rest[0] != "get" && rest[0] != "describe" && rest[0] != "events" && rest[0] != "logs") {
		return fail(1, "kubectl on the node answers get, describe and events here; run other kubectl commands with the real kubectl against kubesim serve")
	}
	var b bytes.Buffer
	if err := views.Exec(views.Context{Cluster: sh.c}, line, &b); err != nil {
		return Result{Stdout: b.String(), Stderr: err.Error() + "\n", Code: 1}
	}
	return ok(b.String())
}

func enforcement(on bool) string {
	if on {
		return "Enabled"
	}
	return "Disabled"
}
