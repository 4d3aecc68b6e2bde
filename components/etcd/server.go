package etcd

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"github.com/kubesim/kubesim/sim"
	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"go.uber.org/zap"
)

// Defaults, as etcd v3.6's.
const (
	// DefaultHeartbeatInterval is --heartbeat-interval: one raft tick.
	DefaultHeartbeatInterval = 100 * time.Millisecond
	// DefaultElectionTimeout is --election-timeout.
	DefaultElectionTimeout = 1000 * time.Millisecond
	// DefaultSnapshotCount is --snapshot-count: applied entries between
	// two raft snapshots (after which the log is compacted).
	DefaultSnapshotCount = 10000
	// DefaultSnapshotCatchUpEntries is how many entries stay in the log
	// after a compaction, so a slow follower can catch up without a
	// snapshot.
	DefaultSnapshotCatchUpEntries = 5000
	// readIndexRetry is how often a read index request that got no answer
	// is sent again (etcd's readIndexRetryTime).
	readIndexRetry = 500 * time.Millisecond
	// leaderlessWatchCancel is how many election timeouts a member waits
	// without a leader before it cancels the watches that require one
	// (etcd's monitorLeader).
	leaderlessWatchCancel = 3
)

// DefaultRequestTimeout is etcd's request timeout for the default election
// timeout: 5 s + 2 × election timeout = 7 s (see Config.RequestTimeout).
const DefaultRequestTimeout = 5*time.Second + 2*DefaultElectionTimeout

// Config configures a member.
type Config struct {
	// Name is the member's actor name (etcd's --name).
	Name string
	// Peers lists every member of the initial cluster, this one included
	// (etcd's --initial-cluster). Ignored when the Disk already holds a
	// member: the data directory then decides, as in etcd.
	Peers []Peer
	// ClusterID is the cluster the Disk is bootstrapped into.
	ClusterID uint64
	// Disk is the member's data directory.
	Disk *Disk

	// HeartbeatInterval is the raft tick (--heartbeat-interval, 100 ms):
	// the leader sends heartbeats once per tick.
	HeartbeatInterval time.Duration
	// ElectionTimeout is --election-timeout (1000 ms). A follower that
	// hears nothing from a leader for a random time in
	// [ElectionTimeout, 2×ElectionTimeout) campaigns; a leader that does
	// not hear from a quorum for ElectionTimeout steps down (CheckQuorum).
	ElectionTimeout time.Duration
	// RequestTimeout bounds how long a write or a linearizable read waits
	// for the cluster before failing with `etcdserver: request timed out`.
	// etcd computes it as 5 s + 2 × ElectionTimeout (7 s by default); 0
	// means that.
	RequestTimeout time.Duration
	// SnapshotCount is --snapshot-count (10000): after that many applied
	// entries the member records a raft snapshot and compacts its log,
	// keeping SnapshotCatchUpEntries (5000) entries.
	SnapshotCount          uint64
	SnapshotCatchUpEntries uint64
}

func (c Config) withDefaults() Config {
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if c.ElectionTimeout <= 0 {
		c.ElectionTimeout = DefaultElectionTimeout
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 5*time.Second + 2*c.ElectionTimeout
	}
	if c.SnapshotCount == 0 {
		c.SnapshotCount = DefaultSnapshotCount
	}
	if c.SnapshotCatchUpEntries == 0 {
		c.SnapshotCatchUpEntries = DefaultSnapshotCatchUpEntries
	}
	if c.Disk == nil {
		c.Disk = NewDisk()
	}
	return c
}

// Member is one etcd member. Its Run method is the actor body; every
// (re)start runs it afresh on the same Disk.
type Member struct {
	Name string
	ID   uint64
	Disk *Disk
	cfg  Config

	// The watchers the last incarnation registered on the store: a
	// restart breaks every watch stream, as a process restart does, so the
	// next incarnation cancels them.
	storeWatches []mvcc.WatchID
	watchStore   *mvcc.Store

	// Test hooks: the running incarnation, and a function told about every
	// entry the member applies.
	srv     *server
	onApply func(e *raftpb.Entry)
}

// New returns a member. A Disk that is not bootstrapped yet is bootstrapped
// into the cluster of cfg.Peers at once.
func New(cfg Config) *Member {
	cfg = cfg.withDefaults()
	d := cfg.Disk
	if !d.Bootstrapped() {
		var id uint64
		for _, p := range cfg.Peers {
			if p.Name == cfg.Name {
				id = p.ID
			}
		}
		if id == 0 {
			panic(fmt.Sprintf("etcd: member %q is not in its initial cluster", cfg.Name))
		}
		d.bootstrap(id, cfg.ClusterID, cfg.Peers)
	}
	return &Member{Name: cfg.Name, ID: d.MemberID, Disk: d, cfg: cfg}
}

