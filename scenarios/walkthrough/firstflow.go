package walkthrough

import (
	_ "embed"
	"fmt"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/cilium/agent"
	"github.com/kubesim/kubesim/components/cni"
	"github.com/kubesim/kubesim/components/datapath"
	"github.com/kubesim/kubesim/components/etcd"
	"github.com/kubesim/kubesim/components/kubelet"
	"github.com/kubesim/kubesim/components/proxy/kubeproxy"
	"github.com/kubesim/kubesim/components/scheduler"
	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/kubesim/kubesim/scenarios/play"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/cursor"
)

//go:embed manifests/web-pod.yaml
var webPod []byte

//go:embed manifests/web-service.yaml
var webService []byte

// The first flow's stages, in the order they are shown.
const (
	stageWatch = iota + 1
	stageApply
	stageFanOut
	stageSchedule
	stageKubelet
	stageService
	stageCurl
)

var firstFlowStages = map[int]narrate.Text{
	stageWatch: {En: "Step 1: a watcher opens a watch on pods (kubectl get pods --watch)",
		Ko: "1단계: watcher가 파드에 watch를 엽니다 (kubectl get pods --watch)"},
	stageApply: {En: "Step 2: kubectl apply -f web-pod.yaml — authentication, RBAC, admission, validation, etcd",
		Ko: "2단계: kubectl apply -f web-pod.yaml — 인증, RBAC, 어드미션, 검증, etcd"},
	stageFanOut: {En: "Step 3: etcd's watch and kube-apiserver's watch cache tell every watcher",
		Ko: "3단계: etcd의 watch와 kube-apiserver의 watch 캐시가 모든 watcher에게 알립니다"},
	stageSchedule: {En: "Step 4: kube-scheduler notices the Pending pod, filters and scores the nodes, and binds it",
		Ko: "4단계: kube-scheduler가 Pending 파드를 발견하고, 노드를 거르고 점수를 매겨 바인딩합니다"},
	stageKubelet: {En: "Step 5: the kubelet on %s runs it; Cilium gives it an IP",
		Ko: "5단계: %s의 kubelet이 파드를 실행하고 Cilium이 IP를 줍니다"},
	stageService: {En: "Step 6: a Service in front of the pod: a ClusterIP, an EndpointSlice, kube-proxy's rules",
		Ko: "6단계: 파드 앞의 Service: ClusterIP, EndpointSlice, kube-proxy 규칙"},
	stageCurl: {En: "Step 7: kubectl exec client -- curl web — CoreDNS, kube-proxy's rules, Cilium, the pod",
		Ko: "7단계: kubectl exec client -- curl web — CoreDNS, kube-proxy 규칙, Cilium, 파드"},
}

// firstFlow is the classifier's state: what the flow has learned so far.
type firstFlow struct {
	stage         int            // the stage the program is in
	tags          map[uint64]int // tags given so far, for records caused by them
	podKey        string         // etcd key of the pod
	node          string         // where it was bound
	kubeletActors [2]string      // the node's kubelet and containerd
}

