package plugins_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/scheduler/framework"
	"github.com/kubesim/kubesim/components/scheduler/plugins"
)

// fakeVolumes is framework.Volumes over fixed objects; it records the
// PreBind writes.
type fakeVolumes struct {
	claims   map[string]*api.PersistentVolumeClaim
	volumes  []*api.PersistentVolume
	classes  map[string]*api.StorageClass
	selected map[string]string
	bound    map[string]string
}

func (f *fakeVolumes) Claim(ns, name string) (*api.PersistentVolumeClaim, bool) {
	c, ok := f.claims[ns+"/"+name]
	return c, ok
}

func (f *fakeVolumes) Volume(name string) (*api.PersistentVolume, bool) {
	for _, v := range f.volumes {
		if v.Name == name {
			return v, true
		}
	}
	return nil, false
}

func (f *fakeVolumes) ListVolumes() []*api.PersistentVolume { return f.volumes }

func (f *fakeVolumes) Class(name string) (*api.StorageClass, bool) {
	c, ok := f.classes[name]
	return c, ok
}

func (f *fakeVolumes) SetSelectedNode(c *api.PersistentVolumeClaim, node string) error {
	f.selected[c.Name] = node
	return nil
}

func (f *fakeVolumes) BindVolume(v *api.PersistentVolume, c *api.PersistentVolumeClaim) error {
	f.bound[c.Name] = v.Name
	return nil
}

func vbClass(name, provisioner string, mode api.VolumeBindingMode) *api.StorageClass {
	return &api.StorageClass{ObjectMeta: api.ObjectMeta{Name: name}, Provisioner: provisioner, VolumeBindingMode: &mode}
}

func vbClaim(name, class, volume string) *api.PersistentVolumeClaim {
	c := &api.PersistentVolumeClaim{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default", UID: api.UID("uid-" + name)},
		Spec: api.PersistentVolumeClaimSpec{StorageClassName: &class, VolumeName: volume, AccessModes: []api.PersistentVolumeAccessMode{api.ReadWriteOnce},
			Resources: api.VolumeResourceRequirements{Requests: api.ResourceList{api.ResourceStorage: api.MustParseQuantity("1Gi")}}}}
	if volume != "" {
		c.Status.Phase = api.ClaimBound
	}
	return c
}

func vbVolume(name, class, size, node string, claim string) *api.PersistentVolume {
	v := &api.PersistentVolume{ObjectMeta: api.ObjectMeta{Name: name}, Spec: api.PersistentVolumeSpec{StorageClassName: class,
		Capacity: api.ResourceList{api.ResourceStorage: api.MustParseQuantity(size)}, AccessModes: []api.PersistentVolumeAccessMode{api.ReadWriteOnce}},
		Status: api.PersistentVolumeStatus{Phase: api.VolumeAvailable}}
	if node != "" {
		v.Spec.NodeAffinity = &api.VolumeNodeAffinity{Required: &api.NodeSelector{NodeSelectorTerms: []api.NodeSelectorTerm{{
			MatchExpressions: []api.NodeSelectorRequirement{{Key: api.LabelHostname, Operator: api.NodeSelectorOpIn, Values: []string{node}}}}}}}
	}
	if claim != "" {
		v.Spec.ClaimRef = &api.ObjectReference{Namespace: "default", Name: claim, UID: api.UID("uid-" + claim)}
		v.Status.Phase = api.VolumeBound
	}
	return v
}

func vbPod(claims ...string) *api.Pod {
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "p", Namespace: "default"}}
	for _, c := range claims {
		p.Spec.Volumes = append(p.Spec.Volumes, api.Volume{Name: c, VolumeSource: api.VolumeSource{PersistentVolumeClaim: &api.PersistentVolumeClaimVolumeSource{ClaimName: c}}})
	}
	return p
}

func vbNode(name string) *api.Node {
	return &api.Node{ObjectMeta: api.ObjectMeta{Name: name, Labels: map[string]string{api.LabelHostname: name}}}
}

