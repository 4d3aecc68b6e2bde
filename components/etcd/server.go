package etcd

import (
	"fmt"
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
	leaderElectedAt   time.Duration // when the member last saw a new leader
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
	// A move-leader request waiting for the transfer.
	moving *moveLeader
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
	seq      uint64 // the last WatchResponse.Seq sent
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
		if txnBytes(&b.TxnRequest) > MaxRequestBytes {
			c.ReplyErr(msg, msg.Kind, ErrRequestTooLarge)
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
	case MoveLeaderRequest:
		s.moveLeader(msg, b)
	case moveLeaderTimeout:
		s.movedLeader(true)
	default:
		if msg.IsCall() {
			c.ReplyErr(msg, msg.Kind, fmt.Errorf("etcdserver: unknown request %T", msg.Body))
		}
	}
}

func (s *server) status() *StatusResponse {
	st := &StatusResponse{Header: s.header(), Status: s.disk.Store.Status(), Name: s.m.Name, Leader: s.lead,
		RaftIndex: s.rn.BasicStatus().Commit, RaftAppliedIndex: s.disk.Applied, Version: Version}
	if s.lead == raft.None {
		st.Errors = append(st.Errors, ErrNoLeader.Error())
	}
	return st
}

// Version is the etcd release whose behaviour the members follow.
const Version = "3.5.16"

type snapshotRequest struct{}
type statusRequest struct{}

// SnapshotRequest asks a member for a snapshot (etcdctl snapshot save).
var SnapshotRequest = snapshotRequest{}

// StatusRequest asks a member for its status (etcdctl endpoint status).
var StatusRequest = statusRequest{}

// Status is the member's status as `etcdctl endpoint status` reports it,
// read out of band from its last incarnation (a debugger's view between
// kernel steps; ask the kernel whether the member runs).
func (m *Member) Status() (*StatusResponse, bool) {
	if m.srv == nil {
		return nil, false
	}
	return m.srv.status(), true
}

// MaxRequestBytes is etcd's --max-request-bytes default: a proposal larger
// than 1.5 MiB is refused with ErrRequestTooLarge.
const MaxRequestBytes = 1536 * 1024

// txnBytes approximates a txn's size on the wire: its keys and values.
func txnBytes(t *mvcc.TxnRequest) int {
	n := 0
	for _, c := range t.Compare {
		n += len(c.Key)
	}
	for _, ops := range [][]mvcc.Op{t.Success, t.Failure} {
		for i := range ops {
			n += len(ops[i].Key) + len(ops[i].End) + len(ops[i].Value)
			if ops[i].Txn != nil {
				n += txnBytes(ops[i].Txn)
			}
		}
	}
	return n
}
