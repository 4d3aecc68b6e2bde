package printers

import (
	"bytes"
	"testing"

	"github.com/kubesim/kubesim/components/api"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRolloutStatus(t *testing.T) {
	three := int32(3)
	deploy := func(gen, observed int64, st api.DeploymentStatus, conds ...api.DeploymentCondition) *api.Deployment {
		st.ObservedGeneration = observed
		st.Conditions = conds
		return &api.Deployment{ObjectMeta: api.ObjectMeta{Name: "web", Generation: gen}, Spec: api.DeploymentSpec{Replicas: &three}, Status: st}
	}
	ds := func(typ api.DaemonSetUpdateStrategyType, st api.DaemonSetStatus) *api.DaemonSet {
		st.ObservedGeneration = 1
		return &api.DaemonSet{ObjectMeta: api.ObjectMeta{Name: "agent", Generation: 1}, Spec: api.DaemonSetSpec{UpdateStrategy: api.DaemonSetUpdateStrategy{Type: typ}}, Status: st}
	}
	sts := func(partition *int32, st api.StatefulSetStatus) *api.StatefulSet {
		st.ObservedGeneration = 1
		s := &api.StatefulSet{ObjectMeta: api.ObjectMeta{Name: "db", Generation: 1}, Spec: api.StatefulSetSpec{Replicas: &three,
			UpdateStrategy: api.StatefulSetUpdateStrategy{Type: api.RollingUpdateStatefulSetStrategyType}}, Status: st}
		if partition != nil {
			s.Spec.UpdateStrategy.RollingUpdate = &api.RollingUpdateStatefulSetStrategy{Partition: partition}
		}
		return s
	}
	one := int32(1)
	tests := []struct {
		name     string
		obj      api.Object
		want     string
		wantDone bool
		wantErr  string
	}{
		{"deployment not observed", deploy(2, 1, api.DeploymentStatus{}), "Waiting for deployment spec update to be observed...\n", false, ""},
		{"deployment updating", deploy(1, 1, api.DeploymentStatus{UpdatedReplicas: 1, Replicas: 3}), `Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...` + "\n", false, ""},
		{"deployment old pending", deploy(1, 1, api.DeploymentStatus{UpdatedReplicas: 3, Replicas: 4}), `Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...` + "\n", false, ""},
		{"deployment unavailable", deploy(1, 1, api.DeploymentStatus{UpdatedReplicas: 3, Replicas: 3, AvailableReplicas: 2}), `Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...` + "\n", false, ""},
		{"deployment done", deploy(1, 1, api.DeploymentStatus{UpdatedReplicas: 3, Replicas: 3, AvailableReplicas: 3}), `deployment "web" successfully rolled out` + "\n", true, ""},
		{"deployment deadline", deploy(1, 1, api.DeploymentStatus{}, api.DeploymentCondition{Type: "Progressing", Reason: "ProgressDeadlineExceeded"}), "", false, `deployment "web" exceeded its progress deadline`},
		{"daemonset OnDelete", ds(api.OnDeleteDaemonSetStrategyType, api.DaemonSetStatus{}), "", true, "rollout status is only available for RollingUpdate strategy type"},
		{"daemonset updating", ds(api.RollingUpdateDaemonSetStrategyType, api.DaemonSetStatus{DesiredNumberScheduled: 3, UpdatedNumberScheduled: 1}), `Waiting for daemon set "agent" rollout to finish: 1 out of 3 new pods have been updated...` + "\n", false, ""},
		{"daemonset done", ds(api.RollingUpdateDaemonSetStrategyType, api.DaemonSetStatus{DesiredNumberScheduled: 3, UpdatedNumberScheduled: 3, NumberAvailable: 3}), `daemon set "agent" successfully rolled out` + "\n", true, ""},
		{"statefulset not ready", sts(nil, api.StatefulSetStatus{ReadyReplicas: 1}), "Waiting for 2 pods to be ready...\n", false, ""},
		{"statefulset partitioned", sts(&one, api.StatefulSetStatus{ReadyReplicas: 3, UpdatedReplicas: 1}), "Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated...\n", false, ""},
		{"statefulset revisions differ", sts(nil, api.StatefulSetStatus{ReadyReplicas: 3, UpdatedReplicas: 1, UpdateRevision: "db-2", CurrentRevision: "db-1"}), "waiting for statefulset rolling update to complete 1 pods at revision db-2...\n", false, ""},
		{"statefulset done", sts(nil, api.StatefulSetStatus{ReadyReplicas: 3, CurrentReplicas: 3, UpdateRevision: "db-1", CurrentRevision: "db-1"}), "statefulset rolling update complete 3 pods at revision db-1...\n", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, done, err := RolloutStatus(tt.obj)
			if tt.wantErr != "" {
				assert.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.wantDone, done)
		})
	}
}

func TestRolloutHistory(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteRolloutHistory(&buf, "deployment.apps", "web", []Revision{{Number: 1}, {Number: 3, ChangeCause: "kubectl set image"}}, 0))
	assert.Equal(t, "deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n3         kubectl set image\n\n", buf.String())
	buf.Reset()
	require.NoError(t, WriteRolloutHistory(&buf, "daemonset.apps", "agent", nil, 0))
	assert.Equal(t, "daemonset.apps/agent \nNo rollout history found.\n", buf.String())
	assert.EqualError(t, WriteRolloutHistory(&buf, "deployment.apps", "web", []Revision{{Number: 1}}, 2), "error: unable to find the specified revision")
}
