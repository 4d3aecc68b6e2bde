package sim

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"go.uber.org/zap"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// echo replies to every call with the request body, and counts pings.
func echo(c *Ctx) {
	for {
		m := c.Recv()
		if m.IsCall() {
			c.Reply(m, m.Kind+"-ok", m.Body)
		}
	}
}

func newKernel(t testing.TB, seed uint64, opts ...Option) *Kernel {
	k := New(seed, opts...)
	t.Cleanup(k.Shutdown)
	return k
}

func TestSendAndRecvOrderedByTimeThenSequence(t *testing.T) {
	k := newKernel(t, 1)
	var got []string
	require.NoError(t, k.Spawn(ActorSpec{Name: "sink", Node: "n1", Run: func(c *Ctx) {
		for {
			m := c.Recv()
			got = append(got, fmt.Sprintf("%s@%s", m.Body, c.Now()))
		}
	}}))
	require.NoError(t, k.Spawn(ActorSpec{Name: "near", Node: "n1", Run: func(c *Ctx) {
		c.Send("sink", "msg", "near1")
		c.Send("sink", "msg", "near2")
	}}))
	require.NoError(t, k.Spawn(ActorSpec{Name: "far", Node: "n2", Run: func(c *Ctx) {
		c.Send("sink", "msg", "far")
	}}))
	k.RunFor(time.Second)
	assert.Equal(t, []string{"near1@50µs", "near2@50µs", "far@500µs"}, got)
	assert.Equal(t, time.Second, k.Now())
}

func TestCallReplyAndTimeout(t *testing.T) {
	k := newKernel(t, 1)
	require.NoError(t, k.Spawn(ActorSpec{Name: "server", Node: "n1", Run: echo}))
	var results []string
	require.NoError(t, k.Spawn(ActorSpec{Name: "client", Node: "n2", Run: func(c *Ctx) {
		r, err := c.Call("server", "ping", "a", time.Second)
		results = append(results, fmt.Sprintf("%v %v %v", r.Body, err, c.Now()))
		_, err = c.Call("nobody", "ping", "b", time.Second)
		results = append(results, fmt.Sprintf("%v %v", err, c.Now()))
	}}))
	k.RunFor(5 * time.Second)
	assert.Equal(t, []string{"a <nil> 1ms", "context deadline exceeded 1.001s"}, results)
}

func TestCrashRefusesCallsAndRestartRunsBodyAgain(t *testing.T) {
	k := newKernel(t, 1)
	starts := 0
	require.NoError(t, k.Spawn(ActorSpec{Name: "server", Node: "n1", Run: func(c *Ctx) {
		starts++
		echo(c)
	}}))
	k.RunFor(time.Millisecond)
	require.NoError(t, k.Crash("server"))
	assert.False(t, k.Running("server"))
	ext := k.External("client", "n2")
	_, err := ext.Call("server", "ping", nil, time.Second)
	assert.ErrorIs(t, err, ErrRefused, "a dead process on a live node refuses at once")
	assert.Less(t, k.Now(), 10*time.Millisecond)

	require.NoError(t, k.Restart("server"))
	r, err := ext.Call("server", "ping", "x", time.Second)
	require.NoError(t, err)
	assert.Equal(t, "x", r.Body)
	assert.Equal(t, 2, starts)
	assert.Equal(t, 1, k.Actors()[0].Restarts)
}

func TestStopNodeTimesOutCallersAndStartNodeRestarts(t *testing.T) {
	k := newKernel(t, 1)
	require.NoError(t, k.Spawn(ActorSpec{Name: "server", Node: "n1", Run: echo}))
	ext := k.External("client", "n2")
	require.NoError(t, k.StopNode("n1"))
	_, err := ext.Call("server", "ping", nil, 2*time.Second)
	assert.ErrorIs(t, err, ErrTimeout, "a powered-off node does not answer")
	require.NoError(t, k.StartNode("n1"))
	_, err = ext.Call("server", "ping", nil, 2*time.Second)
	assert.NoError(t, err)
	assert.Error(t, k.StartNode("n1"))
	assert.Error(t, k.StopNode("nope"))
}

