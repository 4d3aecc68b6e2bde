package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
)

// LiveServer is what the live page needs of `kubesim serve`: reading the
// cluster between kernel steps, and the operations of serve's prompt
// (step, advance, pause and resume).
type LiveServer interface {
	Do(ctx context.Context, fn func(c *cluster.Cluster)) error
	Step(ctx context.Context) (string, error)
	Advance(ctx context.Context, d time.Duration) error
	SetPaused(paused bool)
	Paused() bool
}

// Live serves the page of a running cluster under /ui/: the page itself,
// its data so far and then new records as Server-Sent Events (/ui/events),
// and pause, step and advance (POST /ui/pause, /ui/step, /ui/advance).
// Whoever mounts it checks who may use it (serve's UI gate).
type Live struct {
	srv LiveServer

	mu      sync.Mutex
	d       *Data
	col     *collector
	mark    uint64 // records read so far (the trace's Total)
	lastN   uint64
	lastAt  time.Time // wall clock of the last read, to share reads between streams
	actorsN int       // how many actor starts and stops the actor list reflects
}

// NewLive prepares the live page of a served run.
func NewLive(srv LiveServer, run Run) *Live {
	d := &Data{Name: run.Name, Title: run.Title, Seed: run.Seed, Live: true}
	return &Live{srv: srv, d: d, col: newCollector(d)}
}

// refreshEvery bounds how often the page's streams read the cluster.
const refreshEvery = 200 * time.Millisecond

// refresh reads what happened since the last read, between kernel steps.
func (l *Live) refresh(ctx context.Context, force bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !force && time.Since(l.lastAt) < refreshEvery {
		return nil
	}
	l.lastAt = time.Now()
	return l.srv.Do(ctx, func(c *cluster.Cluster) {
		tr := c.K.Trace()
		recs := tr.Since(l.mark)
		if missed := tr.Total() - l.mark - uint64(len(recs)); missed > 0 {
			l.d.Gap += missed
		}
		first := l.lastN + 1
		if len(recs) > 0 {
			first = recs[0].N
		}
		actors := false
		for _, r := range recs {
			switch r.Event {
			case sim.EventStart, sim.EventExit, sim.EventCrash, sim.EventFault, sim.EventDriver:
				actors = true
			}
		}
		w0 := len(l.d.Writes)
		l.col.pause(c, first, c.K.Now(), actors || l.mark == 0)
		var rev int64
		if _, st := c.Store(); st != nil {
			rev = st.Rev()
		}
		for i := w0; i < len(l.d.Writes); i++ {
			w := &l.d.Writes[i]
			w.N = first
			if w.Pod != nil {
				key := w.Pod.Namespace + "/" + w.Pod.Name
				if w.Delete {
					delete(l.col.created, key)
				} else if w.created {
					l.col.created[key] = int64(c.K.Now())
				}
			}
		}
		for _, r := range recs {
			l.col.record(r, 0, rev)
			l.lastN = r.N
		}
		l.mark = tr.Total()
		if actors || len(l.d.Nodes) == 0 {
			l.col.finish(c)
			l.actorsN++
		}
	})
}

// chunk is what a stream sends: everything after the counts a client has.
type chunk struct {
	Records []Rec        `json:"records,omitempty"`
	Writes  []Write      `json:"writes,omitempty"`
	Terms   []Sample     `json:"terms,omitempty"`
	Downs   []DownSample `json:"downs,omitempty"`
	Sched   []Sched      `json:"sched,omitempty"`
	Flows   []Flow       `json:"flows,omitempty"`
	Nodes   []Node       `json:"nodes,omitempty"`
	Actors  []Actor      `json:"actors,omitempty"`
	Paused  bool         `json:"paused"`
	Gap     uint64       `json:"gap,omitempty"`
}

// cursor counts what a client has of each list.
type cursorOf struct{ records, writes, terms, downs, sched, flows, actorsN int }

