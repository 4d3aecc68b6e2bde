package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/printers"
	"github.com/kubesim/kubesim/scenarios/views"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var updateDescribe = flag.Bool("update-describe", false,
	"write what the real kubectl's describe printed, and the objects it described, to components/printers/testdata/kubectl")

// describeManifests create one object of each kind the describe comparison
// covers, through kubectl apply (so they carry the last-applied
// annotation, which describe leaves out).
const describeManifests = `apiVersion: v1
kind: ConfigMap
metadata: {name: app-config, labels: {app: web}}
data:
  greeting: |
    hello
    world
---
apiVersion: v1
kind: Secret
metadata: {name: app-secret}
type: Opaque
stringData: {password: s3cr3t}
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 1000
description: For the web tier.
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports: [{containerPort: 80}]
        env: [{name: MODE, value: prod}]
        resources:
          requests: {cpu: 100m, memory: 64Mi}
          limits: {memory: 128Mi}
        volumeMounts: [{name: config, mountPath: /etc/app}]
      volumes:
      - name: config
        configMap: {name: app-config}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 80}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      tolerations: [{operator: Exists}]
      containers:
      - name: agent
        image: busybox:1.36
        command: [sh, -c, sleep infinity]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - name: db
        image: postgres:16
        ports: [{containerPort: 5432, name: pg}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: pi}
spec:
  backoffLimit: 2
  template:
    metadata:
      annotations:
        kubesim.io/behavior: "pi: {exitAfter: 5s, exitCode: 0}"
    spec:
      restartPolicy: Never
      containers:
      - name: pi
        image: perl:5.34
        command: [perl, -Mbignum=bpi, -wle, print bpi(20)]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: tick}
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: tick
            image: busybox:1.36
            args: [date]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web-pdb}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: web}}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: quota}
spec:
  hard: {pods: "20", configmaps: "10", services: "5"}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-ingress}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {matchLabels: {role: frontend}}}]
    ports: [{port: 80}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 5
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
`

