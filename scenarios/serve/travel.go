package serve

import (
	"context"
	"errors"
	"time"

	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/cursor"
)

// Time travel at serve's prompt. A served run depends on its seed and on
// the requests clients sent, when they sent them; the server journals
// every such input (sim.Kernel.JournalInputs). Going back replays the run:
// a second cluster, booted as the first was, gets the same inputs at the
// same points, under a cursor (package sim/cursor), and the prompt's views
// read it at the record asked for. The served cluster itself stays where it
// is — paused — and goes on serving kubectl; `live` leaves the past.

// errNoBoot is returned when the server was not told how its cluster was
// booted.
var errNoBoot = errors.New("time travel needs to know how the cluster was booted (serve.Config.Boot)")

// openTravel opens a cursor over the run so far, with the cursor on its
// last record.
func (s *Server) openTravel(ctx context.Context) (*cursor.Session, error) {
	if s.cfg.Boot == nil {
		return nil, errNoBoot
	}
	var journal []sim.Input
	var steps, total uint64
	var now time.Duration
	if err := s.Do(ctx, func(c *cluster.Cluster) {
		journal = append([]sim.Input(nil), s.journal...)
		steps, now, total = c.K.Steps(), c.K.Now(), c.K.Trace().Total()
	}); err != nil {
		return nil, err
	}
	boot := s.cfg.Boot
	sess := cursor.Open(func(h *cursor.Host) error {
		c, err := boot(func(cfg *cluster.Config) { cluster.UnderCursor(h, cfg) })
		if err != nil {
			return err
		}
		for _, in := range journal {
			if err := c.K.Replay(in); err != nil {
				return err
			}
		}
		return c.K.AdvanceTo(steps, now)
	})
	if total == 0 {
		return sess, nil
	}
	if err := sess.Seek(total); err != nil {
		sess.Close()
		return nil, err
	}
	return sess, nil
}
