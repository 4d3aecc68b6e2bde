package chaos

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/datapath"
	"github.com/kubesim/kubesim/components/kubelet"
	"github.com/kubesim/kubesim/components/proxy"
	"github.com/kubesim/kubesim/components/scheduler/framework"
	"github.com/kubesim/kubesim/scenarios/drill"
	"github.com/kubesim/kubesim/sim/cluster"
)

// checker reads the cluster's state out of band — etcd's data, the
// kubelets' runtimes, the nodes' programmed rules, the kernel — between
// kernel steps: no message, timer or random draw is spent. Only probes()
// acts, as a client would: it runs nslookup and curl from the client pod.
type checker struct {
	c    *cluster.Cluster
	plan *Plan
}

func tr(en, ko string, args ...any) drill.Text {
	return drill.Text{En: fmt.Sprintf(en, args...), Ko: fmt.Sprintf(ko, args...)}
}

// maxShown bounds the offenders a failed check names.
const maxShown = 3

// shown joins the first offenders (sorted by their English text), and
// says how many more there are.
func shown(list []drill.Text) drill.Text {
	sort.Slice(list, func(i, j int) bool { return list[i].En < list[j].En })
	var en, ko []string
	for i, t := range list {
		if i == maxShown {
			break
		}
		en, ko = append(en, t.En), append(ko, t.Ko)
	}
	out := drill.Text{En: strings.Join(en, "; "), Ko: strings.Join(ko, "; ")}
	if n := len(list) - maxShown; n > 0 {
		out.En += fmt.Sprintf("; and %d more", n)
		out.Ko += fmt.Sprintf("; 그 밖에 %d개", n)
	}
	return out
}

func verdict(name drill.Text, bad []drill.Text, okEn, okKo string) Check {
	if len(bad) == 0 {
		return Check{Name: name, Passed: true, Detail: drill.Text{En: okEn, Ko: okKo}}
	}
	return Check{Name: name, Detail: shown(bad)}
}

// outOfBand are the invariants read without acting on the cluster.
func (ck *checker) outOfBand() []Check {
	return []Check{ck.healed(), ck.converged(), ck.settled(), ck.oneNode(), ck.podIPs(), ck.clusterIPs(), ck.slices(), ck.rules(), ck.notOvercommitted()}
}

func (ck *checker) pods(ns string) []*api.Pod {
	objs, _ := ck.c.StoredObjects("pods", ns, "")
	out := make([]*api.Pod, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.(*api.Pod))
	}
	return out
}

func (ck *checker) services() []*api.Service {
	objs, _ := ck.c.StoredObjects("services", "", "")
	out := make([]*api.Service, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.(*api.Service))
	}
	return out
}

// healed: every node is powered on and no link is cut.
func (ck *checker) healed() Check {
	var bad []drill.Text
	for _, n := range ck.c.K.Nodes() {
		if ck.c.K.NodeDown(n.Name) {
			bad = append(bad, tr("node %s is powered off", "노드 %s의 전원이 꺼져 있습니다", n.Name))
		}
	}
	for _, l := range ck.c.K.Links() {
		bad = append(bad, tr("link %s <-> %s is cut", "%s <-> %s 연결이 끊겨 있습니다", l[0], l[1]))
	}
	return verdict(drill.Text{En: "everything is healed", Ko: "모두 복구됨"}, bad,
		"every node is powered on, no link is cut", "모든 노드의 전원이 켜져 있고 끊긴 연결이 없습니다")
}

func podRunningReady(p *api.Pod) bool {
	if p.DeletionTimestamp != nil || p.Status.Phase != api.PodRunning {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == api.PodReady {
			return c.Status == api.ConditionTrue
		}
	}
	return false
}

