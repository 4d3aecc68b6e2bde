package queue_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/scheduler/framework"
	"github.com/kubesim/kubesim/components/scheduler/plugins"
	"github.com/kubesim/kubesim/components/scheduler/queue"
	st "github.com/kubesim/kubesim/components/scheduler/schedtest"
)

// defaultEvents are the events the default profile's plugins register.
func defaultEvents(t *testing.T) []framework.PluginEvents {
	t.Helper()
	f, err := framework.NewFramework(plugins.NewInTreeRegistry(), plugins.DefaultProfile(), framework.NewHandle(framework.NewEmptySnapshot()))
	require.NoError(t, err)
	return f.EnqueueExtensions()
}

func rejectedBy(pod *api.Pod, plugins ...string) error {
	return &framework.FitError{Pod: pod, NumAllNodes: 1, Diagnosis: framework.Diagnosis{
		NodeToStatus: framework.NewNodeToStatus(), UnschedulablePlugins: plugins,
	}}
}

// popped adds pod at time now and pops it.
func popped(t *testing.T, q *queue.PriorityQueue, pod *api.Pod, now time.Duration) *queue.QueuedPodInfo {
	t.Helper()
	q.Add(pod, now)
	p, ok := q.Pop(now)
	require.True(t, ok)
	require.Equal(t, pod.Name, p.Pod.Name)
	return p
}

func TestBackoffDuration(t *testing.T) {
	q := queue.New(nil)
	tests := []struct {
		name          string
		unschedulable int
		errs          int
		wantBackoff   time.Duration
	}{
		{name: "never failed", wantBackoff: 0},
		{name: "first failure", unschedulable: 1, wantBackoff: 1 * time.Second},
		{name: "second", unschedulable: 2, wantBackoff: 2 * time.Second},
		{name: "third", unschedulable: 3, wantBackoff: 4 * time.Second},
		{name: "fourth", unschedulable: 4, wantBackoff: 8 * time.Second},
		{name: "fifth is capped", unschedulable: 5, wantBackoff: 10 * time.Second},
		{name: "fiftieth", unschedulable: 50, wantBackoff: 10 * time.Second},
		{name: "consecutive errors count instead", unschedulable: 5, errs: 2, wantBackoff: 2 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &queue.QueuedPodInfo{UnschedulableCount: tc.unschedulable, ConsecutiveErrorsCount: tc.errs}
			assert.Equal(t, tc.wantBackoff, q.BackoffDuration(p))
		})
	}
}

func TestActiveQOrder(t *testing.T) {
	q := queue.New(nil)
	q.Add(st.MakePod("late-low").Obj(), 3*time.Second)
	q.Add(st.MakePod("early-low").Obj(), 1*time.Second)
	q.Add(st.MakePod("high").Priority(1000).Obj(), 5*time.Second)
	q.Add(st.MakePod("same-time-second").Obj(), 3*time.Second)
	var got []string
	for {
		p, ok := q.Pop(10 * time.Second)
		if !ok {
			break
		}
		got = append(got, p.Pod.Name)
	}
	assert.Equal(t, []string{"high", "early-low", "late-low", "same-time-second"}, got)
}

func TestRejectedPodWaitsForAHelpfulEvent(t *testing.T) {
	q := queue.New(defaultEvents(t), queue.WithPopFromBackoffQ(false))
	pod := st.MakePod("p").Req("3", "1Gi").Obj()
	p := popped(t, q, pod, 0)
	require.NoError(t, q.AddUnschedulableIfNotPresent(p, rejectedBy(pod, plugins.NodeResourcesFitName), 10*time.Second))
	assert.Equal(t, "unschedulablePods", q.Where(pod))

	node := st.MakeNode("n").Capacity("2", "4Gi", 110).Obj()
	heartbeat := st.MakeNode("n").Capacity("2", "4Gi", 110).Obj()
	heartbeat.Status.Conditions = []api.NodeCondition{{Type: api.NodeReady, Status: api.ConditionTrue}}
	q.NodeUpdated(node, heartbeat, 11*time.Second)
	assert.Equal(t, "unschedulablePods", q.Where(pod), "a condition change does not help NodeResourcesFit")

	q.NodeAdded(st.MakeNode("small").Capacity("2", "4Gi", 110).Obj(), 11*time.Second)
	assert.Equal(t, "unschedulablePods", q.Where(pod), "the queueing hint sees the new node is too small")

	q.NodeAdded(st.MakeNode("big").Capacity("8", "16Gi", 110).Obj(), 10*time.Second+500*time.Millisecond)
	assert.Equal(t, "backoffQ", q.Where(pod), "a big enough node helps; the pod still backs off")

	_, ok := q.Pop(10*time.Second + 900*time.Millisecond)
	assert.False(t, ok, "backoff is 1s after the first failure")
	p, ok = q.Pop(11 * time.Second)
	require.True(t, ok)
	assert.Equal(t, 2, p.Attempts)
	assert.Equal(t, time.Duration(0), p.InitialAttemptTimestamp)
}

