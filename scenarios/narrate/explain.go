package narrate

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kubesim/kubesim/components/controllers"
	"github.com/kubesim/kubesim/components/scheduler"
	"github.com/kubesim/kubesim/components/scheduler/plugins"
)

// Placement is where a component runs in a real cluster, as DESIGN.md's
// table of components says it.
type Placement int

// Placements.
const (
	// ControlPlane: on the control-plane nodes (kubeadm's static pods).
	ControlPlane Placement = iota
	// EveryNode: one per node, as a DaemonSet pod or the node's own agent.
	EveryNode
	// KubeSystem: the pods of a Deployment in kube-system, wherever the
	// scheduler put them.
	KubeSystem
)

// Component is one row of the table of components kubesim runs: the seven
// of the documented flows, then the agents they need.
type Component struct {
	// Name is the component as actors carry it (sim.ActorSpec.Component)
	// and as `kubesim explain` takes it.
	Name string
	// Title is the component as people write it ("CoreDNS").
	Title string
	// Role is its job in one line.
	Role Text
	// RunsAs says where a real cluster runs it; Where is the same as data.
	RunsAs Text
	Where  Placement
}

// Table is the table of components, in the order DESIGN.md lists them.
func Table() []Component {
	cp := Text{En: "Control Plane", Ko: "컨트롤 플레인"}
	ds := Text{En: "every node (DaemonSet)", Ko: "모든 노드 (DaemonSet)"}
	ks := Text{En: "kube-system namespace", Ko: "kube-system 네임스페이스"}
	node := Text{En: "every node", Ko: "모든 노드"}
	return []Component{
		{"kube-apiserver", "kube-apiserver", Text{En: "the only entry point; authn, authz, admission, validation, storage", Ko: "유일한 진입점: 인증, 인가, 어드미션, 검증, 저장"}, cp, ControlPlane},
		{"etcd", "etcd", Text{En: "the cluster's key-value state, MVCC, watch; a raft quorum", Ko: "클러스터 상태 저장소: MVCC, watch, raft 쿼럼"}, cp, ControlPlane},
		{"kube-controller-manager", "kube-controller-manager", Text{En: "control loops that keep the desired state (one leader)", Ko: "원하는 상태를 유지하는 제어 루프 (리더 하나)"}, cp, ControlPlane},
		{"kube-scheduler", "kube-scheduler", Text{En: "places Pending pods on nodes: filter, score, bind (one leader)", Ko: "Pending 파드를 노드에 배치: 필터, 점수, 바인딩 (리더 하나)"}, cp, ControlPlane},
		{"kube-proxy", "kube-proxy", Text{En: "Service -> Pod routing rules on its node", Ko: "자기 노드의 Service -> Pod 라우팅 규칙"}, ds, EveryNode},
		{"coredns", "CoreDNS", Text{En: "cluster DNS behind the kube-dns Service", Ko: "kube-dns Service 뒤의 클러스터 DNS"}, ks, KubeSystem},
		{"cilium", "Cilium", Text{En: "CNI agent: pod IPs, interfaces, identities, network policy, Hubble", Ko: "CNI 에이전트: 파드 IP, 인터페이스, 아이덴티티, 네트워크 정책, Hubble"}, ds, EveryNode},
		{"cilium-operator", "cilium-operator", Text{En: "Cilium's cluster-wide half: per-node pod CIDRs (IPAM)", Ko: "Cilium의 클러스터 단위 부분: 노드별 파드 CIDR (IPAM)"}, Text{En: "kube-system namespace (Deployment)", Ko: "kube-system 네임스페이스 (Deployment)"}, KubeSystem},
		{"kubelet", "kubelet", Text{En: "node agent: registers the node, runs its pods, reports status", Ko: "노드 에이전트: 노드 등록, 파드 실행, 상태 보고"}, node, EveryNode},
		{"containerd", "containerd", Text{En: "container runtime under the kubelet: sandboxes, images, containers", Ko: "kubelet 아래의 컨테이너 런타임: 샌드박스, 이미지, 컨테이너"}, node, EveryNode},
	}
}

// explanation is what `kubesim explain` prints for a component: what the
// real component does, what kubesim runs of it today, and the walkthrough
// that shows it.
type explanation struct {
	name        string
	walkthrough string
	text        func() Text
}

// explainedWith names the explanation that also covers a component of the
// table without one of its own.
var explainedWith = map[string]string{"cilium-operator": "cilium", "containerd": "kubelet"}

