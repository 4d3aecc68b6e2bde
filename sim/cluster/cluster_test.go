package cluster

import (
	"testing"

	"github.com/kubesim/kubesim/components/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestBootAndApply(t *testing.T) {
	c, err := New(Config{Seed: 1})
	require.NoError(t, err)
	defer c.Stop()
	res, err := c.Apply("web.yaml", []byte(`apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: main
    image: nginx:1.27
`))
	require.NoError(t, err)
	require.Len(t, res, 1)
	assert.Equal(t, "pod/web created", res[0].String())

	res, err = c.Apply("web.yaml", []byte(`{apiVersion: "v1", kind: "Pod", metadata: {name: "web"}, spec: {containers: [{name: "main", image: "nginx:1.27"}]}}`))
	require.NoError(t, err)
	assert.Equal(t, "pod/web unchanged", res[0].String())

	_, err = c.Apply("bad.yaml", []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: main\n    imagee: nginx\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bad.yaml:8")
	_, err = c.Admin.Get("pods", "default", "x")
	assert.Error(t, err, "nothing from a bad file is stored")

	sa, err := c.Admin.Get("serviceaccounts", "kube-system", "default")
	require.NoError(t, err)
	assert.Equal(t, "default", sa.(*api.ServiceAccount).Name, "the ServiceAccount controller ran")
}
