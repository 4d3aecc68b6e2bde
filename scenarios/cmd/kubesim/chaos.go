package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/kubesim/kubesim/scenarios/chaos"
	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/kubesim/kubesim/sim/cluster"
)

func chaosUsage(ko bool) string {
	var kinds strings.Builder
	for _, k := range chaos.Kinds {
		help := k.Help
		if ko {
			help = k.Ko
		}
		fmt.Fprintf(&kinds, "  %-14s %s\n", k.Name, help)
	}
	if ko {
		return `사용법: kubesim chaos [--seed S] [--duration 30m] [--faults 종류,...] [--settle 10m] [--emit-drill FILE] [--lang en|ko]

워크로드(Service가 딸린 Deployment 몇 개, Service에 curl과 nslookup을 보내는 client 파드)를
컨트롤 플레인 노드 셋(etcd 멤버 셋)과 워커 셋인 클러스터에서 돌리면서, 시드가 정한 무작위 장애를
--duration 동안의 가상 시간에 일으킵니다. 그 뒤 모두 복구하고(멈춘 것은 재시작, 노드 전원 켬,
끊긴 연결 복구), --settle 안에 안정되기를 기다린 뒤 불변 조건마다 PASS/FAIL을 출력합니다:
모두 복구됨, Deployment 수렴, kube-system 안정, 두 노드에서 도는 파드 없음, 파드 IP와 ClusterIP
고유, EndpointSlice와 모든 노드의 규칙이 Service와 일치, DNS 응답 일치, Service 응답, 고루틴 누수 없음.
같은 시드는 같은 일정, 같은 트레이스, 같은 판정을 냅니다. 실패하면 다시 실행할 명령을 출력합니다.
종료 코드: 0 통과, 1 실패, 2 잘못된 플래그.

장애 종류 (--faults, 쉼표로 구분; 기본값 all):
` + kinds.String() + `
플래그:
  --seed S           모든 무작위 선택의 시드 (기본값 1)
  --duration D       장애를 일으킬 가상 시간 (기본값 30m)
  --faults LIST      장애 종류, 쉼표로 구분, 또는 all
  --settle D         복구 뒤 안정되기를 기다리는 가상 시간의 상한 (기본값 10m)
  --emit-drill FILE  일정을 드릴 파일로 씁니다 (kubesim run FILE로 강사가 다시 재생)
  --lang en|ko       출력 언어
`
	}
	return `Usage: kubesim chaos [--seed S] [--duration 30m] [--faults KIND,...] [--settle 10m] [--emit-drill FILE] [--lang en|ko]

Runs a workload (a few Deployments with Services, a client pod sending curl and
nslookup to them) on a cluster of three control-plane nodes (three etcd members)
and three workers, under random faults that the seed draws over --duration of
virtual time. Then it heals everything (restarts what is down, powers nodes on,
heals cut links), lets the cluster settle for at most --settle, and prints PASS
or FAIL per invariant: everything healed, Deployments converge, kube-system
settles, no pod runs on two nodes, pod IPs and ClusterIPs are unique,
EndpointSlices and every node's rules match the Services, DNS answers match,
Services answer, no goroutine leaks. The same seed gives the same schedule,
trace and verdict; a failing run prints the command that replays it.
Exit status: 0 pass, 1 fail, 2 bad flags.

Fault kinds (--faults, comma-separated; default all):
` + kinds.String() + `
Flags:
  --seed S           seed of every random choice (default 1)
  --duration D       virtual time over which faults are injected (default 30m)
  --faults LIST      fault kinds, comma-separated, or all
  --settle D         bound on the virtual time the healed cluster gets to settle (default 10m)
  --emit-drill FILE  write the schedule as a drill file (instructors replay it: kubesim run FILE)
  --lang en|ko       output language
`
}

// chaosBreak, if set, breaks the settled cluster before the invariants are
// checked (tests of the exit status use it).
var chaosBreak func(*cluster.Cluster)

func cmdChaos(args []string, stdout, stderr io.Writer) int {
	ko := false
	for i, a := range args {
		if (a == "--lang" || a == "-lang") && i+1 < len(args) && args[i+1] == "ko" {
			ko = true
		}
		if a == "--lang=ko" || a == "-lang=ko" {
			ko = true
		}
	}
	var c common
	var duration, settle time.Duration
	var faults, emit string
	fs := newFlags("chaos", "chaos", stderr, &c)
	fs.DurationVar(&duration, "duration", 30*time.Minute, "virtual time over which faults are injected")
	fs.DurationVar(&settle, "settle", chaos.DefaultSettle, "bound on the virtual time the healed cluster gets to settle")
	fs.StringVar(&faults, "faults", "all", "fault kinds, comma-separated, or all")
	fs.StringVar(&emit, "emit-drill", "", "write the schedule as a drill file")
	fs.Usage = func() { fmt.Fprint(stderr, chaosUsage(ko)) }
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" {
			fmt.Fprint(stdout, chaosUsage(ko))
			return 0
		}
	}
	if code, ok := parse(fs, args); !ok {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "kubesim chaos: "+format+"\n", a...)
		return 2
	}
	lang, err := narrate.ParseLang(c.lang)
	if err != nil {
		return fail("%v", err)
	}
	if fs.NArg() > 0 {
		return fail("unexpected argument %q (kubesim chaos --help lists the flags)", fs.Arg(0))
	}
	kinds, err := chaos.ParseKinds(faults)
	if err != nil {
		return fail("%v", err)
	}
	if duration <= 0 {
		return fail("--duration must be more than 0, got %s", duration)
	}
	if settle <= 0 {
		return fail("--settle must be more than 0, got %s", settle)
	}
	if emit != "" {
		plan, err := chaos.NewPlan(c.seed, duration, kinds)
		if err != nil {
			return fail("%v", err)
		}
		if err := os.WriteFile(emit, plan.Drill(), 0o644); err != nil {
			fmt.Fprintln(stderr, "kubesim chaos:", err)
			return 1
		}
		if lang == narrate.Korean {
			fmt.Fprintf(stdout, "드릴 %s를 %s에 썼습니다 (kubesim run %s)\n\n", plan.Name(), emit, emit)
		} else {
			fmt.Fprintf(stdout, "wrote the drill %s to %s (kubesim run %s)\n\n", plan.Name(), emit, emit)
		}
	}
	res, err := chaos.Run(chaos.Options{Seed: c.seed, Duration: duration, Kinds: kinds, Settle: settle, Lang: string(lang), Out: stdout, Break: chaosBreak})
	if err != nil {
		fmt.Fprintln(stderr, "kubesim chaos:", err)
		return 1
	}
	if !res.Passed {
		return 1
	}
	return 0
}