func TestCutLinkDropsBothWaysUntilHealed(t *testing.T) {
	k := newKernel(t, 1)
	require.NoError(t, k.Spawn(ActorSpec{Name: "server", Node: "n1", Run: echo}))
	ext := k.External("client", "n2")
	k.CutLink(NodeEndpoint("n1"), NodeEndpoint("n2"))
	_, err := ext.Call("server", "ping", nil, time.Second)
	assert.ErrorIs(t, err, ErrTimeout)
	k.HealLink(NodeEndpoint("n2"), NodeEndpoint("n1"))
	_, err = ext.Call("server", "ping", nil, time.Second)
	assert.NoError(t, err)

	k.CutLink("client", "server")
	_, err = ext.Call("server", "ping", nil, time.Second)
	assert.ErrorIs(t, err, ErrTimeout)
}

func TestRulesDropAndDelay(t *testing.T) {
	k := newKernel(t, 1)
	require.NoError(t, k.Spawn(ActorSpec{Name: "server", Node: "n1", Run: echo}))
	ext := k.External("client", "n1")
	id, err := k.AddRule(Rule{To: "server", Kind: "ping", Drop: true, Count: 1})
	require.NoError(t, err)
	_, err = ext.Call("server", "ping", nil, time.Second)
	assert.ErrorIs(t, err, ErrTimeout)
	_, err = ext.Call("server", "ping", nil, time.Second)
	assert.NoError(t, err, "the rule's count is used up")
	k.RemoveRule(id)

	_, err = k.AddRule(Rule{From: "serv*", Delay: 300 * time.Millisecond})
	require.NoError(t, err)
	start := k.Now()
	_, err = ext.Call("server", "ping", nil, time.Second)
	require.NoError(t, err)
	assert.Equal(t, 300*time.Millisecond+100*time.Microsecond, k.Now()-start)

	_, err = k.AddRule(Rule{From: "[", Drop: true})
	assert.Error(t, err)
}

func TestTimersSleepAndCancel(t *testing.T) {
	k := newKernel(t, 1)
	var got []string
	require.NoError(t, k.Spawn(ActorSpec{Name: "a", Node: "n1", Run: func(c *Ctx) {
		c.After(3*time.Second, "late", nil)
		id := c.After(time.Second, "cancelled", nil)
		c.After(2*time.Second, "tick", nil)
		c.CancelTimer(id)
		c.Sleep(500 * time.Millisecond)
		got = append(got, "woke@"+c.Now().String())
		for {
			m := c.Recv()
			got = append(got, m.Kind+"@"+c.Now().String())
		}
	}}))
	k.RunFor(10 * time.Second)
	assert.Equal(t, []string{"woke@500ms", "tick@2s", "late@3s"}, got)
}

func TestTimersDieWithTheirIncarnation(t *testing.T) {
	k := newKernel(t, 1)
	fired := 0
	require.NoError(t, k.Spawn(ActorSpec{Name: "a", Node: "n1", Run: func(c *Ctx) {
		if c.Incarnation() == 1 {
			c.After(time.Second, "tick", nil)
		}
		for {
			c.Recv()
			fired++
		}
	}}))
	k.RunFor(time.Millisecond)
	require.NoError(t, k.Restart("a"))
	k.RunFor(5 * time.Second)
	assert.Zero(t, fired)
}

func TestTasksRunConcurrentlyAndDieWithTheirActor(t *testing.T) {
	k := newKernel(t, 1)
	require.NoError(t, k.Spawn(ActorSpec{Name: "slow", Node: "n2", Run: func(c *Ctx) {
		for {
			m := c.Recv()
			c.Go(func(tc *Ctx) {
				tc.Sleep(time.Second)
				tc.Reply(m, "done", m.Body)
			})
		}
	}}))
	var done []string
	for i := 0; i < 3; i++ {
		name := fmt.Sprintf("c%d", i)
		require.NoError(t, k.Spawn(ActorSpec{Name: name, Node: "n1", Run: func(c *Ctx) {
			r, err := c.Call("slow", "work", name, 5*time.Second)
			require.NoError(t, err)
			done = append(done, fmt.Sprintf("%s@%s", r.Body, c.Now()))
		}}))
	}
	k.RunFor(3 * time.Second)
	assert.Equal(t, []string{"c0@1.001s", "c1@1.001s", "c2@1.001s"}, done, "three one-second requests overlap")

	// A crash kills the tasks in flight: the caller times out.
	require.NoError(t, k.Spawn(ActorSpec{Name: "c3", Node: "n1", Run: func(c *Ctx) {
		_, err := c.Call("slow", "work", "c3", 5*time.Second)
		done = append(done, fmt.Sprint(err))
	}}))
	k.RunFor(100 * time.Millisecond)
	require.NoError(t, k.Crash("slow"))
	k.RunFor(10 * time.Second)
	assert.Equal(t, "context deadline exceeded", done[len(done)-1])
}

