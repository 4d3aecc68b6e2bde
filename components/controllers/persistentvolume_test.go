package controllers_test

import (
	"testing"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/controllers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type pvOpt func(*api.PersistentVolume)

func mkPV(name, size string, opts ...pvOpt) *api.PersistentVolume {
	pv := &api.PersistentVolume{ObjectMeta: api.ObjectMeta{Name: name},
		Spec: api.PersistentVolumeSpec{
			Capacity:    api.ResourceList{api.ResourceStorage: api.MustParseQuantity(size)},
			AccessModes: []api.PersistentVolumeAccessMode{api.ReadWriteOnce},
		},
		Status: api.PersistentVolumeStatus{Phase: api.VolumeAvailable}}
	for _, o := range opts {
		o(pv)
	}
	api.SetDefaultsPersistentVolume(pv)
	return pv
}

func pvClass(c string) pvOpt { return func(pv *api.PersistentVolume) { pv.Spec.StorageClassName = c } }
func pvModes(m ...api.PersistentVolumeAccessMode) pvOpt {
	return func(pv *api.PersistentVolume) { pv.Spec.AccessModes = m }
}
func pvLabels(l map[string]string) pvOpt { return func(pv *api.PersistentVolume) { pv.Labels = l } }
func pvPhase(p api.PersistentVolumePhase) pvOpt {
	return func(pv *api.PersistentVolume) { pv.Status.Phase = p }
}
func pvClaim(ns, name string) pvOpt {
	return func(pv *api.PersistentVolume) {
		pv.Spec.ClaimRef = &api.ObjectReference{Kind: "PersistentVolumeClaim", Namespace: ns, Name: name}
	}
}
func pvBlock() pvOpt {
	return func(pv *api.PersistentVolume) { m := api.PersistentVolumeBlock; pv.Spec.VolumeMode = &m }
}

func mkPVC(name, size, class string, modes ...api.PersistentVolumeAccessMode) *api.PersistentVolumeClaim {
	pvc := &api.PersistentVolumeClaim{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default", UID: "uid-" + api.UID(name)},
		Spec: api.PersistentVolumeClaimSpec{
			AccessModes: modes,
			Resources:   api.VolumeResourceRequirements{Requests: api.ResourceList{api.ResourceStorage: api.MustParseQuantity(size)}},
		}}
	if class != "" {
		pvc.Spec.StorageClassName = &class
	}
	api.SetDefaultsPersistentVolumeClaim(pvc)
	return pvc
}

func TestFindMatchingVolume(t *testing.T) {
	rwo := api.ReadWriteOnce
	rwx := api.ReadWriteMany
	cases := []struct {
		name    string
		claim   *api.PersistentVolumeClaim
		mutate  func(*api.PersistentVolumeClaim)
		volumes []*api.PersistentVolume
		want    string // "" = no match
	}{
		{"smallest fit wins", mkPVC("c", "3Gi", "manual", rwo),
			nil, []*api.PersistentVolume{mkPV("big", "10Gi", pvClass("manual")), mkPV("small", "5Gi", pvClass("manual")), mkPV("tiny", "1Gi", pvClass("manual"))}, "small"},
		{"exact size fits", mkPVC("c", "10Gi", "manual", rwo),
			nil, []*api.PersistentVolume{mkPV("ten", "10Gi", pvClass("manual"))}, "ten"},
		{"equal sizes: first in list", mkPVC("c", "1Gi", "", rwo),
			nil, []*api.PersistentVolume{mkPV("a", "2Gi"), mkPV("b", "2Gi")}, "a"},
		{"too small", mkPVC("c", "3Gi", "manual", rwo),
			nil, []*api.PersistentVolume{mkPV("tiny", "1Gi", pvClass("manual"))}, ""},
		{"other class", mkPVC("c", "1Gi", "fast", rwo),
			nil, []*api.PersistentVolume{mkPV("slow", "5Gi", pvClass("slow"))}, ""},
		{"claim without class takes only classless volumes", mkPVC("c", "1Gi", "", rwo),
			nil, []*api.PersistentVolume{mkPV("classed", "1Gi", pvClass("manual")), mkPV("plain", "9Gi")}, "plain"},
		{"access modes must all be offered", mkPVC("c", "1Gi", "", rwo, rwx),
			nil, []*api.PersistentVolume{mkPV("rwo", "1Gi"), mkPV("both", "5Gi", pvModes(rwo, rwx))}, "both"},
		{"selector filters", mkPVC("c", "1Gi", "", rwo),
			func(c *api.PersistentVolumeClaim) {
				c.Spec.Selector = &api.LabelSelector{MatchLabels: map[string]string{"tier": "db"}}
			},
			[]*api.PersistentVolume{mkPV("web", "1Gi", pvLabels(map[string]string{"tier": "web"})), mkPV("db", "8Gi", pvLabels(map[string]string{"tier": "db"}))}, "db"},
		{"released volume is not reused", mkPVC("c", "1Gi", "", rwo),
			nil, []*api.PersistentVolume{mkPV("old", "1Gi", pvPhase(api.VolumeReleased))}, ""},
		{"volume claimed by another claim", mkPVC("c", "1Gi", "", rwo),
			nil, []*api.PersistentVolume{mkPV("taken", "1Gi", pvClaim("default", "other"))}, ""},
		{"pre-bound volume wins over a smaller fit", mkPVC("c", "1Gi", "", rwo),
			nil, []*api.PersistentVolume{mkPV("small", "1Gi"), mkPV("mine", "50Gi", pvClaim("default", "c"), pvPhase(api.VolumeBound))}, "mine"},
		{"block volume for a filesystem claim", mkPVC("c", "1Gi", "", rwo),
			nil, []*api.PersistentVolume{mkPV("blk", "1Gi", pvBlock())}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.mutate != nil {
				tc.mutate(tc.claim)
			}
			got, err := controllers.FindMatchingVolume(tc.claim, tc.volumes)
			require.NoError(t, err)
			if tc.want == "" {
				assert.Nil(t, got)
				return
			}
			require.NotNil(t, got)
			assert.Equal(t, tc.want, got.Name)
		})
	}
}

