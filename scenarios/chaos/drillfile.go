package chaos

import (
	"fmt"
	"strings"
	"time"

	"github.com/kubesim/kubesim/scenarios/drill"
)

// DefaultSettle bounds the virtual time the healed cluster gets to come to
// rest before the invariants are checked.
const DefaultSettle = 10 * time.Minute

// workloadWithin bounds the wait for the workload to run, before the
// first fault.
const workloadWithin = Warmup - 10*time.Second

// Name is the drill's name for a plan.
func (p *Plan) Name() string { return fmt.Sprintf("chaos-seed-%d", p.Seed) }

// Command is the command line that replays the plan.
func (p *Plan) Command() string {
	return fmt.Sprintf("kubesim chaos --seed %d --duration %s --faults %s", p.Seed, p.Duration, strings.Join(p.Kinds, ","))
}

// Manifests is the workload: a Deployment and a ClusterIP Service per
// entry, and the client pod.
func (p *Plan) Manifests() string {
	var b strings.Builder
	for i, d := range p.Workload {
		if i > 0 {
			b.WriteString("---\n")
		}
		fmt.Fprintf(&b, `apiVersion: apps/v1
kind: Deployment
metadata: {name: %[1]s}
spec:
  replicas: %[2]d
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata: {labels: {app: %[1]s}}
    spec:
      containers:
      - {name: %[1]s, image: "registry.k8s.io/e2e-test-images/agnhost:2.53", args: ["serve-hostname", "--port=%[4]d"], ports: [{containerPort: %[4]d}]}
---
apiVersion: v1
kind: Service
metadata: {name: %[1]s}
spec:
  selector: {app: %[1]s}
  ports: [{name: tcp, port: %[3]d, targetPort: %[4]d}]
`, d.Name, d.Replicas, d.Port, d.TargetPort)
	}
	fmt.Fprintf(&b, `---
apiVersion: v1
kind: Pod
metadata: {name: %s}
spec:
  tolerations: [{operator: Exists}]
  containers:
  - {name: shell, image: "busybox:1.36", command: ["sleep", "infinity"]}
`, ClientPod)
	return b.String()
}

// Drill is the plan as a drill file: the cluster, the workload and a wait
// for it, the schedule (every step with its at:), then expectations that
// grade what a drill can express of the invariants — every Deployment's
// pods Running again, and every Service answering curl and nslookup from
// the client pod. `kubesim chaos` checks the rest (unique IPs, slices and
// rules matching the Services, no pod on two nodes) itself.
func (p *Plan) Drill() []byte {
	var b strings.Builder
	q := func(s string) string { return fmt.Sprintf("%q", s) }
	fmt.Fprintf(&b, "# Written by: %s --emit-drill FILE\n", p.Command())
	fmt.Fprintf(&b, "name: %s\n", p.Name())
	fmt.Fprintf(&b, "title:\n  en: %s\n  ko: %s\n",
		q(fmt.Sprintf("Chaos, seed %d: %s of faults (%s)", p.Seed, p.Duration, strings.Join(p.Kinds, ", "))),
		q(fmt.Sprintf("카오스, 시드 %d: %s 동안의 장애 (%s)", p.Seed, p.Duration, strings.Join(p.Kinds, ", "))))
	fmt.Fprintf(&b, "description:\n  en: %s\n  ko: %s\n",
		q(fmt.Sprintf("A workload runs while %d faults hit components, nodes and links; then everything is healed and the cluster must converge.", p.Faults())),
		q(fmt.Sprintf("워크로드가 도는 동안 컴포넌트, 노드, 링크에 장애 %d개가 일어납니다. 그 뒤 모두 복구되고, 클러스터는 원래 상태로 수렴해야 합니다.", p.Faults())))
	fmt.Fprintf(&b, "seed: %d\ncluster:\n  controlPlanes:\n", p.Seed)
	for _, n := range ControlPlanes {
		fmt.Fprintf(&b, "  - {name: %s}\n", n)
	}
	b.WriteString("  workers:\n")
	for _, n := range Workers {
		fmt.Fprintf(&b, "  - {name: %s}\n", n)
	}
	b.WriteString("steps:\n- name: {en: the workload, ko: 워크로드}\n  apply: |\n")
	for _, l := range strings.Split(strings.TrimRight(p.Manifests(), "\n"), "\n") {
		b.WriteString("    " + l + "\n")
	}
	fmt.Fprintf(&b, "- wait: {pods: {phase: Running, count: %d}, within: %s}\n", p.workloadPods(), workloadWithin)
	for _, a := range p.Actions {
		b.WriteString(actionStep(a))
	}
	fmt.Fprintf(&b, "expect:\n")
	for _, d := range p.Workload {
		fmt.Fprintf(&b, "- name: {en: %s, ko: %s}\n  pods: {selector: app=%s, phase: Running, count: %d}\n  within: %s\n",
			q(fmt.Sprintf("Deployment %s runs its %d replicas again", d.Name, d.Replicas)),
			q(fmt.Sprintf("Deployment %s의 레플리카 %d개가 다시 실행됩니다", d.Name, d.Replicas)),
			d.Name, d.Replicas, DefaultSettle)
	}
	for _, d := range p.Workload {
		fmt.Fprintf(&b, "- name: {en: %s, ko: %s}\n  exec: {pod: %s, command: %s, exitCode: 0}\n  within: %s\n",
			q(fmt.Sprintf("curl %s answers from the client pod", d.Name)),
			q(fmt.Sprintf("client 파드에서 curl %s가 응답합니다", d.Name)),
			ClientPod, q(fmt.Sprintf("curl %s:%d", d.Name, d.Port)), DefaultSettle)
		fmt.Fprintf(&b, "- name: {en: %s, ko: %s}\n  exec: {pod: %s, command: %s, exitCode: 0}\n  within: %s\n",
			q(fmt.Sprintf("nslookup %s answers from the client pod", d.Name)),
			q(fmt.Sprintf("client 파드에서 nslookup %s가 응답합니다", d.Name)),
			ClientPod, q("nslookup "+d.Name), DefaultSettle)
	}
	b.WriteString("hints:\n")
	fmt.Fprintf(&b, "- en: %s\n  ko: %s\n",
		q("Replay it with the invariants checked: "+p.Command()),
		q("불변 조건까지 검사하며 다시 실행하려면: "+p.Command()))
	return []byte(b.String())
}

// workloadPods is how many pods the workload runs: every replica and the
// client.
func (p *Plan) workloadPods() int {
	n := 1
	for _, d := range p.Workload {
		n += d.Replicas
	}
	return n
}

// actionStep is one action as a drill step.
func actionStep(a Action) string {
	at := time.Duration(a.At).String()
	switch a.Op {
	case "partition", "heal":
		return fmt.Sprintf("- {at: %s, %s: {a: %s, b: %s}}\n", at, a.Op, a.Target, a.Peer)
	case "delete":
		return fmt.Sprintf("- {at: %s, delete: pods, namespace: kube-system, selector: %s}\n", at, a.Target)
	case "exec":
		return fmt.Sprintf("- {at: %s, exec: {pod: %s, command: %q}}\n", at, ClientPod, a.Target)
	}
	return fmt.Sprintf("- {at: %s, %s: %s}\n", at, a.Op, a.Target)
}

// ParseDrill reads the plan's drill back, as `kubesim run` would: the
// steps a chaos run executes are the ones the file holds.
func (p *Plan) ParseDrill() (*drill.Drill, error) {
	return drill.Parse(p.Name()+".yaml", p.Drill(), nil)
}
