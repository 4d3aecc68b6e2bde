package controllers_test

import (
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/controllers"
	"github.com/kubesim/kubesim/sim/cluster"
)

// BenchmarkReplicaSetBurst500 creates a ReplicaSet of 500 and waits for the
// controller's one burst (slow-start batches 1, 2, ..., 256, 245) to land.
// It reports the virtual time the burst took.
func BenchmarkReplicaSetBurst500(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := bootB(b)
		b.StartTimer()
		start := e.K.Now()
		e.create(replicaSet("web", 500, map[string]string{"app": "web"}))
		e.waitFor("500 pods", func() bool { return len(e.list("pods", "default")) == 500 }, time.Minute)
		b.ReportMetric(float64(e.K.Now()-start)/float64(time.Millisecond), "virtual-ms/op")
		b.StopTimer()
		e.Stop()
	}
}

func bootB(b *testing.B) *env {
	c, err := cluster.New(cluster.Config{Seed: 1, Workers: []string{}})
	if err != nil {
		b.Fatal(err)
	}
	e := &env{t: b, Cluster: c}
	for _, name := range c.Schedulers {
		_ = c.K.Crash(name)
	}
	for _, name := range c.ControllerManagers {
		_ = c.K.Crash(name)
	}
	e.spawnManager("kcm-bench", "cp-1", controllers.Config{Token: cluster.ControllerToken, APIServers: c.APIServers,
		Controllers: []func() controllers.Controller{controllers.NewServiceAccounts, controllers.NewReplicaSets}, DisableLeaderElection: true})
	return e
}
