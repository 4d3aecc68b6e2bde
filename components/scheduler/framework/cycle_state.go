package framework

import (
	"errors"
	"slices"
)

// ErrNotFound is returned by CycleState.Read for a key nobody wrote.
var ErrNotFound = errors.New("not found")

// StateKey names one entry of a CycleState. By convention a plugin uses
// "PreFilter"+Name() or "PreScore"+Name().
type StateKey string

// StateData is what a plugin stores in the CycleState. Clone is there for
// callers that fork a cycle (the real scheduler clones the state to test
// nominated pods); data that is never modified after it is written may
// return itself.
type StateData interface {
	Clone() StateData
}

// CycleState is the scratch space of one scheduling cycle: a plugin's
// PreFilter computes something about the pod once and its Filter reads it
// for every node. It lives exactly as long as one scheduling attempt (and
// its Reserve/Bind steps), and is keyed by plugin-chosen StateKeys.
//
// A cycle is run by one goroutine, so CycleState is not locked; the handful
// of entries are kept in a slice because a linear scan over a few keys is
// cheaper than a map lookup in the Filter hot path.
type CycleState struct {
	entries []stateEntry

	// skipFilter and skipScore name the plugins whose PreFilter or PreScore
	// returned Skip in this cycle; the framework does not call their Filter
	// or Score.
	skipFilter []string
	skipScore  []string

	// filters and scorers are the plugins left to run after Skip was
	// applied; the framework fills them to avoid re-checking the skip
	// lists for every node.
	filters []FilterPlugin
	scorers []weightedScorer
}

type stateEntry struct {
	key  StateKey
	data StateData
}

// NewCycleState returns an empty state.
func NewCycleState() *CycleState {
	return &CycleState{entries: make([]stateEntry, 0, 8)}
}

// Read returns the data stored under key, or ErrNotFound.
func (c *CycleState) Read(key StateKey) (StateData, error) {
	for i := range c.entries {
		if c.entries[i].key == key {
			return c.entries[i].data, nil
		}
	}
	return nil, ErrNotFound
}

// Write stores data under key, replacing what was there.
func (c *CycleState) Write(key StateKey, data StateData) {
	for i := range c.entries {
		if c.entries[i].key == key {
			c.entries[i].data = data
			return
		}
	}
	c.entries = append(c.entries, stateEntry{key: key, data: data})
}

// Delete removes key.
func (c *CycleState) Delete(key StateKey) {
	c.entries = slices.DeleteFunc(c.entries, func(e stateEntry) bool { return e.key == key })
}

// Clone returns a copy whose entries are the Clones of the originals.
func (c *CycleState) Clone() *CycleState {
	if c == nil {
		return nil
	}
	out := &CycleState{
		entries:    make([]stateEntry, len(c.entries)),
		skipFilter: slices.Clone(c.skipFilter),
		skipScore:  slices.Clone(c.skipScore),
		filters:    slices.Clone(c.filters),
		scorers:    slices.Clone(c.scorers),
	}
	for i, e := range c.entries {
		out.entries[i] = stateEntry{key: e.key, data: e.data.Clone()}
	}
	return out
}

// SkipFilterPlugins returns the plugins whose Filter is skipped in this
// cycle because their PreFilter returned Skip.
func (c *CycleState) SkipFilterPlugins() []string { return slices.Clone(c.skipFilter) }

// SkipScorePlugins returns the plugins whose Score is skipped in this cycle
// because their PreScore returned Skip.
func (c *CycleState) SkipScorePlugins() []string { return slices.Clone(c.skipScore) }
