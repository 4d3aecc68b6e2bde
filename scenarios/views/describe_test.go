package views_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/scenarios/views"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const webDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: nginx, image: "nginx:1.27"}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: kube-system}
data: {mode: prod}
`

// bootWeb boots the add-on cluster with a Deployment and lets it settle.
func bootWeb(t *testing.T) *cluster.Cluster {
	t.Helper()
	c, err := cluster.New(cluster.Config{Seed: 1, Addons: true})
	require.NoError(t, err)
	t.Cleanup(c.Stop)
	_, err = c.Apply("web.yaml", []byte(webDeployment))
	require.NoError(t, err)
	c.K.RunFor(30 * time.Second)
	return c
}

func view(t *testing.T, c *cluster.Cluster, line string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := views.Exec(views.Context{Cluster: c}, line, &out)
	return out.String(), err
}

func TestDescribe(t *testing.T) {
	c := bootWeb(t)
	tests := []struct {
		name, line string
		// wantNames are the objects described, in order.
		wantNames []string
		wantIn    []string
	}{
		{"one by name", "describe deploy web", []string{"web"},
			[]string{"Replicas:               2 desired | 2 updated | 2 total | 2 available | 0 unavailable\n", "Pod Template:\n  Labels:  app=web\n"}},
		{"kubectl prefix and a group-qualified type", "kubectl describe deployments.apps web", []string{"web"}, nil},
		{"every one in the namespace", "describe deployments -n kube-system", []string{"cilium-operator", "coredns"}, nil},
		{"every namespace", "describe deploy -A", []string{"web", "cilium-operator", "coredns"}, nil},
		{"a label selector", "describe pods -n kube-system -l k8s-app=kube-dns", nil, []string{"Controlled By:  ReplicaSet/coredns-"}},
		{"cluster-scoped, -n ignored", "describe node worker-1 -n kube-system", []string{"worker-1"},
			[]string{"Non-terminated Pods:", "Allocated resources:"}},
		{"several types", "describe deploy,svc -n kube-system", []string{"cilium-operator", "coredns", "kube-dns"}, nil},
		{"several names", "describe cm settings kube-root-ca.crt -n kube-system", []string{"settings", "kube-root-ca.crt"},
			[]string{"mode:\n----\nprod\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := view(t, c, tt.line)
			require.NoError(t, err)
			var names []string
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(l, "Name:") {
					names = append(names, strings.TrimSpace(strings.TrimPrefix(l, "Name:")))
				}
			}
			if tt.wantNames != nil {
				assert.Equal(t, tt.wantNames, names)
				// kubectl separates the objects with one blank line.
				assert.Equal(t, len(tt.wantNames)-1, strings.Count(out, "\n\nName:"))
			} else {
				assert.NotEmpty(t, names)
			}
			for _, w := range tt.wantIn {
				assert.Contains(t, out, w)
			}
		})
	}
}

func TestDescribeBadInput(t *testing.T) {
	c := bootWeb(t)
	tests := []struct{ line, wantErr, wantOut string }{
		{"describe", "You must specify the type of resource to describe.", ""},
		{"describe foo", `the server doesn't have a resource type "foo"`, ""},
		{"describe deploy nope", `deployments.apps "nope" not found`, ""},
		{"describe leases -n kube-node-lease", "kubesim cannot describe leases yet; use: get leases -o yaml", ""},
		{"describe pods -n empty", "", "No resources found in empty namespace.\n"},
		{"describe pods -l app=nothing-has-this", "", "No resources found in default namespace.\n"},
		{"describe deploy -o wide", "describe has no output formats; use get -o wide", ""},
		{"describe deploy,svc web", "there is no need to specify a resource type as a separate argument", ""},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			out, err := view(t, c, tt.line)
			if tt.wantErr == "" {
				require.NoError(t, err)
				if tt.wantOut != "" {
					assert.Equal(t, tt.wantOut, out)
				}
				return
			}
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
}

// The same seed describes the same way: describe reads only the run.
func TestDescribeIsDeterministic(t *testing.T) {
	a, err := view(t, bootWeb(t), "describe deploy,pods -A")
	require.NoError(t, err)
	b, err := view(t, bootWeb(t), "describe deploy,pods -A")
	require.NoError(t, err)
	require.Contains(t, a, "Controlled By:  ReplicaSet/coredns-")
	assert.Equal(t, a, b)
	a, _ = view(t, bootWeb(t), "describe nodes")
	b, _ = view(t, bootWeb(t), "describe nodes")
	require.NotEmpty(t, a)
	assert.Equal(t, a, b)
}

func TestRollout(t *testing.T) {
	c := bootWeb(t)
	tests := []struct{ line, want, wantErr string }{
		{line: "rollout status deploy/web", want: "deployment \"web\" successfully rolled out\n"},
		{line: "kubectl rollout status daemonset cilium -n kube-system", want: "daemon set \"cilium\" successfully rolled out\n"},
		{line: "rollout history deploy/web", want: "deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n\n"},
		{line: "rollout history deploy/web --revision=1", want: "deployment.apps/web with revision #1\nPod Template:\n  Labels:\tapp=web\n\tpod-template-hash="},
		{line: "rollout history deploy/web --revision=7", wantErr: "unable to find the specified revision"},
		{line: "rollout history deploy/nope", wantErr: `deployments.apps "nope" not found`},
		{line: "rollout status svc/kubernetes", wantErr: "rollout works on deployments, daemonsets and statefulsets"},
		{line: "rollout undo deploy/web", wantErr: "usage: rollout history|status"},
		{line: "rollout status deploy", wantErr: "needs one object"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			out, err := view(t, c, tt.line)
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(out, tt.want), "got %q", out)
		})
	}
	assert.Equal(t, "$ kubectl rollout status deploy/web", views.Prompt("rollout status deploy/web"))
}