// converged: every Deployment of the workload has its replicas, all
// updated and ready, and as many Running pods, and the client pod runs.
func (ck *checker) converged() Check {
	var bad []drill.Text
	var good []string
	pods := ck.pods("default")
	for _, d := range ck.plan.Workload {
		obj, err := ck.c.StoredObject("deployments", "default", d.Name)
		if err != nil {
			bad = append(bad, tr("deployment/%s: %v", "deployment/%s: %v", d.Name, err))
			continue
		}
		dep := obj.(*api.Deployment)
		running := 0
		for _, p := range pods {
			if p.Labels["app"] == d.Name && podRunningReady(p) {
				running++
			}
		}
		st := dep.Status
		if st.ObservedGeneration < dep.Generation || int(st.ReadyReplicas) != d.Replicas || int(st.UpdatedReplicas) != d.Replicas ||
			int(st.Replicas) != d.Replicas || running != d.Replicas {
			bad = append(bad, tr("deployment/%s wants %d: status %d replicas, %d updated, %d ready; %d pods Running and Ready",
				"deployment/%s는 %d개를 원합니다: status는 레플리카 %d, 업데이트 %d, 준비 %d; Running이고 Ready인 파드 %d개",
				d.Name, d.Replicas, st.Replicas, st.UpdatedReplicas, st.ReadyReplicas, running))
			continue
		}
		good = append(good, fmt.Sprintf("%s %d/%d", d.Name, running, d.Replicas))
	}
	client := false
	for _, p := range pods {
		if p.Name == ClientPod && podRunningReady(p) {
			client = true
		}
	}
	if !client {
		bad = append(bad, tr("pod/client is not Running and Ready", "pod/client가 Running이고 Ready가 아닙니다"))
	}
	ok := strings.Join(good, ", ")
	return verdict(drill.Text{En: "Deployments converge", Ko: "Deployment 수렴"}, bad,
		ok+" ready, pod/client Running", ok+" 준비됨, pod/client Running")
}

// settled: kube-system has come to rest (cluster.Settled: every node
// Ready, every add-on's replicas ready and its programs on their pods'
// nodes).
func (ck *checker) settled() Check {
	var bad []drill.Text
	if !ck.c.Settled() {
		for _, p := range ck.pods("kube-system") {
			if p.DeletionTimestamp != nil || p.Status.Phase != api.PodRunning {
				bad = append(bad, tr("pod kube-system/%s is %s", "파드 kube-system/%s는 %s입니다", p.Name, p.Status.Phase))
			}
		}
		nodes, _ := ck.c.StoredObjects("nodes", "", "")
		for _, o := range nodes {
			n := o.(*api.Node)
			ready := false
			for _, c := range n.Status.Conditions {
				if c.Type == api.NodeReady && c.Status == api.ConditionTrue {
					ready = true
				}
			}
			if !ready {
				bad = append(bad, tr("node %s is not Ready", "노드 %s가 Ready가 아닙니다", n.Name))
			}
		}
		// The add-ons' programs follow their pods (package cluster's
		// programs): a Running pod whose program is not running on its
		// node is what a crashed agent left behind.
		for _, p := range ck.pods("kube-system") {
			if p.DeletionTimestamp != nil || p.Status.Phase != api.PodRunning {
				continue
			}
			var actor string
			switch p.Labels["k8s-app"] {
			case "kube-proxy":
				actor = "kube-proxy-" + p.Spec.NodeName
			case "cilium":
				actor = "cilium-agent-" + p.Spec.NodeName
			case "kube-dns":
				actor = p.Name
			}
			if actor != "" && !ck.c.K.Running(actor) {
				bad = append(bad, tr("pod kube-system/%s is Running but %s is not", "파드 kube-system/%s는 Running이지만 %s는 실행 중이 아닙니다", p.Name, actor))
			}
		}
		if len(bad) == 0 {
			bad = append(bad, tr("a kube-system Deployment or DaemonSet does not have all its replicas ready, or cilium-operator does not run on its pod's node",
				"kube-system의 Deployment나 DaemonSet의 레플리카가 모두 준비되지 않았거나, cilium-operator가 파드의 노드에서 돌지 않습니다"))
		}
	}
	return verdict(drill.Text{En: "kube-system settles", Ko: "kube-system 안정"}, bad,
		"every node Ready, every kube-system pod Running with its program", "모든 노드 Ready, 모든 kube-system 파드가 프로그램과 함께 Running")
}

