package controllers_test

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/controllers"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scenario runs a rollout and a node failure with every controller of the
// default set and returns the whole trace as text.
func scenario(t *testing.T, seed uint64) string {
	var buf bytes.Buffer
	e := boot(t, cluster.Config{Seed: seed, Options: []sim.Option{sim.WithTraceSink(func(r sim.Record) {
		buf.WriteString(r.Text())
		buf.WriteByte('\n')
	})}}, controllers.Defaults()[1:]...)
	e.registerNode("worker-1", "zone-a")
	e.registerNode("worker-2", "zone-a")
	e.create(deployment("web", 3))
	e.settle("default", "the rollout", rolledOut(t, e, "web"), time.Minute)
	setImage(t, e, "web", "nginx:1.28")
	e.settle("default", "the update", rolledOut(t, e, "web"), 2*time.Minute)
	for i := 0; i < 8; i++ { // worker-2 heartbeats, worker-1 is silent
		e.renewLease("worker-2")
		e.run(10 * time.Second)
	}
	return buf.String()
}

func TestSameSeedSameTrace(t *testing.T) {
	a := scenario(t, 11)
	prev := runtime.GOMAXPROCS(1)
	b := scenario(t, 11)
	runtime.GOMAXPROCS(prev)
	require.NotEmpty(t, a)
	assert.True(t, a == b, "the same seed gives a byte-identical trace across GOMAXPROCS (%d vs %d bytes)", len(a), len(b))
	assert.Contains(t, a, "node worker-1: no heartbeat for 50s, Ready=Unknown")
}

// recorderProbe is a controller that records events on demand, to test
// the recorder's aggregation as client-go's EventCorrelator does it.
type recorderProbe struct {
	m *controllers.Manager
}

func (p *recorderProbe) Name() string { return "probe" }
func (p *recorderProbe) Setup(m *controllers.Manager, q *controllers.Queue) {
	p.m = m
	m.Informer("configmaps").AddHandler(clientHandler(q))
}
func (p *recorderProbe) Reconcile(key string) (controllers.Result, error) {
	o, ok := p.m.Informer("configmaps").Get(key)
	if !ok {
		return controllers.Result{}, nil
	}
	rec := p.m.Recorder("probe-controller")
	for i := 0; i < 3; i++ {
		rec.Eventf(o, api.EventTypeWarning, "Repeated", "the same message")
	}
	for i := 0; i < 12; i++ {
		rec.Eventf(o, api.EventTypeNormal, "Varied", "message %d", i)
	}
	return controllers.Result{}, nil
}

func TestEventRecorderAggregates(t *testing.T) {
	e := boot(t, cluster.Config{}, func() controllers.Controller { return &recorderProbe{} })
	e.create(&api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: "probe", Namespace: "default"}})
	e.run(2 * time.Second)
	byReason := map[string][]string{}
	for _, o := range e.list("events", "default") {
		ev := o.(*api.Event)
		if ev.InvolvedObject.Name != "probe" {
			continue
		}
		byReason[ev.Reason] = append(byReason[ev.Reason], fmt.Sprintf("%d %s", ev.Count, ev.Message))
		assert.Equal(t, "probe-controller", ev.Source.Component)
		assert.Equal(t, "ConfigMap", ev.InvolvedObject.Kind)
	}
	assert.Equal(t, []string{"3 the same message"}, byReason["Repeated"], "a repeat bumps count on one event")
	varied := byReason["Varied"]
	assert.Len(t, varied, 10, "9 distinct events, then one combined event")
	assert.Contains(t, varied, "3 (combined from similar events): message 11")
}
