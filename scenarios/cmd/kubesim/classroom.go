package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kubesim/kubesim/scenarios/serve"
)

// classroomFlags are `kubesim serve`'s classroom flags: --users names the
// trainees, --instructor the cluster-admin user, --kubeconfig-dir where
// their kubeconfigs go, --audit-log the audit log (by default, in a
// classroom, audit.log beside the kubeconfigs).
type classroomFlags struct {
	users, instructor, dir, auditLog, advertise string
}

func (f *classroomFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.users, "users", "", "serve a classroom: the trainees, comma-separated (alice,bob); each gets a client certificate, a namespace named after it and the edit role there; requests without credentials are refused")
	fs.StringVar(&f.instructor, "instructor", serve.DefaultInstructor, "with --users: the name of the instructor, who is cluster-admin")
	fs.StringVar(&f.dir, "kubeconfig-dir", "kubesim-classroom", "with --users: where to write <user>.kubeconfig for every user")
	fs.StringVar(&f.auditLog, "audit-log", "", "write an audit log (audit.k8s.io/v1 Events, JSON lines) to this file; with --users the default is audit.log in --kubeconfig-dir")
	fs.StringVar(&f.advertise, "advertise-address", "", "with --users: the host name or address trainees reach this machine at, written into their kubeconfigs (default: the listen address)")
}

// parse returns the trainees named by --users.
func (f *classroomFlags) parse() ([]string, error) {
	if f.users == "" {
		return nil, nil
	}
	users := strings.Split(f.users, ",")
	for i, u := range users {
		users[i] = strings.TrimSpace(u)
		if users[i] == "" {
			return nil, fmt.Errorf("--users %q: name %d is empty: expected names separated by commas, such as alice,bob", f.users, i+1)
		}
	}
	return users, nil
}

// auditFile is the open audit log, if any.
type auditFile struct {
	f    *os.File
	path string
}

// openAudit opens the audit log for appending (mode 0600: it names every
// user's requests), making its directory if needed.
func (f *classroomFlags) openAudit(users []string) (*auditFile, error) {
	path := f.auditLog
	if path == "" && len(users) > 0 {
		path = filepath.Join(f.dir, "audit.log")
	}
	if path == "" {
		return &auditFile{}, nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("--audit-log %s: %w", path, err)
	}
	file, err := os.OpenFile(abs, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("--audit-log %s: %w", path, err)
	}
	return &auditFile{f: file, path: abs}, nil
}

// writer is the log's writer, nil (no log) when none is open.
func (a *auditFile) writer() io.Writer {
	if a == nil || a.f == nil {
		return nil
	}
	return a.f
}

func (a *auditFile) Close() error {
	if a == nil || a.f == nil {
		return nil
	}
	return a.f.Close()
}

// classroomIntro is `kubesim serve --users`' banner: where each user's
// kubeconfig is (the instructor's first), what they may do, and where the
// audit log goes.
func classroomIntro(lang, url, advertised string, kubeconfigs []string, auditPath string, seed uint64, speed float64, paused bool, listen string) string {
	name := func(p string) string { return strings.TrimSuffix(filepath.Base(p), ".kubeconfig") }
	var b strings.Builder
	if lang == "ko" {
		fmt.Fprintf(&b, "kubesim serve: 시뮬레이션 클러스터(시드 %d)가 %s 에서 교실 모드로 요청을 기다립니다.\n", seed, url)
		if paused {
			b.WriteString("가상 시간은 멈춰 있습니다. 프롬프트에서 advance 30s 또는 step 으로 진행하세요.\n")
		} else {
			fmt.Fprintf(&b, "가상 시간은 실제 시간의 %g배 속도로 흐릅니다.\n", speed)
		}
		fmt.Fprintf(&b, "\n사용자마다 이 실행의 CA 가 서명한 클라이언트 인증서가 든 kubeconfig 가 있습니다 (서버 %s):\n", advertised)
		fmt.Fprintf(&b, "  %-12s %s   (강사: cluster-admin)\n", name(kubeconfigs[0]), kubeconfigs[0])
		for _, p := range kubeconfigs[1:] {
			fmt.Fprintf(&b, "  %-12s %s   (네임스페이스 %s 에서 edit 역할)\n", name(p), p, name(p))
		}
		fmt.Fprintf(&b, `
각 교육생에게 자기 파일만 나눠 주세요. 예:
  kubectl --kubeconfig %s get pods
  kubectl --kubeconfig %s auth can-i --list

교육생은 자기 네임스페이스만 다룰 수 있습니다. 노드 목록이나 다른 교육생의 네임스페이스는 403 Forbidden 입니다.
자격 증명이 없는 요청은 401 Unauthorized 로 거절됩니다.
`, kubeconfigs[len(kubeconfigs)-1], kubeconfigs[len(kubeconfigs)-1])
		if auditPath != "" {
			fmt.Fprintf(&b, "감사 로그(audit.k8s.io/v1 Event, 한 줄에 하나): %s\n", auditPath)
		}
		if !serve.IsLoopback(listen) {
			fmt.Fprintf(&b, "%s 는 다른 컴퓨터에서 접속할 수 있습니다. 인증서가 있어야만 요청이 통과합니다.\n", listen)
		}
		b.WriteString("help 를 입력하면 프롬프트 명령을 볼 수 있습니다. Ctrl-C 또는 quit 으로 클러스터를 멈춥니다.\n")
		return b.String()
	}
	fmt.Fprintf(&b, "kubesim serve: a simulated cluster (seed %d) is listening on %s as a classroom\n", seed, url)
	if paused {
		b.WriteString("Virtual time is paused: move it from the prompt with advance 30s or step.\n")
	} else {
		fmt.Fprintf(&b, "Virtual time runs at %gx the wall clock.\n", speed)
	}
	fmt.Fprintf(&b, "\nEach user has a kubeconfig with a client certificate signed by this run's CA (server %s):\n", advertised)
	fmt.Fprintf(&b, "  %-12s %s   (the instructor: cluster-admin)\n", name(kubeconfigs[0]), kubeconfigs[0])
	for _, p := range kubeconfigs[1:] {
		fmt.Fprintf(&b, "  %-12s %s   (role edit in namespace %s)\n", name(p), p, name(p))
	}
	fmt.Fprintf(&b, `
Hand each trainee their own file only. For example:
  kubectl --kubeconfig %s get pods
  kubectl --kubeconfig %s auth can-i --list

A trainee works in their own namespace; nodes and other trainees' namespaces are 403 Forbidden.
Requests without credentials are refused with 401 Unauthorized.
`, kubeconfigs[len(kubeconfigs)-1], kubeconfigs[len(kubeconfigs)-1])
	if auditPath != "" {
		fmt.Fprintf(&b, "Audit log (audit.k8s.io/v1 Events, one a line): %s\n", auditPath)
	}
	if !serve.IsLoopback(listen) {
		fmt.Fprintf(&b, "%s is reachable from other machines: only requests with a certificate get through.\n", listen)
	}
	b.WriteString("Type help for the prompt's commands; Ctrl-C or quit stops the cluster.\n")
	return b.String()
}
