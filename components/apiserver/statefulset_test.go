package apiserver_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
)

func sts(name string, mutate func(*api.StatefulSet)) *api.StatefulSet {
	s := &api.StatefulSet{
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec: api.StatefulSetSpec{
			Selector:    &api.LabelSelector{MatchLabels: map[string]string{"app": "nginx"}},
			ServiceName: "nginx",
			Template: api.PodTemplateSpec{
				ObjectMeta: api.ObjectMeta{Labels: map[string]string{"app": "nginx"}},
				Spec:       api.PodSpec{Containers: []api.Container{{Name: "nginx", Image: "registry.k8s.io/nginx-slim:0.24"}}},
			},
		},
	}
	if mutate != nil {
		mutate(s)
	}
	return s
}

func TestStatefulSetDefaults(t *testing.T) {
	c := boot(t)
	obj, err := c.Admin.Create(sts("web", nil))
	require.NoError(t, err)
	s := obj.(*api.StatefulSet)
	assert.Equal(t, int32(1), *s.Spec.Replicas)
	assert.Equal(t, api.OrderedReadyPodManagement, s.Spec.PodManagementPolicy)
	assert.Equal(t, api.RollingUpdateStatefulSetStrategyType, s.Spec.UpdateStrategy.Type)
	require.NotNil(t, s.Spec.UpdateStrategy.RollingUpdate)
	assert.Equal(t, int32(0), *s.Spec.UpdateStrategy.RollingUpdate.Partition)
	assert.Equal(t, int32(10), *s.Spec.RevisionHistoryLimit)
	assert.Equal(t, &api.StatefulSetPersistentVolumeClaimRetentionPolicy{WhenDeleted: "Retain", WhenScaled: "Retain"}, s.Spec.PersistentVolumeClaimRetentionPolicy)
	assert.Equal(t, int64(1), s.Generation)

	// OnDelete gets no rollingUpdate block.
	obj, err = c.Admin.Create(sts("ondelete", func(s *api.StatefulSet) { s.Spec.UpdateStrategy.Type = api.OnDeleteStatefulSetStrategyType }))
	require.NoError(t, err)
	assert.Nil(t, obj.(*api.StatefulSet).Spec.UpdateStrategy.RollingUpdate)
}

func TestStatefulSetValidationMessages(t *testing.T) {
	c := boot(t)
	tests := []struct {
		name    string
		mutate  func(*api.StatefulSet)
		wantErr string
	}{
		{"bad policy", func(s *api.StatefulSet) { s.Spec.PodManagementPolicy = "Random" },
			`StatefulSet.apps "a" is invalid: spec.podManagementPolicy: Invalid value: "Random": must be 'OrderedReady' or 'Parallel'`},
		{"bad strategy", func(s *api.StatefulSet) { s.Spec.UpdateStrategy.Type = "Recreate" },
			`StatefulSet.apps "a" is invalid: spec.updateStrategy: Invalid value: "Recreate": must be 'RollingUpdate' or 'OnDelete'`},
		{"negative partition", func(s *api.StatefulSet) {
			s.Spec.UpdateStrategy.RollingUpdate = &api.RollingUpdateStatefulSetStrategy{Partition: i32(int32(-1))}
		}, `StatefulSet.apps "a" is invalid: spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0`},
		{"negative replicas", func(s *api.StatefulSet) { s.Spec.Replicas = i32(int32(-2)) },
			`StatefulSet.apps "a" is invalid: spec.replicas: Invalid value: -2: must be greater than or equal to 0`},
		{"negative ordinal start", func(s *api.StatefulSet) { s.Spec.Ordinals = &api.StatefulSetOrdinals{Start: -1} },
			`StatefulSet.apps "a" is invalid: spec.ordinals.start: Invalid value: -1: must be greater than or equal to 0`},
		{"bad retention", func(s *api.StatefulSet) {
			s.Spec.PersistentVolumeClaimRetentionPolicy = &api.StatefulSetPersistentVolumeClaimRetentionPolicy{WhenDeleted: "Keep", WhenScaled: "Retain"}
		}, `StatefulSet.apps "a" is invalid: spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: "Keep": supported values: "Retain", "Delete"`},
		{"selector does not match", func(s *api.StatefulSet) { s.Spec.Template.Labels = map[string]string{"app": "other"} },
			"StatefulSet.apps \"a\" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"other\"}: `selector` does not match template `labels`"},
		{"restartPolicy Never", func(s *api.StatefulSet) { s.Spec.Template.Spec.RestartPolicy = api.RestartPolicyNever },
			`StatefulSet.apps "a" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"`},
		{"unnamed claim template", func(s *api.StatefulSet) {
			s.Spec.VolumeClaimTemplates = []api.PersistentVolumeClaim{{}}
		}, `StatefulSet.apps "a" is invalid: [spec.volumeClaimTemplates[0].metadata.name: Required value: name or generateName is required, spec.volumeClaimTemplates[0].spec.accessModes: Required value: at least 1 access mode is required, spec.volumeClaimTemplates[0].spec.resources[storage]: Required value]`},
		{"claim template without storage", func(s *api.StatefulSet) {
			s.Spec.VolumeClaimTemplates = []api.PersistentVolumeClaim{{ObjectMeta: api.ObjectMeta{Name: "www"},
				Spec: api.PersistentVolumeClaimSpec{AccessModes: []api.PersistentVolumeAccessMode{api.ReadWriteOnce}}}}
		}, `StatefulSet.apps "a" is invalid: spec.volumeClaimTemplates[0].spec.resources[storage]: Required value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Admin.Create(sts("a", tt.mutate))
			assert.EqualError(t, err, tt.wantErr)
		})
	}
}

func TestStatefulSetUpdateForbidsServiceName(t *testing.T) {
	c := boot(t)
	_, err := c.Admin.Create(sts("web", nil))
	require.NoError(t, err)
	// The StatefulSet controller writes the status meanwhile: each update
	// starts from the latest object, on a copy (objects are shared).
	update := func(change func(*api.StatefulSet)) error {
		for {
			obj, err := c.Admin.Get("statefulsets", "default", "web")
			require.NoError(t, err)
			s := api.DeepCopyObject(obj).(*api.StatefulSet)
			change(s)
			if _, err = c.Admin.Update(s); !apierrors.IsConflict(err) {
				return err
			}
		}
	}
	require.NoError(t, update(func(s *api.StatefulSet) { s.Spec.Replicas = i32(int32(3)) }), "replicas may change")
	err = update(func(s *api.StatefulSet) { s.Spec.ServiceName = "other" })
	assert.EqualError(t, err, `StatefulSet.apps "web" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden`)
}

func i32(v int32) *int32 { return &v }
