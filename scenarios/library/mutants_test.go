package library

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/kubesim/kubesim/scenarios/drill"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Graders that can fail. A grader is an expectation (of a step or of the
// drill), a step with expectError, or an exec step that grades its exit
// code or output; waits are preconditions, not graders. For every grader
// of every built-in drill, some mutant below — the drill's world with the
// fault removed, the fix not applied, a pod on the wrong node — makes it
// FAIL, and each mutant fails at least the graders it names.

// A mutant is a drill's world, changed.
type mutant struct {
	world  string
	mutate func(t *testing.T, d *drill.Drill)
	fails  []string
}

var mutants = map[string][]mutant{
	"apiserver-down": {
		{"kube-apiserver is never stopped", drop("stop kube-apiserver", "start it again"),
			[]string{"kubectl gets nowhere"}},
		{"the Service selects nothing", manifest("a web app, its Service and a client", "selector: {app: web}", "selector: {app: wbe}"),
			[]string{"the client reaches the web pods as before"}},
		{"the client's container crashes and is restarted", manifest("a web app, its Service and a client", "metadata: {name: client}",
			`metadata: {name: client, annotations: {kubesim.io/behavior: "shell: {exitAfter: 1s, exitCode: 1}"}}`),
			[]string{"nothing was restarted while the apiserver was away"}},
		{"only one web replica", manifest("a web app, its Service and a client", "replicas: 2", "replicas: 1"),
			[]string{"the web pods kept running"}},
	},
	"cilium-agent-down": {
		{"the agent is never stopped", drop("stop the Cilium agent on worker-1"),
			[]string{"the kubelet cannot create the sandbox", "the container waits in ContainerCreating", "the pod has no IP"}},
	},
	"control-plane-node-down": {
		{"cp-2 goes down too: etcd loses its quorum", insertAfter("power off cp-1", "- stopNode: cp-2"),
			[]string{"the Deployment's pods are created, scheduled and run"}},
		{"worker-1 goes down too", insertAfter("power off cp-1", "- stopNode: worker-1"),
			[]string{"the other nodes stay Ready"}},
	},
	"controller-manager-down": {
		{"the controller is never stopped", drop("stop kube-controller-manager"),
			[]string{"no default ServiceAccount appears while the controller is down", "a pod cannot be created without its ServiceAccount"}},
		{"the controller is not started again", drop("start kube-controller-manager again"),
			[]string{"the controller creates the missing ServiceAccount"}},
	},
	"coredns-down": {
		{"CoreDNS is never stopped", drop("stop CoreDNS", "CoreDNS is gone"),
			[]string{"curl by name now fails"}},
		{"the Service selects nothing", manifest("a web app, its Service and a client", "selector: {app: web}", "selector: {app: wbe}"),
			[]string{"curl by name works", "the same Service by its ClusterIP still works"}},
	},
	"drain-with-pdb": {
		{"worker-1 is never drained", drop("drain worker-1"),
			[]string{"the web pods all run on worker-2"}},
		{"the Deployment is scaled to two after the drain", insertAfter("drain worker-1", "- scale: {target: deployment/web, replicas: 2}"),
			[]string{"the budget allows one disruption again"}},
	},
	"etcd-member-down": {
		{"the member stopped first is the leader", moveLeader("etcd-cp-1 takes the lead", "etcd-cp-3"),
			[]string{"the write committed at once"}},
		{"the leader is not stopped", drop("stop the leader, etcd-cp-2"),
			[]string{"a write while there is no leader", "the lost write did not commit"}},
		{"a second member fails before the retry", insertAfter("a write while there is no leader", "- kill: etcd-cp-3"),
			[]string{"the retry committed at once"}},
		{"the old leader never returns and a second member fails", all(drop("bring the old leader back"), insertAfter("the same write, retried", "- kill: etcd-cp-3")),
			[]string{"the cluster keeps serving writes"}},
	},
	"etcd-quorum-loss-and-restore": {
		{"only one member fails", drop("the second one fails too", "the other member returns"),
			[]string{"a write waits, then fails"}},
		{"the snapshot is never restored", drop("etcdutl snapshot restore"),
			[]string{"what came after the snapshot is gone", "including what was written after the outage"}},
		{"the state was deleted before the backup", insertAfter("some state worth keeping", "- delete: configmap/before-backup"),
			[]string{"what was in the snapshot is back"}},
	},
	"kube-proxy-down": {
		{"the Service selects nothing", manifest("one backend on worker-2, a client on worker-1", "selector: {app: web}", "selector: {app: wbe}"),
			[]string{"it works"}},
		{"kube-proxy is never stopped", drop("stop kube-proxy on worker-1"),
			[]string{"worker-1's stale rules still DNAT to web-1's old address"}},
		{"kube-proxy is not started again", drop("start kube-proxy again"),
			[]string{"fresh rules, working traffic"}},
	},
	"limitrange-defaults": {
		{"the quota does not ask for limits", manifest("a quota on CPU and memory", `hard: {requests.cpu: "2", limits.cpu: "4", limits.memory: 2Gi}`, `hard: {pods: "10"}`),
			[]string{"a pod without resources is refused", "the quota counts the defaults"}},
		{"there is no LimitRange", drop("a LimitRange with defaults and a CPU maximum"),
			[]string{"LimitRanger gave the container its default limit", "and its default request", "and said so in the pod's annotation", "a container over the maximum is refused"}},
		{"the LimitRange allows 4 CPUs", manifest("a LimitRange with defaults and a CPU maximum", `max: {cpu: "1"}`, `max: {cpu: "4"}`),
			[]string{"a container over the maximum is refused"}},
		{"the kubelet has not resynced the pod yet", drop("a minute later, the kubelet has resynced the pod"),
			[]string{"the mounted file shows the new value"}},
		{"the ConfigMap said bonjour before the container started", manifest("a ConfigMap and a pod that reads it as env and as a file", "data: {greeting: hello}", "data: {greeting: bonjour}"),
			[]string{"the environment still has the value the container started with"}},
	},
	"namespace-lifecycle": {
		{"another namespace is created", manifest("create a namespace", "name: team-a", "name: team-b"),
			[]string{"the namespace is Active"}},
		{"another namespace is deleted", all(
			insertAfter("create a namespace", "- apply: |\n    apiVersion: v1\n    kind: Namespace\n    metadata: {name: team-b}\n- advance: 5s"),
			func(t *testing.T, d *drill.Drill) { d.Steps[stepIndex(t, d, "delete it")].Delete = "namespace/team-b" }),
			[]string{"the namespace is Terminating", "try to create a pod in it", "the namespace controller empties it, then it goes", "the pod was never stored"}},
	},
	"quota-pods": {
		{"the quota allows ten pods", manifest("limit the namespace to three pods", `pods: "3"`, `pods: "10"`),
			[]string{"the controller fills status.hard", "the fourth pod is refused", "the ReplicaSet reports FailedCreate with the quota's text", "the fourth pod was never stored"}},
		{"only two pods are created", manifest("create three pods", "metadata: {name: web-3}", "metadata: {name: web-2}"),
			[]string{"the quota counts three pods", "the fourth pod is refused", "the fourth pod was never stored"}},
	},
	"node-failure-eviction": {
		{"worker-3 keeps running", drop("worker-3 loses power"),
			[]string{"an eviction event", "six replicas run again, on the live workers"}},
		{"the live workers are cordoned: the replacements stay Pending while two pods are Terminating on worker-3",
			insertAfter("worker-3 loses power", "- cordon: worker-1\n- cordon: worker-2"),
			[]string{"six replicas run again, on the live workers"}},
	},
	"zone-failure-500-nodes": {
		{"zone-c keeps power", drop("zone-c loses power"),
			[]string{"only some of zone-c tainted yet (rate-limited)", "the first tainted nodes' pods are evicted"}},
		{"every zone goes dark: master disruption mode, nothing is tainted",
			insertAfter("zone-c loses power", "- stopZone: zone-a\n- stopZone: zone-b"),
			[]string{"only some of zone-c tainted yet (rate-limited)", "zone-a and zone-b stay Ready", "the first tainted nodes' pods are evicted"}},
		{"the pods may only run in zone-c: the replacements stay Pending",
			manifest("600 replicas over the three zones", "      containers:", "      nodeSelector: {topology.kubernetes.io/zone: zone-c}\n      containers:"),
			[]string{"600 replicas run again, not counting the evicted ones still Terminating on dead nodes"}},
	},
	"pending-resources": {
		{"the pod fits", manifest("ask for more CPU than any node has", `cpu: "3"`, `cpu: "1"`),
			[]string{"FailedScheduling says why, node by node", "PodScheduled=False, reason Unschedulable", "still Pending"}},
	},
	"priority-preemption": {
		{"the web pods never preempt (preemptionPolicy: Never)", manifest("three PriorityClasses", "value: 100000", "value: 100000\n    preemptionPolicy: Never"),
			[]string{"the web pods run on worker-2", "the scheduler nominated worker-2 for them", "batch pods were preempted on worker-2", "the batch replacements wait: nothing of lower priority is left to preempt"}},
		{"web has batch's priority: only the database pods are lower", manifest("three PriorityClasses", "value: 100000", "value: 2000"),
			[]string{"the web pods run on worker-2", "the database pods are untouched"}},
		{"no budget guards the database", drop("a budget: both database pods must stay available"),
			[]string{"the web pods run on worker-2", "the database pods are untouched"}},
	},
	"pending-taints": {
		{"the first pod already tolerates the taint", manifest("a pod without a toleration", "spec:\n", "spec:\n  tolerations:\n  - {key: dedicated, operator: Equal, value: gpu, effect: NoSchedule}\n"),
			[]string{"every node refuses it"}},
		{"the toleration is not added", manifest("the pod again, with the toleration", "- {key: dedicated, operator: Equal, value: gpu, effect: NoSchedule}", "- {key: other, operator: Exists, effect: NoSchedule}"),
			[]string{"now it runs on a worker"}},
	},
	"policy-blocks-traffic": {
		{"no policy is applied", drop("the L3/L4 rule"),
			[]string{"the xwing's SYN is dropped — curl times out"}},
		{"the Service selects nothing", manifest("the deathstar and two ships", "selector: {org: empire, class: deathstar}\n  ports", "selector: {org: empire, class: tiefighter}\n  ports"),
			[]string{"without policy both ships land", "the tiefighter lands too", "the tiefighter still lands"}},
	},
	"job-pi-and-cron": {
		{"the pi Job is suspended", manifest("the pi Job", "backoffLimit: 4", "backoffLimit: 4\n  suspend: true"),
			[]string{"the pi Job completed"}},
		{"the CronJob is suspended", manifest("a CronJob every minute, one Job at a time", "concurrencyPolicy: Forbid", "concurrencyPolicy: Forbid\n  suspend: true"),
			[]string{"the CronJob created Jobs", "Forbid held a minute back", "the controller saw its Jobs complete", "the history limit deleted the oldest Job", "at most one Job of the CronJob is active"}},
		{"the CronJob allows concurrent Jobs", manifest("a CronJob every minute, one Job at a time", "concurrencyPolicy: Forbid", "concurrencyPolicy: Allow"),
			[]string{"Forbid held a minute back", "at most one Job of the CronJob is active"}},
		{"the history keeps ten Jobs", manifest("a CronJob every minute, one Job at a time", "successfulJobsHistoryLimit: 2", "successfulJobsHistoryLimit: 10"),
			[]string{"the history limit deleted the oldest Job"}},
		{"the FailJob rule names another exit code", manifest("a Job whose container exits with 42", "values: [42]", "values: [43]"),
			[]string{"the crash Job failed by its pod failure policy", "after one failed pod, not six retries"}},
	},
	"crd-crontab": {
		{"the CRD is never deleted", drop("delete the CRD"),
			[]string{"the CronTab is deleted with its CRD", "the CRD is gone"}},
		{"replicas has no default", manifest("define CronTab", "maximum: 10, default: 1}", "maximum: 10}"),
			[]string{"spec.replicas is defaulted"}},
		{"the schema declares spec.schedule", manifest("define CronTab", "cronSpec: {type: string}", "cronSpec: {type: string}\n              schedule: {type: string}"),
			[]string{"the unknown field is pruned"}},
		{"replicas has no maximum", manifest("define CronTab", "maximum: 10, ", ""),
			[]string{"a CronTab with too many replicas", "the invalid CronTab was never stored"}},
		{"another CRD of the group holds the short name ct", insertBefore("define CronTab", "- apply: |\n    apiVersion: apiextensions.k8s.io/v1\n    kind: CustomResourceDefinition\n    metadata: {name: crontabx.stable.example.com}\n    spec:\n      group: stable.example.com\n      scope: Namespaced\n      names: {plural: crontabx, kind: CronTabX, shortNames: [ct]}\n      versions: [{name: v1, served: true, storage: true}]\n- advance: 1s"),
			[]string{"the names are accepted", "the CRD is Established"}},
	},
	"statefulset-web": {
		{"the set has one replica", manifest("the web StatefulSet and its headless Service", "replicas: 2", "replicas: 1"),
			[]string{"two pods run, web-0 and web-1", "created by the StatefulSet controller"}},
		{"the pods' subdomain names no Service", manifest("the web StatefulSet and its headless Service", "serviceName: nginx", "serviceName: other"),
			[]string{"web-0.nginx resolves from a pod"}},
		{"the claims ask for a class that does not exist", manifest("the web StatefulSet and its headless Service", "accessModes: [ReadWriteOnce]", "storageClassName: nosuch\n      accessModes: [ReadWriteOnce]"),
			[]string{"two pods run, web-0 and web-1", "each pod got its claim first", "www-web-0 is Bound", "www-web-1 is Bound"}},
	},
	"hpa-php-apache": {
		{"php-apache asks for no CPU: the HPA cannot compute a utilization", manifest("php-apache and its Service",
			"        resources:\n          limits:\n            cpu: 500m\n          requests:\n            cpu: 200m\n", ""),
			[]string{"the HPA scales php-apache up", "because cpu is above target", "the HPA settles at seven replicas or more", "no scale-down within the stabilization window"}},
		{"the load generator sends nothing", manifest("start the load generator", "wget -q -O- http://php-apache", "echo hi"),
			[]string{"the HPA scales php-apache up", "because cpu is above target", "the HPA settles at seven replicas or more", "no scale-down within the stabilization window"}},
		{"a 30 s scale-down window", manifest("the HPA: 1 to 10 replicas at 50% CPU", "        averageUtilization: 50\n",
			"        averageUtilization: 50\n  behavior:\n    scaleDown:\n      stabilizationWindowSeconds: 30\n"),
			[]string{"no scale-down within the stabilization window"}},
		{"the load never stops", drop("stop the load"),
			[]string{"after the window, one replica again", "because all metrics are below target"}},
	},
	"replicaset-scale": {
		{"the ReplicaSet is never scaled", drop("scale to five"),
			[]string{"five pods run", "with the controller's events"}},
	},
	"storage-claim-binding": {
		{"a matching volume exists already", insertBefore("claim 3Gi of class manual", "- apply: |\n    apiVersion: v1\n    kind: PersistentVolume\n    metadata: {name: early}\n    spec:\n      storageClassName: manual\n      capacity: {storage: 5Gi}\n      accessModes: [ReadWriteOnce]\n      hostPath: {path: /mnt/early}"),
			[]string{"the claim is Pending", "the claim bound to the volume"}},
		{"the claim asks for the default class", manifest("claim 3Gi of class manual", "storageClassName: manual", "storageClassName: standard"),
			[]string{"the binder says the class does not exist", "the claim bound to the volume"}},
		{"no volume is created", drop("create the volume"),
			[]string{"the claim bound to the volume", "the Retain volume is Released, not deleted"}},
		{"the claim is never deleted", drop("delete the claim"),
			[]string{"the Retain volume is Released, not deleted"}},
		{"the volume is too small", manifest("create the volume", "storage: 10Gi", "storage: 1Gi"),
			[]string{"the claim bound to the volume", "the Retain volume is Released, not deleted"}},
	},
	"storage-dynamic-provisioning": {
		{"the claim of app names a class that does not exist", manifest("a pod with a claim of the default class, and one with a claim of a class that does not exist",
			"metadata: {name: data}\nspec:\n", "metadata: {name: data}\nspec:\n  storageClassName: nosuch\n"),
			[]string{"the claim waited for its first consumer", "the binder handed the claim to the provisioner", "the provisioner made the volume", "the claim is Bound", "app runs"}},
		{"the class fast is never created", drop("create the class fast, binding when a pod uses it"),
			[]string{"stuck runs once its class exists", "its claim is Bound too"}},
		{"stuck's claim asks for the default class", manifest("a pod with a claim of the default class, and one with a claim of a class that does not exist", "storageClassName: fast", "storageClassName: standard"),
			[]string{"stuck stays Pending", "the scheduler says the claim is unbound", "the binder says the class does not exist"}},
		{"the class fast binds at once, which the local-path provisioner cannot serve", manifest("create the class fast, binding when a pod uses it", "volumeBindingMode: WaitForFirstConsumer", "volumeBindingMode: Immediate"),
			[]string{"stuck runs once its class exists", "its claim is Bound too"}},
	},
	"scheduler-down": {
		{"the scheduler is left running", drop("stop kube-scheduler"),
			[]string{"the pod stays Pending", "nobody says anything about it"}},
		{"the scheduler is left running and the pod fits no node", all(drop("stop kube-scheduler"), manifest("create a pod", "image: nginx:1.27", "image: nginx:1.27\n    resources: {requests: {cpu: \"64\"}}")),
			[]string{"not even FailedScheduling"}},
		{"the scheduler is not started again", drop("start kube-scheduler again"),
			[]string{"the pod is scheduled and runs", "with a Scheduled event"}},
	},
	"service-selector-typo": {
		{"the selector has no typo", manifest("a web app and a Service with a typo in its selector", "selector: {app: wbe}", "selector: {app: web}"),
			[]string{"the Service resolves but refuses connections"}},
		{"the fix is not applied", drop("fix the selector"),
			[]string{"now it answers"}},
	},
	"walkthrough-cilium": {
		{"a policy admits nothing to the server", insertAfter("both pods run", "- apply: |\n    apiVersion: networking.k8s.io/v1\n    kind: NetworkPolicy\n    metadata: {name: deny}\n    spec:\n      podSelector: {matchLabels: {app: server}}\n      policyTypes: [Ingress]"),
			[]string{"forwarded, no policy selects them"}},
		{"worker-1's Cilium agent is down", insertBefore("two pods on worker-1", "- kill: cilium-agent-worker-1"),
			[]string{"the server's endpoint has an allocated identity"}},
		{"three control-plane nodes take the pool's first /24s", func(t *testing.T, d *drill.Drill) { d.Cluster.EtcdMembers = 3 },
			[]string{"the worker got the pool's second /24 (cp-1 has the first)"}},
	},
	"walkthrough-coredns": {
		{"CoreDNS is scaled to zero", insertAfter("a Service and a client", "- scale: {target: deployment/coredns, replicas: 0}\n  namespace: kube-system"),
			[]string{"nslookup walks the search list", "a name that does not exist"}},
	},
	"walkthrough-etcd": {
		{"two members are down for the update", insertBefore("an update — a new revision of the same key", "- kill: etcd-cp-2\n- kill: etcd-cp-3"),
			[]string{"the object holds the new value"}},
		{"a second member is down for the last write", insertAfter("one member stops; two of three still make a majority", "- kill: etcd-cp-2"),
			[]string{"the write committed without the third member"}},
	},
	"walkthrough-kube-apiserver": {
		{"the manifest sets what admission and defaulting would", all(
			insertBefore("a minimal pod", "- apply: |\n    apiVersion: v1\n    kind: ServiceAccount\n    metadata: {name: builder}"),
			manifest("a minimal pod", "spec:\n", "spec:\n  serviceAccountName: builder\n  schedulerName: my-scheduler\n  tolerations:\n  - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 60}\n")),
			[]string{"ServiceAccount admission", "DefaultTolerationSeconds", "defaulting"}},
		{"the name is valid", manifest("validation refuses a bad name", "name: Web_1", "name: web-1"),
			[]string{"validation refuses a bad name"}},
		{"the namespace exists", insertBefore("NamespaceLifecycle refuses a namespace that does not exist", "- apply: |\n    apiVersion: v1\n    kind: Namespace\n    metadata: {name: nowhere}"),
			[]string{"NamespaceLifecycle refuses a namespace that does not exist"}},
	},
	"walkthrough-kube-controller-manager": {
		{"kube-controller-manager is down", insertBefore("delete one of its pods", "- kill: kube-controller-manager"),
			[]string{"three Running again", "a replacement was created"}},
	},
	"walkthrough-kube-proxy": {
		{"the Service selects nothing", manifest("three backends and a Service", "selector: {app: web}", "selector: {app: wbe}"),
			[]string{"the ClusterIP answers, DNATed to one pod", "the EndpointSlice lists the three pods"}},
	},
	"walkthrough-kube-scheduler": {
		{"the pod lands on a node without an SSD", manifest("a pod that needs an SSD", "nodeSelector: {disktype: ssd}", "nodeSelector: {kubernetes.io/hostname: worker-2}"),
			[]string{"the pod landed on an SSD node"}},
		{"no node has the label asked for", manifest("a pod that needs an SSD", "nodeSelector: {disktype: ssd}", "nodeSelector: {disktype: nvme}"),
			[]string{"Scheduled with the real message"}},
		{"every worker is cordoned before the replicas", insertBefore("three replicas spread over zones", "- cordon: worker-1\n- cordon: worker-2\n- cordon: worker-3"),
			[]string{"all three replicas run"}},
	},
}