// NewMember returns the only member of a one-member cluster.
func NewMember(name string, id uint64, disk *Disk) *Member {
	_, cid := MemberIDs([]string{name}, DefaultClusterToken)
	return New(Config{Name: name, Peers: []Peer{{ID: id, Name: name}}, ClusterID: cid, Disk: disk})
}

// NewCluster returns the members of a new cluster, one per name, on the
// given disks (fresh ones where disks is short or holds nil). Spawn each
// member's Run as the actor with the member's name.
func NewCluster(names []string, disks []*Disk, opts ...func(*Config)) []*Member {
	peers, cid := MemberIDs(names, DefaultClusterToken)
	out := make([]*Member, len(names))
	for i, n := range names {
		var d *Disk
		if i < len(disks) {
			d = disks[i]
		}
		cfg := Config{Name: n, Peers: peers, ClusterID: cid, Disk: d}
		for _, o := range opts {
			o(&cfg)
		}
		out[i] = New(cfg)
	}
	return out
}

// Run is the member's actor body.
func (m *Member) Run(c *sim.Ctx) {
	if m.watchStore != nil {
		for _, id := range m.storeWatches {
			_ = m.watchStore.CancelWatch(id)
		}
	}
	m.storeWatches, m.watchStore = nil, nil
	m.ID = m.Disk.MemberID // a restore may have given the member a new ID
	s := newServer(m, c)
	m.srv = s
	s.serve()
}

// server is one incarnation of a member: everything here is lost in a crash.
type server struct {
	m    *Member
	c    *sim.Ctx
	cfg  Config
	disk *Disk
	rn   *raft.RawNode
	cs   raftpb.ConfState

	names  map[uint64]string
	voters int
	inc    uint64

	lead  uint64
	term  uint64
	state raft.StateType
	// The election clock (see the package doc): raft itself only counts
	// ticks for leases and CheckQuorum; the member decides when to campaign.
	electionTicks     int
	electionElapsed   int
	randomizedTimeout int
	leaderlessSince   time.Duration
	snapIndex         uint64

	seq       uint64
	proposals map[uint64]*pending // by sequence, until applied or timed out
	unsent    []*pending          // waiting for a leader to forward to
	fresh     []*pending          // created in this step; timers armed at its end

	reads      []*pending // linearizable reads not yet covered by a read index
	batch      *readBatch // the read index request in flight
	confirmed  []*readBatch
	nextReadID uint64

	watches   map[mvcc.WatchID]*watch
	nextWatch int64

	// The lessor's clock: on the leader, when each lease expires.
	leaseExpiry map[mvcc.LeaseID]time.Duration
	revoking    map[mvcc.LeaseID]bool
	leaseTimer  sim.TimerID
	leaseArmed  time.Duration

	snapReports []uint64

	// A graceful stop in progress, and whether the loop should end.
	stopping *sim.Message
	exit     bool
}

type pending struct {
	msg     *sim.Message // nil for the member's own proposals (lease revocations)
	req     *request
	data    []byte
	read    *RangeRequest
	start   time.Duration
	timer   sim.TimerID
	hasTime bool
	done    bool
}

type readBatch struct {
	id    uint64
	reads []*pending
	sent  time.Duration
	index uint64
}

type watch struct {
	id       mvcc.WatchID
	storeID  mvcc.WatchID
	watcher  string
	inc      int
	req      WatchRequest
	lastRev  int64
	canceled bool
}

type tick struct{}
type leaseTick struct{}
type requestTimeout struct{ p *pending }

const (
	kindTick           = "tick"
	kindLeaseExpiry    = "lease-expiry"
	kindRequestTimeout = "request-timeout"
)

func newServer(m *Member, c *sim.Ctx) *server {
	cfg := m.cfg
	d := m.Disk
	s := &server{
		m: m, c: c, cfg: cfg, disk: d,
		names:     map[uint64]string{},
		inc:       uint64(c.Incarnation()),
		proposals: map[uint64]*pending{},
		watches:   map[mvcc.WatchID]*watch{},
	}
	for _, p := range d.Peers {
		s.names[p.ID] = p.Name
	}
	s.cs = confState(d.Peers)
	s.voters = len(s.cs.Voters)
	s.electionTicks = int(cfg.ElectionTimeout / cfg.HeartbeatInterval)
	if s.electionTicks < 2 {
		s.electionTicks = 2
	}
	snap, _ := d.Log.Snapshot()
	s.snapIndex = snap.Metadata.Index
	rn, err := raft.NewRawNode(&raft.Config{
		ID:              d.MemberID,
		ElectionTick:    s.electionTicks,
		HeartbeatTick:   1,
		Storage:         d.Log,
		Applied:         d.Applied,
		MaxSizePerMsg:   1 << 20,
		MaxInflightMsgs: 512,
		// etcd's defaults: a leader that loses its quorum steps down, and a
		// member campaigns only after a pre-vote shows it could win.
		CheckQuorum:               true,
		PreVote:                   true,
		MaxUncommittedEntriesSize: 1 << 30,
		Logger:                    raftLogger{c.Log().Sugar()},
	})
	if err != nil {
		panic(fmt.Sprintf("etcd: member %s cannot start raft: %v", m.Name, err))
	}
	s.rn = rn
	st := rn.BasicStatus()
	s.term, s.state = st.Term, st.RaftState
	return s
}

