package serve

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/require"
)

// BenchmarkHTTPLoad is the front end under a class's load: watchers
// streams of pods stay open (as many kubectl get -w and informers), while
// 50 clients create pods concurrently through HTTP, then list them. It
// reports creates per second, the creates' p50 and p99 latency, the
// lists' p99 and the heap once the load is over.
func BenchmarkHTTPLoad(b *testing.B) {
	for _, watchers := range []int{0, 300} {
		b.Run(fmt.Sprintf("watchers=%d", watchers), func(b *testing.B) {
			benchLoad(b, watchers)
		})
	}
}

func benchLoad(b *testing.B, watchers int) {
	srv, stop := benchServer(b)
	defer stop()
	require.NoError(b, srv.Do(context.Background(), func(c *cluster.Cluster) {
		_, err := c.Admin.Create(&api.Namespace{ObjectMeta: api.ObjectMeta{Name: "load"}})
		require.NoError(b, err)
	}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Each client keeps its connection, as kubectl and client-go do
	// within a process (the tests' client opens one per request).
	transport := &http.Transport{MaxIdleConnsPerHost: 512, TLSClientConfig: &tls.Config{RootCAs: CAPool(srv.CA())}}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: bearer{token: srv.BearerToken(), next: transport}}
	var seen sync.WaitGroup
	var counts []*atomic.Int64
	for w := 0; w < watchers; w++ {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL()+"/api/v1/namespaces/load/pods?watch=true", nil)
		res, err := client.Do(req)
		require.NoError(b, err)
		require.Equal(b, 200, res.StatusCode)
		seen.Add(1)
		n := new(atomic.Int64)
		counts = append(counts, n)
		go func(body io.ReadCloser) {
			defer seen.Done()
			defer body.Close()
			lines := bufio.NewScanner(body)
			for lines.Scan() {
				n.Add(1)
			}
		}(res.Body)
	}

	const clients = 50
	var mu sync.Mutex
	var creates, lists []time.Duration
	next := make(chan int)
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	var events0, events1 uint64
	require.NoError(b, srv.Do(context.Background(), func(c *cluster.Cluster) { events0 = c.K.Trace().Total() }))
	start, cpuStart := time.Now(), cpuTime()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				body := fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p-%07d"},"spec":{"nodeName":"elsewhere","containers":[{"name":"main","image":"nginx"}]}}`, i)
				t0 := time.Now()
				res, err := client.Post(srv.URL()+"/api/v1/namespaces/load/pods", "application/json", bytes.NewReader([]byte(body)))
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				d := time.Since(t0)
				if res.StatusCode != 201 {
					b.Errorf("create %d: %s", i, res.Status)
				}
				if i%10 == 0 {
					t1 := time.Now()
					res, err := client.Get(srv.URL() + "/api/v1/namespaces/load/pods?limit=100")
					if err == nil {
						io.Copy(io.Discard, res.Body)
						res.Body.Close()
					}
					mu.Lock()
					lists = append(lists, time.Since(t1))
					mu.Unlock()
				}
				mu.Lock()
				creates = append(creates, d)
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < b.N; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)
	cpu := cpuTime() - cpuStart
	b.StopTimer()
	require.NoError(b, srv.Do(context.Background(), func(c *cluster.Cluster) { events1 = c.K.Trace().Total() }))
	b.ReportMetric(float64(events1-events0)/float64(b.N), "records/create")
	// Every watcher sees every create (an ADDED line each), or the figures
	// would flatter a server that drops events; the last ones may still be
	// on their way.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		behind := 0
		for _, n := range counts {
			if n.Load() < int64(b.N) {
				behind++
			}
		}
		if behind == 0 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d watchers missed creates", behind, watchers)
		}
	}
	cancel()
	seen.Wait()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "creates/s")
	b.ReportMetric(quantile(creates, 0.50), "p50-ms")
	b.ReportMetric(quantile(creates, 0.99), "p99-ms")
	b.ReportMetric(quantile(lists, 0.99), "list-p99-ms")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
	// CPU per create (server, clients and watchers together, all in this
	// process) is the figure that depends least on the machine's load.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/create")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// bearer adds the server's token to each request.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (t bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+t.token)
	return t.next.RoundTrip(req)
}

func quantile(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return float64(s[int(q*float64(len(s)-1))]) / float64(time.Millisecond)
}
