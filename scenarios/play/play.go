package play

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/kubesim/kubesim/scenarios/views"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/cursor"
)

// Options tune how a run is shown.
type Options struct {
	Out  io.Writer
	Lang narrate.Lang
	// Step waits after every record shown (and at every Stop mark) and
	// reads commands from In.
	Step bool
	In   *bufio.Reader
	// Show lists views printed when the run ends (or at At).
	Show []string
	// At, if set ("#4871" or "12.5s"), shows only the record there and the
	// Show views at it.
	At string
}

// Result is what Play showed.
type Result struct {
	// Shown is every record shown, in the order shown.
	Shown []sim.Record
	// Quit is set when the trainee stopped before the end.
	Quit bool
}

// StepHelp is the step prompt's help.
const StepHelp = `Moving through the run:
  Enter, n              the next record of the walkthrough (in a drill: run the next step)
  c                     run to the next checkpoint (in a drill: run the rest)
  back [n]              to the n-th record shown before the cursor, in time (default 1): the cluster as it was then
  goto #N | goto 12.5s  to record N (any record, shown or not), or to virtual time 12.5 s
  until <condition> [within <duration>]
                        run on until the condition holds, the run ends, or the duration passes:
` + views.ConditionHelp + `
  q                     quit
Records are numbered #N in the order they happened (N is the record's place in the run). A
checkpoint shows its own records, so when it begins before the last one ended the numbers go
back; the cluster shown is always the one right after the record under the cursor.
Views:
` + views.Help

// StepHelpKo is StepHelp in Korean.
const StepHelpKo = `실행 안에서 움직이기:
  Enter, n              워크스루의 다음 기록 (드릴에서는 다음 단계 실행)
  c                     다음 체크포인트까지 실행 (드릴에서는 나머지 전부)
  back [n]              커서 앞에 보여 준 n번째 기록으로, 시간을 거슬러 (기본 1): 그때의 클러스터
  goto #N | goto 12.5s  기록 N으로 (보여 준 것이든 아니든), 또는 가상 시간 12.5초로
  until <조건> [within <기간>]
                        조건이 성립하거나, 실행이 끝나거나, 기간이 지날 때까지 진행합니다:
` + views.ConditionHelpKo + `
  q                     종료
기록은 일어난 순서대로 #N으로 번호가 붙습니다 (N은 실행 안에서 그 기록의 자리). 체크포인트는
자기 기록을 보여 주므로, 앞 체크포인트가 끝나기 전에 시작했다면 번호가 거슬러 올라갑니다. 보여
주는 클러스터는 언제나 커서 아래 기록 직후의 클러스터입니다.
조회 명령:
` + views.HelpKo

// StepHelpFor is the step prompt's help in a language ("en" or "ko").
func StepHelpFor(lang string) string {
	if lang == "ko" {
		return StepHelpKo
	}
	return StepHelp
}

// Play shows the session's run.
func Play(s *cursor.Session, o Options) (*Result, error) {
	p := &player{nav: nav{s: s, o: o}, t: newTour(s, o.Lang)}
	defer func() { p.res.Shown = p.t.Shown }()
	if o.At != "" {
		return &p.res, p.at()
	}
	if err := p.run(); err != nil {
		return &p.res, err
	}
	if p.res.Quit {
		return &p.res, nil
	}
	if len(o.Show) > 0 {
		if err := s.Seek(s.Len()); err == nil {
			p.show(o.Show)
		}
	}
	if s.Done() && s.Err() != nil {
		return &p.res, s.Err()
	}
	return &p.res, nil
}

type player struct {
	nav
	t   *tour
	res Result

	skipping bool // "c": no prompt until the next checkpoint
	jumped   bool // the cursor left the tour: Enter resumes after it
}

// nav moves a session's cursor for the prompt's commands.
type nav struct {
	s *cursor.Session
	o Options
}

func (p *nav) say(format string, args ...any) { fmt.Fprintf(p.o.Out, format, args...) }

// NavHelp is the help of the cursor commands outside a walkthrough.
const NavHelp = `  back [n]              n records back (default 1): the cluster as it was then
  forward [n]           n records on
  goto #N | goto 12.5s  to record N, or to virtual time 12.5 s
  until <condition> [within <duration>]
                        run on until the condition holds, the run ends, or the duration passes:
` + views.ConditionHelp + `
  where                 the record under the cursor, its virtual time and etcd's revision`

// NavHelpKo is NavHelp in Korean.
const NavHelpKo = `  back [n]              n개 기록 뒤로 (기본 1): 그때의 클러스터
  forward [n]           n개 기록 앞으로
  goto #N | goto 12.5s  기록 N으로, 또는 가상 시간 12.5초로
  until <조건> [within <기간>]
                        조건이 성립하거나, 실행이 끝나거나, 기간이 지날 때까지 진행합니다:
` + views.ConditionHelpKo + `
  where                 커서 아래의 기록, 가상 시간, etcd 리비전`