func (s *server) serve() {
	c := s.c
	c.Log().Info("serving client requests", zap.String("member", s.m.Name), zap.String("id", fmt.Sprintf("%x", s.disk.MemberID)),
		zap.Uint64("applied", s.disk.Applied), zap.Int64("revision", s.disk.Store.Rev()))
	if s.voters == 1 {
		// Alone, the member is its own quorum: it elects itself at once
		// and needs no clock (no peers to heartbeat or to time out).
		_ = s.rn.Campaign()
	} else {
		// etcd's --initial-election-tick-advance: start with the election
		// clock one tick short of the minimum timeout, so a fresh cluster
		// elects its first leader within about one election timeout.
		s.randomize()
		s.electionElapsed = s.electionTicks - 1
		s.leaderlessSince = c.Now()
		c.After(s.cfg.HeartbeatInterval, kindTick, tick{})
	}
	s.process()
	for !s.exit {
		msg := c.Recv()
		s.handle(msg)
		s.process()
		s.armFresh()
	}
	c.Log().Info("stopped", zap.String("member", s.m.Name))
}

// randomize draws the next election timeout in [election, 2×election)
// ticks from the member's seeded stream, as raft would from its own.
func (s *server) randomize() {
	s.randomizedTimeout = s.electionTicks + s.c.Rand().IntN(s.electionTicks)
}

func (s *server) header() Header {
	return Header{ClusterID: s.disk.ClusterID, MemberID: s.disk.MemberID, Revision: s.disk.Store.Rev(), RaftTerm: s.term}
}

func (s *server) handle(msg *sim.Message) {
	c := s.c
	switch b := msg.Body.(type) {
	case *RaftMessage:
		s.stepRaft(b)
	case tick:
		s.tick()
	case requestTimeout:
		s.timeout(b.p)
	case leaseTick:
		s.leaseArmed = 0
		s.expireLeases()
	case RangeRequest:
		if b.RequireLeader && s.lead == raft.None {
			c.ReplyErr(msg, msg.Kind, ErrNoLeader)
			return
		}
		s.rangeRequest(msg, b)
	case TxnRequest:
		if b.RequireLeader && s.lead == raft.None {
			c.ReplyErr(msg, msg.Kind, ErrNoLeader)
			return
		}
		s.propose(msg, &request{kind: entryTxn, txn: b.TxnRequest})
	case CompactRequest:
		s.propose(msg, &request{kind: entryCompact, compact: b.Revision})
	case LeaseGrantRequest:
		s.propose(msg, &request{kind: entryLeaseGrant, lease: b.ID, ttl: b.TTL})
	case LeaseRevokeRequest:
		s.propose(msg, &request{kind: entryLeaseRevoke, lease: b.ID})
	case LeaseKeepAliveRequest:
		s.keepAlive(msg, b)
	case WatchRequest:
		s.watch(msg, b)
	case CancelWatch:
		w := s.watches[b.WatchID]
		if w == nil {
			c.ReplyErr(msg, msg.Kind, mvcc.ErrWatcherNotExist)
			return
		}
		s.cancelWatch(w, "")
		c.Reply(msg, msg.Kind, s.header())
	case WatchProgressRequest:
		w := s.watches[b.WatchID]
		if w == nil || w.canceled || w.watcher != msg.From {
			c.ReplyErr(msg, msg.Kind, mvcc.ErrWatcherNotExist)
			return
		}
		_ = s.disk.Store.RequestProgress(w.storeID)
		c.Reply(msg, msg.Kind, s.header())
	case stopRequest:
		s.stop(msg)
	case stopTimeout:
		if s.stopping != nil {
			c.Log().Warn("leadership transfer timed out; stopping anyway")
			s.finishStop()
		}
	case snapshotRequest:
		c.Reply(msg, msg.Kind, &SnapshotResponse{Header: s.header(), Data: s.disk.Store.Snapshot()})
	case statusRequest:
		c.Reply(msg, msg.Kind, s.status())
	default:
		if msg.IsCall() {
			c.ReplyErr(msg, msg.Kind, fmt.Errorf("etcdserver: unknown request %T", msg.Body))
		}
	}
}

func (s *server) status() *StatusResponse {
	last, _ := s.disk.Log.LastIndex()
	st := &StatusResponse{Header: s.header(), Status: s.disk.Store.Status(), Name: s.m.Name, Leader: s.lead,
		RaftIndex: last, RaftAppliedIndex: s.disk.Applied, Version: Version}
	if s.lead == raft.None {
		st.Errors = append(st.Errors, ErrNoLeader.Error())
	}
	return st
}

// Version is the etcd release whose behaviour the members follow.
const Version = "3.6.0"

