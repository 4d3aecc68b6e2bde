package cluster

import (
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// kubernetes/website's application/web/web.yaml: the nginx StatefulSet
// with a www claim per pod.
const webYAML = `apiVersion: v1
kind: Service
metadata:
  name: nginx
  labels:
    app: nginx
spec:
  ports:
  - port: 80
    name: web
  clusterIP: None
  selector:
    app: nginx
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: "nginx"
  replicas: 2
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: registry.k8s.io/nginx-slim:0.21
        ports:
        - containerPort: 80
          name: web
        volumeMounts:
        - name: www
          mountPath: /usr/share/nginx/html
  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: [ "ReadWriteOnce" ]
      resources:
        requests:
          storage: 1Gi
`

func TestUpstreamWebStatefulSetGetsProvisionedClaims(t *testing.T) {
	c, err := New(Config{Seed: 31})
	require.NoError(t, err)
	defer c.Stop()
	_, err = c.Apply("web.yaml", []byte(webYAML))
	require.NoError(t, err)
	list := func(res string) []api.Object {
		objs, _, err := c.Admin.List(res, "default", client.ListOptions{})
		require.NoError(t, err)
		return objs
	}
	running := func() int {
		n := 0
		for _, o := range list("pods") {
			if o.(*api.Pod).Status.Phase == api.PodRunning {
				n++
			}
		}
		return n
	}
	require.True(t, c.WaitFor(func() bool { return running() == 2 }, 5*time.Minute), "web-0 and web-1 run")
	claims := list("persistentvolumeclaims")
	require.Len(t, claims, 2)
	for i, o := range claims {
		pvc := o.(*api.PersistentVolumeClaim)
		assert.Equal(t, []string{"www-web-0", "www-web-1"}[i], pvc.Name)
		assert.Equal(t, api.ClaimBound, pvc.Status.Phase, pvc.Name)
		assert.Equal(t, "pvc-"+string(pvc.UID), pvc.Spec.VolumeName)
		assert.Equal(t, "nginx", pvc.Labels["app"])
		assert.Equal(t, "rancher.io/local-path", pvc.Annotations[api.AnnStorageProvisioner])
		pod, err := client.Get[*api.Pod](c.Admin, "default", "web-"+string(rune('0'+i)))
		require.NoError(t, err)
		assert.Equal(t, pod.Spec.NodeName, pvc.Annotations[api.AnnSelectedNode], "provisioned on the pod's node")
		pv, err := client.Get[*api.PersistentVolume](c.Admin, "", pvc.Spec.VolumeName)
		require.NoError(t, err)
		assert.Equal(t, api.VolumeBound, pv.Status.Phase)
		assert.Equal(t, api.PersistentVolumeReclaimDelete, pv.Spec.PersistentVolumeReclaimPolicy)
		require.NotNil(t, pv.Spec.NodeAffinity)
		assert.Equal(t, []string{pod.Spec.NodeName}, pv.Spec.NodeAffinity.Required.NodeSelectorTerms[0].MatchExpressions[0].Values)
		require.NotNil(t, pv.Spec.HostPath)
		assert.Equal(t, "/var/local-path-provisioner/pvc-"+string(pvc.UID)+"_default_"+pvc.Name, pv.Spec.HostPath.Path)
	}
	var reasons []string
	for _, o := range list("events") {
		e := o.(*api.Event)
		reasons = append(reasons, e.Reason+": "+e.Message)
	}
	assert.Contains(t, reasons, "SuccessfulCreate: create Claim www-web-0 Pod web-0 in StatefulSet web success")
	pvc0 := claims[0].(*api.PersistentVolumeClaim)
	assert.Contains(t, reasons, "ProvisioningSucceeded: Successfully provisioned volume pvc-"+string(pvc0.UID))
	assert.Contains(t, reasons, "WaitForFirstConsumer: waiting for first consumer to be created before binding")

	// Scale down: the claims stay (whenScaled Retain).
	set, err := client.Get[*api.StatefulSet](c.Admin, "default", "web")
	require.NoError(t, err)
	one := int32(1)
	set.Spec.Replicas = &one
	_, err = c.Admin.Update(set)
	require.NoError(t, err)
	require.True(t, c.WaitFor(func() bool { return len(list("pods")) == 1 }, 2*time.Minute))
	c.K.RunFor(30 * time.Second)
	assert.Len(t, list("persistentvolumeclaims"), 2, "claims are kept on scale-down by default")
}

func events(t *testing.T, c *Cluster, object string) []string {
	t.Helper()
	objs, _, err := c.Admin.List("events", "default", client.ListOptions{})
	require.NoError(t, err)
	var out []string
	for _, o := range objs {
		if e := o.(*api.Event); e.InvolvedObject.Name == object {
			out = append(out, e.Reason+": "+e.Message)
		}
	}
	return out
}

func TestSchedulerExplainsPodsWaitingOnClaims(t *testing.T) {
	c, err := New(Config{Seed: 32})
	require.NoError(t, err)
	defer c.Stop()
	_, err = c.Apply("pods.yaml", []byte(`apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: fast}
spec:
  storageClassName: fast
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: missing}
spec:
  containers: [{name: c, image: "busybox:1.36", command: [sleep, infinity]}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: nosuch}}]
---
apiVersion: v1
kind: Pod
metadata: {name: immediate}
spec:
  containers: [{name: c, image: "busybox:1.36", command: [sleep, infinity]}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: fast}}]
`))
	require.NoError(t, err)
	c.K.RunFor(20 * time.Second)
	assert.Contains(t, events(t, c, "missing"), `FailedScheduling: 0/3 nodes are available: persistentvolumeclaim "nosuch" not found. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.`)
	assert.Contains(t, events(t, c, "immediate"), `FailedScheduling: 0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.`)
	assert.Contains(t, events(t, c, "fast"), `ProvisioningFailed: storageclass.storage.k8s.io "fast" not found`)
}

func TestLocalVolumeNodeAffinityPlacesThePod(t *testing.T) {
	c, err := New(Config{Seed: 33})
	require.NoError(t, err)
	defer c.Stop()
	_, err = c.Apply("local.yaml", []byte(`apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: local-storage}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: local-pv}
spec:
  capacity: {storage: 5Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: local-storage
  local: {path: /mnt/disks/ssd1}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [worker-2]}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: local-claim}
spec:
  storageClassName: local-storage
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: app}
spec:
  containers: [{name: c, image: "busybox:1.36", command: [sleep, infinity]}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: local-claim}}]
`))
	require.NoError(t, err)
	require.True(t, c.WaitFor(func() bool {
		p, err := client.Get[*api.Pod](c.Admin, "default", "app")
		return err == nil && p.Status.Phase == api.PodRunning
	}, 2*time.Minute))
	p, err := client.Get[*api.Pod](c.Admin, "default", "app")
	require.NoError(t, err)
	assert.Equal(t, "worker-2", p.Spec.NodeName, "the only node the volume's affinity admits")
	pv, err := client.Get[*api.PersistentVolume](c.Admin, "", "local-pv")
	require.NoError(t, err)
	assert.Equal(t, "local-claim", pv.Spec.ClaimRef.Name)
	assert.Equal(t, api.VolumeBound, pv.Status.Phase)

	// A second pod on the same claim, pinned by affinity to another node:
	// the volume's node affinity rules that node out.
	_, err = c.Apply("other.yaml", []byte(`apiVersion: v1
kind: Pod
metadata: {name: elsewhere}
spec:
  nodeSelector: {kubernetes.io/hostname: worker-1}
  containers: [{name: c, image: "busybox:1.36", command: [sleep, infinity]}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: local-claim}}]
`))
	require.NoError(t, err)
	c.K.RunFor(10 * time.Second)
	assert.Contains(t, events(t, c, "elsewhere"), "FailedScheduling: 0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 1 node(s) had volume node affinity conflict. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")
}

func TestKubeletWaitsForTheClaim(t *testing.T) {
	c, err := New(Config{Seed: 34})
	require.NoError(t, err)
	defer c.Stop()
	_, err = c.Apply("pod.yaml", []byte(`apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: manual}
spec:
  storageClassName: manual
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: pinned}
spec:
  nodeName: worker-1
  containers: [{name: c, image: "busybox:1.36", command: [sleep, infinity]}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: manual}}]
`))
	require.NoError(t, err)
	c.K.RunFor(2*time.Minute + 10*time.Second)
	p, err := client.Get[*api.Pod](c.Admin, "default", "pinned")
	require.NoError(t, err)
	assert.Equal(t, api.PodPending, p.Status.Phase, "no sandbox before the claim is Bound")
	assert.Contains(t, events(t, c, "pinned"), "FailedMount: Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[], failed to process volumes=[data]: context deadline exceeded")
	_, err = c.Apply("pv.yaml", []byte(`apiVersion: v1
kind: PersistentVolume
metadata: {name: manual-pv}
spec:
  storageClassName: manual
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  hostPath: {path: /mnt/data}
`))
	require.NoError(t, err)
	require.True(t, c.WaitFor(func() bool {
		p, err := client.Get[*api.Pod](c.Admin, "default", "pinned")
		return err == nil && p.Status.Phase == api.PodRunning
	}, time.Minute), "the pod starts once the claim is Bound")
}

func TestStatefulSetClaimRetentionPolicy(t *testing.T) {
	c, err := New(Config{Seed: 35})
	require.NoError(t, err)
	defer c.Stop()
	yaml := strings.Replace(webYAML, "  volumeClaimTemplates:", "  persistentVolumeClaimRetentionPolicy: {whenScaled: Delete, whenDeleted: Retain}\n  volumeClaimTemplates:", 1)
	_, err = c.Apply("web.yaml", []byte(yaml))
	require.NoError(t, err)
	claims := func() []string {
		objs, _, err := c.Admin.List("persistentvolumeclaims", "default", client.ListOptions{})
		require.NoError(t, err)
		var out []string
		for _, o := range objs {
			out = append(out, o.GetObjectMeta().Name)
		}
		return out
	}
	volumes := func() int {
		objs, _, err := c.Admin.List("persistentvolumes", "", client.ListOptions{})
		require.NoError(t, err)
		return len(objs)
	}
	require.True(t, c.WaitFor(func() bool {
		p, err := client.Get[*api.Pod](c.Admin, "default", "web-1")
		return err == nil && p.Status.Phase == api.PodRunning
	}, 5*time.Minute))
	require.Equal(t, []string{"www-web-0", "www-web-1"}, claims())
	set, err := client.Get[*api.StatefulSet](c.Admin, "default", "web")
	require.NoError(t, err)
	one := int32(1)
	set.Spec.Replicas = &one
	_, err = c.Admin.Update(set)
	require.NoError(t, err)
	ok := c.WaitFor(func() bool { return len(claims()) == 1 }, 3*time.Minute)
	if !ok {
		pvc, _ := client.Get[*api.PersistentVolumeClaim](c.Admin, "default", "www-web-1")
		t.Logf("%+v %+v", pvc.ObjectMeta, pvc.Status)
		_, err := client.Get[*api.Pod](c.Admin, "default", "web-1")
		t.Logf("pod: %v", err)
	}
	require.True(t, ok, "whenScaled: Delete removes the claim of the removed pod")
	assert.Equal(t, []string{"www-web-0"}, claims())
	require.True(t, c.WaitFor(func() bool { return volumes() == 1 }, 2*time.Minute), "the provisioner deletes the Released volume (reclaim policy Delete)")

	_, err = c.Admin.Delete("statefulsets", "default", "web", client.DeleteOptions{})
	require.NoError(t, err)
	require.True(t, c.WaitFor(func() bool {
		_, err := client.Get[*api.Pod](c.Admin, "default", "web-0")
		return err != nil
	}, 3*time.Minute))
	c.K.RunFor(30 * time.Second)
	assert.Equal(t, []string{"www-web-0"}, claims(), "whenDeleted: Retain keeps the claims")
}
