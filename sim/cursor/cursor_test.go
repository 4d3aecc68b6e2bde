package cursor_test

import (
	"testing"
	"time"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cursor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// counter counts the pings it received; it publishes itself for views.
type counter struct{ n int }

// pingPong is a small deterministic program: a client pings a counter every
// second, ten times; the counter's state is what views read.
func pingPong(runs *int) cursor.Program {
	return func(h *cursor.Host) error {
		if runs != nil {
			*runs++
		}
		k := sim.New(7, h.Options()...)
		h.Cleanup(k.Shutdown)
		k.Spawn(sim.ActorSpec{Name: "counter", Node: "n1", Run: func(c *sim.Ctx) {
			st := &counter{}
			c.Publish(st)
			for {
				m := c.Recv()
				st.n++
				c.Reply(m, "pong", st.n)
			}
		}})
		k.Spawn(sim.ActorSpec{Name: "client", Node: "n2", Run: func(c *sim.Ctx) {
			for i := 0; i < 10; i++ {
				c.Call("counter", "ping", i, time.Second)
				c.Sleep(time.Second)
			}
		}})
		h.Attach(k)
		k.Mark("checkpoint", "started")
		k.RunFor(time.Minute)
		return nil
	}
}

func pings(t *testing.T, s *cursor.Session) int {
	t.Helper()
	n := -1
	require.NoError(t, s.Inspect(func(w any) error {
		if c, ok := w.(*sim.Kernel).Inspect("counter").(*counter); ok {
			n = c.n
		}
		return nil
	}))
	return n
}

func TestSeekForwardAndBackShowsTheStateAtTheRecord(t *testing.T) {
	s := cursor.Open(pingPong(nil))
	defer s.Close()

	// Walk forward once, noting the counter after every record.
	want := map[uint64]int{}
	for n := uint64(1); ; n++ {
		if err := s.Seek(n); err != nil {
			require.ErrorIs(t, err, cursor.ErrPastEnd)
			break
		}
		want[n] = pings(t, s)
	}
	require.True(t, s.Done())
	require.Greater(t, s.Len(), uint64(20))
	assert.Equal(t, 1, s.Runs, "walking forward needs one run")
	assert.Equal(t, 10, want[s.Len()])

	// Every record again, backwards: each view equals the forward one.
	for n := s.Len(); n >= 1; n-- {
		require.NoError(t, s.Seek(n))
		assert.Equal(t, want[n], pings(t, s), "record #%d", n)
	}
	assert.Greater(t, s.Runs, 10, "going back replays")

	// A ping arrives at the counter: its pause holds the new count.
	for n := uint64(1); n <= s.Len(); n++ {
		e, _ := s.Entry(n)
		if e.Event == sim.EventDeliver && e.To == "counter" {
			require.NoError(t, s.Seek(n))
			before := pings(t, s)
			require.NoError(t, s.Back(1))
			assert.Equal(t, before-1, pings(t, s), "one record before the delivery of #%d the count was one less", n)
			break
		}
	}
}

func TestLookingDoesNotChangeTheRun(t *testing.T) {
	plain := cursor.Open(pingPong(nil))
	defer plain.Close()
	require.ErrorIs(t, plain.Seek(1<<20), cursor.ErrPastEnd)

	looked := cursor.Open(pingPong(nil))
	defer looked.Close()
	for n := uint64(1); looked.Seek(n) == nil; n++ {
		pings(t, looked)
	}
	require.Equal(t, plain.Len(), looked.Len())
	for n := uint64(1); n <= plain.Len(); n++ {
		a, _ := plain.Entry(n)
		b, _ := looked.Entry(n)
		assert.Equal(t, a.Text(), b.Text())
	}
}

func TestSeekTimeAndUntil(t *testing.T) {
	s := cursor.Open(pingPong(nil))
	defer s.Close()
	require.NoError(t, s.SeekTime(3500*time.Millisecond))
	e, _ := s.Entry(s.Pos())
	assert.LessOrEqual(t, e.Time, 3500*time.Millisecond)
	next, _ := s.Entry(s.Pos() + 1)
	assert.Greater(t, next.Time, 3500*time.Millisecond)
	assert.Equal(t, 4, pings(t, s), "pings at 0, 1, 2 and 3 s have arrived by 3.5 s")

	out, err := s.Until(func(w any) bool {
		c, _ := w.(*sim.Kernel).Inspect("counter").(*counter)
		return c != nil && c.n == 7
	}, 0)
	require.NoError(t, err)
	assert.Equal(t, cursor.Held, out)
	assert.Equal(t, 7, pings(t, s))

	out, err = s.Until(func(any) bool { return false }, 2*time.Second)
	require.NoError(t, err)
	assert.Equal(t, cursor.AtBound, out)
	out, err = s.Until(func(any) bool { return false }, 0)
	require.NoError(t, err)
	assert.Equal(t, cursor.AtEnd, out)

	assert.Error(t, s.SeekTime(-time.Second))
	pos := s.Pos()
	assert.ErrorIs(t, s.SeekTime(time.Hour), cursor.ErrPastEnd)
	assert.Error(t, s.Seek(0))
	assert.Equal(t, pos, s.Pos(), "a bad move leaves the cursor where it was")
}

func TestAReplayThatDivergesIsReported(t *testing.T) {
	runs := 0
	s := cursor.Open(func(h *cursor.Host) error {
		runs++
		k := sim.New(uint64(runs), h.Options()...) // a new seed each run: not deterministic
		h.Cleanup(k.Shutdown)
		h.Attach(k)
		k.Spawn(sim.ActorSpec{Name: "a", Node: "n", Run: func(c *sim.Ctx) {
			c.Sleep(time.Duration(c.Rand().IntN(1000)) * time.Millisecond)
			c.Send("a", "x", nil)
			c.Recv()
		}})
		k.RunFor(time.Minute)
		return nil
	})
	defer s.Close()
	require.NoError(t, s.Seek(2))
	require.NoError(t, s.Seek(1))
	require.NoError(t, s.Inspect(func(any) error { return nil }), "the replay agrees up to #1")
	require.NoError(t, s.Seek(2))
	err := s.Inspect(func(any) error { return nil })
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not deterministic")
}
