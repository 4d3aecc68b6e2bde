package frontend

import (
	"encoding/json"
	"net/http"
	"sync"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiwire"
)

type watchEventJSON struct {
	Type   apiwire.EventType `json:"type"`
	Object json.RawMessage   `json:"object"`
}

// watch streams a watch as the apiserver does: 200, chunked, one JSON
// event per line, flushed after each, open until the apiserver ends it or
// the client goes away (kubectl get -w exits when the stream closes).
func (h *Handler) watch(w http.ResponseWriter, r *http.Request, t target) {
	q := r.URL.Query()
	req := h.base(r, apiwire.VerbWatch, t, q)
	listOptions(req, q)
	asTable := wantsTable(r)
	if asTable {
		req.AllowWatchBookmarks = false // bookmarks carry no row
	}
	wt, err := h.cfg.Backend.Watch(r.Context(), req)
	if err != nil {
		writeError(w, err)
		return
	}
	defer wt.Stop()
	flusher, _ := w.(http.Flusher)
	proto := !asTable && t.info != nil && wantsProtobuf(r) && hasProtobuf(t.info.GVK())
	if proto {
		w.Header().Set("Content-Type", contentProtobufWatch)
	} else {
		w.Header().Set("Content-Type", contentJSON)
	}
	w.WriteHeader(http.StatusOK)
	if flusher != nil {
		flusher.Flush()
	}
	first := true
	for {
		var ev *apiwire.WatchEvent
		var ok bool
		select {
		case <-r.Context().Done():
			return
		case ev, ok = <-wt.Events:
		}
		// Write every event already waiting, then flush once: a burst
		// costs one write to the connection, not one per event.
		for {
			if !ok {
				return
			}
			line, skip := h.encodeEvent(r, t, ev, asTable, first)
			if !skip {
				first = false
				if proto {
					line, skip = jsonEventToProtobuf(line)
				} else {
					line = append(line, '\n')
				}
			}
			if !skip {
				if _, err := w.Write(line); err != nil {
					return
				}
			}
			if ev.Type == apiwire.Error {
				if flusher != nil {
					flusher.Flush()
				}
				return
			}
			select {
			case ev, ok = <-wt.Events:
				continue
			default:
			}
			break
		}
		if flusher != nil {
			flusher.Flush()
		}
	}
}

func (h *Handler) encodeEvent(r *http.Request, t target, ev *apiwire.WatchEvent, asTable, first bool) ([]byte, bool) {
	out := watchEventJSON{Type: ev.Type}
	var err error
	switch {
	case ev.Type == apiwire.Error:
		out.Object, err = json.Marshal(asStatus(ev.Err).ErrStatus)
	case ev.Type == apiwire.Bookmark && asTable:
		return nil, true
	case asTable:
		out.Object, err = json.Marshal(h.table(r, t, []api.Object{ev.Object}, ev.Object.GetObjectMeta().ResourceVersion, first))
	default:
		// The watch cache hands every watcher the same immutable object:
		// encode it once for all of them, as kube-apiserver's watch cache
		// does (cachingObject).
		out.Object, err = h.encoded.json(ev.Object)
	}
	if err != nil {
		out.Type = apiwire.Error
		out.Object, _ = json.Marshal(apierrors.NewInternalError(err).ErrStatus)
	}
	// {"type":...,"object":...} by hand: the object is compact JSON
	// already, and json.Marshal would validate and compact it again.
	b := make([]byte, 0, len(out.Object)+len(out.Type)+24)
	b = append(b, `{"type":"`...)
	b = append(b, out.Type...)
	b = append(b, `","object":`...)
	b = append(b, out.Object...)
	return append(b, '}'), false
}

// encodedObjects remembers the JSON of the objects watch events carried
// last, by identity: the apiserver's watch cache sends one object to every
// watcher of a change, and objects in the cache are never modified.
type encodedObjects struct {
	mu    sync.Mutex
	byObj map[api.Object][]byte
	ring  []api.Object
	next  int
}

// encodedRemembered is how many objects' encodings are kept: enough for a
// burst of changes to reach every watcher before it is forgotten.
const encodedRemembered = 1024

func (e *encodedObjects) json(obj api.Object) ([]byte, error) {
	e.mu.Lock()
	b, ok := e.byObj[obj]
	e.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err := api.ToJSON(obj)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.byObj == nil {
		e.byObj = make(map[api.Object][]byte, encodedRemembered)
		e.ring = make([]api.Object, encodedRemembered)
	}
	if _, ok := e.byObj[obj]; !ok {
		if old := e.ring[e.next]; old != nil {
			delete(e.byObj, old)
		}
		e.ring[e.next] = obj
		e.next = (e.next + 1) % encodedRemembered
		e.byObj[obj] = b
	}
	return b, nil
}

// jsonEventToProtobuf re-frames one JSON watch event for a protobuf watch
// stream.
func jsonEventToProtobuf(line []byte) ([]byte, bool) {
	var ev watchEventJSON
	if err := json.Unmarshal(line, &ev); err != nil {
		return nil, true
	}
	b, ok := protobufWatchEvent(ev.Type, ev.Object)
	return b, !ok
}