// oneNode: a pod's containers run on one node only, the node it is bound
// to, and only while the pod exists. Read from every kubelet's container
// runtime (crictl pods), not from the API: this is where a pod that two
// nodes run would show.
func (ck *checker) oneNode() Check {
	bound := map[string]*api.Pod{}
	for _, p := range ck.pods("") {
		bound[string(p.UID)] = p
	}
	on := map[string][]string{}
	var uids []string
	for _, kl := range ck.c.Kubelets {
		node := kl.Config().Node
		if ck.c.K.NodeDown(node) {
			continue
		}
		for _, sb := range kl.Sandboxes() {
			if sb.Static || !slices.ContainsFunc(sb.Containers, func(c kubelet.Container) bool { return c.Running }) {
				continue
			}
			if _, seen := on[sb.UID]; !seen {
				uids = append(uids, sb.UID)
			}
			on[sb.UID] = append(on[sb.UID], node+" ("+sb.Namespace+"/"+sb.Name+")")
		}
	}
	var bad []drill.Text
	for _, uid := range uids {
		nodes := on[uid]
		p := bound[uid]
		switch {
		case len(nodes) > 1:
			bad = append(bad, tr("pod uid %s runs on %d nodes: %s", "파드 uid %s가 노드 %d개에서 돕니다: %s", uid, len(nodes), strings.Join(nodes, ", ")))
		case p == nil:
			bad = append(bad, tr("containers of a pod that no longer exists run on %s", "더 이상 없는 파드의 컨테이너가 %s에서 돕니다", nodes[0]))
		case !strings.HasPrefix(nodes[0], p.Spec.NodeName+" "):
			bad = append(bad, tr("pod %s/%s is bound to %s but runs on %s", "파드 %s/%s는 %s에 바인딩됐지만 %s에서 돕니다", p.Namespace, p.Name, p.Spec.NodeName, nodes[0]))
		}
	}
	return verdict(drill.Text{En: "no pod runs on two nodes", Ko: "두 노드에서 도는 파드 없음"}, bad,
		fmt.Sprintf("%d pods run, each on the node it is bound to", len(uids)), fmt.Sprintf("파드 %d개가 각자 바인딩된 노드에서만 실행됩니다", len(uids)))
}

// podIPs: no two live pods (not host-network, not finished) share an
// address, in the API or in the runtimes' sandboxes.
func (ck *checker) podIPs() Check {
	holders := map[string][]string{}
	var ips []string
	hold := func(ip, who string) {
		if ip == "" {
			return
		}
		if _, seen := holders[ip]; !seen {
			ips = append(ips, ip)
		}
		if !slices.Contains(holders[ip], who) {
			holders[ip] = append(holders[ip], who)
		}
	}
	for _, p := range ck.pods("") {
		if p.Spec.HostNetwork || p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed {
			continue
		}
		hold(p.Status.PodIP, p.Namespace+"/"+p.Name)
	}
	for _, kl := range ck.c.Kubelets {
		if ck.c.K.NodeDown(kl.Config().Node) {
			continue
		}
		for _, sb := range kl.Sandboxes() {
			if sb.HostNetwork || !slices.ContainsFunc(sb.Containers, func(c kubelet.Container) bool { return c.Running }) {
				continue
			}
			hold(sb.IP, sb.Namespace+"/"+sb.Name)
		}
	}
	var bad []drill.Text
	for _, ip := range ips {
		if len(holders[ip]) > 1 {
			bad = append(bad, tr("%s is held by %s", "%s를 %s가 함께 씁니다", ip, strings.Join(holders[ip], " and ")))
		}
	}
	return verdict(drill.Text{En: "pod IPs are unique", Ko: "파드 IP 고유"}, bad,
		fmt.Sprintf("%d addresses, one pod each", len(ips)), fmt.Sprintf("주소 %d개, 각각 파드 하나", len(ips)))
}

// notOvercommitted: on no node do the pods bound there (being deleted
// included: they hold their room until gone, which is what preemption
// waits for) request more cpu or memory than the node's allocatable.
func (ck *checker) notOvercommitted() Check {
	used := map[string]*framework.Resource{}
	for _, p := range ck.pods("") {
		if p.Spec.NodeName == "" || p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed {
			continue
		}
		r := framework.ComputePodRequests(p, framework.PodRequestsOptions{})
		if used[p.Spec.NodeName] == nil {
			used[p.Spec.NodeName] = &framework.Resource{}
		}
		used[p.Spec.NodeName].MilliCPU += r.MilliCPU
		used[p.Spec.NodeName].Memory += r.Memory
	}
	objs, _ := ck.c.StoredObjects("nodes", "", "")
	var bad []drill.Text
	for _, o := range objs {
		n := o.(*api.Node)
		u, alloc := used[n.Name], framework.NewResource(n.Status.Allocatable)
		if u == nil {
			continue
		}
		if u.MilliCPU > alloc.MilliCPU || u.Memory > alloc.Memory {
			bad = append(bad, tr("%s: pods request %dm cpu and %d bytes, allocatable is %dm and %d", "%s: 파드 요청 cpu %dm, 메모리 %d바이트, allocatable은 %dm, %d",
				n.Name, u.MilliCPU, u.Memory, alloc.MilliCPU, alloc.Memory))
		}
	}
	return verdict(drill.Text{En: "no node is overcommitted", Ko: "과할당된 노드 없음"}, bad,
		fmt.Sprintf("%d nodes within their allocatable", len(objs)), fmt.Sprintf("노드 %d개 모두 allocatable 이내", len(objs)))
}

