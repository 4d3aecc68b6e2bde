package cilium

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kubesim/kubesim/components/api"
)

func TestPodLabels(t *testing.T) {
	pod := &api.Pod{
		ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "xwing", Labels: map[string]string{
			"org": "alliance", "class": "xwing", "app.kubernetes.io/name": "xwing",
			"pod-template-hash": "6c9f", "controller-revision-hash": "abc", "kubernetes.io/os": "linux",
			"statefulset.kubernetes.io/pod-name": "x-0",
		}},
		Spec: api.PodSpec{ServiceAccountName: "default"},
	}
	got := PodLabels(pod, map[string]string{"team": "rebels"}, "")
	assert.Equal(t, []string{
		"k8s:app.kubernetes.io/name=xwing",
		"k8s:class=xwing",
		"k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=default",
		"k8s:io.cilium.k8s.namespace.labels.team=rebels",
		"k8s:io.cilium.k8s.policy.cluster=default",
		"k8s:io.cilium.k8s.policy.serviceaccount=default",
		"k8s:io.kubernetes.pod.namespace=default",
		"k8s:org=alliance",
	}, got.Strings())
}

func TestLabelFilter(t *testing.T) {
	tests := []struct {
		label string
		want  bool
	}{
		{"k8s:app=web", true},
		{"k8s:io.kubernetes.pod.namespace=default", true},
		{"k8s:io.kubernetes.pod.name=web-1", false},
		{"k8s:io.cilium.k8s.policy.cluster=default", true},
		{"k8s:kubernetes.io/hostname=node-1", false},
		{"k8s:app.kubernetes.io/name=web", true},
		{"k8s:pod-template-hash=6c9f", false},
		{"k8s:controller-revision-hash=1", false},
		{"k8s:beta.kubernetes.io/arch=amd64", false},
		{"k8s:node.k8s.io/instance=1", true},
		{"k8s:k8s.io/thing=1", false},
		{"reserved:host", true},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			assert.Equal(t, tt.want, identityRelevant(ParseLabel(tt.label)))
		})
	}
}

func TestParseLabel(t *testing.T) {
	assert.Equal(t, Label{Source: "k8s", Key: "app", Value: "x"}, ParseLabel("k8s:app=x"))
	assert.Equal(t, Label{Source: "any", Key: "app", Value: "x"}, ParseLabel("app=x"))
	assert.Equal(t, Label{Source: "reserved", Key: "host"}, ParseLabel("reserved:host"))
	assert.Equal(t, Label{Source: "any", Key: "kubernetes.io/os", Value: "linux"}, ParseLabel("kubernetes.io/os=linux"))
}