func TestEveryGraderFailsInAMutatedWorld(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the mutants run every drill again")
	}
	for _, name := range Names() {
		d, _, err := Load(name)
		require.NoError(t, err)
		if d.IsIncident() {
			continue // incidents prove their checks with wrong fixes
		}
		t.Run(name, func(t *testing.T) {
			skipLarge(t, d)
			graders := gradersOf(d)
			require.NotEmpty(t, graders)
			failed := map[string]bool{}
			for _, m := range mutants[name] {
				t.Run(m.world, func(t *testing.T) {
					md, _, err := Load(name)
					require.NoError(t, err)
					m.mutate(t, md)
					res, err := drill.Run(md, drill.Options{})
					require.NoError(t, err)
					got := failing(res)
					for _, g := range m.fails {
						require.True(t, graders[g], "%q is not a grader of %s", g, name)
						if assert.True(t, got[g], "%q passes in a world where %s (failing: %s)", g, m.world, keys(got)) {
							failed[g] = true
						}
					}
				})
			}
			for g := range graders {
				assert.True(t, failed[g], "no mutant of %s makes %q fail", name, g)
			}
		})
	}
}

// gradersOf names every grader of a drill.
func gradersOf(d *drill.Drill) map[string]bool {
	out := map[string]bool{}
	for _, s := range d.Steps {
		if s.ExpectError != "" || (s.Exec != nil && (s.Exec.ExitCode != nil || s.Exec.Output != "")) {
			out[s.Name.En] = true
		}
		for _, e := range s.Expect {
			out[e.Name.En] = true
		}
	}
	for _, e := range d.Expect {
		out[e.Name.En] = true
	}
	return out
}