func (l *Live) since(c *cursorOf) (chunk, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d := l.d
	ch := chunk{Records: d.Records[c.records:], Writes: d.Writes[c.writes:], Terms: d.Terms[c.terms:], Downs: d.Downs[c.downs:], Sched: d.Sched[c.sched:], Flows: d.Flows[c.flows:], Paused: l.srv.Paused(), Gap: d.Gap}
	if c.actorsN != l.actorsN {
		ch.Nodes, ch.Actors = d.Nodes, d.Actors
	}
	any := len(ch.Records)+len(ch.Writes)+len(ch.Terms)+len(ch.Downs)+len(ch.Sched)+len(ch.Flows)+len(ch.Nodes) > 0
	*c = cursorOf{len(d.Records), len(d.Writes), len(d.Terms), len(d.Downs), len(d.Sched), len(d.Flows), l.actorsN}
	return ch, any
}

// ServeHTTP answers the page's requests (paths under /ui/).
func (l *Live) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	switch r.URL.Path {
	case "/ui/", "/ui/index.html":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "the page is read with GET", http.StatusMethodNotAllowed)
			return
		}
		b, err := page(nil, true)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", cspLive)
		w.Write(b)
	case "/ui/events":
		l.events(w, r)
	case "/ui/step", "/ui/pause", "/ui/advance":
		l.control(w, r)
	default:
		http.Error(w, fmt.Sprintf("no page at %s: the web view is /ui/", r.URL.Path), http.StatusNotFound)
	}
}

// events streams the run: a "reset" event with everything so far, then a
// "chunk" event whenever more happened.
func (l *Live) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming is not supported here", http.StatusInternalServerError)
		return
	}
	ctx := r.Context()
	if err := l.refresh(ctx, true); err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	var c cursorOf
	first, _ := l.since(&c)
	l.mu.Lock()
	reset := *l.d
	l.mu.Unlock()
	reset.Records, reset.Writes, reset.Terms, reset.Downs, reset.Sched, reset.Flows = first.Records, first.Writes, first.Terms, first.Downs, first.Sched, first.Flows
	reset.Nodes, reset.Actors = first.Nodes, first.Actors
	send := func(event string, v any) bool {
		b, err := json.Marshal(v)
		if err != nil {
			return false
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return false
		}
		fl.Flush()
		return true
	}
	if !send("reset", map[string]any{"data": reset, "paused": first.Paused}) {
		return
	}
	paused := first.Paused
	tick := time.NewTicker(refreshEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if err := l.refresh(ctx, false); err != nil {
			return
		}
		ch, more := l.since(&c)
		if more || ch.Paused != paused {
			paused = ch.Paused
			if !send("chunk", ch) {
				return
			}
		}
	}
}

// control runs one of serve's prompt operations for the page.
func (l *Live) control(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, r.URL.Path+" needs POST", http.StatusMethodNotAllowed)
		return
	}
	var body struct {
		Paused  *bool   `json:"paused"`
		Seconds float64 `json:"seconds"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<10)).Decode(&body); err != nil {
		http.Error(w, fmt.Sprintf("%s: the body must be a JSON object: %v", r.URL.Path, err), http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	var err error
	switch r.URL.Path {
	case "/ui/step":
		_, err = l.srv.Step(ctx)
	case "/ui/advance":
		if body.Seconds <= 0 || body.Seconds > 3600 {
			http.Error(w, fmt.Sprintf("/ui/advance: seconds must be in (0, 3600], got %v", body.Seconds), http.StatusBadRequest)
			return
		}
		err = l.srv.Advance(ctx, time.Duration(body.Seconds*float64(time.Second)))
	case "/ui/pause":
		if body.Paused == nil {
			http.Error(w, `/ui/pause: expected {"paused": true} or {"paused": false}`, http.StatusBadRequest)
			return
		}
		l.srv.SetPaused(*body.Paused)
	}
	if err == nil {
		err = l.refresh(ctx, true)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"paused": l.srv.Paused(), "records": l.lastRecord()})
}

func (l *Live) lastRecord() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastN
}