func TestVolumeBinding(t *testing.T) {
	classes := map[string]*api.StorageClass{
		"standard": vbClass("standard", "rancher.io/local-path", api.VolumeBindingWaitForFirstConsumer),
		"local":    vbClass("local", "kubernetes.io/no-provisioner", api.VolumeBindingWaitForFirstConsumer),
		"now":      vbClass("now", "example.com/disk", api.VolumeBindingImmediate),
	}
	tests := []struct {
		name    string
		pod     *api.Pod
		claims  []*api.PersistentVolumeClaim
		volumes []*api.PersistentVolume
		// wantStatus per node ("" is success); wantProvision and wantBind
		// are the PreBind writes on node-1.
		wantStatus    map[string]string
		wantProvision map[string]string
		wantBind      map[string]string
	}{
		{name: "no claims: skipped", pod: vbPod(), wantStatus: map[string]string{"node-1": "", "node-2": ""}},
		{name: "missing claim", pod: vbPod("nosuch"),
			wantStatus: map[string]string{"node-1": `persistentvolumeclaim "nosuch" not found`, "node-2": `persistentvolumeclaim "nosuch" not found`}},
		{name: "unbound immediate claim", pod: vbPod("a"), claims: []*api.PersistentVolumeClaim{vbClaim("a", "now", "")},
			wantStatus: map[string]string{"node-1": plugins.ErrUnboundImmediateClaims, "node-2": plugins.ErrUnboundImmediateClaims}},
		{name: "claim of a missing class counts as immediate", pod: vbPod("a"), claims: []*api.PersistentVolumeClaim{vbClaim("a", "fast", "")},
			wantStatus: map[string]string{"node-1": plugins.ErrUnboundImmediateClaims, "node-2": plugins.ErrUnboundImmediateClaims}},
		{name: "bound local volume pins the node", pod: vbPod("a"), claims: []*api.PersistentVolumeClaim{vbClaim("a", "local", "pv")},
			volumes:    []*api.PersistentVolume{vbVolume("pv", "local", "1Gi", "node-2", "a")},
			wantStatus: map[string]string{"node-1": plugins.ErrReasonNodeConflict, "node-2": ""}},
		{name: "bound to a missing volume", pod: vbPod("a"), claims: []*api.PersistentVolumeClaim{vbClaim("a", "local", "gone")},
			wantStatus: map[string]string{"node-1": plugins.ErrReasonPVNotExist, "node-2": plugins.ErrReasonPVNotExist}},
		{name: "wait for first consumer: provisioned on the node", pod: vbPod("a"), claims: []*api.PersistentVolumeClaim{vbClaim("a", "standard", "")},
			wantStatus: map[string]string{"node-1": "", "node-2": ""}, wantProvision: map[string]string{"a": "node-1"}},
		{name: "no provisioner: a fitting local volume on one node", pod: vbPod("a"), claims: []*api.PersistentVolumeClaim{vbClaim("a", "local", "")},
			volumes:    []*api.PersistentVolume{vbVolume("big", "local", "10Gi", "node-1", ""), vbVolume("small", "local", "2Gi", "node-1", ""), vbVolume("tiny", "local", "512Mi", "node-2", "")},
			wantStatus: map[string]string{"node-1": "", "node-2": plugins.ErrReasonBindConflict}, wantBind: map[string]string{"a": "small"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fv := &fakeVolumes{claims: map[string]*api.PersistentVolumeClaim{}, volumes: tt.volumes, classes: classes, selected: map[string]string{}, bound: map[string]string{}}
			for _, c := range tt.claims {
				fv.claims["default/"+c.Name] = c
			}
			nodes := []*api.Node{vbNode("node-1"), vbNode("node-2")}
			snap := framework.NewSnapshot(nil, nodes)
			f, err := framework.NewFramework(plugins.NewInTreeRegistry(),
				framework.Profile{Plugins: []framework.PluginSpec{{Name: plugins.VolumeBindingName}}}, framework.NewHandleWithVolumes(snap, fv))
			require.NoError(t, err)
			ctx := context.Background()
			state := framework.NewCycleState()
			_, pre, _ := f.RunPreFilterPlugins(ctx, state, tt.pod, snap.List())
			for _, ni := range snap.List() {
				st := pre
				if st.IsSuccess() {
					st = f.RunFilterPlugins(ctx, state, tt.pod, ni)
				}
				want := tt.wantStatus[ni.Node().Name]
				if want == "" {
					assert.True(t, st.IsSuccess(), "%s: %v", ni.Node().Name, st)
					continue
				}
				require.False(t, st.IsSuccess(), ni.Node().Name)
				assert.Equal(t, framework.UnschedulableAndUnresolvable, st.Code())
				assert.Equal(t, want, st.Message(), ni.Node().Name)
			}
			if tt.wantStatus["node-1"] != "" {
				return
			}
			require.True(t, f.RunReservePluginsReserve(ctx, state, tt.pod, "node-1").IsSuccess())
			require.True(t, f.RunPreBindPlugins(ctx, state, tt.pod, "node-1").IsSuccess())
			assert.Equal(t, len(tt.wantProvision), len(fv.selected))
			for k, v := range tt.wantProvision {
				assert.Equal(t, v, fv.selected[k])
			}
			assert.Equal(t, len(tt.wantBind), len(fv.bound))
			for k, v := range tt.wantBind {
				assert.Equal(t, v, fv.bound[k])
			}
		})
	}
}
