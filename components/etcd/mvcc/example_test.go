package mvcc_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kubesim/kubesim/components/etcd/mvcc"
)

// The store is a pure data structure: it must never leave a goroutine
// behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// The create and update transactions kube-apiserver's etcd3 storage sends,
// and a watch that sees both.
func Example() {
	s := mvcc.New(mvcc.Config{})
	key := "/registry/pods/default/web"

	_, _ = s.Watch(mvcc.WatchRequest{Key: "/registry/pods/", End: mvcc.PrefixEnd("/registry/pods/")},
		func(resp mvcc.WatchResponse) {
			for _, ev := range resp.Events {
				fmt.Printf("watch: rev %d %s %s version %d\n", resp.Revision, ev.Type, ev.KV.Key, ev.KV.Version)
			}
		})

	// Create: write only if the key does not exist.
	created, _ := s.Txn(mvcc.TxnRequest{
		Compare: []mvcc.Compare{mvcc.CmpModRevision(key, mvcc.Equal, 0)},
		Success: []mvcc.Op{mvcc.OpPut(key, []byte("spec-v1"), mvcc.NoLease)},
	})
	fmt.Println("created:", created.Succeeded, "resourceVersion", created.Rev)

	// Update with a stale resourceVersion fails; with the current one it
	// succeeds.
	for _, rv := range []int64{1, created.Rev} {
		resp, _ := s.Txn(mvcc.TxnRequest{
			Compare: []mvcc.Compare{mvcc.CmpModRevision(key, mvcc.Equal, rv)},
			Success: []mvcc.Op{mvcc.OpPut(key, []byte("spec-v2"), mvcc.NoLease)},
		})
		fmt.Printf("update at rv %d: %v\n", rv, resp.Succeeded)
	}

	// Output:
	// watch: rev 2 PUT /registry/pods/default/web version 1
	// created: true resourceVersion 2
	// update at rv 1: false
	// watch: rev 3 PUT /registry/pods/default/web version 2
	// update at rv 2: true
}

// Compaction makes old revisions unreadable; a watch from before it is
// refused with the compact revision, so the client knows to relist.
func ExampleStore_Compact() {
	s := mvcc.New(mvcc.Config{})
	for i := 0; i < 5; i++ {
		_, _ = s.Put("/registry/events/default/e", []byte(fmt.Sprint(i)), mvcc.NoLease)
	}
	_ = s.Compact(4)

	_, err := s.Range("/registry/events/default/e", "", mvcc.RangeOptions{Rev: 3})
	fmt.Println(err)

	_, err = s.Watch(mvcc.WatchRequest{Key: "/registry/events/", End: mvcc.PrefixEnd("/registry/events/"), StartRev: 2},
		func(mvcc.WatchResponse) {})
	var compacted *mvcc.CompactedError
	if errors.As(err, &compacted) {
		fmt.Println("watch refused, compact revision", compacted.CompactRevision)
	}
	// Output:
	// mvcc: required revision has been compacted
	// watch refused, compact revision 4
}

// Leases expire on the owner's virtual clock.
func ExampleStore_Expire() {
	s := mvcc.New(mvcc.Config{})
	l, _ := s.Grant(0, 1, 0) // raised to the 2 s minimum
	_, _ = s.Put("/registry/masterleases/10.0.0.1", []byte("x"), l.ID)

	fmt.Println("ttl", l.TTL, "expired at 1s:", s.Expire(time.Second))
	fmt.Println("expired at 2s:", s.Expire(2*time.Second))
	res, _ := s.Range("/registry/masterleases/", mvcc.PrefixEnd("/registry/masterleases/"), mvcc.RangeOptions{})
	fmt.Println("keys left:", res.Count)
	// Output:
	// ttl 2 expired at 1s: []
	// expired at 2s: [1]
	// keys left: 0
}