var explanations = []explanation{
	{"kube-apiserver", "walkthrough-kube-apiserver", func() Text {
		return Text{
			En: `Every request walks the same pipeline: authentication (who is calling?), authorization (RBAC: may they?),
defaulting and mutating admission, validation, then storage in etcd. resourceVersion is the etcd revision of
the last write; an update with a stale one gets 409 Conflict. A watch cache keeps every object in memory and
fans each change out to every watcher. Each apiserver works alone; they share only etcd.
In kubesim today: components/apiserver, one actor per control-plane node (kube-apiserver-<node>): static and
service-account token authentication, RBAC, admission (NamespaceLifecycle, ServiceAccount,
DefaultTolerationSeconds), validation, etcd transactions and the watch cache, with the real error texts; the
real kubectl reaches it through kubesim serve. Simplified: RBAC is the only authorizer (no Node authorizer),
and service account tokens are opaque strings, not signed JWTs.`,
			Ko: `모든 요청은 같은 파이프라인을 거칩니다: 인증(누가 호출하는가?), 인가(RBAC: 허용되는가?), 기본값 설정과
변경(mutating) 어드미션, 검증, 그리고 etcd에 저장. resourceVersion은 마지막 쓰기의 etcd revision이며, 오래된 값으로
업데이트하면 409 Conflict가 납니다. watch 캐시가 모든 객체를 메모리에 두고 변경을 모든 watcher에게 전달합니다.
apiserver들은 각자 독립적으로 동작하며 etcd만 공유합니다.
kubesim에서 지금 실행되는 것: components/apiserver, 컨트롤 플레인 노드마다 액터 하나(kube-apiserver-<노드>): 정적 토큰과
서비스 어카운트 토큰 인증, RBAC, 어드미션(NamespaceLifecycle, ServiceAccount, DefaultTolerationSeconds), 검증,
etcd 트랜잭션과 watch 캐시, 실제와 같은 오류 문구. 실제 kubectl은 kubesim serve로 접속합니다. 단순화한 점: 인가는
RBAC뿐이고(Node authorizer 없음), 서비스 어카운트 토큰은 서명된 JWT가 아니라 불투명한 문자열입니다.`}
	}},
	{"etcd", "walkthrough-etcd", func() Text {
		return Text{
			En: `Keys are /registry/<resource>/<namespace>/<name>. Every write bumps the store revision by one; a watch from
a revision delivers every later change exactly once. Compaction drops old history (a watch from before it fails
with "mvcc: required revision has been compacted"). Writes commit on a majority of the members: 3 members
survive 1 failure, 5 survive 2; without a quorum writes fail with "etcdserver: request timed out".
In kubesim today: components/etcd, one member per control-plane node (etcd-<node>, stacked as kubeadm lays it
out) in one raft cluster (go.etcd.io/raft), each over components/etcd/mvcc: revisions, a btree key index as in
etcd, range, transactions, watch, compaction, leases, and etcdctl snapshot save and restore.`,
			Ko: `키는 /registry/<리소스>/<네임스페이스>/<이름> 형식입니다. 쓰기마다 저장소 revision이 1 증가하고, 특정
revision부터의 watch는 이후 모든 변경을 정확히 한 번 전달합니다. 컴팩션은 오래된 이력을 지웁니다(그 이전부터의 watch는
"mvcc: required revision has been compacted"로 실패). 쓰기는 멤버 과반수에 커밋됩니다: 3개 멤버는 1개, 5개 멤버는
2개의 장애를 견디며, 쿼럼이 없으면 쓰기는 "etcdserver: request timed out"으로 실패합니다.
kubesim에서 지금 실행되는 것: components/etcd, 컨트롤 플레인 노드마다 멤버 하나(etcd-<노드>, kubeadm의 stacked 구성)가
하나의 raft 클러스터(go.etcd.io/raft)를 이루고, 각자 components/etcd/mvcc 위에서 동작합니다: revision, etcd와 같은
btree 키 인덱스, range, 트랜잭션, watch, 컴팩션, lease, etcdctl snapshot save와 restore.`}
	}},
	{"kube-controller-manager", "walkthrough-kube-controller-manager", func() Text {
		names := controllerNames()
		return Text{
			En: fmt.Sprintf(`Each controller lists and watches into a local cache (an informer), queues the keys that changed, and
reconciles one key at a time from the caches — level-triggered, never trusting a single event.
In kubesim today: components/controllers, one actor per control-plane node (kube-controller-manager-<node>);
they elect a leader on the Lease kube-system/%s, and the leader runs these controllers
(their --controllers names): %s.`, controllers.LeaseName, strings.Join(names, ", ")),
			Ko: fmt.Sprintf(`각 컨트롤러는 list와 watch로 로컬 캐시(informer)를 채우고, 바뀐 키를 큐에 넣고, 캐시를 보고 키 하나씩
조정(reconcile)합니다 — 이벤트 하나를 믿지 않는 레벨 트리거 방식입니다.
kubesim에서 지금 실행되는 것: components/controllers, 컨트롤 플레인 노드마다 액터 하나(kube-controller-manager-<노드>).
Lease kube-system/%s로 리더를 뽑고, 리더가 다음 컨트롤러를 실행합니다(--controllers 이름): %s.`, controllers.LeaseName, strings.Join(names, ", ")),
		}
	}},
	{"kube-scheduler", "walkthrough-kube-scheduler", func() Text {
		ps := schedulerPlugins()
		return Text{
			En: fmt.Sprintf(`It places Pending pods on nodes: filter (which nodes can run it?), score (which is best?), then bind through
the apiserver (pods/binding). A pod it cannot place gets a FailedScheduling event such as
"0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
In kubesim today: components/scheduler, one actor per control-plane node (kube-scheduler-<node>); they elect
a leader on the Lease kube-system/%s. The default-scheduler profile runs these plugins, in order
(score weight in brackets): %s. Ties are broken by the run's seed. When no node fits, DefaultPreemption looks for nodes where evicting
lower-priority pods (PriorityClasses) makes room, sparing pods whose PodDisruptionBudget allows no disruption where it
can; it nominates the node (status.nominatedNodeName) and the victims are deleted gracefully (drill priority-preemption).`,
				scheduler.LeaseName, ps),
			Ko: fmt.Sprintf(`Pending 파드를 노드에 배치합니다: 필터(어떤 노드가 실행할 수 있나?), 점수(어디가 가장 좋은가?), 그리고
apiserver를 통한 바인딩(pods/binding). 배치할 수 없는 파드에는 "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod." 같은
FailedScheduling 이벤트가 남습니다.
kubesim에서 지금 실행되는 것: components/scheduler, 컨트롤 플레인 노드마다 액터 하나(kube-scheduler-<노드>). Lease
kube-system/%s로 리더를 뽑습니다. default-scheduler 프로파일은 다음 플러그인을 이 순서로 실행합니다(괄호 안은 점수
가중치): %s. 동점은 실행의 시드로 가립니다. 어떤 노드에도 맞지 않으면 DefaultPreemption이 더 낮은 우선순위
(PriorityClass) 파드를 축출하면 자리가 나는 노드를 찾고, 가능하면 PodDisruptionBudget이 중단을 허용하지 않는 파드는
남깁니다. 그 노드를 지명하고(status.nominatedNodeName) 희생자는 정상 종료로 삭제됩니다(드릴 priority-preemption).`,
				scheduler.LeaseName, ps),
		}
	}},
	{"kube-proxy", "walkthrough-kube-proxy", func() Text {
		return Text{
			En: `It turns Services into rules on its node: a packet to ClusterIP:port is DNATed to one ready endpoint
PodIP:port, chosen by iptables' random-probability rules (or eBPF maps under Cilium's kube-proxy replacement).
When kube-proxy is down, the node's rules stay as they were and go stale.
In kubesim today: components/proxy/kubeproxy, one actor per node (kube-proxy-<node>) that follows the node's pod
of the kube-proxy DaemonSet (it stops with the pod and starts again with the next), in iptables mode (the
KUBE-SERVICES, KUBE-SVC-<hash> and KUBE-SEP-<hash> chains with the real hashes) or eBPF mode (drill field
kubeProxyMode); the rules live in the node's kernel (datapath-<node>), where probes walk them. Simplified: every
sync rebuilds all rules; no IPVS or nftables mode, no conntrack.`,
			Ko: `자기 노드에서 Service를 규칙으로 바꿉니다: ClusterIP:port로 가는 패킷은 iptables의 확률 규칙(또는 Cilium
kube-proxy 대체 시 eBPF 맵)으로 고른 준비된 엔드포인트 PodIP:port로 DNAT됩니다. kube-proxy가 멈추면 그 노드의 규칙은
그대로 남아 낡아 갑니다.
kubesim에서 지금 실행되는 것: components/proxy/kubeproxy, 노드마다 액터 하나(kube-proxy-<노드>)가 그 노드의 kube-proxy
DaemonSet 파드를 따라갑니다(파드와 함께 멈추고 다음 파드와 함께 다시 시작). iptables 모드(실제와
같은 해시의 KUBE-SERVICES, KUBE-SVC-<해시>, KUBE-SEP-<해시> 체인) 또는 eBPF 모드(드릴 필드 kubeProxyMode). 규칙은
노드의 커널(datapath-<노드>)에 있고 프로브가 그 규칙을 따라갑니다. 단순화한 점: 동기화할 때마다 규칙 전체를 다시 만들고,
IPVS·nftables 모드와 conntrack은 없습니다.`}
	}},
	{"coredns", "walkthrough-coredns", func() Text {
		return Text{
			En: `It is the cluster's DNS, the pods of a kube-system Deployment behind the kube-dns Service (10.96.0.10).
It answers web.default.svc.cluster.local with the Service's ClusterIP and forwards other names upstream; the
pod's resolver walks its search list (ndots:5) first. When it is down, names fail but IPs still work.
In kubesim today: components/dns/coredns, one actor per Running pod of the coredns Deployment, named after the
pod and on the pod's node, serving kubeadm's Corefile (errors, loadbalance, cache, kubernetes, forward) from
its watches; queries reach it through the kube-dns Service's kube-proxy rules.`,
			Ko: `클러스터 DNS입니다. kube-dns Service(10.96.0.10) 뒤에 있는 kube-system Deployment의 파드들입니다.
web.default.svc.cluster.local을 Service의 ClusterIP로 응답하고 그 밖의 이름은 상위 DNS로 전달하며, 파드의 리졸버는
먼저 search 목록(ndots:5)을 따라갑니다. CoreDNS가 멈추면 이름 조회는 실패하지만 IP 통신은 계속됩니다.
kubesim에서 지금 실행되는 것: components/dns/coredns, coredns Deployment의 Running 파드마다 액터 하나(파드 이름으로,
파드의 노드에서). watch로 얻은 상태로 kubeadm의 Corefile(errors, loadbalance, cache, kubernetes, forward)을 서비스하며,
질의는 kube-dns Service의 kube-proxy 규칙을 거쳐 도착합니다.`}
	}},
	{"cilium", "walkthrough-cilium", func() Text {
		return Text{
			En: `It is the CNI: it gives each pod its IP from the node's pod CIDR, plumbs its interface and routes, assigns
security identities from labels and enforces NetworkPolicy and CiliumNetworkPolicy; Hubble shows every flow
with its verdict. The agent runs on every node (the cilium DaemonSet); the cilium-operator Deployment hands
each node its pod CIDR.
In kubesim today: components/cilium/agent: an agent per node (cilium-agent-<node>, following the node's pod of
the cilium DaemonSet) answering the kubelet's CNI ADD and DEL, with identities, policy verdicts at both ends of a
connection and a Hubble ring; and the operator (cilium-operator, one replica, on the node of the
cilium-operator Deployment's running pod: cluster-pool IPAM, 10.0.0.0/8 in /24s).`,
			Ko: `CNI입니다: 노드의 파드 CIDR에서 파드 IP를 주고, 인터페이스와 라우팅을 구성하고, 레이블로 보안 아이덴티티를
부여하며 NetworkPolicy와 CiliumNetworkPolicy를 적용합니다. Hubble은 모든 흐름과 판정을 보여 줍니다. 에이전트는 모든
노드(cilium DaemonSet)에서 실행되고, cilium-operator Deployment가 노드마다 파드 CIDR을 나눠 줍니다.
kubesim에서 지금 실행되는 것: components/cilium/agent: 노드마다 에이전트 하나(cilium-agent-<노드>, 그 노드의 cilium
DaemonSet 파드를 따라감)가 kubelet의 CNI ADD와 DEL에 응답하고, 아이덴티티, 연결 양끝의 정책 판정, Hubble 링을
담당합니다. 오퍼레이터(cilium-operator, 레플리카 하나)는 cilium-operator Deployment의 실행 중인 파드가 있는 노드에서
cluster-pool IPAM(10.0.0.0/8을 /24로)을 맡습니다.`}
	}},
	{"kubelet", "first-flow", func() Text {
		return Text{
			En: `It registers the Node, renews its Lease in kube-node-lease every 10 s, runs the pods bound to its node
(asking the CNI for their network) and reports their status; on control-plane nodes it also runs kubeadm's
static pods.
In kubesim today: components/kubelet, one actor per node (kubelet-<node>) with its container runtime
(containerd-<node>): the real pod lifecycle (sandbox and CNI ADD, image pulls on virtual time, init containers
and native sidecars, probes, restarts with the crash-loop back-off, graceful deletion) and mirror pods of the
static pods. Simplified: containers run no code; the kubesim.io/behavior annotation says when they start,
become ready, exit or crash.`,
			Ko: `Node를 등록하고, 10초마다 kube-node-lease의 Lease를 갱신하고, 자기 노드에 바인딩된 파드를 실행하며(CNI에
네트워크를 요청) 상태를 보고합니다. 컨트롤 플레인 노드에서는 kubeadm의 static 파드도 실행합니다.
kubesim에서 지금 실행되는 것: components/kubelet, 노드마다 액터 하나(kubelet-<노드>)와 컨테이너 런타임(containerd-<노드>):
실제와 같은 파드 수명주기(샌드박스와 CNI ADD, 가상 시간 위의 이미지 풀, init 컨테이너와 네이티브 사이드카, 프로브,
crash-loop 백오프를 따르는 재시작, graceful 삭제)와 static 파드의 미러 파드. 단순화한 점: 컨테이너는 코드를 실행하지
않으며, kubesim.io/behavior 어노테이션이 언제 시작하고, 준비되고, 끝나거나 죽는지 정합니다.`}
	}},
}