func TestAssignedPodDeletionHelpsFit(t *testing.T) {
	q := queue.New(defaultEvents(t))
	pod := st.MakePod("p").Obj()
	p := popped(t, q, pod, 0)
	require.NoError(t, q.AddUnschedulableIfNotPresent(p, rejectedBy(pod, plugins.NodeResourcesFitName), 0))
	q.AssignedPodAdded(st.MakePod("other").Node("n").Obj(), time.Second)
	assert.Equal(t, "unschedulablePods", q.Where(pod), "a new pod does not free room")
	q.AssignedPodDeleted(st.MakePod("other").Node("n").Obj(), 2*time.Second)
	assert.Equal(t, "activeQ", q.Where(pod), "a deleted pod does, and the 1s backoff is over")
}

func TestUnschedulableTimeout(t *testing.T) {
	q := queue.New(defaultEvents(t))
	pod := st.MakePod("p").Obj()
	p := popped(t, q, pod, 0)
	require.NoError(t, q.AddUnschedulableIfNotPresent(p, rejectedBy(pod, plugins.NodeAffinityName), time.Second))
	q.FlushUnschedulablePodsLeftover(time.Second + 5*time.Minute)
	assert.Equal(t, "unschedulablePods", q.Where(pod), "exactly 5 minutes is not over 5 minutes")
	q.FlushUnschedulablePodsLeftover(time.Second + 5*time.Minute + time.Nanosecond)
	assert.Equal(t, "activeQ", q.Where(pod))
}

func TestEventsWhileInFlightAreNotLost(t *testing.T) {
	events := defaultEvents(t)
	tests := []struct {
		name      string
		event     func(q *queue.PriorityQueue)
		wantWhere string
	}{
		{name: "no event", event: func(*queue.PriorityQueue) {}, wantWhere: "unschedulablePods"},
		{
			name:      "an irrelevant event",
			event:     func(q *queue.PriorityQueue) { q.AssignedPodAdded(st.MakePod("x").Node("n").Obj(), time.Second) },
			wantWhere: "unschedulablePods",
		},
		{
			name:      "a pod deleted during the attempt",
			event:     func(q *queue.PriorityQueue) { q.AssignedPodDeleted(st.MakePod("x").Node("n").Obj(), time.Second) },
			wantWhere: "backoffQ",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := queue.New(events)
			pod := st.MakePod("p").Obj()
			p := popped(t, q, pod, 0)
			tc.event(q)
			require.NoError(t, q.AddUnschedulableIfNotPresent(p, rejectedBy(pod, plugins.NodeResourcesFitName), time.Second))
			assert.Equal(t, tc.wantWhere, q.Where(pod))
		})
	}
}

func TestPodsFailingWithoutARejectingPlugin(t *testing.T) {
	q := queue.New(defaultEvents(t), queue.WithPopFromBackoffQ(false))
	pod := st.MakePod("p").Obj()
	p := popped(t, q, pod, 0)
	require.NoError(t, q.AddUnschedulableIfNotPresent(p, framework.ErrNoNodesAvailable, 0))
	assert.Equal(t, "backoffQ", q.Where(pod), "no nodes: retried after backoff")
	assert.Equal(t, 1, p.UnschedulableCount)

	p, ok := q.Pop(time.Second)
	require.True(t, ok)
	for i, want := range []time.Duration{1, 2, 4} {
		require.NoError(t, q.AddUnschedulableIfNotPresent(p, errors.New("etcdserver: request timed out"), 0))
		assert.Equal(t, i+1, p.ConsecutiveErrorsCount)
		assert.Equal(t, want*time.Second, q.BackoffDuration(p))
		next, ok := q.NextBackoffExpiration()
		require.True(t, ok)
		assert.Equal(t, want*time.Second, next)
		p, ok = q.Pop(want * time.Second)
		require.True(t, ok)
	}
	require.NoError(t, q.AddUnschedulableIfNotPresent(p, rejectedBy(pod, plugins.TaintTolerationName), 0))
	assert.Equal(t, 0, p.ConsecutiveErrorsCount, "a rejection resets the error count")
}