// FirstFlow is the first flow: a Pod manifest is applied, passes
// kube-apiserver's pipeline, is stored in etcd, reaches every watcher, is
// scheduled, run and given an IP; a Service and a client pod follow, and
// curl from the client reaches the pod through CoreDNS, kube-proxy's rules
// and Cilium.
func FirstFlow(seed uint64) cursor.Program {
	return func(h *cursor.Host) error {
		c, err := boot(h, cluster.Config{Seed: seed, Addons: true})
		if err != nil {
			return err
		}
		k := c.K
		if !c.WaitFor(c.NodesReady, 2*time.Minute) {
			return fmt.Errorf("the nodes did not become Ready")
		}
		k.RunFor(20 * time.Second) // let the leader elections settle
		var workers []string
		for _, n := range k.Nodes() {
			workers = append(workers, n.Name)
		}
		say(k, fmt.Sprintf("Booted a cluster: etcd, kube-apiserver, kube-controller-manager and kube-scheduler on the control-plane node %s;\na kubelet, kube-proxy and a Cilium agent on every node (%s). It is up at virtual time %s; its state lives in etcd under /registry/.",
			strings.Join(cpNodes(c), ", "), strings.Join(workers, ", "), trim(sim.FormatVirtual(k.Now()))),
			fmt.Sprintf("클러스터를 부팅했습니다: 컨트롤 플레인 노드 %s에서 etcd, kube-apiserver, kube-controller-manager, kube-scheduler가,\n모든 노드(%s)에서 kubelet, kube-proxy, Cilium 에이전트가 실행됩니다. 가상 시간 %s에 준비되었고, 클러스터 상태는 etcd의 /registry/ 아래에 저장됩니다.",
				strings.Join(cpNodes(c), ", "), strings.Join(workers, ", "), trim(sim.FormatVirtual(k.Now()))))

		f := &firstFlow{tags: map[uint64]int{}, podKey: "/registry/pods/default/web"}
		h.Tag(f.classify)
		begin := func(stage int, args ...any) {
			f.stage = stage
			t := firstFlowStages[stage]
			if len(args) > 0 {
				t = narrate.Text{En: fmt.Sprintf(t.En, args...), Ko: fmt.Sprintf(t.Ko, args...)}
			}
			k.Mark(play.KindStage, play.Stage{ID: stage, Title: t})
		}
		end := func(stage int) { k.Mark(play.KindStageEnd, play.StageEnd{ID: stage}) }

		// Step 1: kubectl get pods --watch.
		begin(stageWatch)
		watcher := k.External("kubectl-watch", "")
		var latest, client *api.Pod
		watcher.OnMessage(func(m *sim.Message) {
			if ev, ok := m.Body.(*apiwire.WatchEvent); ok {
				if p, ok := ev.Object.(*api.Pod); ok && p.Name == "web" {
					latest = p
				} else if ok && p.Name == "client" {
					client = p
				}
			}
		})
		pw, err := watcher.Begin(c.APIServers[0], apiwire.KindRequest, &apiwire.Request{Verb: apiwire.VerbWatch, Resource: "pods", Namespace: "default", Token: cluster.AdminToken, UserAgent: "kubectl"}, time.Minute)
		if err != nil {
			return err
		}
		drive(k, pw.Done)
		if _, err := pw.Result(); err != nil {
			return err
		}
		end(stageWatch)

		// Step 2: kubectl apply -f web-pod.yaml.
		begin(stageApply)
		objs, err := api.DecodeManifests("web-pod.yaml", webPod)
		if err != nil {
			return err
		}
		pod := objs[0]
		pod.GetObjectMeta().Namespace = "default"
		applyAt := k.Now()
		pc, err := c.Kubectl().Begin(c.APIServers[0], apiwire.KindRequest, &apiwire.Request{Verb: apiwire.VerbCreate, Resource: "pods", Namespace: "default", Object: pod, Token: cluster.AdminToken, UserAgent: "kubectl"}, time.Minute)
		if err != nil {
			return err
		}
		drive(k, pc.Done)
		m, err := pc.Result()
		if err != nil {
			return err
		}
		created := m.Body.(*apiwire.Response).Object
		rv := created.GetObjectMeta().ResourceVersion
		say(k, fmt.Sprintf(`kubectl printed "pod/web created" as soon as kube-apiserver had stored the Pod in etcd: resourceVersion %s is the etcd revision of that write.`, rv),
			fmt.Sprintf(`kube-apiserver가 파드를 etcd에 저장하자마자 kubectl은 "pod/web created"를 출력했습니다: resourceVersion %s는 그 쓰기의 etcd revision입니다.`, rv))
		end(stageApply)

		// Step 3: the watch fan-out, until kubectl --watch has the pod.
		begin(stageFanOut)
		drive(k, func() bool { return latest != nil })
		say(k, "Nobody told the other components: each learned of the pod through its own watch, from kube-apiserver's watch cache.",
			"아무도 다른 컴포넌트에 직접 알리지 않았습니다: 각자 자신의 watch로, kube-apiserver의 watch 캐시에서 파드를 알게 되었습니다.")
		end(stageFanOut)

		// Step 4: the scheduler binds it.
		begin(stageSchedule)
		drive(k, func() bool { return latest != nil && latest.Spec.NodeName != "" })
		if latest == nil || latest.Spec.NodeName == "" {
			return fmt.Errorf("the pod was never bound")
		}
		f.node = latest.Spec.NodeName
		f.kubeletActors = [2]string{kubelet.ActorName(f.node), kubelet.RuntimeName(f.node)}
		end(stageSchedule)

		// Step 5: the kubelet and Cilium run it.
		begin(stageKubelet, f.node)
		var running *api.Pod
		drive(k, func() bool {
			if latest != nil && latest.Status.Phase == api.PodRunning {
				running = latest
				return true
			}
			return false
		})
		if running == nil {
			return fmt.Errorf("the pod never ran")
		}
		say(k, fmt.Sprintf("The pod runs on %s with IP %s, %s after kubectl apply.", f.node, running.Status.PodIP, trim(sim.FormatVirtual(k.Now()-applyAt))),
			fmt.Sprintf("파드가 %s에서 IP %s로 실행 중입니다 (kubectl apply 후 %s).", f.node, running.Status.PodIP, trim(sim.FormatVirtual(k.Now()-applyAt))))
		end(stageKubelet)

		// Step 6: a Service and a client pod.
		begin(stageService)
		objs, err = api.DecodeManifests("web-service.yaml", webService)
		if err != nil {
			return err
		}
		applied, err := c.ApplyObjects(objs...)
		if err != nil {
			return err
		}
		svcIP := applied[0].Object.(*api.Service).Spec.ClusterIP
		drive(k, func() bool { return client != nil && client.Status.Phase == api.PodRunning })
		deadline := k.Now() + 3*time.Second // kube-proxy's minSyncPeriod, CoreDNS's watch
		drive(k, func() bool { return k.Now() >= deadline })
		say(k, fmt.Sprintf("Service default/web got ClusterIP %s from 10.96.0.0/12; the EndpointSlice controller listed the pod's IP %s;\nkube-proxy on every node turned both into rules (KUBE-SVC-..., KUBE-SEP-...). Try: iptables-save %s",
			svcIP, running.Status.PodIP, client.Spec.NodeName),
			fmt.Sprintf("Service default/web는 10.96.0.0/12에서 ClusterIP %s를 받았고, EndpointSlice 컨트롤러가 파드 IP %s를 기록했으며,\n모든 노드의 kube-proxy가 이를 규칙(KUBE-SVC-..., KUBE-SEP-...)으로 바꿨습니다. 확인: iptables-save %s",
				svcIP, running.Status.PodIP, client.Spec.NodeName))
		end(stageService)

		// Step 7: curl web from the client pod.
		begin(stageCurl)
		res := c.Prober().Curl("default/client", "web")
		k.Mark(play.KindOutput, play.Output(strings.TrimRight(res.String(), "\n")))
		end(stageCurl)

		say(k, fmt.Sprintf(`What happened: kube-apiserver stored the Pod in etcd (resourceVersion %s) and answered kubectl; kube-scheduler, the kubelet and
kubectl --watch learned of it through their watches. The scheduler bound it to %s through pods/binding; that node's kubelet
asked Cilium for a network (IP %s), pulled the image and started the container. curl in the client pod resolved "web"
through its resolv.conf search list and CoreDNS (behind kube-dns, 10.96.0.10), connected to the ClusterIP %s, and its node's
kube-proxy rules DNATed the packet to %s; Cilium %s it at both ends. Virtual time: %s.`,
			rv, f.node, running.Status.PodIP, svcIP, res.Endpoint, verdictWord(res, "en"), trim(sim.FormatVirtual(k.Now()))),
			fmt.Sprintf(`정리: kube-apiserver가 파드를 etcd에 저장하고(resourceVersion %s) kubectl에 응답했습니다. kube-scheduler, kubelet,
kubectl --watch는 각자의 watch로 알게 되었습니다. 스케줄러가 pods/binding으로 %s에 바인딩했고, 그 노드의 kubelet이 Cilium에
네트워크를 요청(IP %s)하고 이미지를 받아 컨테이너를 시작했습니다. 클라이언트 파드의 curl은 resolv.conf의 search 목록과
CoreDNS(kube-dns, 10.96.0.10 뒤)로 "web"을 풀고 ClusterIP %s로 연결했으며, 그 노드의 kube-proxy 규칙이 패킷을 %s로
DNAT했고, Cilium이 양쪽에서 %s. 가상 시간: %s.`,
				rv, f.node, running.Status.PodIP, svcIP, res.Endpoint, verdictWord(res, "ko"), trim(sim.FormatVirtual(k.Now()))))
		return nil
	}
}