// describeMoreManifests reach the describers' other branches: a pod with
// init containers, probes, references and every volume type kubesim
// models; Recreate and OnDelete strategies, an Indexed Job, a suspended
// CronJob, a NodePort Service, egress rules, scaling behavior, quota
// scopes, a local volume with node affinity.
const describeMoreManifests = `apiVersion: v1
kind: Namespace
metadata: {name: team-a, labels: {team: a}}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: best-effort, namespace: team-a}
spec:
  hard: {pods: "5"}
  scopes: [BestEffort]
---
apiVersion: v1
kind: Pod
metadata:
  name: full
  labels: {app: full}
  annotations:
    kubesim.io/behavior: "setup: {exitAfter: 2s, exitCode: 0}"
    note: short
spec:
  priorityClassName: high
  nodeSelector: {kubernetes.io/os: linux}
  initContainers:
  - name: setup
    image: busybox:1.36
    command: [sh, -c, "echo ready > /work/flag"]
    volumeMounts: [{name: work, mountPath: /work}]
  containers:
  - name: app
    image: nginx:1.27
    ports: [{containerPort: 80, name: http}, {containerPort: 443, name: https}]
    envFrom:
    - configMapRef: {name: app-config}
    - prefix: SECRET_
      secretRef: {name: app-secret, optional: true}
    env:
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: CPU_LIMIT, valueFrom: {resourceFieldRef: {resource: limits.cpu}}}
    - {name: MEM_REQUEST, valueFrom: {resourceFieldRef: {resource: requests.memory, divisor: 1Mi}}}
    - {name: PASSWORD, valueFrom: {secretKeyRef: {name: app-secret, key: password}}}
    - {name: GREETING, valueFrom: {configMapKeyRef: {name: app-config, key: greeting, optional: true}}}
    resources:
      requests: {cpu: 250m, memory: 128Mi}
    livenessProbe:
      tcpSocket: {port: 80}
      initialDelaySeconds: 86400
      periodSeconds: 10
    readinessProbe:
      exec: {command: [cat, /work/flag]}
    volumeMounts:
    - {name: work, mountPath: /work}
    - {name: config, mountPath: /etc/app, readOnly: true}
    - {name: secret, mountPath: /etc/secret, readOnly: true}
    - {name: host, mountPath: /host/log, subPath: nginx}
    - {name: podinfo, mountPath: /etc/podinfo}
    - {name: data, mountPath: /data}
  volumes:
  - name: work
    emptyDir: {medium: Memory, sizeLimit: 64Mi}
  - name: config
    configMap: {name: app-config}
  - name: secret
    secret: {secretName: app-secret, optional: true}
  - name: host
    hostPath: {path: /var/log, type: Directory}
  - name: podinfo
    downwardAPI:
      items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]
  - name: data
    persistentVolumeClaim: {claimName: task-pv-claim}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: batch, annotations: {team: data}}
spec:
  replicas: 1
  strategy: {type: Recreate}
  selector: {matchLabels: {app: batch}}
  template:
    metadata: {labels: {app: batch}, annotations: {prometheus.io/scrape: "true"}}
    spec:
      serviceAccountName: default
      containers: [{name: worker, image: "busybox:1.36", command: [sleep, "3600"]}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: logger}
spec:
  updateStrategy: {type: OnDelete}
  selector: {matchLabels: {app: logger}}
  template:
    metadata: {labels: {app: logger}}
    spec:
      nodeSelector: {kubernetes.io/os: linux}
      containers: [{name: logger, image: "fluent/fluent-bit:3.0"}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: indexed}
spec:
  completions: 3
  parallelism: 3
  completionMode: Indexed
  ttlSecondsAfterFinished: 600
  activeDeadlineSeconds: 900
  template:
    metadata:
      annotations:
        kubesim.io/behavior: "work: {exitAfter: 3s, exitCode: 0}"
    spec:
      restartPolicy: Never
      containers: [{name: work, image: "busybox:1.36", command: [sh, -c, "echo $JOB_COMPLETION_INDEX"]}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  suspend: true
  startingDeadlineSeconds: 120
  concurrencyPolicy: Forbid
  successfulJobsHistoryLimit: 1
  failedJobsHistoryLimit: 2
  jobTemplate:
    spec:
      completions: 1
      parallelism: 1
      activeDeadlineSeconds: 300
      template:
        spec:
          restartPolicy: Never
          containers: [{name: backup, image: "busybox:1.36"}]
---
apiVersion: v1
kind: Service
metadata: {name: web-np, labels: {app: web}}
spec:
  type: NodePort
  externalTrafficPolicy: Local
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 80, nodePort: 30080}
  - {name: metrics, port: 9113, targetPort: 9113}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-only}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  egress:
  - to:
    - ipBlock: {cidr: 10.0.0.0/8, except: [10.0.5.0/24]}
    - namespaceSelector: {matchLabels: {team: a}}
      podSelector: {matchLabels: {app: db}}
    ports:
    - {port: 5432}
    - {protocol: UDP, port: 30000, endPort: 32767}
  - {}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: batch}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: batch}
  maxReplicas: 4
  metrics:
  - type: Resource
    resource: {name: memory, target: {type: AverageValue, averageValue: 100Mi}}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 60
      policies: [{type: Pods, value: 1, periodSeconds: 30}]
    scaleUp:
      selectPolicy: Min
      policies: [{type: Percent, value: 50, periodSeconds: 15}, {type: Pods, value: 2, periodSeconds: 15}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: batch-pdb}
spec:
  maxUnavailable: 50%
  selector: {matchLabels: {app: batch}}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: local-pv}
spec:
  storageClassName: local
  capacity: {storage: 5Gi}
  accessModes: [ReadWriteOnce, ReadOnlyMany]
  persistentVolumeReclaimPolicy: Delete
  volumeMode: Filesystem
  local: {path: /mnt/disks/ssd1}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - {key: kubernetes.io/hostname, operator: In, values: [worker-1, worker-2]}
        - {key: disk, operator: Exists}
`

