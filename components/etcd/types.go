package etcd

import (
	"fmt"
	"strings"

	"github.com/kubesim/kubesim/components/etcd/mvcc"
)

// Message kinds a member serves.
const (
	KindRange          = "Range"
	KindTxn            = "Txn"
	KindWatch          = "Watch"
	KindCancelWatch    = "CancelWatch"
	KindWatchResponse  = "WatchResponse"
	KindCompact        = "Compact"
	KindLeaseGrant     = "LeaseGrant"
	KindLeaseKeepAlive = "LeaseKeepAlive"
	KindLeaseRevoke    = "LeaseRevoke"
	KindSnapshot       = "Snapshot"
	KindStatus         = "Status"
	KindWatchProgress  = "WatchProgress"
)

// Header is etcd's ResponseHeader.
type Header struct {
	ClusterID uint64
	MemberID  uint64
	Revision  int64
	RaftTerm  uint64
}

// RangeRequest reads keys. Serializable reads are answered from the member's
// local state without asking the leader.
type RangeRequest struct {
	Key, End     string
	Options      mvcc.RangeOptions
	Serializable bool
	// RequireLeader fails the request at once with `etcdserver: no
	// leader` on a member without one (clientv3.WithRequireLeader).
	RequireLeader bool
}

// Summary implements sim.Summarizer.
func (r RangeRequest) Summary() string {
	var b strings.Builder
	b.WriteString("get ")
	b.WriteString(r.Key)
	if r.End != "" {
		b.WriteString(" --prefix")
	}
	if r.Options.CountOnly {
		b.WriteString(" --count-only")
	}
	if r.Options.Limit > 0 {
		fmt.Fprintf(&b, " --limit=%d", r.Options.Limit)
	}
	if r.Options.Rev > 0 {
		fmt.Fprintf(&b, " --rev=%d", r.Options.Rev)
	}
	return b.String()
}

// RangeResponse answers a RangeRequest.
type RangeResponse struct {
	Header Header
	mvcc.RangeResult
}

// Summary implements sim.Summarizer.
func (r *RangeResponse) Summary() string {
	return fmt.Sprintf("%d key(s), revision %d", len(r.KVs), r.Header.Revision)
}

// TxnRequest is a transaction.
type TxnRequest struct {
	mvcc.TxnRequest
	// RequireLeader: see RangeRequest.
	RequireLeader bool
}

// Summary implements sim.Summarizer: "if mod(/registry/pods/default/web) = 0
// then put /registry/pods/default/web".
func (r TxnRequest) Summary() string {
	var b strings.Builder
	if len(r.Compare) > 0 {
		b.WriteString("if ")
		for i, c := range r.Compare {
			if i > 0 {
				b.WriteString(" and ")
			}
			fmt.Fprintf(&b, "%s(%s) %s %s", c.Target, c.Key, c.Result, compareOperand(c))
		}
		b.WriteString(" then ")
	}
	writeOps(&b, r.Success)
	return b.String()
}

func compareOperand(c mvcc.Compare) string {
	switch c.Target {
	case mvcc.TargetVersion:
		return fmt.Sprint(c.Version)
	case mvcc.TargetCreate:
		return fmt.Sprint(c.CreateRevision)
	case mvcc.TargetMod:
		return fmt.Sprint(c.ModRevision)
	case mvcc.TargetLease:
		return fmt.Sprint(c.Lease)
	}
	return fmt.Sprintf("%d bytes", len(c.Value))
}

func writeOps(b *strings.Builder, ops []mvcc.Op) {
	for i, op := range ops {
		if i > 0 {
			b.WriteString("; ")
		}
		switch op.Type {
		case mvcc.OpTypePut:
			fmt.Fprintf(b, "put %s", op.Key)
		case mvcc.OpTypeDelete:
			fmt.Fprintf(b, "delete %s", op.Key)
		case mvcc.OpTypeRange:
			fmt.Fprintf(b, "get %s", op.Key)
		case mvcc.OpTypeTxn:
			b.WriteString("txn")
		}
	}
}

// TxnResponse answers a TxnRequest.
type TxnResponse struct {
	Header Header
	mvcc.TxnResponse
}

// Summary implements sim.Summarizer.
func (r *TxnResponse) Summary() string {
	if r.Succeeded {
		return fmt.Sprintf("succeeded, revision %d", r.Header.Revision)
	}
	return fmt.Sprintf("compare failed, revision %d", r.Header.Revision)
}

// WatchRequest opens a watch; events are pushed to the caller by name.
type WatchRequest struct {
	mvcc.WatchRequest
	// RequireLeader is clientv3.WithRequireLeader, which kube-apiserver
	// sets on its watches: the watch is refused with `etcdserver: no
	// leader` when the member has none, and an open one is cancelled with
	// that error once the member has been without a leader for three
	// election timeouts, so the watcher can move to a healthy member.
	RequireLeader bool
}

