package apiserver_test

import (
	"fmt"
	"testing"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
)

// BenchmarkCreateToWatch measures the whole first flow per object: kubectl's
// create through kube-apiserver's pipeline, the etcd transaction, etcd's
// watch event into the watch cache, and the fan-out to one watcher. It
// reports creates per second of wall time and kernel events per create.
func BenchmarkCreateToWatch(b *testing.B) {
	c, err := cluster.New(cluster.Config{Seed: 1, Workers: []string{}, Options: []sim.Option{sim.WithTraceCapacity(4096)}})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Stop()
	w := c.K.External("watcher", "")
	seen := 0
	w.OnMessage(func(m *sim.Message) {
		if ev, ok := m.Body.(*apiwire.WatchEvent); ok && ev.Type == apiwire.Added {
			seen++
		}
		w.Recv()
	})
	if _, err := client.New(w, cluster.AdminToken, c.APIServers...).Watch("configmaps", "default", client.ListOptions{}); err != nil {
		b.Fatal(err)
	}
	objs := make([]*api.ConfigMap, b.N)
	for i := range objs {
		objs[i] = &api.ConfigMap{TypeMeta: api.TypeMeta{Kind: "ConfigMap", APIVersion: "v1"},
			ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("cm-%d", i), Namespace: "default"}, Data: map[string]string{"k": "v"}}
	}
	events := c.K.Trace().Total()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Admin.Create(objs[i]); err != nil {
			b.Fatal(err)
		}
	}
	c.K.RunUntil(func() bool { return seen == b.N }, 1<<40)
	b.StopTimer()
	if seen != b.N {
		b.Fatalf("watcher saw %d of %d", seen, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
	b.ReportMetric(float64(c.K.Trace().Total()-events)/float64(b.N), "trace-records/create")
}
