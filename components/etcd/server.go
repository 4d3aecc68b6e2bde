// Package etcd runs etcd members as kernel actors on top of the mvcc store,
// and gives clients (kube-apiserver, etcdctl) a small client for them.
//
// A member owns its Disk — the store, which survives a crash and restart of
// the member as a real data directory does — and serves the etcd v3 KV,
// Watch, Lease and Maintenance calls as messages: Range, Txn, Watch,
// CancelWatch, Compact, LeaseGrant, LeaseKeepAlive, LeaseRevoke, Snapshot and
// Status. Watch responses are pushed to the watcher as WatchResponse
// messages, exactly once and in revision order, as etcd's watch streams do.
//
// Simplification: a single member commits every write at once. A quorum
// cluster replicates through raft before applying; clients do not see the
// difference except in timing and in what happens when members fail.
package etcd

import (
	"fmt"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"github.com/kubesim/kubesim/sim"
	"go.uber.org/zap"
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
)

// ClusterID is the simulated cluster's id (etcd derives it from the initial
// member list; here it is fixed).
const ClusterID uint64 = 0x6f2c2b9d6ca7c36e

// Disk is a member's durable state: what survives a crash.
type Disk struct {
	Store *mvcc.Store
}

// NewDisk returns an empty data directory.
func NewDisk() *Disk { return &Disk{Store: mvcc.New(mvcc.Config{})} }

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
type TxnRequest struct{ mvcc.TxnRequest }

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
type WatchRequest struct{ mvcc.WatchRequest }

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

// WatchResponse carries the events of one revision to a watcher.
type WatchResponse struct {
	Header  Header
	WatchID mvcc.WatchID
	Events  []mvcc.Event
}

