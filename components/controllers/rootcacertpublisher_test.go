package controllers_test

import (
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/controllers"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every namespace gets kube-root-ca.crt with the cluster's CA (the node's
// /etc/kubernetes/pki/ca.crt), and it is put back when changed or deleted.
func TestRootCACertPublisher(t *testing.T) {
	e := boot(t, cluster.Config{})
	ca, err := e.NodeFS("cp-1").ReadFile("/etc/kubernetes/pki/ca.crt")
	require.NoError(t, err)
	rootCA := func(ns string) *api.ConfigMap {
		o, err := e.Admin.Get("configmaps", ns, controllers.RootCAConfigMap)
		if err != nil {
			return nil
		}
		return o.(*api.ConfigMap)
	}
	for _, ns := range []string{"default", "kube-node-lease", "kube-public", "kube-system"} {
		cm := rootCA(ns)
		require.NotNil(t, cm, "kube-root-ca.crt in %s", ns)
		assert.Equal(t, map[string]string{"ca.crt": string(ca)}, cm.Data)
		assert.Equal(t, "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.",
			cm.Annotations["kubernetes.io/description"])
	}

	e.create(&api.Namespace{ObjectMeta: api.ObjectMeta{Name: "shop"}})
	e.waitFor("kube-root-ca.crt in a new namespace", func() bool { return rootCA("shop") != nil }, 5*time.Second)

	cm := rootCA("shop")
	edited := *cm
	edited.Data = map[string]string{"ca.crt": "tampered"}
	_, err = e.Admin.Update(&edited)
	require.NoError(t, err)
	e.waitFor("the CA put back", func() bool { c := rootCA("shop"); return c != nil && c.Data["ca.crt"] == string(ca) }, 5*time.Second)

	_, err = e.Admin.Delete("configmaps", "shop", controllers.RootCAConfigMap, client.DeleteOptions{})
	require.NoError(t, err)
	e.waitFor("kube-root-ca.crt recreated", func() bool { c := rootCA("shop"); return c != nil && c.UID != cm.UID }, 5*time.Second)
}