// clusterIPs: no two Services share a ClusterIP.
func (ck *checker) clusterIPs() Check {
	holders := map[string][]string{}
	var ips []string
	for _, s := range ck.services() {
		ip := s.Spec.ClusterIP
		if ip == "" || ip == "None" {
			continue
		}
		if _, seen := holders[ip]; !seen {
			ips = append(ips, ip)
		}
		holders[ip] = append(holders[ip], s.Namespace+"/"+s.Name)
	}
	var bad []drill.Text
	for _, ip := range ips {
		if len(holders[ip]) > 1 {
			bad = append(bad, tr("%s is the ClusterIP of %s", "%s는 %s의 ClusterIP입니다", ip, strings.Join(holders[ip], " and ")))
		}
	}
	return verdict(drill.Text{En: "ClusterIPs are unique", Ko: "ClusterIP 고유"}, bad,
		fmt.Sprintf("%d Services, %d ClusterIPs", len(ips), len(ips)), fmt.Sprintf("Service %d개, ClusterIP %d개", len(ips), len(ips)))
}

// slices: for every Service with a selector, its EndpointSlices hold, as
// ready endpoints, exactly the addresses of the Ready pods it selects, and
// no endpoint of another address.
func (ck *checker) slices() Check {
	pods := ck.pods("")
	objs, _ := ck.c.StoredObjects("endpointslices", "", "")
	var bad []drill.Text
	n := 0
	for _, svc := range ck.services() {
		if len(svc.Spec.Selector) == 0 {
			continue
		}
		n++
		sel := api.SelectorFromSet(svc.Spec.Selector)
		var want []string
		for _, p := range pods {
			if p.Namespace == svc.Namespace && sel.Matches(p.Labels) && podRunningReady(p) && p.Status.PodIP != "" {
				want = append(want, p.Status.PodIP)
			}
		}
		var ready, other []string
		for _, o := range objs {
			es := o.(*api.EndpointSlice)
			if es.Namespace != svc.Namespace || es.Labels[api.LabelServiceName] != svc.Name {
				continue
			}
			for _, ep := range es.Endpoints {
				if len(ep.Addresses) == 0 {
					continue
				}
				if ep.Conditions.Ready == nil || *ep.Conditions.Ready {
					ready = append(ready, ep.Addresses[0])
				} else {
					other = append(other, ep.Addresses[0])
				}
			}
		}
		sort.Strings(want)
		sort.Strings(ready)
		if !slices.Equal(want, ready) {
			bad = append(bad, tr("service %s/%s: its Ready pods are [%s], its EndpointSlices' ready endpoints [%s]",
				"service %s/%s: Ready 파드는 [%s], EndpointSlice의 ready 엔드포인트는 [%s]",
				svc.Namespace, svc.Name, strings.Join(want, " "), strings.Join(ready, " ")))
		}
		for _, ip := range other {
			if !slices.ContainsFunc(pods, func(p *api.Pod) bool {
				return p.Namespace == svc.Namespace && sel.Matches(p.Labels) && p.Status.PodIP == ip
			}) {
				bad = append(bad, tr("service %s/%s: EndpointSlice endpoint %s is no pod of the Service", "service %s/%s: EndpointSlice 엔드포인트 %s는 이 Service의 파드가 아닙니다", svc.Namespace, svc.Name, ip))
			}
		}
	}
	return verdict(drill.Text{En: "EndpointSlices match the Services", Ko: "EndpointSlice가 Service와 일치"}, bad,
		fmt.Sprintf("%d Services with selectors, each sliced to its Ready pods", n), fmt.Sprintf("셀렉터가 있는 Service %d개, 각각 Ready 파드로 구성된 슬라이스", n))
}

