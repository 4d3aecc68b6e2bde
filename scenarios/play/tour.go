package play

import (
	"fmt"

	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cursor"
)

type itemKind int

const (
	itemText      itemKind = iota // a paragraph, an output, a rendered mark
	itemTitle                     // a checkpoint's title
	itemRecord                    // a record and its narration
	itemMeanwhile                 // how many records a checkpoint left out
	itemStop                      // step mode waits here
)

// item is one thing the tour shows.
type item struct {
	kind itemKind
	n    uint64 // the record (or the mark) it comes from
	text string
}

// tour turns a session's records into what the trainee sees, in order,
// building it only as far as asked (the run goes on as needed).
type tour struct {
	s     *cursor.Session
	lang  narrate.Lang
	items []item
	done  bool

	pos       uint64 // next record the outer scan looks at
	flowStart uint64 // the first stage mark: tagged records come after it

	// The stage being walked, if any.
	stage     *Stage
	stageMark uint64 // the record of its Stage mark
	walk      uint64 // next record the walk looks at
	shown     bool   // the walk showed a record
	hidden    int    // untagged records since the last one shown
	meanwhile int    // untagged records between the first and last shown
	// Shown lists every record shown, for trace exports.
	Shown []sim.Record
}

func newTour(s *cursor.Session, lang narrate.Lang) *tour {
	return &tour{s: s, lang: lang, pos: 1}
}

// item returns item i, building the tour up to it.
func (t *tour) item(i int) (item, bool, error) {
	for i >= len(t.items) {
		if t.done {
			return item{}, false, nil
		}
		if err := t.more(); err != nil {
			return item{}, false, err
		}
	}
	return t.items[i], true, nil
}

// entry returns record n, running the program on if it is not known yet;
// false once the run has ended before n.
func (t *tour) entry(n uint64) (cursor.Entry, bool, error) {
	if e, ok := t.s.Entry(n); ok {
		return e, true, nil
	}
	if err := t.s.Extend(n); err != nil {
		return cursor.Entry{}, false, err
	}
	e, ok := t.s.Entry(n)
	return e, ok, nil
}

// more adds at least one item, or ends the tour.
func (t *tour) more() error {
	before := len(t.items)
	for len(t.items) == before && !t.done {
		var err error
		if t.stage != nil {
			err = t.walkStage()
		} else {
			err = t.scan()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// scan looks at the next record outside any stage.
func (t *tour) scan() error {
	e, ok, err := t.entry(t.pos)
	if err != nil {
		return err
	}
	if !ok {
		t.done = true
		return nil
	}
	t.pos++
	if e.Event != sim.EventMark {
		return nil
	}
	switch b := e.Body().(type) {
	case Stage:
		if t.flowStart == 0 {
			t.flowStart = e.N
		}
		st := b
		t.stage, t.stageMark = &st, e.N
		t.shown, t.hidden, t.meanwhile = false, 0, 0
		t.items = append(t.items, item{kind: itemTitle, n: e.N, text: "== " + b.Title.In(t.lang)})
		// The stage's records may have begun before its mark.
		t.walk = e.N
		for n := t.flowStart; n < e.N; n++ {
			if x, _ := t.s.Entry(n); x.Tag == b.ID {
				t.walk = n
				break
			}
		}
	default:
		t.addMark(e)
	}
	return nil
}

// walkStage looks at the next record of the stage being walked.
func (t *tour) walkStage() error {
	e, ok, err := t.entry(t.walk)
	if err != nil {
		return err
	}
	if !ok {
		t.endStage()
		t.done = true
		return nil
	}
	t.walk++
	if e.Event == sim.EventMark {
		if end, ok := e.Body().(StageEnd); ok && end.ID == t.stage.ID {
			t.endStage()
			t.pos = e.N + 1
			return nil
		}
		if e.N > t.stageMark {
			t.addMark(e)
		}
		return nil
	}
	if e.Tag == t.stage.ID {
		line := narrate.Line(e.Record, t.lang)
		if line == "" {
			return nil
		}
		if t.shown {
			t.meanwhile += t.hidden
		}
		t.hidden = 0
		t.shown = true
		t.Shown = append(t.Shown, e.Record)
		t.items = append(t.items, item{kind: itemRecord, n: e.N, text: e.Text() + "\n    " + line})
		return nil
	}
	if e.Tag == 0 && t.shown {
		t.hidden++
	}
	return nil
}

func (t *tour) endStage() {
	if t.meanwhile > 0 {
		t.items = append(t.items, item{kind: itemMeanwhile, n: t.walk - 1, text: pick(t.lang,
			fmt.Sprintf("    (%d other records meanwhile, not part of this step: heartbeats, leases, other components' own work)", t.meanwhile),
			fmt.Sprintf("    (그 사이 이 단계와 무관한 기록 %d개: 하트비트, 리스 갱신, 다른 컴포넌트의 작업)", t.meanwhile))})
	}
	t.stage = nil
}

// addMark shows a mark that prints itself.
func (t *tour) addMark(e cursor.Entry) {
	var text string
	switch b := e.Body().(type) {
	case Say:
		text = narrate.Text(b).In(t.lang)
	case Output:
		text = string(b)
	case Renderer:
		text = b.Render(t.lang)
	}
	if text != "" {
		t.items = append(t.items, item{kind: itemText, n: e.N, text: text})
	}
	if st, ok := e.Body().(Stop); ok {
		t.items = append(t.items, item{kind: itemStop, n: e.N, text: st.Question(t.lang)})
	}
}

func pick(lang narrate.Lang, en, ko string) string {
	if lang == narrate.Korean {
		return ko
	}
	return en
}
