package cluster

import (
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
