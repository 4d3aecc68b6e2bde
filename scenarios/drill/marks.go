package drill

import (
	"fmt"
	"strings"

	"github.com/kubesim/kubesim/scenarios/narrate"
)

// The marks a drill's run writes (package play shows them).
const (
	kindHeader   = "drill"
	kindStep     = "drill-step"
	kindStepDone = "drill-step-done"
	kindSection  = "drill-expectations"
	kindGrade    = "grade"
	kindVerdict  = "verdict"
)

func lang(l narrate.Lang) string { return string(l) }

type header struct {
	dr   *Drill
	seed uint64
}

func (h header) Summary() string { return fmt.Sprintf("drill %s (seed %d)", h.dr.Name, h.seed) }

func (h header) Render(l narrate.Lang) string {
	s := fmt.Sprintf("drill %s — %s (seed %d)", h.dr.Name, h.dr.Title.In(lang(l)), h.seed)
	if d := strings.TrimRight(h.dr.Description.In(lang(l)), "\n"); d != "" {
		s += "\n" + d
	}
	return s
}

// stepStart is a step about to run: step mode waits here.
type stepStart struct {
	index, total int
	at           string
	step         *Step
	action       string
}

func (s stepStart) title(l string) string {
	if s.step.Name.En != "" {
		return s.step.Name.In(l)
	}
	if l == "ko" {
		if ko, ok := actionKo[s.action]; ok {
			return s.action + " (" + ko + ")"
		}
	}
	return s.action
}

// actionKo names each step action in Korean, for steps without a name.
var actionKo = map[string]string{
	"apply": "매니페스트 적용", "applyFile": "파일 적용", "delete": "삭제", "scale": "레플리카 수 변경",
	"cordon": "스케줄 금지", "uncordon": "스케줄 허용", "drain": "노드 비우기", "taint": "taint 변경", "kill": "강제 종료",
	"restart": "재시작", "stopNode": "노드 전원 끄기", "startNode": "노드 전원 켜기", "stopZone": "존 전원 끄기", "startZone": "존 전원 켜기", "partition": "연결 끊기",
	"heal": "연결 복구", "advance": "시간 경과", "wait": "기다림", "exec": "파드 안에서 실행",
	"snapshot": "스냅샷 저장", "restore": "스냅샷 복원", "moveLeader": "리더 옮기기",
}

func (s stepStart) Summary() string { return fmt.Sprintf("step %d: %s", s.index+1, s.title("en")) }

func (s stepStart) Render(l narrate.Lang) string {
	out := fmt.Sprintf("\n[%s] %s %d: %s", s.at, pick(lang(l), "step", "단계"), s.index+1, s.title(lang(l)))
	if n := s.step.Narrate.In(lang(l)); n != "" {
		out += "\n    " + strings.ReplaceAll(strings.TrimSpace(n), "\n", "\n    ")
	}
	return out
}

func (s stepStart) Question(l narrate.Lang) string {
	return pick(lang(l),
		fmt.Sprintf("  [step %d of %d — Enter: run it, c: run the rest, back/goto/until, q: quit, help] ", s.index+1, s.total),
		fmt.Sprintf("  [%d/%d 단계 — Enter: 실행, c: 나머지 모두 실행, back/goto/until, q: 종료, help] ", s.index+1, s.total))
}

type stepDone struct{ output, err Text }

func (s stepDone) Summary() string {
	if s.err.En != "" {
		return "error: " + s.err.En
	}
	return "done"
}

func (s stepDone) Render(l narrate.Lang) string {
	var lines []string
	if out := s.output.In(lang(l)); out != "" {
		lines = append(lines, "    "+strings.ReplaceAll(out, "\n", "\n    "))
	}
	if e := s.err.In(lang(l)); e != "" {
		lines = append(lines, "    "+pick(lang(l), "ERROR: ", "오류: ")+e)
	}
	return strings.Join(lines, "\n")
}

type section struct{}

func (section) Summary() string { return "expectations" }

func (section) Render(l narrate.Lang) string {
	return "\n== " + pick(lang(l), "Expectations", "기대 결과")
}

type gradeMark struct{ g Grade }

func (m gradeMark) Summary() string {
	return fmt.Sprintf("%s %s", passFail(m.g.Passed, "en"), m.g.Name)
}

func (m gradeMark) Render(l narrate.Lang) string {
	g := m.g
	name, want, saw := g.In(lang(l))
	return fmt.Sprintf("    %s %s (%s %d): %s %s; %s %s", passFail(g.Passed, lang(l)), name, pick(lang(l), "line", "줄"), g.Line,
		pick(lang(l), "want", "기대:"), want, pick(lang(l), "saw", "관찰:"), saw)
}

func passFail(ok bool, l string) string {
	switch {
	case ok && l == "ko":
		return "통과"
	case ok:
		return "PASS"
	case l == "ko":
		return "실패"
	}
	return "FAIL"
}

type verdict struct{ passed bool }

func (v verdict) Summary() string { return passFail(v.passed, "en") }

func (v verdict) Render(l narrate.Lang) string {
	if v.passed {
		return "\n" + pick(lang(l), "PASSED", "통과")
	}
	return "\n" + pick(lang(l), "FAILED", "실패")
}