// NavHelpFor is NavHelp in a language ("en" or "ko").
func NavHelpFor(lang string) string {
	if lang == "ko" {
		return NavHelpKo
	}
	return NavHelp
}

// Navigate runs one cursor command (back, forward, goto, until) on a
// session and prints the record the cursor lands on; handled is false for
// a line that is not one. The cursor stays where it was on error.
func Navigate(s *cursor.Session, line string, lang narrate.Lang, out io.Writer) (handled bool, err error) {
	n := &nav{s: s, o: Options{Out: out, Lang: lang}}
	f := strings.Fields(line)
	if len(f) == 0 {
		return false, nil
	}
	switch f[0] {
	case "back", "forward":
		k := uint64(1)
		if len(f) > 1 {
			v, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil || v == 0 || len(f) > 2 {
				return true, fmt.Errorf("%s [n]: %q is not a positive number", f[0], strings.Join(f[1:], " "))
			}
			k = v
		}
		if f[0] == "back" {
			err = s.Back(k)
		} else {
			err = s.Forward(k)
		}
	case "goto":
		if len(f) != 2 {
			return true, errors.New("usage: goto #N | goto 12.5s")
		}
		err = n.gotoPos(f[1])
	case "until":
		return true, n.until(strings.TrimSpace(strings.TrimPrefix(line, "until")))
	default:
		return false, nil
	}
	if err != nil {
		return true, err
	}
	n.showCursor()
	return true, nil
}

func (p *player) run() error {
	for i := 0; ; {
		it, ok, err := p.t.item(i)
		if err != nil {
			return err
		}
		if !ok {
			if err := p.s.Extend(p.s.Len() + 1); err != nil {
				return err
			}
			return nil
		}
		p.print(it)
		i++
		if !p.o.Step {
			continue
		}
		if it.kind == itemTitle {
			p.skipping = false
		}
		if p.skipping || (it.kind != itemRecord && it.kind != itemStop) {
			continue
		}
		if err := p.s.Seek(it.n); err != nil {
			return err
		}
		p.jumped = false
		next, quit, err := p.prompt(i, it)
		if err != nil {
			return err
		}
		if quit {
			p.res.Quit = true
			return nil
		}
		i = next
	}
}

func (p *player) print(it item) {
	switch it.kind {
	case itemTitle:
		p.say("\n%s\n", it.text)
	case itemStop:
	default:
		p.say("%s\n", it.text)
	}
}

// prompt reads commands until one moves on; it returns the index of the
// next item to show.
func (p *player) prompt(next int, at item) (int, bool, error) {
	for {
		q := pick(p.o.Lang, "  [Enter: next, c: next checkpoint, back, goto, until, q: quit, help] ",
			"  [Enter: 다음, c: 다음 체크포인트, back, goto, until, q: 종료, help] ")
		if at.kind == itemStop {
			q = at.text
		}
		p.say("%s", q)
		line, err := p.o.In.ReadString('\n')
		if err != nil && line == "" {
			return 0, true, nil // end of input
		}
		cmd := strings.TrimSpace(line)
		f := strings.Fields(cmd)
		switch {
		case cmd == "" || cmd == "n" || cmd == "next":
			if p.jumped {
				return p.resumeAfter(p.s.Pos())
			}
			return next, false, nil
		case cmd == "c":
			p.skipping = true
			if p.jumped {
				return p.resumeAfter(p.s.Pos())
			}
			return next, false, nil
		case cmd == "q" || cmd == "quit":
			return 0, true, nil
		case cmd == "help" || cmd == "?":
			p.say("%s\n", StepHelpFor(string(p.o.Lang)))
		case f[0] == "back":
			n := uint64(1)
			if len(f) > 1 {
				v, err := strconv.ParseUint(f[1], 10, 64)
				if err != nil || v == 0 || len(f) > 2 {
					p.say("  back [n]: %q is not a positive number\n", strings.Join(f[1:], " "))
					continue
				}
				n = v
			}
			it, ok := p.backInTime(n)
			if !ok {
				p.say("  %s\n", pick(p.o.Lang, "no record shown before this one", "이보다 앞에 보여 준 기록이 없습니다"))
				continue
			}
			if err := p.s.Seek(it.n); err != nil {
				return 0, false, err
			}
			p.say("%s\n", it.text)
			p.jumped = true
		case f[0] == "goto":
			if len(f) != 2 {
				p.say("  usage: goto #N | goto 12.5s\n")
				continue
			}
			if err := p.gotoPos(f[1]); err != nil {
				p.say("  %v\n", err)
				continue
			}
			p.showCursor()
			p.jumped = true
		case f[0] == "until":
			if err := p.until(strings.TrimSpace(strings.TrimPrefix(cmd, "until"))); err != nil {
				p.say("  %v\n", err)
				continue
			}
			p.jumped = true
		default:
			p.view(cmd)
		}
	}
}