func TestPopFromBackoffQWhenIdle(t *testing.T) {
	q := queue.New(defaultEvents(t))
	errored := st.MakePod("errored").Obj()
	p := popped(t, q, errored, 0)
	require.NoError(t, q.AddUnschedulableIfNotPresent(p, errors.New("boom"), 0))
	_, ok := q.Pop(100 * time.Millisecond)
	assert.False(t, ok, "pods that failed with an error wait out their backoff")

	rejected := st.MakePod("rejected").Obj()
	p = popped(t, q, rejected, 0)
	require.NoError(t, q.AddUnschedulableIfNotPresent(p, framework.ErrNoNodesAvailable, 0))
	fresh := st.MakePod("fresh").Obj()
	q.Add(fresh, 0)
	p, ok = q.Pop(100 * time.Millisecond)
	require.True(t, ok)
	assert.Equal(t, "fresh", p.Pod.Name, "activeQ first")
	p, ok = q.Pop(100 * time.Millisecond)
	require.True(t, ok)
	assert.Equal(t, "rejected", p.Pod.Name, "then, rather than idling, a pod still backing off")
}

func TestUpdateAndDelete(t *testing.T) {
	q := queue.New(defaultEvents(t))
	pod := st.MakePod("p").NodeSelector(map[string]string{"disk": "ssd"}).Obj()
	p := popped(t, q, pod, 0)
	require.NoError(t, q.AddUnschedulableIfNotPresent(p, rejectedBy(pod, plugins.NodeAffinityName), 0))

	statusOnly := st.MakePod("p").NodeSelector(map[string]string{"disk": "ssd"}).Obj()
	statusOnly.Status.Conditions = []api.PodCondition{{Type: api.PodScheduled, Status: api.ConditionFalse, Reason: api.PodReasonUnschedulable}}
	q.Update(pod, statusOnly, time.Second)
	assert.Equal(t, "unschedulablePods", q.Where(pod), "a status update changes nothing")

	relaxed := st.MakePod("p").Obj()
	q.Update(statusOnly, relaxed, 2*time.Second)
	assert.Equal(t, "activeQ", q.Where(pod), "a spec change may make it fit")

	q.Delete(relaxed)
	assert.Equal(t, "", q.Where(pod))
	pods, summary := q.PendingPods()
	assert.Empty(t, pods)
	assert.Equal(t, "activeQ:0; backoffQ:0; unschedulablePods:0", summary)
}

func TestAddUnschedulableIfNotPresent(t *testing.T) {
	q := queue.New(defaultEvents(t))
	pod := st.MakePod("p").Obj()
	p := popped(t, q, pod, 0)
	require.NoError(t, q.AddUnschedulableIfNotPresent(p, rejectedBy(pod, plugins.NodeAffinityName), 0))
	err := q.AddUnschedulableIfNotPresent(p, rejectedBy(pod, plugins.NodeAffinityName), 0)
	assert.EqualError(t, err, "pod default/p is already present in unschedulablePods")
}

func TestUpdateWhileInFlight(t *testing.T) {
	q := queue.New(defaultEvents(t))
	pod := st.MakePod("p").NodeSelector(map[string]string{"disk": "ssd"}).Obj()
	p := popped(t, q, pod, 0)
	relaxed := st.MakePod("p").Obj()
	q.Update(pod, relaxed, 0)
	require.NoError(t, q.AddUnschedulableIfNotPresent(p, rejectedBy(pod, plugins.NodeAffinityName), 0))
	assert.Equal(t, "backoffQ", q.Where(pod), "the pod changed during its attempt: retry it")
	assert.Same(t, relaxed, p.Pod, "with the new version")
}

func TestDeletedWhileInFlight(t *testing.T) {
	q := queue.New(defaultEvents(t))
	pod := st.MakePod("p").Obj()
	p := popped(t, q, pod, 0)
	q.Delete(pod)
	require.NoError(t, q.AddUnschedulableIfNotPresent(p, rejectedBy(pod, plugins.NodeAffinityName), 0))
	assert.Equal(t, "", q.Where(pod), "a deleted pod is not requeued")
}
