package etcd

import (
	"errors"
	"sort"
	"time"

	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"github.com/kubesim/kubesim/sim"
	"go.etcd.io/raft/v3"
)

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
