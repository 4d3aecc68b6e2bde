package web

import (
	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/cursor"
)

// Run names the run a page shows.
type Run struct {
	Name  string
	Title narrate.Text
	Seed  uint64
}

// Build runs a program once, forwards, under a cursor, and collects what
// the page needs at every pause: the etcd revisions the pause wrote (with
// the version each replaced), the raft term, the nodes powered off; then
// narrates every record. It only reads — at pauses, where nothing runs —
// so the run's trace is the same as without it.
func Build(run Run, prog cursor.Program) (*Data, error) {
	d := &Data{Name: run.Name, Title: run.Title, Seed: run.Seed}
	col := newCollector(d)
	s := cursor.Open(prog)
	defer s.Close()
	var seen uint64
	var last *cluster.Cluster
	// The condition is read at every pause, on the run's goroutine while
	// the session waits: the session's log is safe to read there.
	_, err := s.Until(func(w any) bool {
		cl, ok := w.(*cluster.Cluster)
		if !ok {
			return false
		}
		last = cl
		n := s.Len()
		faults := false
		for _, e := range s.Entries(seen+1, n) {
			switch e.Event {
			case sim.EventFault, sim.EventDriver, sim.EventCrash, sim.EventStart:
				faults = true
			}
		}
		seen = n
		e, _ := s.Entry(n)
		col.pause(cl, n, e.Time, faults)
		return false
	}, 0)
	if err != nil {
		return nil, err
	}
	if s.Done() && s.Err() != nil {
		return nil, s.Err()
	}
	entries := s.Entries(1, s.Len())
	assignWrites(d.Writes, entries)
	col.records(entries)
	col.finish(last)
	return d, nil
}

// assignWrites gives every write the record under which it was committed:
// the first record whose pause ended with etcd at its revision or later.
func assignWrites(ws []Write, entries []cursor.Entry) {
	sortWrites(ws)
	i := 0
	for wi := range ws {
		for i < len(entries) && entries[i].Probe < ws[wi].Rev {
			i++
		}
		if i < len(entries) {
			ws[wi].N = entries[i].N
		}
	}
}

// records narrates the entries in order, with the pods' creation times
// (for scheduling latency) taken from the writes up to each record.
func (c *collector) records(entries []cursor.Entry) {
	wi := 0
	for _, e := range entries {
		for ; wi < len(c.d.Writes) && c.d.Writes[wi].N <= e.N; wi++ {
			w := c.d.Writes[wi]
			if w.Pod == nil {
				continue
			}
			key := w.Pod.Namespace + "/" + w.Pod.Name
			if w.Delete {
				delete(c.created, key)
			} else if w.created {
				c.created[key] = c.timeOf(w.N, entries)
			}
		}
		c.record(e.Record, e.Tag, e.Probe)
	}
}

func (c *collector) timeOf(n uint64, entries []cursor.Entry) int64 {
	if n >= 1 && n <= uint64(len(entries)) {
		return int64(entries[n-1].Time)
	}
	return 0
}
