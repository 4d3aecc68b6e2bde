package narrate

// explanation is what `kubesim explain` prints for a component.
type explanation struct {
	name     string
	en, ko   string
	modelled bool
}

var explanations = []explanation{
	{name: "kube-apiserver", modelled: true,
		en: `kube-apiserver — the only entry point to the cluster's state. Runs on every control-plane node, independently.
Every request walks the same pipeline: authentication (who is calling?), authorization (RBAC: may they?),
defaulting and admission (NamespaceLifecycle, ServiceAccount, DefaultTolerationSeconds), validation, then storage
in etcd. resourceVersion is the etcd revision of the last write; an update with a stale one gets 409 Conflict.
A watch cache keeps every object in memory and fans each change out to every watcher.
In kubesim: components/apiserver. Try: kubesim run first-flow`,
		ko: `kube-apiserver — 클러스터 상태로 들어가는 유일한 관문입니다. 모든 컨트롤 플레인 노드에서 독립적으로 실행됩니다.
모든 요청은 같은 파이프라인을 거칩니다: 인증(누가 호출하는가?), 인가(RBAC: 허용되는가?), 기본값 설정과
어드미션(NamespaceLifecycle, ServiceAccount, DefaultTolerationSeconds), 검증, 그리고 etcd에 저장.
resourceVersion은 마지막 쓰기의 etcd revision이며, 오래된 값으로 업데이트하면 409 Conflict가 납니다.
watch 캐시가 모든 객체를 메모리에 두고 변경을 모든 watcher에게 전달합니다.
kubesim에서는 components/apiserver. 실행해 보기: kubesim run first-flow --lang ko`},
	{name: "etcd", modelled: true,
		en: `etcd — the cluster's key-value store: MVCC revisions, watches, leases, transactions. Runs on the
control-plane nodes; a quorum of 3 or 5 members is recommended. Keys are /registry/<resource>/<namespace>/<name>.
Every write bumps the store revision by one; a watch from a revision delivers every later change exactly once.
Compaction drops old history (a watch from before it fails with "mvcc: required revision has been compacted").
In kubesim: components/etcd (member actor) over components/etcd/mvcc (the store, a btree index as in etcd).`,
		ko: `etcd — 클러스터의 키-값 저장소입니다: MVCC revision, watch, lease, 트랜잭션. 컨트롤 플레인 노드에서 실행되며
3개 또는 5개 멤버의 쿼럼 구성이 권장됩니다. 키는 /registry/<리소스>/<네임스페이스>/<이름> 형식입니다.
쓰기마다 저장소 revision이 1 증가하고, 특정 revision부터의 watch는 이후 모든 변경을 정확히 한 번 전달합니다.
컴팩션은 오래된 이력을 지웁니다 (그 이전부터의 watch는 "mvcc: required revision has been compacted"로 실패).
kubesim에서는 components/etcd (멤버 액터)와 components/etcd/mvcc (btree 인덱스를 쓰는 저장소).`},
	{name: "kube-controller-manager", modelled: true,
		en: `kube-controller-manager — the control loops that keep the desired state: ReplicaSet, Deployment,
DaemonSet, Node lifecycle, Namespace, ServiceAccount, EndpointSlice, garbage collector. Runs on the control-plane
nodes with one leader. Each controller lists and watches into a local cache (an informer), queues the keys that
changed, and reconciles one key at a time from the caches — level-triggered, never trusting a single event.
In kubesim: components/controllers (the ServiceAccount controller runs today; the others join it).`,
		ko: `kube-controller-manager — 원하는 상태를 유지하는 제어 루프들입니다: ReplicaSet, Deployment, DaemonSet,
노드 수명주기, Namespace, ServiceAccount, EndpointSlice, 가비지 컬렉터. 컨트롤 플레인 노드에서 리더 하나가 동작합니다.
각 컨트롤러는 list와 watch로 로컬 캐시(informer)를 채우고, 바뀐 키를 큐에 넣고, 캐시를 보고 키 하나씩
조정(reconcile)합니다 — 이벤트 하나를 믿지 않는 레벨 트리거 방식입니다.
kubesim에서는 components/controllers (현재 ServiceAccount 컨트롤러가 동작하며 나머지가 합류합니다).`},
	{name: "kube-scheduler",
		en: `kube-scheduler — places Pending pods on nodes: filter (which nodes can run it?), score (which is best?),
then bind through the apiserver (pods/binding). Runs on the control-plane nodes with one leader. A pod it cannot
place gets a FailedScheduling event such as "0/3 nodes are available: 3 Insufficient cpu."
In kubesim: components/scheduler (being assembled into the cluster).`,
		ko: `kube-scheduler — Pending 파드를 노드에 배치합니다: 필터(어떤 노드가 실행할 수 있나?), 점수(어디가 가장 좋은가?),
그리고 apiserver를 통한 바인딩(pods/binding). 컨트롤 플레인 노드에서 리더 하나가 동작합니다. 배치할 수 없는 파드에는
"0/3 nodes are available: 3 Insufficient cpu." 같은 FailedScheduling 이벤트가 남습니다.
kubesim에서는 components/scheduler (클러스터에 조립되는 중).`},
	{name: "kube-proxy",
		en: `kube-proxy — turns Services into routing rules on every node (a DaemonSet): a packet to ClusterIP:port is
DNATed to one ready endpoint PodIP:port, chosen by iptables' random-probability rules (or eBPF maps under Cilium's
kube-proxy replacement). When kube-proxy is down, the node's rules go stale.
In kubesim: components/proxy (being assembled into the cluster).`,
		ko: `kube-proxy — 모든 노드(DaemonSet)에서 Service를 라우팅 규칙으로 바꿉니다: ClusterIP:port로 가는 패킷은
iptables의 확률 규칙(또는 Cilium kube-proxy 대체 시 eBPF 맵)으로 고른 준비된 엔드포인트 PodIP:port로 DNAT됩니다.
kube-proxy가 멈추면 그 노드의 규칙은 오래된 상태로 남습니다.
kubesim에서는 components/proxy (클러스터에 조립되는 중).`},
	{name: "coredns",
		en: `CoreDNS — the cluster's DNS, a kube-system Deployment behind the kube-dns Service (10.96.0.10).
Answers web.default.svc.cluster.local with the Service's ClusterIP, walks the pod's search list (ndots:5) and
forwards other names upstream. When it is down, names fail but IPs still work.
In kubesim: components/dns (being assembled into the cluster).`,
		ko: `CoreDNS — 클러스터 DNS입니다. kube-dns Service(10.96.0.10) 뒤의 kube-system Deployment로 실행됩니다.
web.default.svc.cluster.local을 Service의 ClusterIP로 응답하고, 파드의 search 목록(ndots:5)을 따라가며,
그 밖의 이름은 상위 DNS로 전달합니다. CoreDNS가 멈추면 이름 조회는 실패하지만 IP 통신은 계속됩니다.
kubesim에서는 components/dns (클러스터에 조립되는 중).`},
	{name: "cilium",
		en: `Cilium — the CNI: gives each pod its IP from the node's pod CIDR, plumbs its interface and routes, assigns
security identities from labels and enforces NetworkPolicy and CiliumNetworkPolicy; Hubble shows every flow with its
verdict. The cilium agent runs on every node (a DaemonSet), the cilium-operator as a Deployment.
In kubesim: components/cilium (being assembled into the cluster).`,
		ko: `Cilium — CNI입니다: 노드의 파드 CIDR에서 파드 IP를 주고, 인터페이스와 라우팅을 구성하고, 레이블로 보안
아이덴티티를 부여하며 NetworkPolicy와 CiliumNetworkPolicy를 적용합니다. Hubble은 모든 흐름과 판정을 보여 줍니다.
cilium 에이전트는 모든 노드(DaemonSet)에서, cilium-operator는 Deployment로 실행됩니다.
kubesim에서는 components/cilium (클러스터에 조립되는 중).`},
	{name: "kubelet",
		en: `kubelet — the node agent: registers the Node, renews its Lease in kube-node-lease every 10 s, runs the pods
bound to its node (asking the CNI for their network) and reports their status.
In kubesim: being assembled into the cluster.`,
		ko: `kubelet — 노드 에이전트입니다: Node를 등록하고, 10초마다 kube-node-lease의 Lease를 갱신하고, 자기 노드에
바인딩된 파드를 실행하며(CNI에 네트워크를 요청) 상태를 보고합니다.
kubesim에서는 클러스터에 조립되는 중입니다.`},
}