func TestFindMatchingVolumeBadSelector(t *testing.T) {
	c := mkPVC("c", "1Gi", "", api.ReadWriteOnce)
	c.Spec.Selector = &api.LabelSelector{MatchExpressions: []api.LabelSelectorRequirement{{Key: "k", Operator: "Near"}}}
	_, err := controllers.FindMatchingVolume(c, []*api.PersistentVolume{mkPV("a", "1Gi")})
	assert.Error(t, err)
}

func TestClaimFromTemplate(t *testing.T) {
	class := "standard"
	tmpl := &api.PersistentVolumeClaimTemplate{
		ObjectMeta: api.ObjectMeta{Name: "www", Labels: map[string]string{"app": "web"}},
		Spec: api.PersistentVolumeClaimSpec{
			AccessModes:      []api.PersistentVolumeAccessMode{api.ReadWriteOnce},
			StorageClassName: &class,
			Resources:        api.VolumeResourceRequirements{Requests: api.ResourceList{api.ResourceStorage: api.MustParseQuantity("1Gi")}},
		},
	}
	yes := true
	owner := &api.OwnerReference{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "web", UID: "u1", Controller: &yes}
	pvc := controllers.ClaimFromTemplate(tmpl, "default", "www-web-0", owner)
	assert.Equal(t, "www-web-0", pvc.Name)
	assert.Equal(t, "default", pvc.Namespace)
	assert.Equal(t, "PersistentVolumeClaim", pvc.Kind)
	assert.Equal(t, map[string]string{"app": "web"}, pvc.Labels)
	assert.Equal(t, api.ClaimPending, pvc.Status.Phase)
	require.NotNil(t, pvc.Spec.VolumeMode)
	assert.Equal(t, api.PersistentVolumeFilesystem, *pvc.Spec.VolumeMode)
	require.Len(t, pvc.OwnerReferences, 1)
	assert.Equal(t, "web", pvc.OwnerReferences[0].Name)
	// The claim shares nothing with the template or the owner.
	pvc.Labels["app"] = "changed"
	*pvc.Spec.StorageClassName = "other"
	*pvc.OwnerReferences[0].Controller = false
	assert.Equal(t, "web", tmpl.Labels["app"])
	assert.Equal(t, "standard", class)
	assert.True(t, *owner.Controller)
	assert.Nil(t, tmpl.Spec.VolumeMode, "the template itself is not defaulted")
}