// failing names what failed in a run: steps and expectations.
func failing(res *drill.Result) map[string]bool {
	out := map[string]bool{}
	for _, s := range res.Steps {
		if !s.OK {
			out[s.Name] = true
		}
		for _, g := range s.Expect {
			if !g.Passed {
				out[g.Name] = true
			}
		}
	}
	for _, g := range res.Expectations {
		if !g.Passed {
			out[g.Name] = true
		}
	}
	return out
}

func keys(m map[string]bool) string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

func stepIndex(t *testing.T, d *drill.Drill, name string) int {
	t.Helper()
	for i, s := range d.Steps {
		if s.Name.En == name {
			return i
		}
	}
	t.Fatalf("%s has no step %q", d.Name, name)
	return -1
}

// drop removes the named steps (a name no step has is ignored, so a
// mutant can drop an optional companion step).
func drop(names ...string) func(*testing.T, *drill.Drill) {
	return func(t *testing.T, d *drill.Drill) {
		var kept []drill.Step
		for _, s := range d.Steps {
			if !contains(names, s.Name.En) {
				kept = append(kept, s)
			}
		}
		require.Less(t, len(kept), len(d.Steps), "nothing dropped")
		d.Steps = kept
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// manifest replaces text in the named step's inline manifest.
func manifest(step, old, new string) func(*testing.T, *drill.Drill) {
	return func(t *testing.T, d *drill.Drill) {
		s := &d.Steps[stepIndex(t, d, step)]
		require.NotNil(t, s.Apply)
		require.Equal(t, 1, strings.Count(s.Apply.Text, old), "%q in the manifest of %q", old, step)
		s.Apply.Text = strings.Replace(s.Apply.Text, old, new, 1)
	}
}

// moveLeader changes where a moveLeader step hands the lead.
func moveLeader(step, to string) func(*testing.T, *drill.Drill) {
	return func(t *testing.T, d *drill.Drill) {
		s := &d.Steps[stepIndex(t, d, step)]
		require.NotEmpty(t, s.MoveLeader)
		s.MoveLeader = to
	}
}

func insertAfter(step, steps string) func(*testing.T, *drill.Drill) {
	return insert(step, steps, 1)
}

func insertBefore(step, steps string) func(*testing.T, *drill.Drill) {
	return insert(step, steps, 0)
}

func insert(step, steps string, after int) func(*testing.T, *drill.Drill) {
	return func(t *testing.T, d *drill.Drill) {
		// The steps are read against the drill's own cluster, as its
		// targets and nodes are checked when a drill is read.
		var b strings.Builder
		b.WriteString("name: mutant\ncluster: {}\n")
		if d.Cluster.EtcdMembers != 0 || len(d.Cluster.ControlPlanes)+len(d.Cluster.Workers) > 0 {
			b.Reset()
			b.WriteString("name: mutant\ncluster:\n")
		}
		if m := d.Cluster.EtcdMembers; m != 0 {
			fmt.Fprintf(&b, "  etcdMembers: %d\n", m)
		}
		for _, group := range []struct {
			field string
			nodes []drill.NodeSpec
		}{{"controlPlanes", d.Cluster.ControlPlanes}, {"workers", d.Cluster.Workers}} {
			if len(group.nodes) > 0 {
				b.WriteString("  " + group.field + ":\n")
				for _, n := range group.nodes {
					fmt.Fprintf(&b, "  - name: %s\n", n.Name)
				}
			}
		}
		b.WriteString("steps:\n" + steps + "\n")
		extra, err := drill.Parse("mutant.yaml", []byte(b.String()), nil)
		require.NoError(t, err)
		i := stepIndex(t, d, step) + after
		d.Steps = append(d.Steps[:i], append(extra.Steps, d.Steps[i:]...)...)
	}
}

func all(fs ...func(*testing.T, *drill.Drill)) func(*testing.T, *drill.Drill) {
	return func(t *testing.T, d *drill.Drill) {
		for _, f := range fs {
			f(t, d)
		}
	}
}
