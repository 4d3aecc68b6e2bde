package apiserver_test

import (
	"testing"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The ServiceAccount admission plugin's kube-api-access volume, as
// kube-apiserver v1.32 adds it.
func TestServiceAccountTokenVolume(t *testing.T) {
	no := false
	tests := []struct {
		name       string
		pod        func(*api.Pod)
		sa         *api.ServiceAccount
		wantVolume bool
	}{
		{name: "every pod by default", wantVolume: true},
		{name: "not when the pod opts out", pod: func(p *api.Pod) { p.Spec.AutomountServiceAccountToken = &no }},
		{name: "not when its ServiceAccount opts out", pod: func(p *api.Pod) { p.Spec.ServiceAccountName = "quiet" },
			sa: &api.ServiceAccount{TypeMeta: api.TypeMeta{Kind: "ServiceAccount", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: "quiet", Namespace: "default"}, AutomountServiceAccountToken: &no}},
		{name: "not when every container mounts something there already", pod: func(p *api.Pod) {
			p.Spec.Volumes = []api.Volume{{Name: "mine", VolumeSource: api.VolumeSource{EmptyDir: &api.EmptyDirVolumeSource{}}}}
			p.Spec.Containers[0].VolumeMounts = []api.VolumeMount{{Name: "mine", MountPath: apiserver.ServiceAccountTokenMountPath}}
			p.Spec.InitContainers[0].VolumeMounts = []api.VolumeMount{{Name: "mine", MountPath: apiserver.ServiceAccountTokenMountPath}}
		}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := boot(t)
			if tc.sa != nil {
				_, err := c.Admin.Create(tc.sa)
				require.NoError(t, err)
			}
			in := pod("web")
			in.Spec.InitContainers = []api.Container{{Name: "init", Image: "busybox:1.36"}}
			if tc.pod != nil {
				tc.pod(in)
			}
			obj, err := c.Admin.Create(in)
			require.NoError(t, err, "case %d", i)
			p := obj.(*api.Pod)
			var projected []api.Volume
			for _, v := range p.Spec.Volumes {
				if v.Projected != nil {
					projected = append(projected, v)
				}
			}
			if !tc.wantVolume {
				assert.Empty(t, projected)
				for _, ct := range append(p.Spec.InitContainers, p.Spec.Containers...) {
					for _, m := range ct.VolumeMounts {
						assert.NotContains(t, m.Name, "kube-api-access", "no kube-api-access mount in %s", ct.Name)
					}
				}
				return
			}
			require.Len(t, projected, 1)
			v := projected[0]
			assert.Regexp(t, `^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$`, v.Name)
			require.NotNil(t, v.Projected.DefaultMode)
			assert.Equal(t, int32(420), *v.Projected.DefaultMode)
			require.Len(t, v.Projected.Sources, 3)
			tok := v.Projected.Sources[0].ServiceAccountToken
			require.NotNil(t, tok)
			assert.Equal(t, "token", tok.Path)
			assert.Equal(t, int64(3607), *tok.ExpirationSeconds)
			cm := v.Projected.Sources[1].ConfigMap
			require.NotNil(t, cm)
			assert.Equal(t, "kube-root-ca.crt", cm.Name)
			assert.Equal(t, []api.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}, cm.Items)
			dw := v.Projected.Sources[2].DownwardAPI
			require.NotNil(t, dw)
			require.Len(t, dw.Items, 1)
			assert.Equal(t, "namespace", dw.Items[0].Path)
			assert.Equal(t, &api.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"}, dw.Items[0].FieldRef)
			want := api.VolumeMount{Name: v.Name, ReadOnly: true, MountPath: "/var/run/secrets/kubernetes.io/serviceaccount"}
			assert.Equal(t, []api.VolumeMount{want}, p.Spec.InitContainers[0].VolumeMounts, "init containers too")
			assert.Equal(t, []api.VolumeMount{want}, p.Spec.Containers[0].VolumeMounts)
		})
	}
}
