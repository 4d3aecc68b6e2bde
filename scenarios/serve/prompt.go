package serve

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/kubesim/kubesim/scenarios/play"
	"github.com/kubesim/kubesim/scenarios/views"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
)

// Messages of the prompt, in English and Korean.
var messages = map[string]map[string]string{
	"en": {
		"help": `Commands:
  advance <duration>   run the simulation for that much virtual time (advance 30s, advance 5m)
  step [n]             deliver the next event (or n events) and print it
  pause | resume       stop or restart virtual time (requests are still served)
  speed <factor>       virtual seconds per wall-clock second (speed 10)
  time                 show the virtual time
  trace [n]            print the last n trace records (default 20)
  ssh <node>           a shell on the node (files, systemctl, journalctl, crictl, etcdctl, ...); exit leaves
  quit                 stop the cluster and exit
Time travel (while paused): the run so far is replayed on a second cluster, and the
views read it at the record asked for; the served cluster stays where it is:
` + play.NavHelp + `
  live                 back to the served cluster, now
Views of the cluster (out of band: looking changes nothing):
` + views.Help,
		"time":       "virtual time %s (%s), %s",
		"paused":     "paused",
		"running":    "running at %gx",
		"advanced":   "advanced to %s",
		"nothing":    "no event is queued",
		"unknown":    "unknown command %q; type help",
		"baddur":     "cannot read %q as a duration (e.g. 30s, 5m, 1h)",
		"badspeed":   "cannot read %q as a positive factor",
		"bye":        "stopping the cluster",
		"pausefirst": "time travel works while paused: type pause first",
		"past":       "(in the past at #%d; `live` returns to the served cluster)",
		"live":       "back to the served cluster",
		"sshusage":   "usage: ssh <node> (nodes: %s)",
		"sshpast":    "the node shell works on the served cluster: type live first",
	},
	"ko": {
		"help": `명령:
  advance <기간>       가상 시간을 그만큼 진행합니다 (advance 30s, advance 5m)
  step [n]             다음 이벤트 하나(또는 n개)를 전달하고 보여 줍니다
  pause | resume       가상 시간을 멈추거나 다시 흐르게 합니다 (요청은 계속 처리됩니다)
  speed <배율>         실제 1초당 가상 시간 초 (speed 10)
  time                 현재 가상 시간을 보여 줍니다
  trace [n]            마지막 n개의 트레이스 기록 (기본 20)
  ssh <노드>           노드의 셸 (파일, systemctl, journalctl, crictl, etcdctl 등); exit로 나옵니다
  quit                 클러스터를 멈추고 종료합니다
시간 여행 (일시 정지 중): 지금까지의 실행을 두 번째 클러스터에서 다시 재생하고, 조회 명령은
요청한 기록 시점의 그 클러스터를 읽습니다. 서비스 중인 클러스터는 그대로 있습니다:
` + play.NavHelpKo + `
  live                 서비스 중인 현재 클러스터로 돌아옵니다
클러스터 보기 (대역 외 조회: 보는 것은 아무것도 바꾸지 않습니다):
` + views.HelpKo,
		"time":       "가상 시간 %s (%s), %s",
		"paused":     "일시 정지됨",
		"running":    "%g배 속도로 진행 중",
		"advanced":   "%s까지 진행했습니다",
		"nothing":    "대기 중인 이벤트가 없습니다",
		"unknown":    "알 수 없는 명령 %q; help를 입력하세요",
		"baddur":     "%q을(를) 기간으로 읽을 수 없습니다 (예: 30s, 5m, 1h)",
		"badspeed":   "%q을(를) 양수 배율로 읽을 수 없습니다",
		"bye":        "클러스터를 멈춥니다",
		"pausefirst": "시간 여행은 일시 정지 중에만 됩니다: 먼저 pause를 입력하세요",
		"past":       "(#%d 시점의 과거에 있습니다. `live`로 서비스 중인 클러스터로 돌아옵니다)",
		"live":       "서비스 중인 클러스터로 돌아왔습니다",
		"sshusage":   "사용법: ssh <노드> (노드: %s)",
		"sshpast":    "노드 셸은 서비스 중인 클러스터에서 동작합니다: 먼저 live를 입력하세요",
	},
}

func msg(lang, key string) string {
	if m, ok := messages[lang]; ok {
		return m[key]
	}
	return messages["en"][key]
}

// PromptEnd says why a prompt ended.
type PromptEnd int

const (
	// EndOfInput: the input reached its end (Ctrl-D, a pipe that closed,
	// /dev/null).
	EndOfInput PromptEnd = iota
	// Quit: the quit command.
	Quit
	// Cancelled: the context ended (Ctrl-C, SIGTERM).
	Cancelled
)

// Prompt reads commands from in until it ends, ctx ends or `quit`; it
// reports on out. It returns nil at the end of input.
func (s *Server) Prompt(ctx context.Context, in io.Reader, out io.Writer, lang string) error {
	_, err := s.PromptUntil(ctx, in, out, lang)
	return err
}

// PromptUntil is Prompt that also says why the prompt ended, so that a
// command can keep serving after its input has ended.
func (s *Server) PromptUntil(ctx context.Context, in io.Reader, out io.Writer, lang string) (PromptEnd, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // lets the reader go once it has read its line
	defer s.leavePast()
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return Cancelled, nil
		case line, ok := <-lines:
			if !ok {
				return EndOfInput, nil
			}
			if s.sshNode != "" {
				s.shellLine(ctx, line, out)
				continue
			}
			if f := strings.Fields(line); len(f) > 0 && f[0] == "ssh" {
				s.ssh(ctx, f[1:], out, lang)
				continue
			}
			if quit := s.command(ctx, strings.Fields(line), out, lang); quit {
				fmt.Fprintln(out, msg(lang, "bye"))
				return Quit, nil
			}
		}
	}
}

