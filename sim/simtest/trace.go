package simtest

import (
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/printers"
	"github.com/kubesim/kubesim/sim"
)

// recordingCaller is the kit's endpoint: it remembers the range of
// sequence numbers each of its calls spanned, so that reports can leave
// the kit's own reads out of the trace tail.
type recordingCaller struct {
	ext *sim.External
	k   *sim.Kernel
	log *callLog
}

func (r *recordingCaller) Name() string                   { return r.ext.Name() }
func (r *recordingCaller) Now() time.Duration             { return r.ext.Now() }
func (r *recordingCaller) Send(to, kind string, body any) { r.ext.Send(to, kind, body) }

func (r *recordingCaller) Call(to, kind string, body any, timeout time.Duration) (*sim.Message, error) {
	from := r.k.Trace().Total()
	m, err := r.ext.Call(to, kind, body, timeout)
	r.log.add(from, r.k.Trace().Total())
	return m, err
}

var _ sim.Caller = (*recordingCaller)(nil)

// callLog keeps the newest windows of trace positions the kit's calls
// spanned. A record's position is Trace.Total just after it was added.
type callLog struct {
	windows []window
}

type window struct{ from, to uint64 } // positions from+1 .. to

const maxWindows = 256

func (l *callLog) add(from, to uint64) {
	if to <= from {
		return
	}
	if n := len(l.windows); n > 0 && l.windows[n-1].to == from {
		l.windows[n-1].to = to
		return
	}
	l.windows = append(l.windows, window{from, to})
	if len(l.windows) > maxWindows {
		l.windows = l.windows[len(l.windows)-maxWindows:]
	}
}

func (l *callLog) during(pos uint64) bool {
	for i := len(l.windows) - 1; i >= 0; i-- {
		w := l.windows[i]
		if pos > w.to {
			return false
		}
		if pos > w.from {
			return true
		}
	}
	return false
}

// ours reports whether the record at trace position pos is the kit's: a
// message to or from its endpoint, or an apiserver's authn or authz note
// about a kubernetes-admin request made while the kit was calling.
func (l *callLog) ours(r sim.Record, pos uint64) bool {
	if r.From == Endpoint || r.To == Endpoint {
		return true
	}
	if r.Event != sim.EventNote || (r.Kind != "authn" && r.Kind != "authz") || !strings.HasPrefix(r.From, "kube-apiserver") {
		return false
	}
	return l.during(pos) && strings.Contains(r.Summary(), "kubeadm:cluster-admins")
}

// table prints objects as kubectl get -o wide does (events without
// -o wide: their wide columns repeat what the others say).
func table(resource string, objs []api.Object, now time.Time) string {
	var b strings.Builder
	printers.WriteText(&b, printers.TableFor(resource, objs, now), printers.TextOptions{Wide: resource != "events"})
	return b.String()
}

// eventsTable prints events as kubectl get events does.
func eventsTable(evs []api.Event, now time.Time) string {
	if len(evs) == 0 {
		return "No events.\n"
	}
	objs := make([]api.Object, len(evs))
	for i := range evs {
		objs[i] = &evs[i]
	}
	return table("events", objs, now)
}