// controllerNames are the --controllers names of kube-controller-manager's
// default controllers.
func controllerNames() []string {
	var out []string
	for _, f := range controllers.Defaults() {
		out = append(out, f().Name())
	}
	return out
}

// schedulerPlugins lists the default profile's plugins with their score
// weights.
func schedulerPlugins() string {
	var out []string
	for _, p := range plugins.DefaultProfile().Plugins {
		if p.Weight > 0 {
			out = append(out, fmt.Sprintf("%s (%d)", p.Name, p.Weight))
		} else {
			out = append(out, p.Name)
		}
	}
	return strings.Join(out, ", ")
}

// Components lists the components explain knows.
func Components() []string {
	out := make([]string, len(explanations))
	for i, e := range explanations {
		out[i] = e.name
	}
	return out
}

// Walkthrough names the walkthrough that shows a component at work.
func Walkthrough(component string) (string, bool) {
	for _, e := range explanations {
		if e.name == component {
			return e.walkthrough, true
		}
	}
	return "", false
}

// Lookup finds a row of the table by its name or title, in any case
// ("CoreDNS", "coredns").
func Lookup(name string) (Component, bool) {
	for _, c := range Table() {
		if strings.EqualFold(c.Name, name) || strings.EqualFold(c.Title, name) {
			return c, true
		}
	}
	return Component{}, false
}