func TestExternalReceivesPushedMessages(t *testing.T) {
	k := newKernel(t, 1)
	require.NoError(t, k.Spawn(ActorSpec{Name: "pusher", Node: "n1", Run: func(c *Ctx) {
		for i := 0; i < 3; i++ {
			c.Send("watcher", "event", i)
			c.Sleep(time.Second)
		}
	}}))
	w := k.External("watcher", "")
	seen := 0
	w.OnMessage(func(*Message) { seen++ })
	k.RunFor(10 * time.Second)
	assert.Equal(t, 3, w.Pending())
	assert.Equal(t, 3, seen)
	m, ok := w.Recv()
	require.True(t, ok)
	assert.Equal(t, 0, m.Body)
}

func TestActorPanicSurfacesOnTheDriver(t *testing.T) {
	k := newKernel(t, 1)
	require.NoError(t, k.Spawn(ActorSpec{Name: "buggy", Node: "n1", Run: func(c *Ctx) {
		c.Recv()
		panic("boom")
	}}))
	k.External("x", "n1").Send("buggy", "poke", nil)
	assert.PanicsWithValue(t, true, func() {
		defer func() {
			r := recover()
			panic(strings.Contains(fmt.Sprint(r), "actor buggy panicked: boom"))
		}()
		k.RunFor(time.Second)
	})
}

func TestSpawnRejectsDuplicatesAndEmptySpecs(t *testing.T) {
	k := newKernel(t, 1)
	require.NoError(t, k.Spawn(ActorSpec{Name: "a", Run: echo}))
	assert.EqualError(t, k.Spawn(ActorSpec{Name: "a", Run: echo}), `sim: actor "a" already exists`)
	assert.Error(t, k.Spawn(ActorSpec{Name: "b"}))
	assert.Error(t, k.Crash("nope"))
	assert.Error(t, k.Restart("nope"))
}

func TestRunUntilStopsAtConditionOrLimit(t *testing.T) {
	k := newKernel(t, 1)
	count := 0
	require.NoError(t, k.Spawn(ActorSpec{Name: "ticker", Node: "n1", Run: func(c *Ctx) {
		for {
			c.Sleep(time.Second)
			count++
		}
	}}))
	assert.True(t, k.RunUntil(func() bool { return count == 3 }, time.Minute))
	assert.Equal(t, 3*time.Second, k.Now())
	assert.False(t, k.RunUntil(func() bool { return count == 100 }, 10*time.Second))
	assert.Equal(t, 13*time.Second, k.Now())
}

func TestRandomStreamsDependOnSeedAndNameOnly(t *testing.T) {
	draw := func(seed uint64, names ...string) map[string]uint64 {
		k := newKernel(t, seed)
		out := map[string]uint64{}
		for _, n := range names {
			require.NoError(t, k.Spawn(ActorSpec{Name: n, Run: func(c *Ctx) { out[c.Name()] = c.Rand().Uint64() }}))
		}
		k.RunFor(time.Second)
		return out
	}
	a := draw(7, "x", "y")
	b := draw(7, "z", "y", "x")
	assert.Equal(t, a["x"], b["x"], "adding an actor does not reshuffle the others")
	assert.Equal(t, a["y"], b["y"])
	assert.NotEqual(t, a["x"], a["y"])
	assert.NotEqual(t, a["x"], draw(8, "x")["x"])
}

