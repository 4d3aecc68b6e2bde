package apiserver

import (
	"github.com/kubesim/kubesim/components/api"
)

// Watchers of one resource, with indexed triggers as the real watch
// cache keeps them: a watch whose field selector pins the trigger field
// (the kubelet's spec.nodeName=<node> watch of pods) is filed under that
// value, and an event is only evaluated against the watchers filed under
// the object's value before and after the change, plus the watchers
// without a pinned value. Watchers are visited in the order they started
// (their ids), so the events go out in the same order as if every watcher
// were evaluated.
type watcherSet struct {
	all     []*watcher // every watcher, by id
	rest    []*watcher // watchers without a trigger value, by id
	byValue map[string][]*watcher
	trigger *trigger
	closed  int // closed watchers not yet pruned
}

// trigger is a resource's indexed trigger: the field selector field and
// the function that reads it from an object.
type trigger struct {
	field string
	value func(api.Object) string
}

// triggers are the indexed triggers kube-apiserver's registry defines
// (pods: spec.nodeName, NodeNameTriggerFunc).
var triggers = map[string]*trigger{
	"pods": {field: "spec.nodeName", value: func(o api.Object) string { return o.(*api.Pod).Spec.NodeName }},
}

func newWatcherSet(resource string) *watcherSet {
	return &watcherSet{trigger: triggers[resource], byValue: map[string][]*watcher{}}
}

func (s *watcherSet) add(w *watcher) {
	s.all = append(s.all, w)
	if s.trigger != nil {
		if v, ok := w.fields.sel.RequiresExactMatch(s.trigger.field); ok {
			w.triggered, w.triggerValue = true, v
			s.byValue[v] = append(s.byValue[v], w)
			return
		}
	}
	s.rest = append(s.rest, w)
}

// candidates calls fn, in id order, for every open watcher an event about
// obj (prev: the object before it changed, or nil) may concern.
func (s *watcherSet) candidates(obj, prev api.Object, fn func(*watcher)) {
	if s.trigger == nil {
		for _, w := range s.all {
			if !w.closed {
				fn(w)
			}
		}
		return
	}
	a := s.byValue[s.trigger.value(obj)]
	var b []*watcher
	if prev != nil {
		if pv := s.trigger.value(prev); pv != s.trigger.value(obj) {
			b = s.byValue[pv]
		}
	}
	lists := [3][]*watcher{s.rest, a, b}
	for {
		best := -1
		for i, l := range lists {
			if len(l) > 0 && (best < 0 || l[0].id < lists[best][0].id) {
				best = i
			}
		}
		if best < 0 {
			return
		}
		w := lists[best][0]
		lists[best] = lists[best][1:]
		if !w.closed {
			fn(w)
		}
	}
}

// close marks a watcher closed; closed watchers are pruned in bulk.
func (s *watcherSet) close(w *watcher) {
	if !w.closed {
		w.closed = true
		s.closed++
	}
	if s.closed > 16 && s.closed > len(s.all)/4 {
		s.prune()
	}
}

func (s *watcherSet) prune() {
	keep := func(l []*watcher) []*watcher {
		out := l[:0]
		for _, w := range l {
			if !w.closed {
				out = append(out, w)
			}
		}
		for i := len(out); i < len(l); i++ {
			l[i] = nil
		}
		return out
	}
	s.all, s.rest = keep(s.all), keep(s.rest)
	for v, l := range s.byValue {
		if l = keep(l); len(l) == 0 {
			delete(s.byValue, v)
		} else {
			s.byValue[v] = l
		}
	}
	s.closed = 0
}

// eventFields computes an event's selectable fields once for all the
// watchers that look at them.
type eventFields struct {
	obj, prev     api.Object
	objF, prevF   map[string]string
	objOK, prevOK bool
}

func (f *eventFields) of(o api.Object) map[string]string {
	switch {
	case o == f.obj:
		if !f.objOK {
			f.objF, f.objOK = api.ObjectFields(o), true
		}
		return f.objF
	case o == f.prev:
		if !f.prevOK {
			f.prevF, f.prevOK = api.ObjectFields(o), true
		}
		return f.prevF
	}
	return api.ObjectFields(o)
}