// --- raft ------------------------------------------------------------------

func (s *server) stepRaft(b *RaftMessage) {
	if b.ClusterID != s.disk.ClusterID {
		s.c.Log().Warn("rejected raft message: request cluster ID mismatch",
			zap.String("local", fmt.Sprintf("%x", s.disk.ClusterID)), zap.String("remote", fmt.Sprintf("%x", b.ClusterID)))
		return
	}
	m := b.Msg
	if err := s.rn.Step(m); err != nil {
		return
	}
	switch m.Type {
	case raftpb.MsgApp, raftpb.MsgHeartbeat, raftpb.MsgSnap:
		if m.Term == s.rn.BasicStatus().Term && s.rn.BasicStatus().Lead == m.From {
			s.electionElapsed = 0
		}
	}
}

func (s *server) tick() {
	c := s.c
	c.After(s.cfg.HeartbeatInterval, kindTick, tick{})
	if s.state == raft.StateLeader {
		s.rn.Tick() // heartbeats and CheckQuorum: nothing random on this path
	} else {
		// Advance raft's clock without letting it campaign at a time drawn
		// from its own (unseeded) source; campaign from the seeded one.
		s.rn.TickQuiesced()
		s.electionElapsed++
		if s.electionElapsed >= s.randomizedTimeout {
			s.electionElapsed = 0
			s.randomize()
			_ = s.rn.Campaign()
		}
	}
	if s.batch != nil && c.Now()-s.batch.sent >= readIndexRetry {
		s.batch.sent = c.Now()
		s.rn.ReadIndex(readCtx(s.batch.id))
	}
	if s.lead == raft.None && c.Now()-s.leaderlessSince >= leaderlessWatchCancel*s.cfg.ElectionTimeout {
		s.cancelRequireLeaderWatches()
	}
	s.flush()
}

// process handles everything raft has for the member, as etcd's raft loop
// does with each Ready: persist the snapshot, HardState and entries, send
// the messages, apply the committed entries, answer read states.
func (s *server) process() {
	for s.rn.HasReady() {
		rd := s.rn.Ready()
		if !raft.IsEmptySnap(rd.Snapshot) {
			s.applySnapshot(rd.Snapshot)
		}
		if !raft.IsEmptyHardState(rd.HardState) {
			_ = s.disk.Log.SetHardState(rd.HardState)
		}
		if len(rd.Entries) > 0 {
			_ = s.disk.Log.Append(rd.Entries)
		}
		s.send(rd.Messages)
		if rd.SoftState != nil || (!raft.IsEmptyHardState(rd.HardState) && rd.HardState.Term != s.term) {
			s.roleChange()
		}
		s.apply(rd.CommittedEntries)
		for _, rs := range rd.ReadStates {
			s.readState(rs)
		}
		s.rn.Advance(rd)
	}
	for _, id := range s.snapReports {
		s.rn.ReportSnapshot(id, raft.SnapshotFinish)
	}
	s.snapReports = s.snapReports[:0]
	s.serveReads()
	s.flush()
	if s.rn.HasReady() {
		s.process()
	}
}

func (s *server) send(msgs []raftpb.Message) {
	for i := range msgs {
		m := msgs[i]
		to, ok := s.names[m.To]
		if !ok {
			continue
		}
		switch m.Type {
		case raftpb.MsgSnap:
			// As etcd does, send the current store rather than the state
			// at the raft snapshot's index: the follower then restores it
			// and catches up on the log from there.
			term, err := s.disk.Log.Term(s.disk.Applied)
			if err != nil {
				continue
			}
			m.Snapshot = &raftpb.Snapshot{Data: s.disk.Store.Snapshot(),
				Metadata: raftpb.SnapshotMetadata{Index: s.disk.Applied, Term: term, ConfState: s.cs}}
			s.snapReports = append(s.snapReports, m.To)
		case raftpb.MsgVoteResp:
			if !m.Reject {
				s.electionElapsed = 0 // raft resets its clock when it grants a vote
			}
		}
		s.c.Send(to, m.Type.String(), &RaftMessage{ClusterID: s.disk.ClusterID, Msg: m})
	}
}

