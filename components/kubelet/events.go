package kubelet

import (
	"encoding/json"
	"fmt"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiwire"
	"go.uber.org/zap"
)

// recorder writes core/v1 Events as client-go's event recorder does for the
// kubelet: source {component: kubelet, host: <node>}, the name
// "<object>.<hex nanoseconds>", and a repeat of the same event (same
// object, type, reason and message) patched into the first one's count and
// lastTimestamp instead of written again.
type recorder struct {
	st   *state
	seen map[string]*recorded
}

type recorded struct {
	name, namespace string
	count           int32
}

// maxRecorded bounds the correlator's memory, as its LRU cache does.
const maxRecorded = 4096

// nodeEvent reports about the Node; the kubelet refers to its node with
// the node's name as uid, in namespace default.
func (r *recorder) nodeEvent(typ, reason, msg string) {
	node := r.st.cfg.Node
	r.emit(api.ObjectReference{Kind: "Node", Name: node, UID: api.UID(node)}, api.NamespaceDefault, typ, reason, msg)
}

// podEvent reports about a pod, or one of its containers when ct is set.
func (r *recorder) podEvent(pw *podWorker, ct *container, typ, reason, msg string) {
	ref := api.ObjectReference{Kind: "Pod", Namespace: pw.ns, Name: pw.name, UID: pw.uid, APIVersion: "v1", ResourceVersion: pw.resourceVersion()}
	if ct != nil {
		if ct.init {
			ref.FieldPath = "spec.initContainers{" + ct.spec.Name + "}"
		} else {
			ref.FieldPath = "spec.containers{" + ct.spec.Name + "}"
		}
	}
	r.emit(ref, pw.ns, typ, reason, msg)
}

func (r *recorder) emit(ref api.ObjectReference, ns, typ, reason, msg string) {
	st := r.st
	now := api.NewTime(st.wall())
	key := fmt.Sprintf("%s\x00%s\x00%s\x00%s\x00%s\x00%s", ref.UID, ref.FieldPath, ref.Name, typ, reason, msg)
	st.c.Note("event", fmt.Sprintf("%s %s %s/%s: %s", typ, reason, ref.Kind, ref.Name, msg))
	if prev, ok := r.seen[key]; ok {
		prev.count++
		patch, _ := json.Marshal(map[string]any{"count": prev.count, "lastTimestamp": now})
		if _, err := st.cl.Patch("events", prev.namespace, prev.name, apiwire.MergePatch, patch, ""); err == nil {
			return
		}
		delete(r.seen, key) // the event expired or was deleted: write a new one
	}
	if len(r.seen) >= maxRecorded {
		clear(r.seen)
	}
	ev := &api.Event{
		TypeMeta:            api.TypeMeta{Kind: "Event", APIVersion: "v1"},
		ObjectMeta:          api.ObjectMeta{Name: fmt.Sprintf("%s.%x", ref.Name, st.wall().UnixNano()), Namespace: ns},
		InvolvedObject:      ref,
		Reason:              reason,
		Message:             msg,
		Source:              api.EventSource{Component: "kubelet", Host: st.cfg.Node},
		FirstTimestamp:      now,
		LastTimestamp:       now,
		Count:               1,
		Type:                typ,
		ReportingController: "kubelet",
		ReportingInstance:   st.cfg.Node,
	}
	if _, err := st.cl.Create(ev); err != nil {
		st.log.Info("Server rejected event (will not retry!)", zap.String("reason", reason), zap.Error(err))
		return
	}
	r.seen[key] = &recorded{name: ev.Name, namespace: ns, count: 1}
}