// Explain returns a component's explanation: its role and where it runs
// (from Table), what it does, what kubesim runs of it today, and the
// walkthrough to watch it in.
func Explain(name string, lang Lang) (string, bool) {
	c, ok := Lookup(name)
	if !ok {
		return "", false
	}
	want := c.Name
	if other, ok := explainedWith[want]; ok {
		want = other
	}
	for _, e := range explanations {
		if e.name != want {
			continue
		}
		var b strings.Builder
		body := wrap(e.text().In(lang), 110)
		if lang == Korean {
			fmt.Fprintf(&b, "%s — %s. 실행 위치: %s.\n%s\n", c.Title, c.Role.In(lang), c.RunsAs.In(lang), body)
			fmt.Fprintf(&b, "직접 따라가 보기: kubesim run %s --lang ko --step", e.walkthrough)
		} else {
			fmt.Fprintf(&b, "%s — %s. Runs on: %s.\n%s\n", c.Title, c.Role.In(lang), c.RunsAs.In(lang), body)
			fmt.Fprintf(&b, "Watch it work: kubesim run %s --step", e.walkthrough)
		}
		return b.String(), true
	}
	return "", false
}

// wrap breaks the lines of s longer than width runes at spaces (the
// lists computed from the code can be long).
func wrap(s string, width int) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		for utf8.RuneCountInString(line) > width {
			cut := strings.LastIndex(string([]rune(line)[:width]), " ")
			if cut <= 0 {
				break
			}
			out = append(out, line[:cut])
			line = line[cut+1:]
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// Role is a component's one-line role ("-" for an actor that is no
// component of the table).
func Role(component string, lang Lang) string {
	c, ok := Lookup(component)
	if !ok {
		return "-"
	}
	return c.Role.In(lang)
}
