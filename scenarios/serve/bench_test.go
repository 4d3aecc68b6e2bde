package serve

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/require"
)

func benchServer(b *testing.B) (*Server, func()) {
	c, err := cluster.New(cluster.Config{Seed: 1})
	require.NoError(b, err)
	srv, err := New(Config{Cluster: c, Paused: true})
	require.NoError(b, err)
	require.NoError(b, srv.Listen())
	register(srv)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	return srv, func() { cancel(); <-done }
}

// createPods creates pods bound to a node no kubelet runs, so that the
// benchmarks measure the request path and not the pods' lives.
func createPods(b *testing.B, srv *Server, namespace string, n int) {
	require.NoError(b, srv.Do(context.Background(), func(c *cluster.Cluster) {
		if namespace != "default" {
			_, err := c.Admin.Create(&api.Namespace{ObjectMeta: api.ObjectMeta{Name: namespace}})
			require.NoError(b, err)
		}
		for i := 0; i < n; i++ {
			_, err := c.Admin.Create(&api.Pod{ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("p-%04d", i), Namespace: namespace},
				Spec: api.PodSpec{NodeName: "elsewhere", Containers: []api.Container{{Name: "main", Image: "nginx"}}}})
			require.NoError(b, err)
		}
	}))
}

func benchGet(b *testing.B, url, accept string) {
	client := httpClient
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Accept", accept)
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatal(res.Status)
		}
	}
}

// BenchmarkGetPodsTable is `kubectl get pods` without the process start:
// a Table list of a few pods, through HTTP, the driver goroutine, the
// kernel, kube-apiserver and etcd, and back.
func BenchmarkGetPodsTable(b *testing.B) {
	srv, stop := benchServer(b)
	defer stop()
	createPods(b, srv, "default", 5)
	benchGet(b, srv.URL()+"/api/v1/namespaces/default/pods?limit=500", tableAccept)
}

// BenchmarkList1000Pods lists 1,000 pods as JSON and as a Table.
func BenchmarkList1000Pods(b *testing.B) {
	srv, stop := benchServer(b)
	defer stop()
	createPods(b, srv, "bulk", 1000)
	b.Run("json", func(b *testing.B) {
		benchGet(b, srv.URL()+"/api/v1/namespaces/bulk/pods?limit=500", "application/json")
	})
	b.Run("table", func(b *testing.B) {
		benchGet(b, srv.URL()+"/api/v1/namespaces/bulk/pods?limit=500", tableAccept)
	})
}

// BenchmarkWatchEvents measures watch events per second to one client:
// each iteration creates a pod in the simulation and reads its ADDED line.
func BenchmarkWatchEvents(b *testing.B) {
	srv, stop := benchServer(b)
	defer stop()
	require.NoError(b, srv.Do(context.Background(), func(c *cluster.Cluster) {
		_, err := c.Admin.Create(&api.Namespace{ObjectMeta: api.ObjectMeta{Name: "w"}})
		require.NoError(b, err)
	}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL()+"/api/v1/namespaces/w/pods?watch=true&resourceVersion=0", nil)
	res, err := httpClient.Do(req)
	require.NoError(b, err)
	defer res.Body.Close()
	lines := bufio.NewScanner(res.Body)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	b.ResetTimer()
	const batch = 100
	for done := 0; done < b.N; done += batch {
		n := min(batch, b.N-done)
		require.NoError(b, srv.Do(ctx, func(c *cluster.Cluster) {
			for i := 0; i < n; i++ {
				_, err := c.Admin.Create(&api.Pod{ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("p-%07d", done+i), Namespace: "w"},
					Spec: api.PodSpec{NodeName: "elsewhere", Containers: []api.Container{{Name: "main", Image: "nginx"}}}})
				require.NoError(b, err)
			}
			c.K.RunFor(1e6) // let the last events travel
		}))
		for i := 0; i < n; i++ {
			if !lines.Scan() {
				b.Fatal("watch ended")
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	cancel()
}
