package nodeshell

import (
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/kubelet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// configWorld is the kubernetes/website examples configmap/configmaps.yaml
// and pods/pod-configmap-volume.yaml, with a Secret, envFrom and env
// key references beside them.
const configWorld = `apiVersion: v1
kind: ConfigMap
metadata: {name: special-config}
data:
  SPECIAL_LEVEL: very
  SPECIAL_TYPE: charm
---
apiVersion: v1
kind: ConfigMap
metadata: {name: env-config}
data:
  log_level: INFO
  "bad name": skipped
---
apiVersion: v1
kind: Secret
metadata: {name: db}
stringData:
  password: s3cr3t
---
apiVersion: v1
kind: Pod
metadata: {name: dapi-test-pod}
spec:
  containers:
  - name: test-container
    image: busybox:1.37
    command: [sleep, "3600"]
    envFrom:
    - configMapRef: {name: env-config}
      prefix: CFG_
    env:
    - name: SPECIAL_LEVEL_KEY
      valueFrom: {configMapKeyRef: {name: special-config, key: SPECIAL_LEVEL}}
    - name: DB_PASSWORD
      valueFrom: {secretKeyRef: {name: db, key: password}}
    - name: CFG_log_level
      value: DEBUG
    volumeMounts:
    - {name: config-volume, mountPath: /etc/config}
    - {name: secret-volume, mountPath: /etc/secret}
    - {name: items-volume, mountPath: /etc/items}
    - {name: config-volume, mountPath: /etc/level, subPath: SPECIAL_LEVEL}
  volumes:
  - name: config-volume
    configMap: {name: special-config}
  - name: secret-volume
    secret: {secretName: db}
  - name: items-volume
    projected:
      sources:
      - configMap: {name: special-config, items: [{key: SPECIAL_TYPE, path: sub/type}]}
  restartPolicy: Never
`

// TestContainerConfig reads ConfigMaps and Secrets in a container, as env
// and as mounted files, and sees a changed ConfigMap in the mounted file.
func TestContainerConfig(t *testing.T) {
	c := boot(t)
	_, err := c.Apply("config.yaml", []byte(configWorld))
	require.NoError(t, err)
	ref := ContainerRef{"default", "dapi-test-pod", "test-container"}
	require.True(t, c.WaitFor(func() bool { return Exec(c, ref, []string{"true"}, "").Code == 0 }, 2*time.Minute), "the pod runs")

	tests := []struct {
		name string
		argv []string
		want string
	}{
		{"ls the configmap volume", []string{"ls", "/etc/config"}, "SPECIAL_LEVEL  SPECIAL_TYPE\n"},
		{"cat a key", []string{"cat", "/etc/config/SPECIAL_LEVEL"}, "very"},
		{"secret decoded", []string{"cat", "/etc/secret/password"}, "s3cr3t"},
		{"projected item path", []string{"cat", "/etc/items/sub/type"}, "charm"},
		{"configMapKeyRef", []string{"printenv", "SPECIAL_LEVEL_KEY"}, "very\n"},
		{"secretKeyRef", []string{"printenv", "DB_PASSWORD"}, "s3cr3t\n"},
		{"env overrides envFrom", []string{"printenv", "CFG_log_level"}, "DEBUG\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Exec(c, ref, tt.argv, "")
			assert.Equal(t, 0, res.Code, "stderr %q", res.Stderr)
			assert.Equal(t, tt.want, res.Stdout)
		})
	}
	env := Exec(c, ref, []string{"env"}, "").Stdout
	assert.NotContains(t, env, "bad name", "an envFrom key that is no variable name is skipped")
	assert.Equal(t, 1, countOf(env, "CFG_log_level="), "one CFG_log_level: %s", env)

	_, err = c.Apply("config.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: special-config}\ndata: {SPECIAL_LEVEL: extremely, SPECIAL_TYPE: charm}\n"))
	require.NoError(t, err)
	cat := func(p string) string { return Exec(c, ref, []string{"cat", p}, "").Stdout }
	assert.Equal(t, "very", cat("/etc/config/SPECIAL_LEVEL"), "the kubelet has not resynced yet")
	c.K.RunFor(kubelet.DefaultSyncFrequency)
	assert.Equal(t, "extremely", cat("/etc/config/SPECIAL_LEVEL"), "the mounted file follows the ConfigMap after the kubelet's resync")
	assert.Equal(t, "very", cat("/etc/level"), "a subPath mount never refreshes")
	assert.Equal(t, "very\n", Exec(c, ref, []string{"printenv", "SPECIAL_LEVEL_KEY"}, "").Stdout, "env keeps the value the container started with")
	refreshed := false
	for _, r := range c.K.Trace().Records() {
		if n, ok := r.Body().(kubelet.ConfigVolumeNote); ok && n.Name == "special-config" {
			refreshed = assert.Equal(t, []string{"SPECIAL_LEVEL"}, n.Keys) && assert.Equal(t, []string{"config-volume", "items-volume"}, n.Volumes)
		}
	}
	assert.True(t, refreshed, "the kubelet noted the refresh")
}

func countOf(s, sub string) int {
	n := 0
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			n++
		}
	}
	return n
}

// TestContainerConfigError: a pod whose env needs a missing ConfigMap waits
// in CreateContainerConfigError until the ConfigMap exists.
func TestContainerConfigError(t *testing.T) {
	c := boot(t)
	_, err := c.Apply("pod.yaml", []byte(`apiVersion: v1
kind: Pod
metadata: {name: needs-config}
spec:
  containers:
  - name: main
    image: busybox:1.37
    command: [sleep, "3600"]
    env:
    - name: LEVEL
      valueFrom: {configMapKeyRef: {name: late-config, key: level}}
`))
	require.NoError(t, err)
	waiting := func() string {
		p, err := client.Get[*api.Pod](c.Admin, "default", "needs-config")
		if err != nil || len(p.Status.ContainerStatuses) == 0 || p.Status.ContainerStatuses[0].State.Waiting == nil {
			return ""
		}
		w := p.Status.ContainerStatuses[0].State.Waiting
		return w.Reason + ": " + w.Message
	}
	require.True(t, c.WaitFor(func() bool { return waiting() != "" && waiting() != "ContainerCreating: " }, time.Minute), "waiting %q", waiting())
	assert.Equal(t, `CreateContainerConfigError: configmap "late-config" not found`, waiting())
	ref := ContainerRef{"default", "needs-config", "main"}
	assert.NotEqual(t, 0, Exec(c, ref, []string{"true"}, "").Code, "the container does not run")

	_, err = c.Apply("cm.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: late-config}\ndata: {level: high}\n"))
	require.NoError(t, err)
	require.True(t, c.WaitFor(func() bool { return Exec(c, ref, []string{"true"}, "").Code == 0 }, 2*time.Minute), "runs once the ConfigMap exists; waiting %q", waiting())
	assert.Equal(t, "high\n", Exec(c, ref, []string{"printenv", "LEVEL"}, "").Stdout)
}