// roleChange follows term, leader and role changes.
func (s *server) roleChange() {
	c := s.c
	st := s.rn.BasicStatus()
	was, wasLead := s.state, s.lead
	if st.Term != s.term || st.RaftState != s.state {
		s.electionElapsed = 0
		if s.voters > 1 {
			s.randomize()
		}
	}
	s.term, s.state, s.lead = st.Term, st.RaftState, st.Lead
	if s.lead != wasLead {
		if s.lead == raft.None {
			s.leaderlessSince = c.Now()
		}
		if s.voters > 1 {
			if s.lead == raft.None {
				c.Log().Info("lost leader", zap.String("was", s.names[wasLead]), zap.Uint64("term", s.term))
			} else if s.lead == s.disk.MemberID {
				c.Note("raft", fmt.Sprintf("elected leader at term %d", s.term))
			}
		}
		if wasLead == raft.None && s.batch != nil {
			// The read index request was dropped for want of a leader:
			// ask the new one now rather than at the next retry.
			s.batch.sent = c.Now()
			s.rn.ReadIndex(readCtx(s.batch.id))
		} else if wasLead != raft.None && s.batch != nil {
			// etcd answers the reads waiting for a read index with a
			// retryable error when the leader changes under them.
			for _, p := range s.batch.reads {
				s.fail(p, ErrLeaderChanged)
			}
			s.batch = nil
		}
	}
	if s.state == raft.StateLeader && was != raft.StateLeader {
		s.promote()
	} else if s.state != raft.StateLeader && was == raft.StateLeader {
		s.demote()
	}
	if s.stopping != nil && s.lead != s.disk.MemberID && s.lead != raft.None {
		s.finishStop()
	}
}

type stopRequest struct{}
type stopTimeout struct{}

// StopRequest asks a member to stop gracefully, as SIGTERM does to etcd: a
// leader first hands its leadership over (GracefulStop).
var StopRequest = stopRequest{}

// KindStop is the message kind of StopRequest.
const KindStop = "Stop"

// GracefulStop stops a member the way `systemctl stop etcd` does: a leader
// transfers its leadership to its most up-to-date follower (which
// campaigns at once, without waiting for an election timeout), waits for
// the transfer up to an election timeout, and exits; a follower exits at
// once. Start the member again with the kernel's Restart.
func GracefulStop(c sim.Caller, member string) error {
	_, err := c.Call(member, KindStop, StopRequest, DefaultRequestTimeout)
	return err
}

func (s *server) stop(msg *sim.Message) {
	s.stopping = msg
	if s.state != raft.StateLeader || s.voters == 1 {
		s.finishStop()
		return
	}
	st := s.rn.Status()
	var to, match uint64
	for _, id := range s.cs.Voters {
		if pr, ok := st.Progress[id]; ok && id != s.disk.MemberID && (to == 0 || pr.Match > match) {
			to, match = id, pr.Match
		}
	}
	s.c.Note("raft", fmt.Sprintf("transferring leadership to %s before stopping", s.names[to]))
	s.rn.TransferLeader(to)
	s.c.After(s.cfg.ElectionTimeout, "stop-timeout", stopTimeout{})
}

func (s *server) finishStop() {
	s.c.Reply(s.stopping, s.stopping.Kind, s.header())
	s.stopping = nil
	s.exit = true
}

func (s *server) applySnapshot(snap raftpb.Snapshot) {
	c := s.c
	st, err := mvcc.Restore(snap.Data, mvcc.RestoreOptions{Now: c.Now()})
	if err != nil {
		c.Log().Error("cannot restore snapshot from leader", zap.Error(err))
		return
	}
	stored := snap
	stored.Data = nil
	_ = s.disk.Log.ApplySnapshot(stored)
	old := s.disk.Store
	for _, w := range s.sortedWatches() {
		_ = old.CancelWatch(w.storeID)
	}
	s.disk.Store = st
	s.disk.Applied = snap.Metadata.Index
	s.snapIndex = snap.Metadata.Index
	s.m.storeWatches, s.m.watchStore = nil, st
	c.Note("raft", fmt.Sprintf("restored snapshot at index %d (revision %d) from the leader", snap.Metadata.Index, st.Rev()))
	// Watches continue on the new store from where they were.
	for _, w := range s.sortedWatches() {
		req := w.req.WatchRequest
		req.StartRev = w.lastRev + 1
		if _, err := s.openWatch(w, req); err != nil {
			s.cancelWatch(w, err.Error())
		}
	}
}

func (s *server) apply(ents []raftpb.Entry) {
	for i := range ents {
		e := &ents[i]
		if e.Index <= s.disk.Applied {
			continue
		}
		if e.Type == raftpb.EntryNormal && len(e.Data) > 0 {
			s.applyEntry(e)
		}
		if s.m.onApply != nil {
			s.m.onApply(e)
		}
		s.disk.Applied = e.Index
	}
	if s.disk.Applied-s.snapIndex >= s.cfg.SnapshotCount {
		s.snapshot()
	}
}

// snapshot records a raft snapshot at the applied index and compacts the
// log behind it, keeping SnapshotCatchUpEntries entries. The snapshot holds
// only metadata: the store itself is durable (etcd's bbolt file).
func (s *server) snapshot() {
	applied := s.disk.Applied
	if _, err := s.disk.Log.CreateSnapshot(applied, &s.cs, nil); err != nil {
		return
	}
	s.snapIndex = applied
	if applied > s.cfg.SnapshotCatchUpEntries {
		_ = s.disk.Log.Compact(applied - s.cfg.SnapshotCatchUpEntries)
	}
	s.c.Log().Info("saved snapshot and compacted the raft log", zap.Uint64("index", applied))
}

