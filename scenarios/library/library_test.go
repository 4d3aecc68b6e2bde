package library

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/kubesim/kubesim/scenarios/drill"
	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/kubesim/kubesim/scenarios/play"
	"github.com/kubesim/kubesim/sim/cursor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Every built-in drill parses and passes its own expectations.
func TestEveryBuiltInDrillPasses(t *testing.T) {
	names := Names()
	require.NotEmpty(t, names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			d, ok, err := Load(name)
			require.True(t, ok)
			require.NoError(t, err)
			if d.IsIncident() {
				t.Skip("an incident is graded by its checks (package incident's tests)")
			}
			res, err := drill.Run(d, drill.Options{})
			require.NoError(t, err)
			for _, s := range res.Steps {
				assert.True(t, s.OK, "step %d (%s): %s", s.Index, s.Action, s.Error)
				for _, g := range s.Expect {
					assert.True(t, g.Passed, "%s: want %s, saw %s", g.Name, g.Want, g.Saw)
				}
			}
			for _, g := range res.Expectations {
				assert.True(t, g.Passed, "%s: want %s, saw %s", g.Name, g.Want, g.Saw)
			}
			assert.True(t, res.Passed)
		})
	}
}

func hashRun(t *testing.T, s *cursor.Session) string {
	t.Helper()
	require.NoError(t, s.Extend(1<<40))
	require.True(t, s.Done())
	require.NoError(t, s.Err())
	h := sha256.New()
	for _, e := range s.Entries(1, s.Len()) {
		fmt.Fprintln(h, e.Text())
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// A trainee who looks at everything before every step (every view, at the
// step prompt) runs the same drill as one who never looks: the traces are
// byte for byte the same, whatever GOMAXPROCS is.
func TestLookingAtEveryStepDoesNotChangeTheDrill(t *testing.T) {
	look := strings.Repeat("get pods -A -o wide\nget nodes\nevents -A\ndescribe pod web\nactors\niptables-save worker-1\nhubble observe worker-1 --last 3\netcdctl get /registry/ --prefix --keys-only\nwhere\nchanges\ntrace 3\n\n", 200)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			d, _, err := Load(name)
			require.NoError(t, err)
			if d.IsIncident() {
				t.Skip("incidents are served, not stepped")
			}
			skipLarge(t, d)
			plain := cursor.Open(drill.Program(d, drill.Options{}, &drill.Result{}))
			want := hashRun(t, plain)
			plain.Close()
			for _, procs := range []int{1, 4} {
				runtime.GOMAXPROCS(procs)
				res := &drill.Result{}
				looked := cursor.Open(drill.Program(d, drill.Options{}, res))
				var out bytes.Buffer
				_, err := play.Play(looked, play.Options{Out: &out, Lang: narrate.English, Step: true, In: bufio.NewReader(strings.NewReader(look))})
				require.NoError(t, err)
				require.Contains(t, out.String(), "record #", "the views answered")
				assert.Equal(t, want, hashRun(t, looked), "GOMAXPROCS=%d", procs)
				assert.True(t, res.Passed)
				looked.Close()
			}
		})
	}
}

// BenchmarkGotoEndOfNodeFailure measures a jump to the last record of the
// node-failure drill and back to its middle: each jump backwards replays
// the run from the seed (the cost a trainee pays for `goto` and `back`).
func BenchmarkGotoEndOfNodeFailure(b *testing.B) {
	d, ok, err := Load("node-failure-eviction")
	if !ok || err != nil {
		b.Fatal(ok, err)
	}
	s := cursor.Open(drill.Program(d, drill.Options{}, &drill.Result{}))
	defer s.Close()
	if err := s.Extend(1 << 40); err != nil {
		b.Fatal(err)
	}
	n := s.Len()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, at := range []uint64{n / 2, n} {
			if err := s.Seek(at); err != nil {
				b.Fatal(err)
			}
			if _, err := s.World(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(n), "records")
	b.ReportMetric(2, "jumps/op")
}
