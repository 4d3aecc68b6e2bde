package etcd

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"

	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"go.uber.org/zap"
)

// Disk is a member's data directory: everything that survives a crash of
// the member or a power-off of its node. A member writes to it only in the
// places where etcd fsyncs, and always within one kernel step, so a crash
// (which the kernel delivers between steps) never leaves it half-written.
//
//	etcd data dir            Disk field
//	member/wal/              Log: HardState and entries
//	member/snap/*.snap       Log: the snapshot metadata (index, term, voters)
//	member/snap/db (bbolt)   Store, and Applied (the consistent index that
//	                         etcd keeps in the same bbolt transaction)
//
// A fresh Disk is empty; the member bootstraps it on first start.
type Disk struct {
	Store *mvcc.Store
	// Applied is the index of the last raft entry applied to Store.
	Applied uint64
	// Log is the raft log as raft's MemoryStorage: here the storage is the
	// durable copy itself, because the Disk outlives the member's process.
	Log *raft.MemoryStorage
	// ClusterID and MemberID are fixed when the data directory is
	// bootstrapped (or restored); Peers is the membership it was created
	// with.
	ClusterID uint64
	MemberID  uint64
	Peers     []Peer
}

// NewDisk returns an empty data directory.
func NewDisk() *Disk { return &Disk{Store: mvcc.New(mvcc.Config{})} }

// Bootstrapped reports whether the disk holds a member's data.
func (d *Disk) Bootstrapped() bool { return d.Log != nil }

// Peer names one member of a cluster: its raft ID and the actor that runs it.
type Peer struct {
	ID   uint64
	Name string
}

// DefaultClusterToken is etcd's default --initial-cluster-token.
const DefaultClusterToken = "etcd-cluster"

// MemberIDs derives member IDs and the cluster ID from the member names and
// the cluster token, as etcd derives them from the peer URLs and
// --initial-cluster-token: the same names and token give the same IDs, a
// new token a new cluster.
func MemberIDs(names []string, token string) (peers []Peer, clusterID uint64) {
	if token == "" {
		token = DefaultClusterToken
	}
	ids := make([]string, 0, len(names))
	for _, n := range names {
		sum := sha256.Sum256([]byte(n + "\x00" + token))
		id := binary.BigEndian.Uint64(sum[:8])
		if id == 0 {
			id = 1
		}
		peers = append(peers, Peer{ID: id, Name: n})
		ids = append(ids, fmt.Sprintf("%016x", id))
	}
	sort.Strings(ids)
	sum := sha256.Sum256([]byte(strings.Join(ids, ",") + "\x00" + token))
	return peers, binary.BigEndian.Uint64(sum[:8])
}

// bootstrap writes a member's first state: the store, and a raft snapshot
// at index 1, term 1 whose configuration lists the voters (etcd writes the
// initial membership as the first entries of a new log), so every member
// starts as a follower that knows its peers. A restore writes the same,
// with the restored store.
func (d *Disk) bootstrap(id, clusterID uint64, peers []Peer) {
	d.Log = raft.NewMemoryStorage()
	if err := d.Log.ApplySnapshot(raftpb.Snapshot{Metadata: raftpb.SnapshotMetadata{Index: 1, Term: 1, ConfState: confState(peers)}}); err != nil {
		panic("etcd: bootstrapping a data directory: " + err.Error())
	}
	_ = d.Log.SetHardState(raftpb.HardState{Term: 1, Commit: 1})
	d.Applied = 1
	if d.Store == nil {
		d.Store = mvcc.New(mvcc.Config{})
	}
	d.MemberID, d.ClusterID = id, clusterID
	d.Peers = append([]Peer(nil), peers...)
}

func confState(peers []Peer) raftpb.ConfState {
	var cs raftpb.ConfState
	for _, p := range peers {
		cs.Voters = append(cs.Voters, p.ID)
	}
	sort.Slice(cs.Voters, func(i, j int) bool { return cs.Voters[i] < cs.Voters[j] })
	return cs
}

// raftLogger sends raft's own log lines to the member's zap logger, which
// stamps them with virtual time.
type raftLogger struct{ l *zap.SugaredLogger }

func (r raftLogger) Debug(v ...any)                   { r.l.Debug(v...) }
func (r raftLogger) Debugf(format string, v ...any)   { r.l.Debugf(format, v...) }
func (r raftLogger) Error(v ...any)                   { r.l.Error(v...) }
func (r raftLogger) Errorf(format string, v ...any)   { r.l.Errorf(format, v...) }
func (r raftLogger) Info(v ...any)                    { r.l.Info(v...) }
func (r raftLogger) Infof(format string, v ...any)    { r.l.Infof(format, v...) }
func (r raftLogger) Warning(v ...any)                 { r.l.Warn(v...) }
func (r raftLogger) Warningf(format string, v ...any) { r.l.Warnf(format, v...) }
func (r raftLogger) Fatal(v ...any)                   { r.l.Panic(v...) }
func (r raftLogger) Fatalf(format string, v ...any)   { r.l.Panicf(format, v...) }
func (r raftLogger) Panic(v ...any)                   { r.l.Panic(v...) }
func (r raftLogger) Panicf(format string, v ...any)   { r.l.Panicf(format, v...) }

// RaftMessage carries one raft message between member actors (etcd's peer
// transport). Messages from another cluster are refused, as etcd refuses
// them with "request cluster ID mismatch".
type RaftMessage struct {
	ClusterID uint64
	Msg       raftpb.Message
}

// Summary implements sim.Summarizer: "term=3 index=42 logterm=3 entries=1
// commit=41" (the trace shows the type, MsgApp, as the message kind).
func (r *RaftMessage) Summary() string {
	m := &r.Msg
	var b strings.Builder
	fmt.Fprintf(&b, "term=%d", m.Term)
	switch m.Type {
	case raftpb.MsgApp:
		fmt.Fprintf(&b, " index=%d logterm=%d entries=%d commit=%d", m.Index, m.LogTerm, len(m.Entries), m.Commit)
	case raftpb.MsgAppResp:
		fmt.Fprintf(&b, " index=%d", m.Index)
		if m.Reject {
			fmt.Fprintf(&b, " rejected (hint %d)", m.RejectHint)
		}
	case raftpb.MsgVote, raftpb.MsgPreVote:
		fmt.Fprintf(&b, " lastindex=%d lastterm=%d", m.Index, m.LogTerm)
	case raftpb.MsgVoteResp, raftpb.MsgPreVoteResp:
		if m.Reject {
			b.WriteString(" rejected")
		} else {
			b.WriteString(" granted")
		}
	case raftpb.MsgHeartbeat:
		fmt.Fprintf(&b, " commit=%d", m.Commit)
	case raftpb.MsgSnap:
		if m.Snapshot != nil {
			fmt.Fprintf(&b, " snapshot index=%d (%d bytes)", m.Snapshot.Metadata.Index, len(m.Snapshot.Data))
		}
	case raftpb.MsgProp:
		fmt.Fprintf(&b, " entries=%d", len(m.Entries))
	case raftpb.MsgReadIndexResp:
		fmt.Fprintf(&b, " index=%d", m.Index)
	}
	return b.String()
}