// gossip is a busy, fault-ridden workload for the determinism test: actors on
// three nodes call and message each other at random, one node is stopped
// and started, a link is cut and healed, and some messages are dropped.
func gossip(seed uint64) string {
	var buf bytes.Buffer
	k := New(seed, WithTraceSink(func(r Record) { buf.WriteString(r.Text()); buf.WriteByte('\n') }))
	defer k.Shutdown()
	names := []string{"a", "b", "c", "d", "e", "f"}
	for i, n := range names {
		k.Spawn(ActorSpec{Name: n, Node: fmt.Sprintf("node-%d", i%3), Run: func(c *Ctx) {
			c.After(time.Duration(c.Rand().IntN(100))*time.Millisecond, "tick", nil)
			for {
				m := c.Recv()
				switch {
				case m.IsCall():
					c.Go(func(tc *Ctx) {
						tc.Sleep(time.Duration(tc.Rand().IntN(50)) * time.Millisecond)
						tc.Reply(m, "pong", tc.Rand().IntN(1000))
					})
				case m.Kind == "tick":
					peer := names[c.Rand().IntN(len(names))]
					if c.Rand().IntN(2) == 0 {
						c.Call(peer, "ping", c.Name(), 200*time.Millisecond)
					} else {
						c.Send(peer, "hello", c.Rand().IntN(10))
					}
					c.Log().Info("tick", zap.Int("peer", len(peer)))
					c.After(time.Duration(c.Rand().IntN(100))*time.Millisecond, "tick", nil)
				}
			}
		}})
	}
	k.AddRule(Rule{Kind: "hello", Drop: true, Probability: 0.3})
	k.At(2*time.Second, "stop node-1", func() { k.StopNode("node-1") })
	k.At(3*time.Second, "start node-1", func() { k.StartNode("node-1") })
	k.At(4*time.Second, "cut", func() { k.CutLink(NodeEndpoint("node-0"), NodeEndpoint("node-2")) })
	k.At(5*time.Second, "heal", func() { k.HealLink(NodeEndpoint("node-0"), NodeEndpoint("node-2")) })
	k.At(5500*time.Millisecond, "crash b", func() { k.Crash("b") })
	k.At(6*time.Second, "restart b", func() { k.Restart("b") })
	k.RunFor(8 * time.Second)
	for _, l := range k.Logs("a") {
		buf.WriteString(l)
		buf.WriteByte('\n')
	}
	return buf.String()
}

func TestDeterminismAcrossRunsAndGOMAXPROCS(t *testing.T) {
	want := gossip(42)
	require.Greater(t, strings.Count(want, "\n"), 500, "the workload is busy")
	require.Contains(t, want, "dropped by rule")
	require.Contains(t, want, "node-1 powered off")
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 4} {
		runtime.GOMAXPROCS(procs)
		for i := 0; i < 10; i++ {
			require.Equal(t, want, gossip(42), "run %d with GOMAXPROCS=%d", i, procs)
		}
	}
	assert.NotEqual(t, want, gossip(43), "another seed gives another run")
}

func TestTraceRingKeepsNewestAndCountsAll(t *testing.T) {
	tr := NewTrace(3)
	for i := 1; i <= 5; i++ {
		tr.add(Record{Seq: uint64(i), Event: EventDeliver, From: "a", To: "b", Kind: "k"})
	}
	recs := tr.Records()
	require.Len(t, recs, 3)
	assert.Equal(t, uint64(3), recs[0].Seq)
	assert.Equal(t, uint64(5), recs[2].Seq)
	assert.Equal(t, uint64(5), tr.Total())
	assert.Len(t, tr.Tail(2), 2)
}

func TestTraceExports(t *testing.T) {
	recs := []Record{
		{Time: 1500 * time.Microsecond, N: 1, Seq: 7, Event: EventDeliver, From: "kubectl", To: "kube-apiserver", Kind: "create", summary: "pods default/web"},
		{Time: 2 * time.Millisecond, N: 2, Seq: 8, Event: EventNote, From: "kube-apiserver", To: "kube-apiserver", Kind: "admission", summary: "added 2 tolerations; a;b"},
		{Time: 3 * time.Millisecond, N: 3, Seq: 9, Event: EventReply, From: "kube-apiserver", To: "kubectl", Kind: "create", summary: "201 Created"},
		{Time: 4 * time.Millisecond, N: 4, Seq: 10, Event: EventDrop, From: "x", To: "y", Kind: "ping", summary: "dropped: link cut"},
	}
	var text, jsonl, mermaid bytes.Buffer
	require.NoError(t, WriteText(&text, recs))
	require.NoError(t, WriteJSONL(&jsonl, recs))
	require.NoError(t, WriteMermaid(&mermaid, recs))
	assert.Equal(t, `[     0.001500s] #1 kubectl -> kube-apiserver create: pods default/web
[     0.002000s] #2 kube-apiserver (admission): added 2 tolerations; a;b
[     0.003000s] #3 kube-apiserver => kubectl create: 201 Created
[     0.004000s] #4 x -x y ping: dropped: link cut
`, text.String())
	first := strings.SplitN(jsonl.String(), "\n", 2)[0]
	assert.Equal(t, `{"t":1500000,"time":"0.001500s","n":1,"seq":7,"event":"deliver","from":"kubectl","to":"kube-apiserver","kind":"create","summary":"pods default/web"}`, first)
	back, err := ParseJSONRecord([]byte(first))
	require.NoError(t, err)
	assert.Equal(t, recs[0].Text(), back.Text())
	assert.Equal(t, `sequenceDiagram
    participant p1 as kubectl
    participant p2 as kube-apiserver
    participant p3 as x
    participant p4 as y
    p1->>p2: create: pods default/web
    Note over p2: added 2 tolerations#59; a#59;b
    p2-->>p1: create: 201 Created
    p3-xp4: ping: dropped: link cut
`, mermaid.String())
}

