package mvcc

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"
)

// Benchmarks run at the key counts of a small and a large cluster's pods.
// Keys look like kube-apiserver's, spread over 100 namespaces; values are
// 256 bytes. Each reports its rate as a custom metric, and the populating
// benchmarks report the heap bytes per stored key.

var benchSizes = []int{10_000, 100_000}

const benchNamespaces = 100

var benchValue = bytes.Repeat([]byte("v"), 256)

func benchKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("/registry/pods/ns%03d/pod-%07d", i%benchNamespaces, i)
	}
	return keys
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// populate writes every key once and measures the heap it took per key
// (index, record, value, revision log), keys' own strings excluded.
func populate(b *testing.B, keys []string) (*Store, float64) {
	b.Helper()
	before := heapInUse()
	s := New(Config{QuotaBytes: -1})
	for _, k := range keys {
		if _, err := s.Put(k, benchValue, NoLease); err != nil {
			b.Fatal(err)
		}
	}
	after := heapInUse()
	return s, float64(after-before) / float64(len(keys))
}

func reportRate(b *testing.B, n int, unit string) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), unit)
}

// BenchmarkPut updates existing keys round-robin. Every len(keys) puts it
// compacts away the older half of the history, as the apiserver compacts
// periodically; that cost is included.
func BenchmarkPut(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			keys := benchKeys(n)
			s, perKey := populate(b, keys)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := s.Put(keys[i%n], benchValue, NoLease); err != nil {
					b.Fatal(err)
				}
				i++
				if i%n == 0 {
					if err := s.Compact(s.Rev() - int64(n)/2); err != nil {
						b.Fatal(err)
					}
				}
			}
			reportRate(b, i, "puts/s")
			b.ReportMetric(perKey, "bytes/key") // after b.Loop, which resets metrics
		})
	}
}

// BenchmarkGet reads single keys at the current revision.
func BenchmarkGet(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			keys := benchKeys(n)
			s, perKey := populate(b, keys)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				res, err := s.Range(keys[i%n], "", RangeOptions{})
				if err != nil || len(res.KVs) != 1 {
					b.Fatal(err, res)
				}
				i++
			}
			reportRate(b, i, "gets/s")
			b.ReportMetric(perKey, "bytes/key")
		})
	}
}

// BenchmarkRange lists one namespace's pods (n/100 keys) with the
// apiserver's default page size of 500.
func BenchmarkRange(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			keys := benchKeys(n)
			s, _ := populate(b, keys)
			b.ReportAllocs()
			i, got := 0, 0
			for b.Loop() {
				prefix := fmt.Sprintf("/registry/pods/ns%03d/", i%benchNamespaces)
				res, err := s.Range(prefix, PrefixEnd(prefix), RangeOptions{Limit: 500})
				if err != nil || res.Count != int64(n/benchNamespaces) {
					b.Fatal(err, res.Count)
				}
				got += len(res.KVs)
				i++
			}
			reportRate(b, i, "ranges/s")
			reportRate(b, got, "keys/s")
		})
	}
}

// BenchmarkWatch updates keys round-robin under a watcher layout like a
// control plane's: one watch on every pod (the apiserver's watch cache),
// one per namespace, and a single-key watch on every tenth pod. Each put is
// delivered to 2 or 3 watchers; the rate is of delivered events.
func BenchmarkWatch(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			keys := benchKeys(n)
			s, _ := populate(b, keys)
			delivered := 0
			sink := func(resp WatchResponse) { delivered += len(resp.Events) }
			watch := func(req WatchRequest) {
				if _, err := s.Watch(req, sink); err != nil {
					b.Fatal(err)
				}
			}
			watch(WatchRequest{Key: "/registry/pods/", End: PrefixEnd("/registry/pods/")})
			for ns := 0; ns < benchNamespaces; ns++ {
				prefix := fmt.Sprintf("/registry/pods/ns%03d/", ns)
				watch(WatchRequest{Key: prefix, End: PrefixEnd(prefix)})
			}
			for i := 0; i < n; i += 10 {
				watch(WatchRequest{Key: keys[i], PrevKV: true})
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := s.Put(keys[i%n], benchValue, NoLease); err != nil {
					b.Fatal(err)
				}
				i++
				if i%n == 0 {
					if err := s.Compact(s.Rev() - int64(n)/2); err != nil {
						b.Fatal(err)
					}
				}
			}
			reportRate(b, delivered, "events/s")
			reportRate(b, i, "puts/s")
		})
	}
}