func (s *server) applyEntry(e *raftpb.Entry) {
	c := s.c
	r, err := decodeRequest(e.Data)
	if err != nil {
		c.Log().Error("skipping entry", zap.Uint64("index", e.Index), zap.Error(err))
		return
	}
	st := s.disk.Store
	var body any
	switch r.kind {
	case entryTxn:
		var res mvcc.TxnResponse
		res, err = st.Txn(r.txn)
		if err == nil {
			body = &TxnResponse{TxnResponse: res}
		}
	case entryCompact:
		err = st.Compact(r.compact)
	case entryLeaseGrant:
		var l mvcc.Lease
		l, err = st.Grant(r.lease, r.ttl, c.Now())
		if err == nil {
			body = &LeaseResponse{ID: l.ID, TTL: l.TTL}
			if s.leaseExpiry != nil {
				s.leaseExpiry[l.ID] = c.Now() + time.Duration(l.TTL)*time.Second
				s.armLeases()
			}
		}
	case entryLeaseRevoke:
		_, err = st.Revoke(r.lease)
		delete(s.revoking, r.lease)
		delete(s.leaseExpiry, r.lease)
		body = &LeaseResponse{ID: r.lease}
	}
	if r.proposer != s.disk.MemberID || r.inc != s.inc {
		return
	}
	p := s.proposals[r.seq]
	if p == nil {
		return
	}
	delete(s.proposals, r.seq)
	p.done = true
	if p.hasTime {
		c.CancelTimer(p.timer)
	}
	if p.msg == nil {
		if r.kind == entryLeaseRevoke && err == nil {
			c.Log().Info("lease expired, keys deleted", zap.Int64("lease", int64(r.lease)))
		}
		return
	}
	if err != nil {
		c.ReplyErr(p.msg, p.msg.Kind, err)
		return
	}
	h := s.header()
	switch b := body.(type) {
	case *TxnResponse:
		b.Header = h
	case *LeaseResponse:
		b.Header = h
	case nil:
		body = h
	}
	c.Reply(p.msg, p.msg.Kind, body)
}

// --- proposals ----------------------------------------------------------------

// propose hands a write to raft. Without a leader it waits, as a proposal
// to etcd's raft node blocks until there is one, and fails with
// `etcdserver: request timed out` after the request timeout if none
// appears or the entry does not commit.
func (s *server) propose(msg *sim.Message, r *request) {
	s.seq++
	r.proposer, r.inc, r.seq = s.disk.MemberID, s.inc, s.seq
	p := &pending{msg: msg, req: r, data: encodeRequest(r), start: s.c.Now()}
	s.proposals[r.seq] = p
	if msg != nil {
		s.fresh = append(s.fresh, p)
	}
	s.unsent = append(s.unsent, p)
	s.flush()
}

// flush hands waiting proposals to raft once a leader is known.
func (s *server) flush() {
	if s.lead == raft.None || len(s.unsent) == 0 {
		return
	}
	keep := s.unsent[:0]
	for _, p := range s.unsent {
		if p.done {
			continue
		}
		if err := s.rn.Propose(p.data); errors.Is(err, raft.ErrProposalDropped) {
			keep = append(keep, p)
		}
	}
	for i := len(keep); i < len(s.unsent); i++ {
		s.unsent[i] = nil
	}
	s.unsent = keep
}

// armFresh sets the request timeout of requests still waiting at the end
// of the step that received them (most finish within it on a one-member
// cluster, which then sets no timer at all).
func (s *server) armFresh() {
	for _, p := range s.fresh {
		if p.done {
			continue
		}
		p.timer = s.c.After(s.cfg.RequestTimeout-(s.c.Now()-p.start), kindRequestTimeout, requestTimeout{p})
		p.hasTime = true
	}
	clear(s.fresh)
	s.fresh = s.fresh[:0]
}

func (s *server) timeout(p *pending) {
	if p.done {
		return
	}
	s.c.Log().Warn("request timed out", zap.String("request", p.msg.Kind), zap.Duration("took", s.c.Now()-p.start))
	s.fail(p, ErrRequestTimeout)
}

func (s *server) fail(p *pending, err error) {
	if p.done {
		return
	}
	p.done = true
	if p.hasTime {
		s.c.CancelTimer(p.timer)
	}
	if p.req != nil {
		delete(s.proposals, p.req.seq)
	}
	if p.msg != nil {
		s.c.ReplyErr(p.msg, p.msg.Kind, err)
	}
}

// --- reads ------------------------------------------------------------------------

// rangeRequest serves a read: a serializable one from the local store at
// once (possibly stale), a linearizable one after a read index round
// confirms the leader and the member has applied up to the index it gave.
func (s *server) rangeRequest(msg *sim.Message, r RangeRequest) {
	if r.Serializable || (s.voters == 1 && s.state == raft.StateLeader) {
		s.serveRange(msg, &r)
		return
	}
	p := &pending{msg: msg, read: &r, start: s.c.Now()}
	s.fresh = append(s.fresh, p)
	s.reads = append(s.reads, p)
	if s.batch == nil {
		s.startBatch()
	}
}