func TestLogsCarryVirtualTime(t *testing.T) {
	k := newKernel(t, 1)
	require.NoError(t, k.Spawn(ActorSpec{Name: "kubelet/n1", Node: "n1", Run: func(c *Ctx) {
		c.Sleep(90 * time.Second)
		c.Log().Info("node status posted")
	}}))
	k.RunFor(2 * time.Minute)
	logs := k.Logs("kubelet/n1")
	require.Len(t, logs, 1)
	assert.Equal(t, "2025-01-01T00:01:30.000000Z\tINFO\tkubelet/n1\tnode status posted\t{\"node\": \"n1\"}", logs[0])
}

func TestActorsCanStartAndStopPrograms(t *testing.T) {
	k := newKernel(t, 1)
	started := 0
	program := func(c *Ctx) {
		started++
		echo(c)
	}
	require.NoError(t, k.Spawn(ActorSpec{Name: "runtime", Node: "n1", Run: func(c *Ctx) {
		require.NoError(t, c.Spawn(ActorSpec{Name: "prog", Node: "n1", Run: program}))
		c.Sleep(time.Second)
		assert.True(t, c.Running("prog"))
		c.Stop("prog")
		c.Sleep(time.Millisecond)
		assert.False(t, c.Running("prog"))
		assert.True(t, c.Exists("prog"))
	}}))
	k.RunFor(2 * time.Second)
	assert.Equal(t, 1, started)
	assert.False(t, k.Running("prog"))
}

func TestMonitorsLearnThatAPeerIsGone(t *testing.T) {
	k := newKernel(t, 1)
	require.NoError(t, k.Spawn(ActorSpec{Name: "server", Node: "n1", Run: echo}))
	require.NoError(t, k.Spawn(ActorSpec{Name: "other", Node: "n2", Run: echo}))
	var got []string
	require.NoError(t, k.Spawn(ActorSpec{Name: "client", Node: "n3", Run: func(c *Ctx) {
		c.Monitor("server")
		c.Monitor("server") // once is enough
		c.Monitor("other")
		for {
			m := c.Recv()
			if d, ok := m.Body.(Down); ok {
				got = append(got, fmt.Sprintf("%s %s at %s", d.Name, d.Reason, c.Now()))
			}
		}
	}}))
	k.RunFor(time.Second)
	require.NoError(t, k.Crash("server"))
	require.NoError(t, k.StopNode("n2"))
	k.RunFor(time.Minute)
	assert.Equal(t, []string{"server crashed at 1.0005s", "other node stopped at 31.0005s"}, got,
		"a crash resets the connection at once; a dead node is noticed when keepalives give up")
}

