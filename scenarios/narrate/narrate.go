// Package narrate turns trace records into sentences for trainees, in
// English and Korean: what each component does at each step, and why.
package narrate

import (
	"fmt"
	"strings"

	"github.com/kubesim/kubesim/sim"
)

// Lang is a narration language.
type Lang string

// Languages.
const (
	English Lang = "en"
	Korean  Lang = "ko"
)

// ParseLang accepts "en" or "ko".
func ParseLang(s string) (Lang, error) {
	switch Lang(s) {
	case English, Korean:
		return Lang(s), nil
	}
	return "", fmt.Errorf("unknown language %q: expected en or ko", s)
}

// component names an actor by what it is: "kube-apiserver-cp-1" is a
// kube-apiserver.
func component(actor string) string {
	for _, c := range []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd", "kubelet", "kube-proxy", "coredns", "cilium-operator", "cilium"} {
		if strings.HasPrefix(actor, c) {
			return c
		}
	}
	return actor
}

// Line narrates one record; it returns "" for records not worth a sentence
// (timers, bookmarks).
func Line(r sim.Record, lang Lang) string {
	from, to := component(r.From), component(r.To)
	s := r.Summary()
	ko := lang == Korean
	pick := func(en, k string) string {
		if ko {
			return k
		}
		return en
	}
	switch r.Event {
	case sim.EventNote:
		switch r.Kind {
		case "authn":
			return pick("Authentication: kube-apiserver establishes who is calling — "+s+".",
				"인증(authentication): kube-apiserver가 요청한 사용자를 확인합니다 — "+s+".")
		case "authz":
			return pick("Authorization: RBAC decides whether that user may do this — "+s+".",
				"인가(authorization): RBAC가 이 사용자가 이 작업을 해도 되는지 판단합니다 — "+s+".")
		case "defaults":
			return pick("Defaulting fills in the fields the manifest left out: "+s+".",
				"기본값 설정: 매니페스트에 없는 필드를 채웁니다: "+s+".")
		case "admission":
			return pick("Admission control may change or reject the object: "+s+".",
				"어드미션 컨트롤이 객체를 수정하거나 거부할 수 있습니다: "+s+".")
		case "validation":
			return pick("Validation checks names and required fields: "+s+".",
				"검증(validation): 이름 규칙과 필수 필드를 확인합니다: "+s+".")
		case "delete":
			return pick("Deletion: "+s+".", "삭제: "+s+".")
		case "ready":
			return pick("kube-apiserver is ready: "+s+".", "kube-apiserver 준비 완료: "+s+".")
		case "schedule":
			return pick("kube-scheduler runs a scheduling cycle — filter the nodes that can run the pod, score them, pick the best: "+s+".",
				"kube-scheduler가 스케줄링 사이클을 돌립니다 — 파드를 실행할 수 있는 노드를 거르고, 점수를 매기고, 가장 좋은 노드를 고릅니다: "+s+".")
		case "endpoint":
			return pick("The Cilium agent creates the pod's endpoint: an IP from the node's pod CIDR and a security identity from its labels — "+s+".",
				"Cilium 에이전트가 파드의 엔드포인트를 만듭니다: 노드의 파드 CIDR에서 IP를, 레이블에서 보안 아이덴티티를 — "+s+".")
		case "kubelet":
			return pick("The kubelet: "+s+".", "kubelet: "+s+".")
		case "sync":
			return pick("kube-proxy programs its node's rules from the Services and EndpointSlices it watches: "+s+".",
				"kube-proxy가 watch한 Service와 EndpointSlice로 노드의 규칙을 만듭니다: "+s+".")
		}
		return fmt.Sprintf("%s: %s", r.From, s)
	case sim.EventDeliver:
		switch {
		case r.Kind == "request" && to == "kube-apiserver":
			return pick(fmt.Sprintf("%s sends %s to kube-apiserver — the only way into the cluster's state.", r.From, s),
				fmt.Sprintf("%s이(가) %s 요청을 kube-apiserver로 보냅니다 — 클러스터 상태로 들어가는 유일한 관문입니다.", r.From, s))
		case r.Kind == "Txn" && to == "etcd" && strings.Contains(s, "= 0 then"):
			return pick("kube-apiserver writes to etcd in one transaction: "+s+". The create only succeeds if the key does not exist yet.",
				"kube-apiserver가 etcd에 트랜잭션으로 씁니다: "+s+". 키가 아직 없을 때만 생성이 성공합니다.")
		case r.Kind == "Txn" && to == "etcd":
			return pick("kube-apiserver writes to etcd in one transaction: "+s+". It only succeeds if nobody changed the object since the revision it read (optimistic concurrency; otherwise 409 Conflict).",
				"kube-apiserver가 etcd에 트랜잭션으로 씁니다: "+s+". 읽은 revision 이후 아무도 객체를 바꾸지 않았을 때만 성공합니다 (낙관적 동시성, 아니면 409 Conflict).")
		case r.Kind == "netfilter":
			return pick("A packet leaves the pod; its node walks the netfilter rules kube-proxy programmed: "+s+".",
				"패킷이 파드를 떠나고, 노드가 kube-proxy가 만든 netfilter 규칙을 따라갑니다: "+s+".")
		case r.Kind == "policy verdict":
			return pick("Cilium on the node decides whether policy allows it ("+s+"): an endpoint allows everything until a policy selects it.",
				"노드의 Cilium이 정책상 허용되는지 판단합니다 ("+s+"): 정책이 선택하기 전까지 엔드포인트는 모두 허용합니다.")
		case r.Kind == "deliver":
			return pick("Cilium hands the packet to the destination pod's interface: "+s+".",
				"Cilium이 패킷을 목적지 파드의 인터페이스로 넘깁니다: "+s+".")
		case r.Kind == "DNS query":
			return pick("The pod's resolver asks CoreDNS (its resolv.conf points at kube-dns, 10.96.0.10): "+s+".",
				"파드의 리졸버가 CoreDNS에 묻습니다 (resolv.conf가 kube-dns, 10.96.0.10을 가리킵니다): "+s+".")
		case r.Kind == "CNI ADD":
			return pick(fmt.Sprintf("The kubelet asks the node's Cilium agent for the pod's network (CNI ADD): %s.", s),
				fmt.Sprintf("kubelet이 노드의 Cilium 에이전트에게 파드 네트워크를 요청합니다 (CNI ADD): %s.", s))
		case r.Kind == "Range" && to == "etcd":
			return pick(from+" reads from etcd: "+s+".", from+"이(가) etcd에서 읽습니다: "+s+".")
		case r.Kind == "WatchResponse" && from == "etcd":
			return pick("etcd's watch stream tells kube-apiserver's watch cache about the change: "+s+".",
				"etcd의 watch 스트림이 kube-apiserver의 watch 캐시에 변경을 알립니다: "+s+".")
		case r.Kind == "WatchEvent" && from == "kube-apiserver":
			return pick(fmt.Sprintf("kube-apiserver fans the event out to every watcher; %s receives %s.", r.To, s),
				fmt.Sprintf("kube-apiserver가 이벤트를 모든 watcher에게 전달합니다. %s이(가) %s을(를) 받습니다.", r.To, s))
		}
	case sim.EventReply:
		switch {
		case r.Kind == "Txn" && from == "etcd":
			return pick("etcd commits the transaction: "+s+". That revision becomes the object's resourceVersion.",
				"etcd가 트랜잭션을 커밋합니다: "+s+". 이 revision이 객체의 resourceVersion이 됩니다.")
		case r.Kind == "request" && from == "kube-apiserver":
			return pick(fmt.Sprintf("kube-apiserver answers %s: %s.", r.To, s),
				fmt.Sprintf("kube-apiserver가 %s에게 응답합니다: %s.", r.To, s))
		case r.Kind == "netfilter":
			return pick("The rules' verdict: "+s+". A ClusterIP exists only in these rules — no process listens on it.",
				"규칙의 결과: "+s+". ClusterIP는 이 규칙 안에만 있습니다 — 그 주소에서 듣는 프로세스는 없습니다.")
		case r.Kind == "policy verdict":
			return pick("Verdict: "+s+".", "판정: "+s+".")
		case r.Kind == "deliver":
			return pick("The destination answers: "+s+".", "목적지가 응답합니다: "+s+".")
		case r.Kind == "DNS query":
			return pick("CoreDNS answers from its watch of Services and EndpointSlices: "+s+".",
				"CoreDNS가 Service와 EndpointSlice를 watch한 내용으로 응답합니다: "+s+".")
		case r.Kind == "CNI ADD":
			return pick("Cilium answers: "+s+". The pod has its address; the kubelet can start its containers.",
				"Cilium이 응답합니다: "+s+". 파드가 주소를 받았으니 kubelet이 컨테이너를 시작할 수 있습니다.")
		}
	case sim.EventTimer:
		return ""
	case sim.EventDrop:
		return pick(fmt.Sprintf("A message from %s to %s is lost: %s.", r.From, r.To, s),
			fmt.Sprintf("%s에서 %s(으)로 가는 메시지가 사라졌습니다: %s.", r.From, r.To, s))
	case sim.EventCrash:
		return pick(r.To+" crashed ("+s+").", r.To+"이(가) 중단되었습니다 ("+s+").")
	case sim.EventStart:
		return pick(r.To+" starts on "+r.Node+".", r.To+"이(가) "+r.Node+"에서 시작합니다.")
	}
	if s == "" {
		return fmt.Sprintf("%s -> %s: %s", r.From, r.To, r.Kind)
	}
	return fmt.Sprintf("%s -> %s: %s %s", r.From, r.To, r.Kind, s)
}