func (s *server) serveRange(msg *sim.Message, r *RangeRequest) {
	res, err := s.disk.Store.Range(r.Key, r.End, r.Options)
	if err != nil {
		s.c.ReplyErr(msg, msg.Kind, err)
		return
	}
	s.c.Reply(msg, msg.Kind, &RangeResponse{Header: s.header(), RangeResult: res})
}

func readCtx(id uint64) []byte { return binary.BigEndian.AppendUint64(nil, id) }

// startBatch asks raft for a read index covering every read waiting, as
// etcd's linearizableReadLoop batches them.
func (s *server) startBatch() {
	live := s.reads[:0]
	for _, p := range s.reads {
		if !p.done {
			live = append(live, p)
		}
	}
	if len(live) == 0 {
		s.reads = s.reads[:0]
		return
	}
	s.nextReadID++
	s.batch = &readBatch{id: s.nextReadID, reads: append([]*pending(nil), live...), sent: s.c.Now()}
	clear(s.reads)
	s.reads = s.reads[:0]
	s.rn.ReadIndex(readCtx(s.batch.id))
}

func (s *server) readState(rs raft.ReadState) {
	if s.batch == nil || len(rs.RequestCtx) != 8 || binary.BigEndian.Uint64(rs.RequestCtx) != s.batch.id {
		return
	}
	s.batch.index = rs.Index
	s.confirmed = append(s.confirmed, s.batch)
	s.batch = nil
	if len(s.reads) > 0 {
		s.startBatch()
	}
}

func (s *server) serveReads() {
	n := 0
	for _, b := range s.confirmed {
		if b.index > s.disk.Applied {
			s.confirmed[n] = b
			n++
			continue
		}
		for _, p := range b.reads {
			if p.done {
				continue
			}
			p.done = true
			if p.hasTime {
				s.c.CancelTimer(p.timer)
			}
			s.serveRange(p.msg, p.read)
		}
	}
	clear(s.confirmed[n:])
	s.confirmed = s.confirmed[:n]
}

// --- leases -------------------------------------------------------------------------

// The lessor's clock lives here, on the leader: the store keeps which
// leases exist and their keys; the leader keeps when each expires, renews
// them on keep-alives (which are not replicated, as in etcd) and proposes a
// revocation when one expires. A new leader gives every lease a full TTL
// again, as etcd's lessor Promote does.

func (s *server) promote() {
	now := s.c.Now()
	s.leaseExpiry = map[mvcc.LeaseID]time.Duration{}
	s.revoking = map[mvcc.LeaseID]bool{}
	for _, id := range s.disk.Store.Leases() {
		if st, err := s.disk.Store.TimeToLive(id, now); err == nil {
			s.leaseExpiry[id] = now + time.Duration(st.GrantedTTL)*time.Second
		}
	}
	s.armLeases()
}

func (s *server) demote() {
	for seq, p := range s.proposals {
		if p.msg == nil { // the revocations this leader proposed
			p.done = true
			delete(s.proposals, seq)
		}
	}
	s.leaseExpiry, s.revoking = nil, nil
	if s.leaseArmed != 0 {
		s.c.CancelTimer(s.leaseTimer)
		s.leaseArmed = 0
	}
}

func (s *server) armLeases() {
	var next time.Duration
	found := false
	for id, exp := range s.leaseExpiry {
		if s.revoking[id] {
			continue
		}
		if !found || exp < next {
			next, found = exp, true
		}
	}
	if !found || (s.leaseArmed != 0 && s.leaseArmed <= next) {
		return
	}
	if s.leaseArmed != 0 {
		s.c.CancelTimer(s.leaseTimer)
	}
	s.leaseTimer = s.c.After(max(next-s.c.Now(), 0), kindLeaseExpiry, leaseTick{})
	s.leaseArmed = next
}

func (s *server) expireLeases() {
	if s.leaseExpiry == nil {
		return
	}
	var expired []mvcc.LeaseID
	for id, exp := range s.leaseExpiry {
		if exp <= s.c.Now() && !s.revoking[id] {
			expired = append(expired, id)
		}
	}
	sort.Slice(expired, func(i, j int) bool { return expired[i] < expired[j] })
	for _, id := range expired {
		s.revoking[id] = true
		s.propose(nil, &request{kind: entryLeaseRevoke, lease: id})
	}
	s.armLeases()
}

