package etcd

import (
	"errors"
	"fmt"
	"time"

	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"github.com/kubesim/kubesim/sim"
	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"go.uber.org/zap"
)

// Driving raft: ticks, Ready handling, elections, snapshots, apply.

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
		if st := s.rn.BasicStatus(); m.Term == st.Term && st.Lead == m.From {
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
		} else {
			s.leaderElectedAt = c.Now()
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
	s.movedLeader(false)
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

// MoveLeaderRequest asks the leader to hand its leadership to another
// member, as `etcdctl move-leader <member>` does: the leader sends the
// transferee MsgTimeoutNow (after catching it up), and the transferee
// campaigns at once, without waiting for an election timeout. Operators
// use it before taking the leader's node down for maintenance.
type MoveLeaderRequest struct {
	// To is the transferee's member name.
	To string
}

// Summary implements sim.Summarizer.
func (r MoveLeaderRequest) Summary() string { return "move leader to " + r.To }

// MoveLeaderResponse says who led before and who leads now, by member
// name and ID.
type MoveLeaderResponse struct {
	Header       Header
	From, To     string
	FromID, ToID uint64
}

// Summary implements sim.Summarizer: etcdctl's line, with member IDs in
// hex.
func (r *MoveLeaderResponse) Summary() string {
	return fmt.Sprintf("Leadership transferred from %x to %x", r.FromID, r.ToID)
}

// KindMoveLeader is the message kind of MoveLeaderRequest.
const KindMoveLeader = "MoveLeader"

// Errors of a leadership transfer, with etcd's texts.
var (
	ErrBadLeaderTransferee   = errors.New("etcdserver: bad leader transferee")
	ErrTimeoutLeaderTransfer = errors.New("etcdserver: request timed out, leader transfer took too long")
)

type moveLeaderTimeout struct{}

// MoveLeader is `etcdctl move-leader`: it asks each member in turn for its
// status, finds the leader, and asks it to hand leadership to the member
// named to. It answers with etcdctl's "Leadership transferred from A to
// B".
func MoveLeader(c sim.Caller, members []string, to string) (*MoveLeaderResponse, error) {
	for _, m := range members {
		msg, err := c.Call(m, KindStatus, StatusRequest, DefaultTimeout)
		if err != nil {
			continue
		}
		st := msg.Body.(*StatusResponse)
		if st.Leader == 0 || st.Leader != st.Header.MemberID {
			continue
		}
		reply, err := c.Call(m, KindMoveLeader, MoveLeaderRequest{To: to}, DefaultTimeout)
		if err != nil {
			return nil, err
		}
		return reply.Body.(*MoveLeaderResponse), nil
	}
	return nil, ErrNoLeader
}

func (s *server) moveLeader(msg *sim.Message, req MoveLeaderRequest) {
	if s.state != raft.StateLeader {
		s.c.ReplyErr(msg, msg.Kind, ErrNotLeader)
		return
	}
	var to uint64
	for _, id := range s.cs.Voters {
		if s.names[id] == req.To {
			to = id
		}
	}
	if to == 0 {
		s.c.ReplyErr(msg, msg.Kind, ErrBadLeaderTransferee)
		return
	}
	from := s.m.Name
	if to == s.disk.MemberID {
		s.c.Reply(msg, msg.Kind, &MoveLeaderResponse{Header: s.header(), From: from, To: from, FromID: to, ToID: to})
		return
	}
	s.c.Note("raft", fmt.Sprintf("transferring leadership to %s (move-leader)", req.To))
	s.moving = &moveLeader{msg: msg, from: from, to: to}
	s.rn.TransferLeader(to)
	s.c.After(s.cfg.ElectionTimeout, "move-leader-timeout", moveLeaderTimeout{})
}

// moveLeader is a leadership transfer waiting to complete.
type moveLeader struct {
	msg  *sim.Message
	from string
	to   uint64
}

// movedLeader answers a move-leader request once this member follows the
// transferee (or gives up when the transfer timed out).
func (s *server) movedLeader(timedOut bool) {
	mv := s.moving
	switch {
	case mv == nil:
		return
	case s.lead == mv.to:
		s.c.Reply(mv.msg, mv.msg.Kind, &MoveLeaderResponse{Header: s.header(), From: mv.from, To: s.names[mv.to], FromID: s.disk.MemberID, ToID: mv.to})
	case timedOut:
		s.c.ReplyErr(mv.msg, mv.msg.Kind, ErrTimeoutLeaderTransfer)
	default:
		return
	}
	s.moving = nil
}