// describeFixture is what one describe comparison saw: the object, the
// events about it, the related objects the describer listed and the
// instant kubectl printed at; printers' tests replay it against kubectl's
// output without a kubectl.
type describeFixture struct {
	Resource string             `json:"resource"`
	Now      time.Time          `json:"now"`
	Object   json.RawMessage    `json:"object"`
	Events   []api.Event        `json:"events"`
	Lists    []describeListCall `json:"lists"`
}

type describeListCall struct {
	Resource  string            `json:"resource"`
	Namespace string            `json:"namespace"`
	Items     []json.RawMessage `json:"items"`
}

// TestRealKubectlDescribe describes one object of each kind with the real
// kubectl and with kubesim's describer, and compares them byte for byte.
// Virtual time is paused while they are compared, and kubesim's ages are
// taken at the wall clock's now, as kubectl takes them (the objects are
// days old in virtual time, so the two agree to the day).
func TestRealKubectlDescribe(t *testing.T) {
	t.Setenv("TZ", "UTC")
	// The add-ons (CoreDNS, Cilium, kube-proxy) as `kubesim serve` installs
	// them: kube-system's objects are the richest to describe.
	c, err := cluster.New(cluster.Config{Seed: 1, Addons: true})
	require.NoError(t, err)
	e := newKubectlEnv(t, Config{Speed: 20, Cluster: c})
	path := e.file("all.yaml", describeManifests)
	e.must("apply", "-f", path)
	e.eventually("2/2", "get", "deploy", "web")
	e.eventually("1/1", "get", "sts", "db")
	e.eventually("Complete", "get", "job", "pi")
	e.must("apply", "-f", e.file("pv.yaml", websitePV+"---\n"+websitePVC))
	e.eventually("Bound", "get", "pvc", "task-pv-claim")
	e.must("apply", "-f", e.file("more.yaml", describeMoreManifests))
	e.eventually("Running", "get", "pod", "full")
	e.eventually("Complete", "get", "job", "indexed")
	e.eventually("1/1", "get", "deploy", "batch")
	// A rollout leaves the Deployment two ReplicaSets, the old one scaled
	// to zero.
	e.must("annotate", "deploy/web", "kubernetes.io/change-cause=nginx 1.28")
	e.must("set", "image", "deploy/web", "nginx=nginx:1.28")
	e.eventually("successfully rolled out", "rollout", "status", "deploy/web")
	e.srv.SetPaused(true)

	ctx := context.Background()
	// A target names its object, or picks the first one a label selector
	// finds (generated names); file names the fixture.
	type target struct{ resource, namespace, name, selector, file string }
	targets := []target{
		{resource: "configmaps", namespace: "default", name: "app-config"},
		{resource: "configmaps", namespace: "kube-system", name: "coredns"},
		{resource: "secrets", namespace: "default", name: "app-secret"},
		{resource: "priorityclasses", name: "high"},
		{resource: "priorityclasses", name: "system-node-critical"},
		{resource: "deployments", namespace: "default", name: "web"},
		{resource: "deployments", namespace: "kube-system", name: "coredns"},
		{resource: "deployments", namespace: "kube-system", name: "cilium-operator"},
		{resource: "replicasets", namespace: "default", selector: "app=web", file: "replicasets-web"},
		{resource: "replicasets", namespace: "kube-system", selector: "k8s-app=kube-dns", file: "replicasets-coredns"},
		{resource: "services", namespace: "default", name: "web"},
		{resource: "services", namespace: "default", name: "kubernetes"},
		{resource: "services", namespace: "kube-system", name: "kube-dns"},
		{resource: "endpointslices", namespace: "default", selector: api.LabelServiceName + "=web", file: "endpointslices-web"},
		{resource: "endpointslices", namespace: "kube-system", selector: api.LabelServiceName + "=kube-dns", file: "endpointslices-kube-dns"},
		{resource: "endpoints", namespace: "default", name: "web"},
		{resource: "daemonsets", namespace: "default", name: "agent"},
		{resource: "daemonsets", namespace: "kube-system", name: "cilium"},
		{resource: "daemonsets", namespace: "kube-system", name: "kube-proxy"},
		{resource: "statefulsets", namespace: "default", name: "db"},
		{resource: "jobs", namespace: "default", name: "pi"},
		{resource: "cronjobs", namespace: "default", name: "tick"},
		{resource: "pods", namespace: "default", selector: "app=web", file: "pods-web"},
		{resource: "pods", namespace: "default", selector: "job-name=pi", file: "pods-pi"},
		{resource: "pods", namespace: "default", name: "db-0"},
		{resource: "pods", namespace: "kube-system", selector: "k8s-app=kube-dns", file: "pods-coredns"},
		{resource: "pods", namespace: "kube-system", selector: "k8s-app=cilium", file: "pods-cilium"},
		{resource: "pods", namespace: "kube-system", name: "kube-apiserver-cp-1"},
		{resource: "poddisruptionbudgets", namespace: "default", name: "web-pdb"},
		{resource: "resourcequotas", namespace: "default", name: "quota"},
		{resource: "networkpolicies", namespace: "default", name: "web-ingress"},
		{resource: "horizontalpodautoscalers", namespace: "default", name: "web"},
		{resource: "namespaces", name: "default"},
		{resource: "namespaces", name: "kube-system"},
		{resource: "serviceaccounts", namespace: "default", name: "default"},
		{resource: "serviceaccounts", namespace: "kube-system", name: "coredns"},
		{resource: "storageclasses", name: "standard"},
		{resource: "nodes", name: "worker-1"},
		{resource: "nodes", name: "cp-1"},
		{resource: "persistentvolumes", name: "task-pv-volume"},
		{resource: "persistentvolumeclaims", namespace: "default", name: "task-pv-claim"},
		{resource: "namespaces", name: "team-a"},
		{resource: "resourcequotas", namespace: "team-a", name: "best-effort"},
		{resource: "pods", namespace: "default", name: "full"},
		{resource: "deployments", namespace: "default", name: "batch"},
		{resource: "daemonsets", namespace: "default", name: "logger"},
		{resource: "jobs", namespace: "default", name: "indexed"},
		{resource: "cronjobs", namespace: "default", name: "nightly"},
		{resource: "services", namespace: "default", name: "web-np"},
		{resource: "networkpolicies", namespace: "default", name: "egress-only"},
		{resource: "horizontalpodautoscalers", namespace: "default", name: "batch"},
		{resource: "poddisruptionbudgets", namespace: "default", name: "batch-pdb"},
		{resource: "persistentvolumes", name: "local-pv"},
	}
	// Nothing inside Do may stop the test goroutine (require): fn runs on
	// the server's driver.
	var missing []string
	require.NoError(t, e.srv.Do(ctx, func(c *cluster.Cluster) {
		for i, tg := range targets {
			if tg.selector == "" {
				continue
			}
			items, _ := c.StoredObjects(tg.resource, tg.namespace, tg.selector)
			if len(items) == 0 {
				missing = append(missing, tg.resource+" "+tg.selector)
				continue
			}
			targets[i].name = items[0].GetObjectMeta().Name
		}
	}))
	require.Empty(t, missing, "no objects match")
	dir := filepath.Join("..", "..", "components", "printers", "testdata", "kubectl")
	if *updateDescribe {
		require.NoError(t, os.RemoveAll(dir))
		require.NoError(t, os.MkdirAll(dir, 0o755))
	}
	for _, tc := range []struct {
		kubectl []string
		view    string
	}{
		{[]string{"rollout", "history", "deploy/web"}, "rollout history deploy/web"},
		{[]string{"rollout", "history", "deployment", "web", "--revision=2"}, "rollout history deployment web --revision=2"},
		{[]string{"rollout", "history", "ds/cilium", "-n", "kube-system"}, "rollout history ds/cilium -n kube-system"},
		{[]string{"rollout", "history", "sts/db"}, "rollout history sts/db"},
		{[]string{"rollout", "history", "sts/db", "--revision=1"}, "rollout history sts/db --revision=1"},
		{[]string{"rollout", "status", "deploy/web", "--watch=false"}, "rollout status deploy/web"},
		{[]string{"rollout", "status", "ds/kube-proxy", "-n", "kube-system", "--watch=false"}, "rollout status ds/kube-proxy -n kube-system"},
		{[]string{"rollout", "status", "sts/db", "--watch=false"}, "rollout status sts/db"},
	} {
		t.Run(strings.Join(tc.kubectl, " "), func(t *testing.T) { compareRollout(t, e, tc.kubectl, tc.view) })
	}
	for _, tg := range targets {
		t.Run(tg.resource+"/"+tg.name, func(t *testing.T) {
			args := []string{"describe", tg.resource, tg.name}
			if tg.namespace != "" {
				args = append(args, "-n", tg.namespace)
			}
			want := e.must(args...)
			var got bytes.Buffer
			fx := describeFixture{Resource: tg.resource, Now: time.Now().UTC()}
			var describeErr error
			require.NoError(t, e.srv.Do(ctx, func(c *cluster.Cluster) {
				describeErr = describeForFixture(c, tg.resource, tg.namespace, tg.name, &fx, &got)
			}))
			require.NoError(t, describeErr)
			assert.Equal(t, want, got.String(), "kubectl describe %s %s", tg.resource, tg.name)
			if *updateDescribe {
				file := tg.file
				if file == "" {
					file = tg.resource + "-" + strings.ReplaceAll(tg.name, ".", "-")
				}
				base := filepath.Join(dir, file)
				b, err := json.Marshal(fx)
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(base+".json", append(b, '\n'), 0o644))
				require.NoError(t, os.WriteFile(base+".txt", []byte(want), 0o644))
			}
		})
	}
}