// A stream (a watch) that loses a message to a cut link is a broken
// connection: its receiver learns it after StreamBreakDelay and stops
// waiting for a stream with a gap in it. A plain message lost to the cut
// breaks nothing, and neither does the cut while nothing is streamed.
func TestACutLinkBreaksTheStreamsOverIt(t *testing.T) {
	k := newKernel(t, 1)
	var got []string
	require.NoError(t, k.Spawn(ActorSpec{Name: "client", Node: "n2", Run: func(c *Ctx) {
		c.Monitor("server")
		c.Send("server", "watch", nil)
		for {
			m := c.Recv()
			switch b := m.Body.(type) {
			case Down:
				got = append(got, fmt.Sprintf("%s %s at %s", b.Name, b.Reason, c.Now()))
			case int:
				got = append(got, fmt.Sprintf("event %d", b))
			}
		}
	}}))
	require.NoError(t, k.Spawn(ActorSpec{Name: "server", Node: "n1", Run: func(c *Ctx) {
		m := c.Recv()
		inc := m.SenderIncarnation()
		for i := 1; ; i++ {
			c.Sleep(time.Second)
			if i == 3 || i == 4 {
				c.Send("client", "note", "not a stream")
				continue
			}
			c.Stream("client", inc, "event", i)
		}
	}}))
	k.RunFor(2500 * time.Millisecond)
	k.CutLink(NodeEndpoint("n1"), NodeEndpoint("n2"))
	k.RunFor(2 * time.Second) // only plain messages cross the cut: nothing breaks
	assert.Equal(t, []string{"event 1", "event 2"}, got)
	k.RunFor(time.Second) // event 5 is lost on the cut
	k.HealLink(NodeEndpoint("n1"), NodeEndpoint("n2"))
	k.RunFor(time.Minute)
	require.GreaterOrEqual(t, len(got), 4)
	assert.Equal(t, "event 6", got[2], "after the heal the stream goes on (TCP's retransmission is not modelled)")
	assert.Contains(t, got, "server connection lost: link cut at 50.001s", "45 s after event 5 was lost, at 5.001s")
}

// A run driven from outside (a served cluster: requests arriving when the
// wall clock says) is replayed from its journal of inputs, record for
// record.
func TestInputsReplayTheRun(t *testing.T) {
	build := func() *Kernel {
		k := New(3)
		require.NoError(t, k.Spawn(ActorSpec{Name: "server", Node: "n1", Run: func(c *Ctx) {
			n := 0
			for {
				m := c.Recv()
				n += c.Rand().IntN(10)
				c.Sleep(time.Duration(n) * time.Millisecond)
				c.Reply(m, "pong", n)
			}
		}}))
		require.NoError(t, k.Spawn(ActorSpec{Name: "ticker", Node: "n2", Run: func(c *Ctx) {
			for {
				c.Sleep(7 * time.Millisecond)
				c.Send("server", "tick", nil)
			}
		}}))
		return k
	}
	live := build()
	defer live.Shutdown()
	var journal []Input
	live.JournalInputs(func(in Input) { journal = append(journal, in) })
	ext := live.External("client", "")
	for i, wait := range []time.Duration{3 * time.Millisecond, 0, 41 * time.Millisecond, 5 * time.Millisecond} {
		live.RunFor(wait)
		if i%2 == 0 {
			_, err := ext.Call("server", "ping", i, time.Second)
			require.NoError(t, err)
		} else {
			ext.Send("server", "note", i)
		}
	}
	live.RunFor(100 * time.Millisecond)
	require.Len(t, journal, 4)

	replay := build()
	defer replay.Shutdown()
	for _, in := range journal {
		require.NoError(t, replay.Replay(in))
	}
	require.NoError(t, replay.AdvanceTo(live.Steps(), live.Now()))
	var a, b bytes.Buffer
	require.NoError(t, WriteText(&a, live.Trace().Records()))
	require.NoError(t, WriteText(&b, replay.Trace().Records()))
	assert.Equal(t, a.String(), b.String())
	assert.Greater(t, live.Trace().Total(), uint64(20))

	other := New(4) // another seed is another run: the replay cannot get there
	defer other.Shutdown()
	assert.Error(t, other.AdvanceTo(live.Steps(), live.Now()), "an empty kernel has no events to handle")
}

func TestSpawnAgainRunsTheNextIncarnation(t *testing.T) {
	k := newKernel(t, 1)
	var got []string
	body := func(tag string) func(*Ctx) {
		return func(c *Ctx) {
			got = append(got, fmt.Sprintf("%s#%d@%s", tag, c.Incarnation(), c.Node()))
			c.Recv()
		}
	}
	require.NoError(t, k.Spawn(ActorSpec{Name: "p", Node: "a", Run: body("v1")}))
	k.RunFor(time.Second)
	assert.Error(t, k.Spawn(ActorSpec{Name: "p", Node: "a", Run: body("v2")}), "a running actor's name is taken")
	require.NoError(t, k.Crash("p"))
	require.NoError(t, k.Spawn(ActorSpec{Name: "p", Node: "b", Run: body("v2")}))
	k.RunFor(time.Second)
	assert.Equal(t, []string{"v1#1@a", "v2#2@b"}, got)
	require.NoError(t, k.StopNode("a"))
	assert.True(t, k.Running("p"), "it moved to node b")
}
