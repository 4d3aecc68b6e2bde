package teamcontroller

import (
	"fmt"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/controllers"
	"github.com/kubesim/kubesim/examples/internal/exercise"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/simtest"
	"github.com/stretchr/testify/require"
)

// stubSHA256 is the sha256 of stub.go as shipped (see exercise.Grade).
const stubSHA256 = "9cc28812fdde11e12d8e4416582b36d0a6fd76e7ea55e6ea3f592224735beab5"

// within is how long the controller may take to act, in virtual time.
const within = 10 * time.Second

// start boots a cluster and runs the learner's controller in a manager of
// its own on cp-1, as an operator's Deployment would run beside the
// control plane (as cluster-admin, to keep the exercise about the loop).
func start(t testing.TB) *simtest.Kit {
	k := simtest.Start(t)
	run := controllers.New(controllers.Config{
		Token: cluster.AdminToken, APIServers: k.Cluster().APIServers,
		Controllers: []func() controllers.Controller{NewTeamInfo}, DisableLeaderElection: true,
	})
	require.NoError(t, k.Kernel().Spawn(sim.ActorSpec{Name: ManagedBy, Node: "cp-1", Component: ManagedBy, Run: run}))
	return k
}

// configMap is team-info in ns, or nil.
func configMap(k *simtest.Kit, ns string) *api.ConfigMap {
	for _, o := range k.InNamespace(ns).List("configmaps", "") {
		if o.GetObjectMeta().Name == ConfigMapName {
			return o.(*api.ConfigMap)
		}
	}
	return nil
}

func show(cm *api.ConfigMap) string {
	if cm == nil {
		return "no ConfigMap " + ConfigMapName
	}
	return fmt.Sprintf("ConfigMap %s/%s labels=%v data=%v", cm.Namespace, cm.Name, cm.Labels, cm.Data)
}

// expectTeam waits until ns has the controller's ConfigMap for team.
func expectTeam(k *simtest.Kit, ns, team string) {
	k.T().Helper()
	k.Eventually(within, fmt.Sprintf("ConfigMap %s/%s labelled %s=%s with data team=%s", ns, ConfigMapName, ManagedByLabel, ManagedBy, team), func() (string, bool) {
		cm := configMap(k, ns)
		return show(cm), cm != nil && cm.Labels[ManagedByLabel] == ManagedBy && len(cm.Data) == 1 && cm.Data["team"] == team
	})
}

// expectNone waits until ns has no ConfigMap team-info.
func expectNone(k *simtest.Kit, ns string) {
	k.T().Helper()
	k.Eventually(within, fmt.Sprintf("no ConfigMap %s/%s", ns, ConfigMapName), func() (string, bool) {
		cm := configMap(k, ns)
		return show(cm), cm == nil
	})
}

func namespace(name string, labels string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n  labels: {%s}\n", name, labels)
}

func TestConfigMapFollowsTheLabel(t *testing.T) {
	exercise.Grade(t, "stub.go", stubSHA256, gradeFollowsLabel)
}

func gradeFollowsLabel(t testing.TB) {
	k := start(t)

	// A labelled namespace gets its ConfigMap; an unlabelled one does not.
	k.Apply(namespace("payments", TeamLabel+": billing"))
	k.Apply(namespace("scratch", ""))
	expectTeam(k, "payments", "billing")
	k.RunFor(within)
	expectNone(k, "scratch")

	// The label changes: the ConfigMap follows.
	k.Apply(namespace("payments", TeamLabel+": finance"))
	expectTeam(k, "payments", "finance")

	// Someone edits the ConfigMap by hand: the controller puts it back.
	cm := api.DeepCopy(configMap(k, "payments"))
	cm.Data = map[string]string{"team": "hackers", "extra": "x"}
	_, err := k.Admin().Update(cm)
	require.NoError(t, err)
	expectTeam(k, "payments", "finance")

	// Someone deletes it: it comes back.
	_, err = k.Admin().Delete("configmaps", "payments", ConfigMapName, client.DeleteOptions{})
	require.NoError(t, err)
	expectTeam(k, "payments", "finance")

	// The label goes away: so does the ConfigMap.
	ns, err := client.Get[*api.Namespace](k.Admin(), "", "payments")
	require.NoError(t, err)
	ns = api.DeepCopy(ns)
	delete(ns.Labels, TeamLabel)
	_, err = k.Admin().Update(ns)
	require.NoError(t, err)
	expectNone(k, "payments")
}

// A ConfigMap the controller does not own is never touched, even where
// the controller would want one.
func TestForeignConfigMapIsLeftAlone(t *testing.T) {
	exercise.Grade(t, "stub.go", stubSHA256, gradeForeign)
}

func gradeForeign(t testing.TB) {
	k := start(t)
	k.Apply(namespace("legacy", ""))
	k.InNamespace("legacy").Apply("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: team-info\ndata: {owner: ops}\n")
	k.Apply(namespace("legacy", TeamLabel+": ops"))
	k.Apply(namespace("fresh", TeamLabel+": web"))
	expectTeam(k, "fresh", "web") // the controller is at work ...
	k.RunFor(within)
	cm := configMap(k, "legacy") // ... and left legacy's own ConfigMap as it was
	k.Check(cm != nil && cm.Labels[ManagedByLabel] == "" && len(cm.Data) == 1 && cm.Data["owner"] == "ops",
		"ConfigMap legacy/team-info, which the controller does not own, unchanged: data owner=ops, no managed-by label", func() string { return show(cm) })

	// Removing the label does not delete it either.
	ns, err := client.Get[*api.Namespace](k.Admin(), "", "legacy")
	require.NoError(t, err)
	ns = api.DeepCopy(ns)
	delete(ns.Labels, TeamLabel)
	_, err = k.Admin().Update(ns)
	require.NoError(t, err)
	k.RunFor(within)
	k.Check(configMap(k, "legacy") != nil, "ConfigMap legacy/team-info still there", func() string { return show(configMap(k, "legacy")) })
}