func cpNodes(c *cluster.Cluster) []string {
	var out []string
	for _, a := range c.APIServers {
		out = append(out, strings.TrimPrefix(a, "kube-apiserver-"))
	}
	return out
}

// verdictWord says what Cilium did with the curl, from its result.
func verdictWord(res datapath.Result, lang string) string {
	if res.ExitCode == 0 {
		if lang == "ko" {
			return "허용했습니다"
		}
		return "allowed"
	}
	if lang == "ko" {
		return "막았습니다"
	}
	return "did not let it through"
}

// classify tags a record with the stage it belongs to.
func (f *firstFlow) classify(r sim.Record) int {
	tag := f.rule(r)
	if tag == 0 {
		tag = f.inherited(r)
	}
	if tag != 0 {
		f.tags[r.N] = tag
	}
	return tag
}

// inherited gives a note, a request and a reply the stage of the record
// that caused it (or that it answers): a request's pipeline, its etcd
// transaction and its answer belong with the request. Watch traffic is
// never inherited: who sees a change is its own stage.
func (f *firstFlow) inherited(r sim.Record) int {
	switch r.Body().(type) {
	case *etcd.WatchResponse, *apiwire.WatchEvent:
		return 0
	}
	switch r.Event {
	case sim.EventNote, sim.EventDeliver, sim.EventReply, sim.EventTimeout:
	default:
		return 0
	}
	if r.Event == sim.EventDeliver && r.Kind != apiwire.KindRequest && r.Kind != "Txn" && r.Kind != "Range" {
		return 0
	}
	if t := f.tags[r.InReplyTo]; t != 0 && r.InReplyTo != 0 {
		return t
	}
	if r.Cause != 0 {
		return f.tags[r.Cause]
	}
	return 0
}