func (s *Server) command(ctx context.Context, f []string, out io.Writer, lang string) (quit bool) {
	if len(f) == 0 {
		return false
	}
	for _, c := range s.cfg.Commands {
		if c.Name == f[0] {
			c.Run(ctx, f[1:], out)
			return false
		}
	}
	switch f[0] {
	case "help", "?":
		for _, c := range s.cfg.Commands {
			fmt.Fprintln(out, "  "+c.Help)
		}
		fmt.Fprintln(out, msg(lang, "help"))
	case "quit", "exit", "q":
		return true
	case "advance", "a":
		if len(f) != 2 {
			fmt.Fprintf(out, msg(lang, "baddur")+"\n", strings.Join(f[1:], " "))
			return false
		}
		d, err := time.ParseDuration(f[1])
		if err != nil || d < 0 {
			fmt.Fprintf(out, msg(lang, "baddur")+"\n", f[1])
			return false
		}
		if s.Advance(ctx, d) == nil {
			fmt.Fprintf(out, msg(lang, "advanced")+"\n", strings.TrimSpace(sim.FormatVirtual(s.virtualNow(ctx))))
		}
	case "step", "s":
		n := 1
		if len(f) > 1 {
			if v, err := strconv.Atoi(f[1]); err == nil && v > 0 {
				n = v
			}
		}
		for i := 0; i < n; i++ {
			line, err := s.Step(ctx)
			if err != nil {
				return false
			}
			if line == "" {
				fmt.Fprintln(out, msg(lang, "nothing"))
				break
			}
			fmt.Fprintln(out, line)
		}
	case "pause":
		s.SetPaused(true)
		s.printTime(ctx, out, lang)
	case "resume", "run":
		s.SetPaused(false)
		s.printTime(ctx, out, lang)
	case "speed":
		v, err := strconv.ParseFloat(strings.TrimSuffix(strings.Join(f[1:], ""), "x"), 64)
		if err != nil || v <= 0 {
			fmt.Fprintf(out, msg(lang, "badspeed")+"\n", strings.Join(f[1:], " "))
			return false
		}
		s.SetSpeed(v)
		s.printTime(ctx, out, lang)
	case "time", "t":
		s.printTime(ctx, out, lang)
	case "back", "forward", "goto", "until":
		if !s.Paused() {
			fmt.Fprintln(out, msg(lang, "pausefirst"))
			return false
		}
		if s.past == nil {
			sess, err := s.openTravel(ctx)
			if err != nil {
				fmt.Fprintln(out, err)
				return false
			}
			s.past = sess
		}
		l, _ := narrate.ParseLang(lang)
		if _, err := play.Navigate(s.past, strings.Join(f, " "), l, out); err != nil {
			fmt.Fprintln(out, "  "+err.Error())
		}
		fmt.Fprintf(out, msg(lang, "past")+"\n", s.past.Pos())
	case "live":
		if s.past != nil {
			s.leavePast()
			fmt.Fprintln(out, msg(lang, "live"))
		}
	default:
		line := strings.Join(f, " ")
		if !views.IsView(line) {
			fmt.Fprintf(out, msg(lang, "unknown")+"\n", f[0])
			return false
		}
		var err error
		if s.past != nil {
			err = s.past.Inspect(func(w any) error {
				return views.Exec(views.Context{Cluster: w.(*cluster.Cluster), Session: s.past}, line, out)
			})
		} else if e := s.Do(ctx, func(c *cluster.Cluster) { err = views.Exec(views.Context{Cluster: c}, line, out) }); e != nil {
			return false
		}
		if err != nil {
			fmt.Fprintln(out, err)
		}
	}
	return false
}

// leavePast closes the time-travel cursor, if one is open.
func (s *Server) leavePast() {
	if s.past != nil {
		s.past.Close()
		s.past = nil
	}
}

func (s *Server) virtualNow(ctx context.Context) time.Duration {
	var d time.Duration
	s.Do(ctx, func(c *cluster.Cluster) { d = c.K.Now() })
	return d
}

func (s *Server) printTime(ctx context.Context, out io.Writer, lang string) {
	state := msg(lang, "paused")
	if !s.Paused() {
		state = fmt.Sprintf(msg(lang, "running"), s.Speed())
	}
	fmt.Fprintf(out, msg(lang, "time")+"\n", strings.TrimSpace(sim.FormatVirtual(s.virtualNow(ctx))), s.Now().Format(time.RFC3339), state)
}

// ssh puts the prompt on a node: the lines that follow go to the node's
// shell until exit.
func (s *Server) ssh(ctx context.Context, args []string, out io.Writer, lang string) {
	var nodes []string
	if err := s.Do(ctx, func(c *cluster.Cluster) { nodes = c.NodeNames() }); err != nil {
		return
	}
	if len(args) != 1 || !slices.Contains(nodes, strings.TrimPrefix(args[0], "root@")) {
		fmt.Fprintf(out, msg(lang, "sshusage")+"\n", strings.Join(nodes, ", "))
		return
	}
	if s.past != nil {
		fmt.Fprintln(out, msg(lang, "sshpast"))
		return
	}
	s.sshNode = strings.TrimPrefix(args[0], "root@")
	fmt.Fprint(out, ShellPrompt(s.sshNode))
}
