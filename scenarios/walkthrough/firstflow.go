package walkthrough

import (
	_ "embed"
	"fmt"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
)

//go:embed manifests/web-pod.yaml
var webPod []byte

//go:embed manifests/web-service.yaml
var webService []byte

// Walkthrough is one narrated flow.
type Walkthrough struct {
	Name      string
	TitleEn   string
	TitleKo   string
	Component string
	Run       func(p *Player, seed uint64, opts ...sim.Option) error
}

// All lists the built-in walkthroughs.
func All() []Walkthrough {
	return []Walkthrough{
		{Name: "first-flow", Component: "all seven", TitleEn: "pod create -> kube-apiserver -> etcd -> kube-scheduler -> kubelet and Cilium -> Running -> Service -> CoreDNS and kube-proxy -> curl", TitleKo: "파드 생성 -> kube-apiserver -> etcd -> kube-scheduler -> kubelet과 Cilium -> Running -> Service -> CoreDNS와 kube-proxy -> curl", Run: FirstFlow},
	}
}

// Find returns a walkthrough by name.
func Find(name string) (Walkthrough, bool) {
	for _, w := range All() {
		if w.Name == name {
			return w, true
		}
	}
	return Walkthrough{}, false
}

// FirstFlow plays the first flow: a Pod manifest is applied, passes
// kube-apiserver's pipeline, is stored in etcd at a new revision, and the
// change reaches every watcher.
func FirstFlow(p *Player, seed uint64, opts ...sim.Option) error {
	p.Say("Booting a cluster: etcd, kube-apiserver, kube-controller-manager and kube-scheduler on control-plane node cp-1;\na kubelet and a Cilium agent on every node (cp-1, worker-1, worker-2).",
		"클러스터를 부팅합니다: 컨트롤 플레인 노드 cp-1에서 etcd, kube-apiserver, kube-controller-manager, kube-scheduler가,\n모든 노드(cp-1, worker-1, worker-2)에서 kubelet과 Cilium 에이전트가 실행됩니다.")
	c, err := cluster.New(cluster.Config{Seed: seed, Addons: true, Options: append(opts, sim.WithTraceSink(p.Sink))})
	if err != nil {
		return err
	}
	defer c.Stop()
	p.Cluster = c
	defer func() {
		if !p.Quit() {
			p.ShowViews()
		}
		p.Cluster = nil
	}()
	if !c.WaitFor(c.NodesReady, 2*time.Minute) {
		return fmt.Errorf("the nodes did not become Ready")
	}
	c.K.RunFor(20 * time.Second) // let the leader elections settle
	p.Discard()
	p.Focus = func(r sim.Record) bool {
		if r.From == "kubectl" || r.To == "kubectl" || r.From == "kubectl-watch" || r.To == "kubectl-watch" {
			return true
		}
		s := r.Summary()
		for _, mark := range []string{"pods/default/web", "default/web", "pods/web", "(web)", " web "} {
			if strings.Contains(s, mark) {
				return true
			}
		}
		return false
	}
	p.Say(fmt.Sprintf("The cluster is up at virtual time %s. Its state lives in etcd under /registry/.", strings.TrimSpace(sim.FormatVirtual(c.K.Now()))),
		fmt.Sprintf("가상 시간 %s에 클러스터가 준비되었습니다. 클러스터 상태는 etcd의 /registry/ 아래에 저장됩니다.", strings.TrimSpace(sim.FormatVirtual(c.K.Now()))))

	p.Checkpoint("Step 1: a watcher opens a watch on pods (kubectl get pods --watch)",
		"1단계: watcher가 파드에 watch를 엽니다 (kubectl get pods --watch)")
	watcher := c.K.External("kubectl-watch", "")
	// The walkthrough follows the pod through kubectl --watch's events, so
	// watching it adds no traffic of its own.
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
	p.Drive(c.K, pw.Done)
	if p.Quit() {
		return nil
	}
	if _, err := pw.Result(); err != nil {
		return err
	}

	p.Checkpoint("Step 2: kubectl apply -f web-pod.yaml", "2단계: kubectl apply -f web-pod.yaml")
	objs, err := api.DecodeManifests("web-pod.yaml", webPod)
	if err != nil {
		return err
	}
	pod := objs[0]
	pod.GetObjectMeta().Namespace = "default"
	pc, err := c.Kubectl().Begin(c.APIServers[0], apiwire.KindRequest, &apiwire.Request{Verb: apiwire.VerbCreate, Resource: "pods", Namespace: "default", Object: pod, Token: cluster.AdminToken, UserAgent: "kubectl"}, time.Minute)
	if err != nil {
		return err
	}
	p.Drive(c.K, pc.Done)
	if p.Quit() {
		return nil
	}
	m, err := pc.Result()
	if err != nil {
		return err
	}
	created := m.Body.(*apiwire.Response).Object
	// Let the watch event reach the watcher.
	p.Drive(c.K, func() bool { return watcher.Pending() > 0 })

	rv := created.GetObjectMeta().ResourceVersion
	p.Checkpoint("Step 3: kube-scheduler notices the Pending pod and binds it to a node",
		"3단계: kube-scheduler가 Pending 파드를 발견하고 노드에 바인딩합니다")
	pod = nil
	node := ""
	p.Drive(c.K, func() bool {
		if latest != nil && latest.Spec.NodeName != "" {
			node = latest.Spec.NodeName
			return true
		}
		return false
	})
	if p.Quit() {
		return nil
	}
	p.Checkpoint("Step 4: the kubelet on "+node+" runs it; Cilium gives it an IP", "4단계: "+node+"의 kubelet이 파드를 실행하고 Cilium이 IP를 줍니다")
	var running *api.Pod
	p.Drive(c.K, func() bool {
		if latest != nil && latest.Status.Phase == api.PodRunning {
			running = latest
			return true
		}
		return false
	})
	if p.Quit() || running == nil {
		return nil
	}
	if p.Quit() {
		return nil
	}

	p.Checkpoint("Step 5: a Service in front of the pod, and a client pod", "5단계: 파드 앞의 Service와 클라이언트 파드")
	objs, err = api.DecodeManifests("web-service.yaml", webService)
	if err != nil {
		return err
	}
	applied, err := c.ApplyObjects(objs...)
	if err != nil {
		return err
	}
	svcIP := applied[0].Object.(*api.Service).Spec.ClusterIP
	// Wait (quietly) until the client runs and the Service has an endpoint
	// on every node's rules.
	prober := c.Prober()
	p.Focus = func(r sim.Record) bool {
		s := r.Summary()
		return strings.Contains(s, "services/web") || strings.Contains(s, "(web)") || strings.Contains(s, "endpointslices") && strings.Contains(s, "web-") ||
			r.Kind == "sync" && strings.HasPrefix(r.From, "kube-proxy")
	}
	p.Drive(c.K, func() bool { return client != nil && client.Status.Phase == api.PodRunning })
	if p.Quit() {
		return nil
	}
	deadline := c.K.Now() + 3*time.Second // kube-proxy's minSyncPeriod, CoreDNS's watch
	p.Drive(c.K, func() bool { return c.K.Now() >= deadline })
	p.Say(fmt.Sprintf("Service default/web got ClusterIP %s from 10.96.0.0/12; the EndpointSlice controller listed the pod's IP %s:80;\nkube-proxy on every node turned both into rules (KUBE-SVC-..., KUBE-SEP-...).", svcIP, running.Status.PodIP),
		fmt.Sprintf("Service default/web는 10.96.0.0/12에서 ClusterIP %s를 받았고, EndpointSlice 컨트롤러가 파드 IP %s:80을 기록했으며,\n모든 노드의 kube-proxy가 이를 규칙(KUBE-SVC-..., KUBE-SEP-...)으로 바꿨습니다.", svcIP, running.Status.PodIP))
	if p.Quit() {
		return nil
	}

	p.Checkpoint("Step 6: kubectl exec client -- curl web — CoreDNS, kube-proxy's rules, Cilium, the pod", "6단계: kubectl exec client -- curl web — CoreDNS, kube-proxy 규칙, Cilium, 파드")
	p.Focus = func(r sim.Record) bool {
		for _, who := range []string{r.From, r.To} {
			for _, prefix := range []string{"exec-", "datapath-", "coredns-"} {
				if strings.HasPrefix(who, prefix) {
					return true
				}
			}
		}
		return r.Kind == "verdict" || r.Kind == "deliver"
	}
	res := prober.Curl("default/client", "web")
	p.flush()
	if p.Quit() {
		return nil
	}
	fmt.Fprintln(p.Out)
	fmt.Fprint(p.Out, res.String())

	p.Checkpoint("What happened", "정리")
	p.Say(fmt.Sprintf(`kubectl printed "pod/web created" as soon as kube-apiserver stored the Pod in etcd (resourceVersion %s, the etcd
revision of the write). Nobody told the other components: kube-scheduler, the kubelet and kubectl --watch each learned of it
through their watches. The scheduler bound it to %s through pods/binding; that node's kubelet saw a pod for its node,
asked Cilium for a network (IP %s), pulled the image and started the container.
Then curl in the client pod resolved "web" through its resolv.conf search list and CoreDNS (behind kube-dns, 10.96.0.10),
connected to the ClusterIP %s, and its node's kube-proxy rules DNATed the packet to %s; Cilium allowed it at both
ends; the pod answered. Virtual time: %s.`,
		rv, node, running.Status.PodIP, svcIP, res.Endpoint, strings.TrimSpace(sim.FormatVirtual(c.K.Now()))),
		fmt.Sprintf(`kube-apiserver가 파드를 etcd에 저장하자마자(resourceVersion %s, 쓰기의 etcd revision) kubectl은 "pod/web created"를
출력했습니다. 아무도 다른 컴포넌트에 직접 알리지 않았습니다: kube-scheduler, kubelet, kubectl --watch는 각자의 watch로
알게 되었습니다. 스케줄러가 pods/binding으로 %s에 바인딩했고, 그 노드의 kubelet이 Cilium에 네트워크를 요청(IP %s)하고
이미지를 받아 컨테이너를 시작했습니다.
이어서 클라이언트 파드의 curl이 resolv.conf의 search 목록과 CoreDNS(kube-dns, 10.96.0.10 뒤)로 "web"을 풀고,
ClusterIP %s로 연결했으며, 그 노드의 kube-proxy 규칙이 패킷을 %s로 DNAT했고, Cilium이 양쪽에서 허용했고,
파드가 응답했습니다. 가상 시간: %s.`,
			rv, node, running.Status.PodIP, svcIP, res.Endpoint, strings.TrimSpace(sim.FormatVirtual(c.K.Now()))))
	return nil
}