// Summary implements sim.Summarizer.
func (r WatchRequest) Summary() string {
	s := "watch " + r.Key
	if r.End != "" {
		s += " --prefix"
	}
	if r.StartRev > 0 {
		s += fmt.Sprintf(" --rev=%d", r.StartRev)
	}
	return s
}

// WatchCreated answers a WatchRequest.
type WatchCreated struct {
	Header  Header
	WatchID mvcc.WatchID
}

// Summary implements sim.Summarizer.
func (r *WatchCreated) Summary() string { return fmt.Sprintf("watch %d created", r.WatchID) }

// WatchResponse carries the events of one revision to a watcher. A
// response without events is a progress notification: the watcher has
// seen everything up to Header.Revision. A cancelled response ends the
// watch (CancelReason says why; CompactRevision is set when the watch fell
// behind a compaction).
type WatchResponse struct {
	Header  Header
	WatchID mvcc.WatchID
	// Seq numbers the responses of one watch stream from 1, as TCP numbers
	// a connection's bytes: a receiver that sees a number skipped knows the
	// stream lost a message (a link was cut under it) and must treat it as
	// broken, as a real gRPC stream with a hole never delivers past it.
	Seq             uint64
	Events          []mvcc.Event
	Canceled        bool
	CancelReason    string
	CompactRevision int64
}

// Summary implements sim.Summarizer: "PUT /registry/pods/default/web (revision 12)".
func (r *WatchResponse) Summary() string {
	if r.Canceled {
		return fmt.Sprintf("watch %d cancelled: %s", r.WatchID, r.CancelReason)
	}
	if len(r.Events) == 0 {
		return fmt.Sprintf("progress notification (revision %d)", r.Header.Revision)
	}
	var b strings.Builder
	for i, e := range r.Events {
		if i == 3 {
			fmt.Fprintf(&b, " and %d more", len(r.Events)-3)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(e.Type.String())
		b.WriteByte(' ')
		b.WriteString(e.KV.Key)
	}
	fmt.Fprintf(&b, " (revision %d)", r.Header.Revision)
	return b.String()
}

// CancelWatch closes a watch.
type CancelWatch struct{ WatchID mvcc.WatchID }

// WatchProgressRequest asks the member serving a watch for a progress
// notification on it (etcd's RequestProgress). The call fails when the
// watch is gone, which is how a watcher notices a member that restarted.
type WatchProgressRequest struct{ WatchID mvcc.WatchID }

// Summary implements sim.Summarizer.
func (r WatchProgressRequest) Summary() string { return fmt.Sprintf("progress of watch %d", r.WatchID) }

// CompactRequest compacts history below Revision.
type CompactRequest struct{ Revision int64 }

// Summary implements sim.Summarizer.
func (r CompactRequest) Summary() string { return fmt.Sprintf("compact %d", r.Revision) }

// LeaseGrantRequest grants a lease.
type LeaseGrantRequest struct {
	ID  mvcc.LeaseID
	TTL int64
}

// LeaseKeepAliveRequest renews a lease. Only the leader renews; a
// follower forwards the request (Forwarded set) to it.
type LeaseKeepAliveRequest struct {
	ID        mvcc.LeaseID
	Forwarded bool
}

// LeaseRevokeRequest revokes a lease and deletes its keys.
type LeaseRevokeRequest struct{ ID mvcc.LeaseID }

// LeaseResponse answers the lease calls.
type LeaseResponse struct {
	Header Header
	ID     mvcc.LeaseID
	TTL    int64
}

// SnapshotResponse carries `etcdctl snapshot save` bytes.
type SnapshotResponse struct {
	Header Header
	Data   []byte
}

// Summary implements sim.Summarizer.
func (r *SnapshotResponse) Summary() string {
	return fmt.Sprintf("snapshot of %d bytes at revision %d", len(r.Data), r.Header.Revision)
}

// StatusResponse is `etcdctl endpoint status`: the member's view of the
// raft group and of its store.
type StatusResponse struct {
	Header Header
	mvcc.Status
	// Name is the member's name.
	Name string
	// Leader is the member ID of the leader this member follows, 0 if it
	// knows none.
	Leader uint64
	// RaftIndex is the member's committed raft index (as etcd reports
	// it), RaftAppliedIndex the last one applied to its store; the term is
	// Header.RaftTerm.
	RaftIndex        uint64
	RaftAppliedIndex uint64
	IsLearner        bool
	// Version is the etcd version the simulation follows.
	Version string
	// Errors lists alarms and conditions, as etcdctl shows them.
	Errors []string
}

// Summary implements sim.Summarizer.
func (r *StatusResponse) Summary() string {
	return fmt.Sprintf("%s: leader %x, term %d, raft index %d, revision %d", r.Name, r.Leader, r.Header.RaftTerm, r.RaftIndex, r.Header.Revision)
}