// rule tags the records that start a stage's work, from their typed
// bodies.
func (f *firstFlow) rule(r sim.Record) int {
	switch b := r.Body().(type) {
	case *apiwire.Request:
		if r.Event != sim.EventDeliver {
			return 0
		}
		switch {
		case r.From == "kubectl-watch" && b.Verb == apiwire.VerbWatch:
			return stageWatch
		case r.From == cluster.DefaultKubectlActor && f.stage == stageApply && b.Verb == apiwire.VerbCreate && b.Resource == "pods":
			return stageApply
		case r.From == cluster.DefaultKubectlActor && f.stage == stageService:
			return stageService
		case strings.HasPrefix(r.From, "kube-scheduler") && aboutWeb(b):
			return stageSchedule
		case strings.HasPrefix(r.From, "kubelet-") && aboutWeb(b):
			return stageKubelet
		case f.stage == stageService && b.Resource == "endpointslices" && b.Verb == apiwire.VerbCreate && b.Object != nil && b.Object.GetObjectMeta().Labels["kubernetes.io/service-name"] == "web":
			return stageService
		}
	case *etcd.WatchResponse:
		for _, ev := range b.Events {
			if ev.KV.Key != f.podKey {
				continue
			}
			switch ev.KV.Version {
			case 1:
				return stageFanOut
			case 2:
				return stageSchedule
			}
		}
	case *apiwire.WatchEvent:
		p, ok := b.Object.(*api.Pod)
		if ok && p.Namespace == "default" && p.Name == "web" {
			switch {
			case b.Type == apiwire.Added && f.stage <= stageFanOut:
				return stageFanOut
			case p.Spec.NodeName != "" && r.To == kubelet.ActorName(p.Spec.NodeName) && f.stage >= stageSchedule && f.stage <= stageKubelet:
				return stageKubelet
			case r.To == "kubectl-watch" && (f.stage == stageSchedule || f.stage == stageKubelet):
				return f.stage
			}
		}
		if f.stage == stageService && (strings.HasPrefix(r.To, "kube-proxy") || strings.HasPrefix(r.To, "coredns")) {
			if m := b.Object.GetObjectMeta(); m != nil && m.Namespace == "default" && (b.Resource == "services" && m.Name == "web" || b.Resource == "endpointslices" && m.Labels["kubernetes.io/service-name"] == "web") {
				return stageService
			}
		}
	case scheduler.ScheduleNote:
		if b.Namespace == "default" && b.Name == "web" {
			return stageSchedule
		}
	case kubelet.PodNote:
		if b.Pod == "default/web" {
			return stageKubelet
		}
	case agent.EndpointNote:
		if b.Pod == "default/web" {
			return stageKubelet
		}
	case cni.AddRequest:
		if b.Namespace == "default" && b.Name == "web" {
			return stageKubelet
		}
	case kubeproxy.SyncNote:
		if f.stage == stageService {
			return stageService
		}
	case apiserver.AllocationNote:
		if f.stage == stageService {
			return stageService
		}
	}
	if f.stage == stageCurl {
		for _, who := range []string{r.From, r.To} {
			for _, prefix := range []string{"exec-", "datapath-", "coredns-"} {
				if strings.HasPrefix(who, prefix) && r.Kind != apiwire.KindWatchEvent {
					return stageCurl
				}
			}
		}
		if r.Kind == agent.KindVerdict || r.Kind == agent.KindDeliver {
			return stageCurl
		}
	}
	if f.node != "" && f.stage == stageKubelet && (r.From == f.kubeletActors[1] || r.To == f.kubeletActors[1]) {
		return stageKubelet
	}
	return 0
}

// aboutWeb reports whether a request concerns the web pod: the pod itself,
// its binding or status, or an event about it.
func aboutWeb(b *apiwire.Request) bool {
	if b.Resource == "pods" && b.Namespace == "default" && b.Name == "web" {
		return true
	}
	if ev, ok := b.Object.(*api.Event); ok && b.Resource == "events" {
		return ev.InvolvedObject.Namespace == "default" && ev.InvolvedObject.Name == "web" && ev.InvolvedObject.Kind == "Pod"
	}
	return false
}