func (s *server) keepAlive(msg *sim.Message, r LeaseKeepAliveRequest) {
	c := s.c
	if s.state == raft.StateLeader {
		st, err := s.disk.Store.TimeToLive(r.ID, c.Now())
		if err != nil || s.revoking[r.ID] || s.leaseExpiry[r.ID] <= c.Now() {
			c.ReplyErr(msg, msg.Kind, mvcc.ErrLeaseNotFound)
			return
		}
		s.leaseExpiry[r.ID] = c.Now() + time.Duration(st.GrantedTTL)*time.Second
		s.armLeases()
		c.Reply(msg, msg.Kind, &LeaseResponse{Header: s.header(), ID: r.ID, TTL: st.GrantedTTL})
		return
	}
	if r.Forwarded {
		c.ReplyErr(msg, msg.Kind, ErrNotLeader)
		return
	}
	// A follower forwards keep-alives to the leader, waiting for one to be
	// elected for up to the request timeout (etcd's waitLeader).
	c.Go(func(tc *sim.Ctx) {
		deadline := tc.Now() + s.cfg.RequestTimeout
		for s.lead == raft.None {
			if tc.Now() >= deadline {
				tc.ReplyErr(msg, msg.Kind, ErrNoLeader)
				return
			}
			tc.Sleep(s.cfg.ElectionTimeout)
		}
		fwd := r
		fwd.Forwarded = true
		res, err := tc.Call(s.names[s.lead], KindLeaseKeepAlive, fwd, max(deadline-tc.Now(), s.cfg.ElectionTimeout))
		switch {
		case errors.Is(err, sim.ErrTimeout), errors.Is(err, sim.ErrRefused):
			tc.ReplyErr(msg, msg.Kind, ErrRequestTimeout)
		case err != nil:
			tc.ReplyErr(msg, msg.Kind, err)
		default:
			tc.Reply(msg, msg.Kind, res.Body)
		}
	})
}

// --- watches --------------------------------------------------------------------------

func (s *server) watch(msg *sim.Message, r WatchRequest) {
	c := s.c
	if r.RequireLeader && s.lead == raft.None {
		c.ReplyErr(msg, msg.Kind, ErrNoLeader)
		return
	}
	s.nextWatch++
	w := &watch{id: mvcc.WatchID(int64(s.inc)<<32 | s.nextWatch), watcher: msg.From, inc: msg.SenderIncarnation(), req: r, lastRev: r.StartRev - 1}
	if r.StartRev <= 0 {
		w.lastRev = s.disk.Store.Rev()
	}
	backlog, err := s.openWatch(w, r.WatchRequest)
	if err != nil {
		c.ReplyErr(msg, msg.Kind, err)
		return
	}
	s.watches[w.id] = w
	c.Reply(msg, msg.Kind, &WatchCreated{Header: s.header(), WatchID: w.id})
	for _, resp := range *backlog {
		s.push(w, resp)
	}
	*backlog = nil
}

// openWatch registers w on the store. History replayed during the call is
// returned, to be pushed after the reply that opens the watch; later
// events go out from inside the write that causes them, so a watcher
// always sees an event before the reply to the write, when both come from
// this member.
func (s *server) openWatch(w *watch, req mvcc.WatchRequest) (*[]mvcc.WatchResponse, error) {
	backlog := new([]mvcc.WatchResponse)
	opening := true
	id, err := s.disk.Store.Watch(req, func(r mvcc.WatchResponse) {
		if opening {
			*backlog = append(*backlog, r)
			return
		}
		s.push(w, r)
	})
	opening = false
	if err != nil {
		return nil, err
	}
	w.storeID = id
	s.m.storeWatches = append(s.m.storeWatches, id)
	s.m.watchStore = s.disk.Store
	return backlog, nil
}

func (s *server) push(w *watch, r mvcc.WatchResponse) {
	if w.canceled {
		return
	}
	if r.Revision > w.lastRev {
		w.lastRev = r.Revision
	}
	resp := &WatchResponse{Header: s.header(), WatchID: w.id, Events: r.Events}
	if !s.c.Stream(w.watcher, w.inc, KindWatchResponse, resp) {
		// The watcher is gone (its process restarted): close the stream.
		w.canceled = true
		_ = s.disk.Store.CancelWatch(w.storeID)
		delete(s.watches, w.id)
	}
}

func (s *server) cancelWatch(w *watch, reason string) {
	if w.canceled {
		return
	}
	w.canceled = true
	_ = s.disk.Store.CancelWatch(w.storeID)
	delete(s.watches, w.id)
	if reason != "" {
		s.c.Stream(w.watcher, w.inc, KindWatchResponse, &WatchResponse{Header: s.header(), WatchID: w.id, Canceled: true, CancelReason: reason})
	}
}

func (s *server) cancelRequireLeaderWatches() {
	for _, w := range s.sortedWatches() {
		if w.req.RequireLeader {
			s.cancelWatch(w, ErrNoLeader.Error())
		}
	}
}

func (s *server) sortedWatches() []*watch {
	out := make([]*watch, 0, len(s.watches))
	for _, w := range s.watches {
		out = append(out, w)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

type snapshotRequest struct{}
type statusRequest struct{}

// SnapshotRequest asks a member for a snapshot (etcdctl snapshot save).
var SnapshotRequest = snapshotRequest{}

// StatusRequest asks a member for its status (etcdctl endpoint status).
var StatusRequest = statusRequest{}