// rules: every node's programmed rules are what kube-proxy's rules for
// the cluster's Services and EndpointSlices in etcd are: a proxier with
// the node's configuration is fed them and synced, and its iptables-save
// is compared with the node's, line for line.
func (ck *checker) rules() Check {
	svcs, _ := ck.c.StoredObjects("services", "", "")
	slcs, _ := ck.c.StoredObjects("endpointslices", "", "")
	var bad []drill.Text
	nodes := ck.c.NodeNames()
	for _, node := range nodes {
		rules, _ := ck.c.Inspect(datapath.NodeName(node)).(*datapath.Rules)
		if rules == nil {
			bad = append(bad, tr("node %s: its kernel is not running", "노드 %s: 커널이 돌고 있지 않습니다", node))
			continue
		}
		prog := rules.Program()
		if prog.Proxier == nil || prog.Proxier.Rules() == nil {
			bad = append(bad, tr("node %s: kube-proxy has programmed no iptables rules", "노드 %s: kube-proxy가 iptables 규칙을 하나도 만들지 않았습니다", node))
			continue
		}
		cfg := prog.Proxier.Config()
		cfg.Rules = nil
		want := proxy.NewProxier(cfg)
		for _, o := range svcs {
			want.UpsertService(o.(*api.Service))
		}
		for _, o := range slcs {
			want.UpsertEndpointSlice(o.(*api.EndpointSlice))
		}
		if diff := firstDiff(want.Sync().String(), prog.Proxier.Rules().String()); diff.En != "" {
			bad = append(bad, drill.Text{En: "node " + node + ": " + diff.En, Ko: "노드 " + node + ": " + diff.Ko})
		}
	}
	return verdict(drill.Text{En: "every node's rules match the Services", Ko: "모든 노드의 규칙이 Service와 일치"}, bad,
		fmt.Sprintf("%d nodes' iptables rules are what the %d Services and %d EndpointSlices call for", len(nodes), len(svcs), len(slcs)),
		fmt.Sprintf("노드 %d개의 iptables 규칙이 Service %d개와 EndpointSlice %d개가 요구하는 그대로입니다", len(nodes), len(svcs), len(slcs)))
}

// firstDiff names the first line where the node's rules differ from the
// expected ones (nothing if they are the same).
func firstDiff(want, got string) drill.Text {
	if want == got {
		return drill.Text{}
	}
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return tr("rule %d is %q, expected %q (stale rules)", "규칙 %d는 %q인데, 기대한 것은 %q입니다 (낡은 규칙)", i+1, gl, wl)
		}
	}
	return tr("the rules differ", "규칙이 다릅니다")
}

// probes: from the client pod, every Service of the workload resolves to
// its ClusterIP (nslookup of its full name), and curl reaches one of its
// Ready pods.
func (ck *checker) probes() []Check {
	prober := ck.c.Prober()
	pods := ck.pods("default")
	var dnsBad, curlBad []drill.Text
	for _, d := range ck.plan.Workload {
		obj, err := ck.c.StoredObject("services", "default", d.Name)
		if err != nil {
			dnsBad = append(dnsBad, tr("service/%s: %v", "service/%s: %v", d.Name, err))
			continue
		}
		svc := obj.(*api.Service)
		fqdn := d.Name + ".default.svc.cluster.local"
		r := prober.Nslookup("default/"+ClientPod, fqdn)
		var got []string
		if r.Lookup != nil {
			for _, a := range r.Lookup.Addrs() {
				got = append(got, a.String())
			}
		}
		if r.ExitCode != 0 || !slices.Equal(got, []string{svc.Spec.ClusterIP}) {
			dnsBad = append(dnsBad, tr("nslookup %s answered [%s] (exit %d), expected [%s]", "nslookup %s의 응답은 [%s] (종료 코드 %d), 기대한 것은 [%s]", fqdn, strings.Join(got, " "), r.ExitCode, svc.Spec.ClusterIP))
		}
		r = prober.Curl("default/"+ClientPod, fmt.Sprintf("%s:%d", d.Name, d.Port))
		server := strings.TrimPrefix(r.Server, "default/")
		ok := r.ExitCode == 0 && slices.ContainsFunc(pods, func(p *api.Pod) bool {
			return p.Name == server && p.Labels["app"] == d.Name && podRunningReady(p)
		})
		if !ok {
			curlBad = append(curlBad, tr("curl %s:%d exited %d, answered by %q", "curl %s:%d 종료 코드 %d, 응답한 파드 %q", d.Name, d.Port, r.ExitCode, r.Server))
		}
	}
	n := len(ck.plan.Workload)
	return []Check{
		verdict(drill.Text{En: "DNS answers match", Ko: "DNS 응답 일치"}, dnsBad,
			fmt.Sprintf("%d Services resolve to their ClusterIPs", n), fmt.Sprintf("Service %d개가 각자의 ClusterIP로 해석됩니다", n)),
		verdict(drill.Text{En: "Services answer", Ko: "Service 응답"}, curlBad,
			fmt.Sprintf("curl reaches a Ready pod of each of the %d Services", n), fmt.Sprintf("curl이 Service %d개 각각의 Ready 파드에 닿습니다", n)),
	}
}