// backInTime finds the record shown n records before the cursor, in the
// order records happened (the tour shows each checkpoint's records
// together, so its order is not always time's).
func (p *player) backInTime(n uint64) (item, bool) {
	var before []item
	for _, it := range p.t.items {
		if it.kind == itemRecord && it.n < p.s.Pos() {
			before = append(before, it)
		}
	}
	if uint64(len(before)) < n {
		if len(before) == 0 {
			return item{}, false
		}
		n = uint64(len(before))
	}
	sort.Slice(before, func(i, j int) bool { return before[i].n < before[j].n })
	return before[uint64(len(before))-n], true
}

// resumeAfter continues the tour with the first record shown after n.
func (p *player) resumeAfter(n uint64) (int, bool, error) {
	for i := 0; ; i++ {
		it, ok, err := p.t.item(i)
		if err != nil {
			return 0, false, err
		}
		if !ok {
			return i, false, nil
		}
		if (it.kind == itemRecord || it.kind == itemStop || it.kind == itemTitle) && it.n > n {
			return i, false, nil
		}
	}
}

// view answers a view command at the cursor.
func (p *player) view(cmd string) {
	if !views.IsView(cmd) {
		p.say("  %s\n", pick(p.o.Lang, fmt.Sprintf("unknown command %q; type help", cmd), fmt.Sprintf("알 수 없는 명령 %q; help를 입력하세요", cmd)))
		return
	}
	if err := p.exec(cmd); err != nil {
		p.say("  %v\n", err)
	}
}

func (p *player) exec(cmd string) error {
	w, err := p.s.World()
	if err != nil {
		return err
	}
	c, _ := w.(*cluster.Cluster)
	return views.Exec(views.Context{Cluster: c, Session: p.s}, cmd, p.o.Out)
}

func (p *player) show(cmds []string) {
	for _, cmd := range cmds {
		p.say("\n%s\n", views.Prompt(cmd))
		if err := p.exec(cmd); err != nil {
			p.say("%v\n", err)
		}
	}
}

// at shows the record at o.At and the views there.
func (p *player) at() error {
	if err := p.gotoPos(p.o.At); err != nil {
		return err
	}
	p.say("at ")
	p.showCursor()
	p.show(p.o.Show)
	return nil
}

func (p *nav) gotoPos(arg string) error {
	if strings.HasPrefix(arg, "#") {
		n, err := strconv.ParseUint(arg[1:], 10, 64)
		if err != nil {
			return fmt.Errorf("goto %s: expected a record number such as #4871", arg)
		}
		return p.s.Seek(n)
	}
	d, err := time.ParseDuration(arg)
	if err != nil {
		return fmt.Errorf("goto %s: expected #N or a virtual time such as 12.5s", arg)
	}
	return p.s.SeekTime(d)
}

func (p *nav) showCursor() {
	e, ok := p.s.Entry(p.s.Pos())
	if !ok {
		return
	}
	p.say("%s\n", e.Text())
	if line := narrate.Line(e.Record, p.o.Lang); line != "" {
		p.say("    %s\n", line)
	}
}

func (p *nav) until(arg string) error {
	var bound time.Duration
	if i := strings.LastIndex(arg, " within "); i >= 0 {
		d, err := time.ParseDuration(strings.TrimSpace(arg[i+len(" within "):]))
		if err != nil || d <= 0 {
			return fmt.Errorf("until ... within %s: expected a positive duration such as 5m", strings.TrimSpace(arg[i+len(" within "):]))
		}
		arg, bound = strings.TrimSpace(arg[:i]), d
	}
	cond, err := views.ParseCondition(arg)
	if err != nil {
		return err
	}
	out, err := p.s.Until(func(w any) bool {
		c, ok := w.(*cluster.Cluster)
		return ok && cond.Holds(c)
	}, bound)
	if err != nil {
		return err
	}
	switch out {
	case cursor.Held:
		p.say("  %s\n", pick(p.o.Lang, fmt.Sprintf("%s holds at #%d:", cond.Text, p.s.Pos()), fmt.Sprintf("#%d에서 %s 조건이 성립합니다:", p.s.Pos(), cond.Text)))
	case cursor.AtBound:
		p.say("  %s\n", pick(p.o.Lang, fmt.Sprintf("%s did not hold within %s; stopped at #%d:", cond.Text, bound, p.s.Pos()), fmt.Sprintf("%s 안에 %s 조건이 성립하지 않아 #%d에서 멈췄습니다:", bound, cond.Text, p.s.Pos())))
	case cursor.AtEnd:
		p.say("  %s\n", pick(p.o.Lang, fmt.Sprintf("%s never held: the run ended at #%d:", cond.Text, p.s.Pos()), fmt.Sprintf("%s 조건이 끝까지 성립하지 않았습니다: 실행이 #%d에서 끝났습니다:", cond.Text, p.s.Pos())))
	}
	p.showCursor()
	return nil
}

// ShownRecords sorts records by their place in the run, for exports that
// draw time (a sequence diagram).
func ShownRecords(recs []sim.Record) []sim.Record {
	out := append([]sim.Record(nil), recs...)
	sort.Slice(out, func(i, j int) bool { return out[i].N < out[j].N })
	return out
}
