package etcd

import (
	"encoding/binary"
	"errors"

	"github.com/kubesim/kubesim/sim"
	"go.etcd.io/raft/v3"
	"go.uber.org/zap"
)

// Writes go through the log; linearizable reads wait for a read index.

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
	err := ErrRequestTimeout
	// etcd's parseProposeCtxErr: a write that started shortly before a new
	// leader took over was most likely lost with the old one.
	if p.req != nil && s.leaderElectedAt > 0 && p.start > s.leaderElectedAt-2*s.cfg.ElectionTimeout && p.start < s.leaderElectedAt {
		err = ErrTimeoutDueToLeaderFail
	}
	s.fail(p, err)
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
