package frontend

import (
	"encoding/json"
	"net/http"

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
		select {
		case <-r.Context().Done():
			return
		case ev, ok := <-wt.Events:
			if !ok {
				return
			}
			line, skip := h.encodeEvent(r, t, ev, asTable, first)
			if skip {
				continue
			}
			first = false
			if proto {
				line, skip = jsonEventToProtobuf(line)
			} else {
				line = append(line, '\n')
			}
			if skip {
				continue
			}
			if _, err := w.Write(line); err != nil {
				return
			}
			if flusher != nil {
				flusher.Flush()
			}
			if ev.Type == apiwire.Error {
				return
			}
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
		out.Object, err = json.Marshal(h.table(r, t.info, []api.Object{ev.Object}, ev.Object.GetObjectMeta().ResourceVersion, first))
	default:
		out.Object, err = api.ToJSON(ev.Object)
	}
	if err != nil {
		out.Type = apiwire.Error
		out.Object, _ = json.Marshal(apierrors.NewInternalError(err).ErrStatus)
	}
	b, _ := json.Marshal(out)
	return b, false
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
