package walkthrough

import (
	_ "embed"
	"fmt"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
)

//go:embed manifests/web-pod.yaml
var webPod []byte

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
		{Name: "first-flow", Component: "kube-apiserver", TitleEn: "kubectl apply -> kube-apiserver -> etcd -> watchers", TitleKo: "kubectl apply -> kube-apiserver -> etcd -> watcher", Run: FirstFlow},
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
	p.Say("Booting a cluster: etcd and kube-apiserver on control-plane node cp-1, kube-controller-manager beside them.",
		"클러스터를 부팅합니다: 컨트롤 플레인 노드 cp-1에서 etcd와 kube-apiserver, kube-controller-manager가 실행됩니다.")
	c, err := cluster.New(cluster.Config{Seed: seed, Options: append(opts, sim.WithTraceSink(p.Sink))})
	if err != nil {
		return err
	}
	defer c.Stop()
	p.Discard()
	p.Say(fmt.Sprintf("The cluster is up at virtual time %s. Its state lives in etcd under /registry/.", strings.TrimSpace(sim.FormatVirtual(c.K.Now()))),
		fmt.Sprintf("가상 시간 %s에 클러스터가 준비되었습니다. 클러스터 상태는 etcd의 /registry/ 아래에 저장됩니다.", strings.TrimSpace(sim.FormatVirtual(c.K.Now()))))

	p.Checkpoint("Step 1: a watcher opens a watch on pods (kubectl get pods --watch)",
		"1단계: watcher가 파드에 watch를 엽니다 (kubectl get pods --watch)")
	watcher := c.K.External("kubectl-watch", "")
	pw, err := watcher.Begin(c.APIServers[0], apiserver.KindRequest, &apiserver.Request{Verb: apiserver.VerbWatch, Resource: "pods", Namespace: "default", Token: cluster.AdminToken, UserAgent: "kubectl"}, time.Minute)
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
	pc, err := c.Kubectl().Begin(c.APIServers[0], apiserver.KindRequest, &apiserver.Request{Verb: apiserver.VerbCreate, Resource: "pods", Namespace: "default", Object: pod, Token: cluster.AdminToken, UserAgent: "kubectl"}, time.Minute)
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
	created := m.Body.(*apiserver.Response).Object
	// Let the watch event reach the watcher.
	p.Drive(c.K, func() bool { return watcher.Pending() > 0 })

	p.Checkpoint("What happened", "정리")
	rv := created.GetObjectMeta().ResourceVersion
	p.Say(fmt.Sprintf(`kubectl printed "pod/web created". The Pod is stored at /registry/pods/default/web with resourceVersion %s,
the etcd revision of the write. It is Pending: nothing has scheduled it yet (the scheduler is the next component to join
this cluster). Every watcher — controllers, the scheduler, kubelets, kubectl --watch — learns of it through the same watch
fan-out you just saw.`, rv),
		fmt.Sprintf(`kubectl이 "pod/web created"를 출력했습니다. 파드는 /registry/pods/default/web에 resourceVersion %s
(쓰기의 etcd revision)로 저장되었습니다. 아직 아무도 스케줄하지 않았으므로 Pending 상태입니다. 컨트롤러, 스케줄러,
kubelet, kubectl --watch 등 모든 watcher는 방금 본 것과 같은 watch 전달로 이 변경을 알게 됩니다.`, rv))
	return nil
}