// describeForFixture runs kubesim's describe of one stored object into out,
// recording in fx what it read. It runs on the server's driver goroutine,
// so it reports errors rather than failing the test.
func describeForFixture(c *cluster.Cluster, resource, namespace, name string, fx *describeFixture, out *bytes.Buffer) error {
	obj, err := c.StoredObject(resource, namespace, name)
	if err != nil {
		return err
	}
	events, list, err := views.DescribeInputs(c, obj)
	if err != nil {
		return err
	}
	// Describe never prints managedFields: the fixtures leave them out.
	compact := func(o api.Object) ([]byte, error) {
		o = api.DeepCopyObject(o)
		o.GetObjectMeta().ManagedFields = nil
		return json.Marshal(o)
	}
	if fx.Object, err = compact(obj); err != nil {
		return err
	}
	fx.Events = events
	recorded := func(resource, namespace string) []api.Object {
		items := list(resource, namespace)
		call := describeListCall{Resource: resource, Namespace: namespace}
		for _, o := range items {
			b, jerr := compact(o)
			if jerr != nil {
				err = jerr
			}
			call.Items = append(call.Items, b)
		}
		fx.Lists = append(fx.Lists, call)
		return items
	}
	if derr := printers.Describe(out, resource, obj, events, fx.Now, recorded); derr != nil {
		return derr
	}
	return err
}

// TestRealKubectlDescribe's rollout half: the views' rollout history and
// status print what kubectl prints.
func compareRollout(t *testing.T, e *kubectlEnv, kubectlArgs []string, view string) {
	t.Helper()
	want := e.must(kubectlArgs...)
	var got bytes.Buffer
	var viewErr error
	require.NoError(t, e.srv.Do(context.Background(), func(c *cluster.Cluster) {
		viewErr = views.Exec(views.Context{Cluster: c}, view, &got)
	}))
	require.NoError(t, viewErr)
	t.Logf("kubectl %v:\n%s", kubectlArgs, want)
	assert.Equal(t, want, got.String(), "kubectl %v", kubectlArgs)
}
