package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/kubesim/kubesim/scenarios/drill"
	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/kubesim/kubesim/scenarios/serve"
	"github.com/kubesim/kubesim/scenarios/web"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
)

// lockedWriter lets the kernel's trace printer and the prompt share stdout.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// cmdServe is `kubesim serve`: a simulated cluster the real kubectl can
// talk to.
func cmdServe(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var c common
	var listen, dnsListen, kubeconfig, drillFile, show string
	var class classroomFlags
	var speed float64
	var paused, fixedEpoch, nonLoopback bool
	fs := newFlags("serve", "serve [flags]", stderr, &c)
	fs.StringVar(&listen, "listen", "127.0.0.1:0", "address to listen on (port 0 picks a free one); only the loopback interface unless --allow-non-loopback")
	fs.BoolVar(&nonLoopback, "allow-non-loopback", false, "allow --listen on an address other machines can reach (whoever holds the kubeconfig is cluster-admin)")
	fs.StringVar(&dnsListen, "dns-listen", "", "also answer DNS (UDP and TCP) on this address through the simulated CoreDNS, e.g. 127.0.0.1:5353")
	fs.StringVar(&kubeconfig, "kubeconfig", "kubesim.kubeconfig", "where to write the kubeconfig for kubectl")
	fs.StringVar(&drillFile, "drill", "", "boot the cluster of this drill (a built-in name or a drill .yaml file) instead of the default one")
	fs.Float64Var(&speed, "speed", 1, "virtual seconds per wall-clock second")
	fs.BoolVar(&paused, "paused", false, "start with virtual time stopped; move it from the prompt (advance 30s, step)")
	fs.BoolVar(&fixedEpoch, "fixed-epoch", false, "start the cluster's clock at kubesim's fixed epoch instead of now: reproducible timestamps, but kubectl's own ages (describe, events) are then off")
	class.register(fs)
	fs.StringVar(&show, "show", "kubectl", "trace records to print as they happen: kubectl (requests from kubectl and their answers), all, or none")
	seedSet := false
	for _, a := range args {
		if a == "--seed" || a == "-seed" || strings.HasPrefix(a, "--seed=") || strings.HasPrefix(a, "-seed=") {
			seedSet = true
		}
	}
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "kubesim: serve takes no arguments, got %q\n", fs.Args())
		return 2
	}
	if c.lang != "en" && c.lang != "ko" {
		fmt.Fprintf(stderr, "kubesim: unknown language %q: expected en or ko\n", c.lang)
		return 2
	}
	if speed <= 0 {
		fmt.Fprintf(stderr, "kubesim: --speed must be positive, got %v\n", speed)
		return 2
	}
	switch show {
	case "kubectl", "all", "none":
	default:
		fmt.Fprintf(stderr, "kubesim: --show must be kubectl, all or none, got %q\n", show)
		return 2
	}
	users, err := class.parse()
	if err != nil {
		fmt.Fprintln(stderr, "kubesim:", err)
		return 2
	}
	out := &lockedWriter{w: stdout}
	cfg := cluster.Config{Seed: c.seed, Addons: true, MetricsServer: true}
	if drillFile != "" {
		d, _, err := loadDrill(drillFile)
		if err == nil && d == nil {
			d, err = drill.Load(drillFile)
		}
		if err != nil {
			fmt.Fprintln(stderr, "kubesim:", err)
			return 2
		}
		// The drill's own cluster, as its runner boots it: node names,
		// capacity, zones, labels, taints, etcd members, kube-proxy mode;
		// and its seed unless --seed says otherwise.
		if !seedSet {
			c.seed = d.Seed
		}
		cfg = d.ClusterConfig(c.seed)
	}
	if !fixedEpoch {
		// kubectl computes some ages itself (describe's events, describe
		// node) from its own clock: start the cluster's clock a little
		// before now, so that paced at speed 1 they read right once it has
		// booted.
		cfg.Options = append(cfg.Options, sim.WithEpoch(time.Now().Add(-5*time.Second).Truncate(time.Second)))
	}
	// The cluster as booted, for the prompt's time travel (it replays the
	// run on a second cluster booted the same way, without the printer).
	base := cfg
	base.Options = append([]sim.Option(nil), cfg.Options...)
	boot := func(adjust func(*cluster.Config)) (*cluster.Cluster, error) {
		c := base
		c.Options = append([]sim.Option(nil), base.Options...)
		adjust(&c)
		return cluster.New(c)
	}
	var printing bool // set once the cluster has booted: the boot is not shown
	if show != "none" {
		cfg.Options = append(cfg.Options, sim.WithTraceSink(func(r sim.Record) {
			if printing && (show == "all" || r.From == "kubectl" || r.To == "kubectl") {
				fmt.Fprintln(out, r.Text())
			}
		}))
	}
	cl, err := cluster.New(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "kubesim:", err)
		return 1
	}
	audit, err := class.openAudit(users)
	if err != nil {
		cl.Stop()
		fmt.Fprintln(stderr, "kubesim:", err)
		return 1
	}
	defer audit.Close()
	var srv *serve.Server
	uiCommand := serve.Command{Name: "ui",
		Help: pick(narrate.Lang(c.lang), "ui                   a new one-time link to the web view (the last one stops working)", "ui                   웹 보기로 가는 새 일회용 링크 (이전 링크는 더 이상 쓸 수 없습니다)"),
		Run:  func(_ context.Context, _ []string, w io.Writer) { fmt.Fprint(w, uiLine(c.lang, srv.UILink())) }}
	srv, err = serve.New(serve.Config{Cluster: cl, Boot: boot, Listen: listen, DNSListen: dnsListen, Speed: speed, Paused: paused, AllowNonLoopback: nonLoopback,
		Users: users, Instructor: class.instructor, AdvertiseAddress: class.advertise, AuditLog: audit.writer(),
		UI: func(s *serve.Server) http.Handler {
			return web.NewLive(s, web.Run{Name: "kubesim serve", Seed: c.seed})
		},
		Commands: []serve.Command{uiCommand}})
	if err != nil {
		cl.Stop()
		if len(users) == 0 {
			fmt.Fprintln(stderr, "kubesim:", err, "(--allow-non-loopback)")
		} else {
			fmt.Fprintln(stderr, "kubesim:", err)
		}
		return 2
	}
	if len(users) == 0 {
		warnNonLoopback(stderr, c.lang, listen)
	}
	if err := srv.Listen(); err != nil {
		cl.Stop()
		fmt.Fprintln(stderr, "kubesim:", err)
		return 1
	}
	path, _ := filepath.Abs(kubeconfig)
	var classPaths []string
	if len(users) > 0 {
		dir, _ := filepath.Abs(class.dir)
		classPaths, err = srv.WriteKubeconfigs(dir)
	} else {
		err = srv.WriteKubeconfig(path, "kubernetes-admin")
	}
	if err != nil {
		cl.Stop()
		fmt.Fprintln(stderr, "kubesim:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	printing = true
	if len(users) > 0 {
		fmt.Fprint(out, classroomIntro(c.lang, srv.URL(), srv.AdvertisedURL(), classPaths, audit.path, c.seed, speed, paused, listen))
	} else {
		fmt.Fprint(out, serveIntro(c.lang, srv.URL(), path, c.seed, speed, paused, cl.APIServers[0]))
	}
	fmt.Fprint(out, uiLine(c.lang, srv.UILink()))
	if a := srv.DNSAddr(); a != "" {
		host, port, _ := strings.Cut(a, ":")
		if c.lang == "ko" {
			fmt.Fprintf(out, "DNS: dig @%s -p %s kubernetes.default.svc.cluster.local (시뮬레이션된 CoreDNS 가 답합니다)\n", host, port)
		} else {
			fmt.Fprintf(out, "DNS: dig @%s -p %s kubernetes.default.svc.cluster.local (answered by the simulated CoreDNS)\n", host, port)
		}
	}
	return promptAndServe(ctx, stop, srv, stdin, out, stderr, c.lang)
}

// promptAndServe runs srv until ctx ends or the prompt on stdin is quit,
// then stops it (stop cancels ctx) and returns the exit code. When stdin is
// not a terminal and simply ends (`kubesim serve &`, `< /dev/null`, a
// service manager) nobody asked to stop: the server keeps serving until
// SIGINT or SIGTERM, and says so once.
func promptAndServe(ctx context.Context, stop func(), srv *serve.Server, stdin io.Reader, out, stderr io.Writer, lang string) int {
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	end, promptErr := srv.PromptUntil(ctx, stdin, out, lang)
	if end == serve.EndOfInput && promptErr == nil && !isTerminal(stdin) {
		if lang == "ko" {
			fmt.Fprintf(stderr, "kubesim: 표준 입력이 끝나 프롬프트를 닫습니다. 클러스터는 SIGINT 또는 SIGTERM (kill %d) 을 받을 때까지 계속 요청을 처리합니다.\n", os.Getpid())
		} else {
			fmt.Fprintf(stderr, "kubesim: standard input ended, so the prompt is closed; the cluster keeps serving until SIGINT or SIGTERM (kill %d).\n", os.Getpid())
		}
		<-ctx.Done()
	}
	stop()
	if err := <-done; err != nil {
		fmt.Fprintln(stderr, "kubesim:", err)
		return 1
	}
	if promptErr != nil {
		fmt.Fprintln(stderr, "kubesim:", promptErr)
		return 1
	}
	return 0
}

func serveIntro(lang, url, kubeconfig string, seed uint64, speed float64, paused bool, apiserver string) string {
	var b strings.Builder
	if lang == "ko" {
		fmt.Fprintf(&b, "kubesim serve: 시뮬레이션 클러스터(시드 %d)가 %s 에서 요청을 기다립니다.\n", seed, url)
		if paused {
			b.WriteString("가상 시간은 멈춰 있습니다. 프롬프트에서 advance 30s 또는 step 으로 진행하세요.\n")
		} else {
			fmt.Fprintf(&b, "가상 시간은 실제 시간의 %g배 속도로 흐릅니다.\n", speed)
		}
		fmt.Fprintf(&b, `
실제 kubectl 로 사용하세요:
  export KUBECONFIG=%s
  kubectl get nodes
  kubectl get pods -A
  kubectl --kubeconfig %s apply -f pod.yaml

kubeconfig 의 토큰은 kubernetes-admin 으로 동작하고, 자격 증명이 없는 요청은 system:anonymous 입니다.
요청은 트레이스에 kubectl -> %s 로 나타납니다.
같은 포트로 다시 시작했다면 kubectl 의 디스커버리 캐시가 낡았을 수 있습니다: --cache-dir 를 바꾸세요.
help 를 입력하면 프롬프트 명령을 볼 수 있습니다. Ctrl-C 또는 quit 으로 클러스터를 멈춥니다.
`, kubeconfig, kubeconfig, apiserver)
		return b.String()
	}
	fmt.Fprintf(&b, "kubesim serve: a simulated cluster (seed %d) is listening on %s\n", seed, url)
	if paused {
		b.WriteString("Virtual time is paused: move it from the prompt with advance 30s or step.\n")
	} else {
		fmt.Fprintf(&b, "Virtual time runs at %gx the wall clock.\n", speed)
	}
	fmt.Fprintf(&b, `
Use it with the real kubectl:
  export KUBECONFIG=%s
  kubectl get nodes
  kubectl get pods -A
  kubectl --kubeconfig %s apply -f pod.yaml

The kubeconfig's token acts as kubernetes-admin; requests without credentials are system:anonymous.
Requests show in the trace as kubectl -> %s.
If you restart on the same port, kubectl's discovery cache may be stale: use another --cache-dir.
Type help for the prompt's commands; Ctrl-C or quit stops the cluster.
`, kubeconfig, kubeconfig, apiserver)
	return b.String()
}

// isTerminal reports whether r is a terminal: there, the end of input
// (Ctrl-D) means "stop", as in a shell.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// uiLine is the banner's line with a one-time link to the web view.
func uiLine(lang, link string) string {
	if lang == "ko" {
		return "웹 보기 (한 번만 쓰는 링크, 브라우저에서 여세요; 인증서는 이 실행의 CA가 서명했습니다):\n  " + link + "\n"
	}
	return "Web view (a one-time link: open it in a browser on this machine; the certificate is signed by this run's CA):\n  " + link + "\n"
}

// warnNonLoopback warns when the server listens where other machines can
// reach it.
func warnNonLoopback(w io.Writer, lang, listen string) {
	if serve.IsLoopback(listen) {
		return
	}
	if lang == "ko" {
		fmt.Fprintf(w, "kubesim: 경고: %s 는 루프백 주소가 아닙니다. 다른 컴퓨터가 접속할 수 있습니다. kubeconfig 를 가진 사람은 cluster-admin 이고, 나머지는 system:anonymous 입니다.\n", listen)
		return
	}
	fmt.Fprintf(w, "kubesim: warning: %s is not a loopback address: other machines can reach it. Whoever holds the kubeconfig is cluster-admin; everyone else is system:anonymous.\n", listen)
}
