package etcd_test

import (
	"fmt"

	"github.com/kubesim/kubesim/components/etcd"
	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"github.com/kubesim/kubesim/sim"
)

// A three-member cluster: write through one member, read from another,
// and print `etcdctl endpoint status -w table`.
func ExampleNewCluster() {
	k := sim.New(1)
	defer k.Shutdown()
	names := []string{"etcd-cp-1", "etcd-cp-2", "etcd-cp-3"}
	for i, m := range etcd.NewCluster(names, nil) {
		_ = k.Spawn(sim.ActorSpec{Name: names[i], Node: fmt.Sprintf("cp-%d", i+1), Component: "etcd", Run: m.Run})
	}
	etcdctl := k.External("etcdctl", "")
	res, err := etcd.NewClient(etcdctl, "etcd-cp-1").Txn(mvcc.TxnRequest{Success: []mvcc.Op{mvcc.OpPut("/greeting", []byte("hello"), 0)}})
	if err != nil {
		panic(err)
	}
	fmt.Println("put at revision", res.Header.Revision, "after", k.Now())
	got, _ := etcd.NewClient(etcdctl, "etcd-cp-3").Range("/greeting", "", mvcc.RangeOptions{}, false)
	fmt.Printf("etcd-cp-3 reads %s\n", got.KVs[0].Value)
	fmt.Print(etcd.FormatStatusTable(etcd.Statuses(etcd.NewClient(etcdctl, names...), names)))
	// Output:
	// put at revision 2 after 104.5ms
	// etcd-cp-3 reads hello
	// +-----------+------------------+---------+---------+-----------+------------+-----------+------------+--------------------+----------+--------+
	// | ENDPOINT  |        ID        | VERSION | DB SIZE | IS LEADER | IS LEARNER | RAFT TERM | RAFT INDEX | RAFT APPLIED INDEX | REVISION | ERRORS |
	// +-----------+------------------+---------+---------+-----------+------------+-----------+------------+--------------------+----------+--------+
	// | etcd-cp-1 |  1a7627020e0b19f |  3.5.16 |    78 B |      true |      false |         2 |          3 |                  3 |        2 |        |
	// | etcd-cp-2 | dafcb8c08d77f08d |  3.5.16 |    78 B |     false |      false |         2 |          3 |                  3 |        2 |        |
	// | etcd-cp-3 | dcfb971eecc7cbf1 |  3.5.16 |    78 B |     false |      false |         2 |          3 |                  3 |        2 |        |
	// +-----------+------------------+---------+---------+-----------+------------+-----------+------------+--------------------+----------+--------+
}
