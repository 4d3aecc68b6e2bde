package client

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/sim"
	"go.uber.org/zap"
)

// Event correlation limits of client-go's EventCorrelator.
const (
	// aggregateMaxEvents similar events (same object and reason, different
	// messages) within aggregateInterval are combined into one.
	aggregateMaxEvents = 10
	aggregateInterval  = 10 * time.Minute
	// spamBurst events per object and source, refilled one per spamRefill.
	spamBurst  = 25
	spamRefill = 5 * time.Minute
	// combinedPrefix marks an aggregated event's message.
	combinedPrefix = "(combined from similar events): "
)

// EventRecorder writes core/v1 Events as client-go's record package does:
// an event repeated with the same message bumps the count and lastTimestamp
// of the stored one (a PATCH) instead of creating another; ten events of
// one reason on one object with different messages within ten minutes
// collapse into "(combined from similar events): ..."; and a token bucket
// per object (burst 25, one more every 5 minutes) drops floods.
//
// Events are written synchronously from the controller's actor; a failed
// write is logged and dropped, never retried into a reconcile.
type EventRecorder struct {
	c      *sim.Ctx
	cl     *Client
	source api.EventSource

	seen    map[string]*api.Event   // full key -> the stored event
	similar map[string]*similarSeen // key without message -> messages seen
	buckets map[string]*bucket
	lastNS  int64
}

type similarSeen struct {
	since    time.Duration
	messages map[string]bool
}

type bucket struct {
	tokens float64
	at     time.Duration
}

// NewEventRecorder returns a recorder reporting as component (the event's
// source.component and reportingComponent, e.g. "replicaset-controller").
func NewEventRecorder(c *sim.Ctx, cl *Client, component string) *EventRecorder {
	return &EventRecorder{c: c, cl: cl, source: api.EventSource{Component: component},
		seen: map[string]*api.Event{}, similar: map[string]*similarSeen{}, buckets: map[string]*bucket{}}
}

// Event records an event about obj.
func (r *EventRecorder) Event(obj api.Object, eventType, reason, message string) {
	r.Eventf(obj, eventType, reason, "%s", message)
}

// Eventf records an event about obj with a formatted message.
func (r *EventRecorder) Eventf(obj api.Object, eventType, reason, messageFmt string, args ...any) {
	ref := Reference(obj)
	message := fmt.Sprintf(messageFmt, args...)
	now := r.c.Now()
	wall := r.c.WallTime()

	objKey := strings.Join([]string{r.source.Component, ref.Kind, ref.Namespace, ref.Name, string(ref.UID), ref.APIVersion}, "\x00")
	if !r.allow(objKey, now) {
		r.c.Log().Debug("event discarded by the spam filter", zap.String("reason", reason), zap.String("object", ref.Namespace+"/"+ref.Name))
		return
	}
	aggKey := objKey + "\x00" + eventType + "\x00" + reason
	sim := r.similar[aggKey]
	if sim == nil || now-sim.since > aggregateInterval {
		sim = &similarSeen{since: now, messages: map[string]bool{}}
		r.similar[aggKey] = sim
	}
	sim.messages[message] = true
	key := aggKey + "\x00" + message
	if len(sim.messages) >= aggregateMaxEvents {
		key = aggKey
		message = combinedPrefix + message
	}

	if prev, ok := r.seen[key]; ok {
		count := prev.Count + 1
		patch, _ := json.Marshal(map[string]any{"count": count, "lastTimestamp": api.NewTime(wall), "message": message})
		obj, err := r.cl.Patch("events", prev.Namespace, prev.Name, apiwire.StrategicMergePatch, patch, "")
		if err == nil {
			r.seen[key] = obj.(*api.Event)
			return
		}
		r.c.Log().Info("Could not update event, creating a new one", zap.Error(err))
	}
	ns := ref.Namespace
	if ns == "" {
		ns = api.NamespaceDefault
	}
	nano := wall.UnixNano()
	if nano <= r.lastNS {
		nano = r.lastNS + 1 // two events in the same virtual instant
	}
	r.lastNS = nano
	ev := &api.Event{
		TypeMeta:            api.TypeMeta{Kind: "Event", APIVersion: "v1"},
		ObjectMeta:          api.ObjectMeta{Name: fmt.Sprintf("%v.%x", ref.Name, nano), Namespace: ns},
		InvolvedObject:      ref,
		Reason:              reason,
		Message:             message,
		Source:              r.source,
		FirstTimestamp:      api.NewTime(wall),
		LastTimestamp:       api.NewTime(wall),
		Count:               1,
		Type:                eventType,
		ReportingController: r.source.Component,
		ReportingInstance:   r.source.Host,
	}
	created, err := r.cl.Create(ev)
	if err != nil {
		r.c.Log().Info("Server rejected event (will not retry!)", zap.String("reason", reason), zap.Error(err))
		return
	}
	r.seen[key] = created.(*api.Event)
}

// allow is the spam filter's token bucket.
func (r *EventRecorder) allow(key string, now time.Duration) bool {
	b := r.buckets[key]
	if b == nil {
		b = &bucket{tokens: spamBurst, at: now}
		r.buckets[key] = b
	}
	b.tokens += float64(now-b.at) / float64(spamRefill)
	if b.tokens > spamBurst {
		b.tokens = spamBurst
	}
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// Reference is the ObjectReference of an object, as an event's
// involvedObject names it.
func Reference(obj api.Object) api.ObjectReference {
	m := obj.GetObjectMeta()
	tm := obj.GetTypeMeta()
	kind, apiVersion := tm.Kind, tm.APIVersion
	if info, ok := api.ResourceOf(obj); ok {
		kind, apiVersion = info.Kind, info.APIVersion()
	}
	return api.ObjectReference{Kind: kind, Namespace: m.Namespace, Name: m.Name, UID: m.UID, APIVersion: apiVersion, ResourceVersion: m.ResourceVersion}
}