// Components lists the components explain knows.
func Components() []string {
	out := make([]string, len(explanations))
	for i, e := range explanations {
		out[i] = e.name
	}
	return out
}

// Explain returns a component's explanation.
func Explain(name string, lang Lang) (string, bool) {
	for _, e := range explanations {
		if e.name == name {
			if lang == Korean {
				return e.ko, true
			}
			return e.en, true
		}
	}
	return "", false
}

// roles is the one-line role of each component, as DESIGN.md's table says it.
var roles = map[string][2]string{
	"kube-apiserver":          {"the only entry point; authn, authz, admission, validation, storage", "유일한 진입점: 인증, 인가, 어드미션, 검증, 저장"},
	"etcd":                    {"the cluster's key-value state, MVCC, watch", "클러스터 상태 저장소: MVCC, watch"},
	"kube-controller-manager": {"control loops that keep the desired state (one leader)", "원하는 상태를 유지하는 제어 루프 (리더 하나)"},
	"kube-scheduler":          {"places Pending pods on nodes: filter, score, bind (one leader)", "Pending 파드를 노드에 배치: 필터, 점수, 바인딩 (리더 하나)"},
	"kube-proxy":              {"Service -> Pod routing rules on every node", "모든 노드에서 Service -> Pod 라우팅 규칙"},
	"coredns":                 {"cluster DNS behind the kube-dns Service", "kube-dns Service 뒤의 클러스터 DNS"},
	"cilium":                  {"CNI: pod IPs, identities, network policy, Hubble", "CNI: 파드 IP, 아이덴티티, 네트워크 정책, Hubble"},
	"cilium-operator":         {"Cilium IPAM: per-node pod CIDRs; identity GC", "Cilium IPAM: 노드별 파드 CIDR, 아이덴티티 정리"},
	"kubelet":                 {"node agent: registers the node, runs pods, reports status", "노드 에이전트: 노드 등록, 파드 실행, 상태 보고"},
	"containerd":              {"container runtime under the kubelet: sandboxes, images, containers", "kubelet 아래의 컨테이너 런타임: 샌드박스, 이미지, 컨테이너"},
}

// Role is a component's one-line role.
func Role(component string, lang Lang) string {
	r, ok := roles[component]
	if !ok {
		return "-"
	}
	if lang == Korean {
		return r[1]
	}
	return r[0]
}
