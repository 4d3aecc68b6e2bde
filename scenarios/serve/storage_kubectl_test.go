package serve

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The kubernetes/website task "Configure a Pod to Use a PersistentVolume
// for Storage": pods/storage/pv-volume.yaml and pv-claim.yaml.
const websitePV = `apiVersion: v1
kind: PersistentVolume
metadata:
  name: task-pv-volume
  labels:
    type: local
spec:
  storageClassName: manual
  capacity:
    storage: 10Gi
  accessModes:
    - ReadWriteOnce
  hostPath:
    path: "/mnt/data"
`

const websitePVC = `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: task-pv-claim
spec:
  storageClassName: manual
  accessModes:
    - ReadWriteOnce
  resources:
    requests:
      storage: 3Gi
`

// kubernetes/website's application/web/web.yaml.
const websiteWeb = `apiVersion: v1
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

func TestRealKubectlStorage(t *testing.T) {
	e := newKubectlEnv(t, Config{Speed: 20})
	t.Run("default class", func(t *testing.T) {
		out := e.must("get", "sc")
		assert.Equal(t, "NAME                 PROVISIONER             RECLAIMPOLICY   VOLUMEBINDINGMODE      ALLOWVOLUMEEXPANSION   AGE", firstLine(out))
		assert.Regexp(t, `\nstandard \(default\) +rancher\.io/local-path +Delete +WaitForFirstConsumer +false +\S+\n`, out)
	})
	t.Run("website pv and claim bind", func(t *testing.T) {
		assert.Equal(t, "persistentvolume/task-pv-volume created\n", e.must("apply", "-f", e.file("pv-volume.yaml", websitePV)))
		assert.Equal(t, "persistentvolumeclaim/task-pv-claim created\n", e.must("apply", "-f", e.file("pv-claim.yaml", websitePVC)))
		out := e.eventually("Bound", "get", "pvc")
		assert.Equal(t, "NAME            STATUS   VOLUME           CAPACITY   ACCESS MODES   STORAGECLASS   VOLUMEATTRIBUTESCLASS   AGE", firstLine(out))
		assert.Regexp(t, `\ntask-pv-claim +Bound +task-pv-volume +10Gi +RWO +manual +<unset> +\S+\n`, out)
		out = e.eventually("Bound", "get", "pv")
		assert.Regexp(t, `^NAME +CAPACITY +ACCESS MODES +RECLAIM POLICY +STATUS +CLAIM +STORAGECLASS +VOLUMEATTRIBUTESCLASS +REASON +AGE\n`, out)
		assert.Regexp(t, `\ntask-pv-volume +10Gi +RWO +Retain +Bound +default/task-pv-claim +manual +<unset> +\S+\n`, out)
	})
	t.Run("describe pvc", func(t *testing.T) {
		out := e.must("describe", "pvc", "task-pv-claim")
		assert.Regexp(t, `Status:\s+Bound`, out)
		assert.Regexp(t, `Volume:\s+task-pv-volume`, out)
		assert.Contains(t, out, "kubernetes.io/pvc-protection")
	})
	t.Run("website web StatefulSet gets provisioned claims", func(t *testing.T) {
		assert.Equal(t, "service/nginx created\nstatefulset.apps/web created\n", e.must("apply", "-f", e.file("web.yaml", websiteWeb)))
		e.eventually("2/2", "get", "statefulset", "web")
		out := e.eventually("www-web-1", "get", "pvc", "-l", "app=nginx")
		assert.Regexp(t, `\nwww-web-0 +Bound +pvc-[0-9a-f-]+ +1Gi +RWO +standard +<unset> +\S+\n`, out)
		assert.Regexp(t, `\nwww-web-1 +Bound +pvc-[0-9a-f-]+ +1Gi +RWO +standard +<unset> +\S+\n`, out)
		out = e.must("get", "pods", "-l", "app=nginx")
		assert.Regexp(t, `\nweb-0 +1/1 +Running +0 +\S+\n`, out)
		assert.Regexp(t, `\nweb-1 +1/1 +Running +0 +\S+\n`, out)
		assert.Regexp(t, `Volume Claims:\n\s+Name:\s+www\n\s+StorageClass:\s*\n\s+Labels:\s+<none>\n\s+Annotations:\s+<none>\n\s+Capacity:\s+1Gi\n\s+Access Modes:\s+\[ReadWriteOnce\]`, e.must("describe", "statefulset", "web"))
		out = e.must("describe", "pvc", "www-web-0")
		assert.Regexp(t, `volume\.kubernetes\.io/selected-node: +worker-\d`, out)
		assert.Regexp(t, `ProvisioningSucceeded +\S+ +rancher\.io/local-path_local-path-provisioner +Successfully provisioned volume pvc-`, out)
	})
	t.Run("invalid claim", func(t *testing.T) {
		_, errOut, code := e.run("", "apply", "-f", e.file("bad.yaml", "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: bad}\nspec: {resources: {requests: {storage: 1Gi}}}\n"))
		assert.NotEqual(t, 0, code)
		assert.Contains(t, errOut, `spec.accessModes: Required value: at least 1 access mode is required`)
	})
}