// Summary implements sim.Summarizer: "PUT /registry/pods/default/web (revision 12)".
func (r *WatchResponse) Summary() string {
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

// CompactRequest compacts history below Revision.
type CompactRequest struct{ Revision int64 }

// Summary implements sim.Summarizer.
func (r CompactRequest) Summary() string { return fmt.Sprintf("compact %d", r.Revision) }

// LeaseGrantRequest grants a lease.
type LeaseGrantRequest struct {
	ID  mvcc.LeaseID
	TTL int64
}

// LeaseKeepAliveRequest renews a lease.
type LeaseKeepAliveRequest struct{ ID mvcc.LeaseID }

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

// StatusResponse is `etcdctl endpoint status`.
type StatusResponse struct {
	Header Header
	mvcc.Status
	Leader    uint64
	IsLearner bool
}

// Member is one etcd member.
type Member struct {
	Name string
	ID   uint64
	Disk *Disk

	// watches opened by the running incarnation, cancelled on restart:
	// a restart breaks every watch stream, as a process restart does.
	watches []mvcc.WatchID
	leases  map[mvcc.LeaseID]time.Duration // lease -> expiry
	timer   sim.TimerID
	armed   time.Duration
}

// NewMember returns a member on a fresh or existing disk.
func NewMember(name string, id uint64, disk *Disk) *Member {
	if disk == nil {
		disk = NewDisk()
	}
	return &Member{Name: name, ID: id, Disk: disk}
}

func (m *Member) header() Header {
	return Header{ClusterID: ClusterID, MemberID: m.ID, Revision: m.Disk.Store.Rev(), RaftTerm: 2}
}

// Run is the member's actor body.
func (m *Member) Run(c *sim.Ctx) {
	s := m.Disk.Store
	for _, id := range m.watches {
		s.CancelWatch(id)
	}
	m.watches = nil
	m.leases = make(map[mvcc.LeaseID]time.Duration)
	for _, id := range s.Leases() {
		// After a restart every lease gets a fresh full TTL, as etcd's
		// lessor promotes leases when a member becomes leader.
		if l, err := s.KeepAlive(id, c.Now()); err == nil {
			m.leases[id] = c.Now() + time.Duration(l)*time.Second
		}
	}
	m.armed = 0
	m.arm(c)
	c.Log().Info("serving client requests", zap.String("member", m.Name))
	for {
		msg := c.Recv()
		m.handle(c, msg)
	}
}

func (m *Member) handle(c *sim.Ctx, msg *sim.Message) {
	s := m.Disk.Store
	switch req := msg.Body.(type) {
	case RangeRequest:
		res, err := s.Range(req.Key, req.End, req.Options)
		if err != nil {
			c.ReplyErr(msg, msg.Kind, err)
			return
		}
		c.Reply(msg, msg.Kind, &RangeResponse{Header: m.header(), RangeResult: res})
	case TxnRequest:
		res, err := s.Txn(req.TxnRequest)
		if err != nil {
			c.ReplyErr(msg, msg.Kind, err)
			return
		}
		c.Reply(msg, msg.Kind, &TxnResponse{Header: m.header(), TxnResponse: res})
	case WatchRequest:
		watcher := msg.From
		var id mvcc.WatchID
		// The sink runs inside this actor, synchronously with the write
		// that caused the events.
		created := false
		var backlog []mvcc.WatchResponse
		id, err := s.Watch(req.WatchRequest, func(r mvcc.WatchResponse) {
			if !created {
				backlog = append(backlog, r)
				return
			}
			c.Send(watcher, KindWatchResponse, &WatchResponse{Header: m.header(), WatchID: r.WatchID, Events: r.Events})
		})
		if err != nil {
			c.ReplyErr(msg, msg.Kind, err)
			return
		}
		created = true
		m.watches = append(m.watches, id)
		c.Reply(msg, msg.Kind, &WatchCreated{Header: m.header(), WatchID: id})
		for _, r := range backlog {
			c.Send(watcher, KindWatchResponse, &WatchResponse{Header: m.header(), WatchID: r.WatchID, Events: r.Events})
		}
	case CancelWatch:
		err := s.CancelWatch(req.WatchID)
		c.ReplyErr(msg, msg.Kind, err)
	case CompactRequest:
		if err := s.Compact(req.Revision); err != nil {
			c.ReplyErr(msg, msg.Kind, err)
			return
		}
		c.Reply(msg, msg.Kind, m.header())
	case LeaseGrantRequest:
		l, err := s.Grant(req.ID, req.TTL, c.Now())
		if err != nil {
			c.ReplyErr(msg, msg.Kind, err)
			return
		}
		m.leases[l.ID] = l.Expiry
		m.arm(c)
		c.Reply(msg, msg.Kind, &LeaseResponse{Header: m.header(), ID: l.ID, TTL: l.TTL})
	case LeaseKeepAliveRequest:
		ttl, err := s.KeepAlive(req.ID, c.Now())
		if err != nil {
			c.ReplyErr(msg, msg.Kind, err)
			return
		}
		m.leases[req.ID] = c.Now() + time.Duration(ttl)*time.Second
		m.arm(c)
		c.Reply(msg, msg.Kind, &LeaseResponse{Header: m.header(), ID: req.ID, TTL: ttl})
	case LeaseRevokeRequest:
		if _, err := s.Revoke(req.ID); err != nil {
			c.ReplyErr(msg, msg.Kind, err)
			return
		}
		delete(m.leases, req.ID)
		c.Reply(msg, msg.Kind, &LeaseResponse{Header: m.header(), ID: req.ID})
	case leaseTick:
		m.armed = 0
		for _, id := range s.Expire(c.Now()) {
			delete(m.leases, id)
			c.Log().Info("lease expired, keys deleted", zap.Int64("lease", int64(id)))
		}
		m.arm(c)
	case snapshotRequest:
		c.Reply(msg, msg.Kind, &SnapshotResponse{Header: m.header(), Data: s.Snapshot()})
	case statusRequest:
		c.Reply(msg, msg.Kind, &StatusResponse{Header: m.header(), Status: s.Status(), Leader: m.ID})
	default:
		if msg.IsCall() {
			c.ReplyErr(msg, msg.Kind, fmt.Errorf("etcdserver: unknown request %T", msg.Body))
		}
	}
}

type leaseTick struct{}
type snapshotRequest struct{}
type statusRequest struct{}

// SnapshotRequest asks a member for a snapshot (etcdctl snapshot save).
var SnapshotRequest = snapshotRequest{}

// StatusRequest asks a member for its status (etcdctl endpoint status).
var StatusRequest = statusRequest{}

// arm sets the lease timer to the earliest expiry, so that expiring leases
// cost one timer event each rather than a periodic tick.
func (m *Member) arm(c *sim.Ctx) {
	var next time.Duration
	found := false
	for _, exp := range m.leases {
		if !found || exp < next {
			next, found = exp, true
		}
	}
	if !found {
		return
	}
	if m.armed != 0 && m.armed <= next {
		return
	}
	if m.armed != 0 {
		c.CancelTimer(m.timer)
	}
	d := next - c.Now()
	if d < 0 {
		d = 0
	}
	m.timer = c.After(d, "lease-expiry", leaseTick{})
	m.armed = next
}
