package etcd

import (
	"sort"

	"github.com/kubesim/kubesim/components/etcd/mvcc"
	"github.com/kubesim/kubesim/sim"
	"go.etcd.io/raft/v3"
)

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
	w.seq++
	resp := &WatchResponse{Header: s.header(), WatchID: w.id, Seq: w.seq, Events: r.Events}
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
		w.seq++
		s.c.Stream(w.watcher, w.inc, KindWatchResponse, &WatchResponse{Header: s.header(), WatchID: w.id, Seq: w.seq, Canceled: true, CancelReason: reason})
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
