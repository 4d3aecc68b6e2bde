package main

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kubesim/kubesim/scenarios/drill"
	"github.com/kubesim/kubesim/scenarios/incident"
	"github.com/kubesim/kubesim/scenarios/library"
	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/kubesim/kubesim/scenarios/serve"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"go.yaml.in/yaml/v3"
)

const incidentUsage = `Usage:
  kubesim incident list [--lang ko]             the built-in incidents
  kubesim incident start NAME|FILE [flags]      break a cluster and hand it over: serve it to the real
                                                kubectl, print the symptom, keep the prompt open
  kubesim incident check [--kubeconfig FILE]    grade the running incident from another terminal
                                                (exit 0 fixed, 1 not yet, 2 no incident answers)

At the incident's prompt: check, hint, give-up, and everything serve's prompt knows (help).
`

func cmdIncident(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, incidentUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch args[0] {
	case "list":
		lang := "en"
		if len(args) == 3 && args[1] == "--lang" {
			lang = args[2]
		} else if len(args) > 1 {
			fmt.Fprintf(stderr, "usage: kubesim incident list [--lang en|ko]\n")
			return 2
		}
		rows := [][]string{{"NAME", "COMPONENT", "TITLE"}}
		for _, name := range library.Incidents() {
			d, _, _ := library.Load(name)
			rows = append(rows, []string{name, d.Component, d.Title.In(lang)})
		}
		if err := writeTable(stdout, rows); err != nil {
			return 1
		}
		return 0
	case "start":
		return incidentStart(args[1:], stdin, stdout, stderr)
	case "check":
		return incidentCheck(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "kubesim incident: unknown subcommand %q\n\n%s", args[0], incidentUsage)
	return 2
}

func loadIncident(name string) (*drill.Drill, error) {
	d, ok, err := loadDrill(name)
	if !ok {
		if near := didYouMean(name, library.Incidents()); len(near) > 0 {
			return nil, fmt.Errorf("no incident named %q — did you mean %s? (kubesim incident list)", name, strings.Join(near, " or "))
		}
		return nil, fmt.Errorf("no incident named %q (kubesim incident list; an incident file's name ends in .yaml)", name)
	}
	if err != nil {
		return nil, err
	}
	if !d.IsIncident() {
		return nil, fmt.Errorf("%s is a %s, not an incident: kubesim run %s", name, kindWord(d), name)
	}
	return d, nil
}

func kindWord(d *drill.Drill) string {
	if d.IsWalkthrough() {
		return "walkthrough"
	}
	return "drill"
}

func incidentStart(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var c common
	var listen, kubeconfig string
	var speed float64
	var paused, nonLoopback bool
	fs := newFlags("incident start", "incident start NAME|FILE [flags]", stderr, &c)
	fs.StringVar(&listen, "listen", "127.0.0.1:0", "address to serve on (port 0 picks a free one); loopback only unless --allow-non-loopback")
	fs.BoolVar(&nonLoopback, "allow-non-loopback", false, "allow --listen on an address other machines can reach (whoever holds the kubeconfig is cluster-admin)")
	fs.StringVar(&kubeconfig, "kubeconfig", "kubesim.kubeconfig", "where to write the kubeconfig for kubectl (and for kubesim incident check)")
	fs.Float64Var(&speed, "speed", 1, "virtual seconds per wall-clock second")
	fs.BoolVar(&paused, "paused", false, "start with virtual time stopped")
	seedSet := false
	for _, a := range args {
		if a == "--seed" || a == "-seed" || strings.HasPrefix(a, "--seed=") || strings.HasPrefix(a, "-seed=") {
			seedSet = true
		}
	}
	if code, ok := parse(fs, args); !ok {
		return code
	}
	lang, err := narrate.ParseLang(c.lang)
	if err != nil {
		fmt.Fprintln(stderr, "kubesim:", err)
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "kubesim: incident start needs one incident: %s\n", strings.Join(library.Incidents(), ", "))
		return 2
	}
	inc, err := loadIncident(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, "kubesim:", err)
		return 2
	}
	seed := inc.Seed
	if seedSet {
		seed = c.seed
	}
	// The cluster's clock starts a little before now, so that kubectl's own
	// ages read right and the symptom's times are the terminal's.
	epoch := sim.WithEpoch(time.Now().Add(-5 * time.Second).Truncate(time.Second))
	boot := func(adjust func(*cluster.Config)) (*cluster.Cluster, error) {
		return incident.Boot(inc, seed, func(cfg *cluster.Config) {
			cfg.Options = append(cfg.Options, epoch)
			adjust(cfg)
		})
	}
	fmt.Fprintf(stdout, "kubesim incident %s (seed %d): breaking a cluster...\n", inc.Name, seed)
	cl, err := boot(func(*cluster.Config) {})
	if err != nil {
		fmt.Fprintln(stderr, "kubesim:", err)
		return 1
	}
	sess := incident.NewSession(inc, seed, lang, cl, time.Now())
	var srv *serve.Server
	checkNow := func(ctx context.Context) (incident.Report, error) {
		var r incident.Report
		err := srv.Do(ctx, func(c *cluster.Cluster) { r = sess.Check(c) })
		return r, err
	}
	srv, err = serve.New(serve.Config{Cluster: cl, Boot: boot, Listen: listen, Speed: speed, Paused: paused, AllowNonLoopback: nonLoopback,
		Commands: []serve.Command{
			{Name: "check", Help: pick(lang, "check                grade the cluster: is the incident fixed?", "check                클러스터를 채점합니다: 인시던트가 해결되었나요?"),
				Run: func(ctx context.Context, _ []string, out io.Writer) {
					if r, err := checkNow(ctx); err == nil {
						fmt.Fprint(out, sess.Render(r, time.Now()))
					}
				}},
			{Name: "hint", Help: pick(lang, "hint                 the next hint", "hint                 다음 힌트"),
				Run: func(_ context.Context, _ []string, out io.Writer) { fmt.Fprintln(out, sess.Hint()) }},
			{Name: "give-up", Help: pick(lang, "give-up              show the diagnosis path and the fix", "give-up              진단 과정과 해결 방법을 보여 줍니다"),
				Run: func(_ context.Context, _ []string, out io.Writer) { fmt.Fprint(out, sess.GiveUp()) }},
			{Name: "symptom", Help: pick(lang, "symptom              what was reported", "symptom              보고된 증상"),
				Run: func(_ context.Context, _ []string, out io.Writer) { fmt.Fprintln(out, sess.Symptom()) }},
		},
		Routes: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/kubesim/v1/incident/check" || r.Method != http.MethodGet {
				http.NotFound(w, r)
				return
			}
			rep, err := checkNow(r.Context())
			if err != nil {
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(checkAnswer{Incident: inc.Name, Report: rep, Text: sess.Render(rep, time.Now())})
		}),
	})
	if err != nil {
		cl.Stop()
		fmt.Fprintln(stderr, "kubesim:", err)
		return 2
	}
	warnNonLoopback(stderr, string(lang), listen)
	if err := srv.Listen(); err != nil {
		cl.Stop()
		fmt.Fprintln(stderr, "kubesim:", err)
		return 1
	}
	path, _ := filepath.Abs(kubeconfig)
	if err := srv.WriteKubeconfig(path, "kubernetes-admin"); err != nil {
		cl.Stop()
		fmt.Fprintln(stderr, "kubesim:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(stdout, "\n%s — %s\n\n%s\n\n", inc.Name, inc.Title.In(string(lang)), sess.Symptom())
	fmt.Fprint(stdout, pick(lang, fmt.Sprintf(`The cluster is yours:
  export KUBECONFIG=%s
  kubectl get pods -A
When you think it is fixed: check (here) or kubesim incident check (another terminal).
hint gives the next hint; give-up shows the answer; help lists the prompt's commands.
`, path), fmt.Sprintf(`클러스터를 넘겨 드립니다:
  export KUBECONFIG=%s
  kubectl get pods -A
해결했다고 생각되면: check (여기서) 또는 kubesim incident check (다른 터미널).
hint는 다음 힌트, give-up은 답, help는 프롬프트 명령을 보여 줍니다.
`, path)))
	if code := promptAndServe(ctx, stop, srv, stdin, stdout, stderr, string(lang)); code != 0 {
		return code
	}
	if s := sess.Summary(time.Now()); s != "" {
		fmt.Fprint(stdout, s)
	}
	return 0
}

// checkAnswer is what /kubesim/v1/incident/check answers.
type checkAnswer struct {
	Incident string          `json:"incident"`
	Report   incident.Report `json:"report"`
	Text     string          `json:"text"`
}

func incidentCheck(args []string, stdout, stderr io.Writer) int {
	var kubeconfig string
	fs := newFlags("incident check", "incident check [--kubeconfig FILE]", stderr, nil)
	fs.StringVar(&kubeconfig, "kubeconfig", "kubesim.kubeconfig", "the kubeconfig kubesim incident start wrote")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	sc, err := kubeconfigServer(kubeconfig)
	if err != nil {
		fmt.Fprintln(stderr, "kubesim:", err)
		return 2
	}
	server := sc.Server
	res, err := sc.Client().Get(server + "/kubesim/v1/incident/check")
	if err != nil {
		fmt.Fprintf(stderr, "kubesim: no incident answers at %s (is kubesim incident start running?): %v\n", server, err)
		return 2
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		fmt.Fprintf(stderr, "kubesim: %s answered %s: %s\n", server, res.Status, strings.TrimSpace(string(b)))
		return 2
	}
	var a checkAnswer
	if err := json.NewDecoder(res.Body).Decode(&a); err != nil {
		fmt.Fprintf(stderr, "kubesim: %s did not answer as an incident does: %v\n", server, err)
		return 2
	}
	fmt.Fprintf(stdout, "incident %s\n%s", a.Incident, a.Text)
	if !a.Report.Passed {
		return 1
	}
	return 0
}

// servedCluster is what a kubeconfig kubesim wrote says of its server.
type servedCluster struct {
	Server string
	CA     []byte
	Token  string
	// Cert is the client certificate of a classroom's kubeconfig (the
	// instructor's), if it has one.
	Cert *tls.Certificate
}

// Client is an HTTP client that trusts the server and sends its token or
// client certificate.
func (sc servedCluster) Client() *http.Client {
	cfg := &tls.Config{RootCAs: serve.CAPool(sc.CA)}
	if sc.Cert != nil {
		cfg.Certificates = []tls.Certificate{*sc.Cert}
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: &bearer{token: sc.Token, next: &http.Transport{TLSClientConfig: cfg}}}
}

type bearer struct {
	token string
	next  http.RoundTripper
}

func (b *bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	if b.token != "" && r.Header.Get("Authorization") == "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+b.token)
	}
	return b.next.RoundTrip(r)
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// transport.
func (b *bearer) CloseIdleConnections() {
	if c, ok := b.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// kubeconfigServer reads the server address, CA and token of a
// kubeconfig's current context.
func kubeconfigServer(path string) (servedCluster, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return servedCluster{}, err
	}
	var kc struct {
		Clusters []struct {
			Name    string `yaml:"name"`
			Cluster struct {
				Server string `yaml:"server"`
				CA     string `yaml:"certificate-authority-data"`
			} `yaml:"cluster"`
		} `yaml:"clusters"`
		Users []struct {
			Name string `yaml:"name"`
			User struct {
				Token string `yaml:"token"`
				Cert  string `yaml:"client-certificate-data"`
				Key   string `yaml:"client-key-data"`
			} `yaml:"user"`
		} `yaml:"users"`
		Contexts []struct {
			Name    string `yaml:"name"`
			Context struct {
				Cluster string `yaml:"cluster"`
				User    string `yaml:"user"`
			} `yaml:"context"`
		} `yaml:"contexts"`
		Current string `yaml:"current-context"`
	}
	if err := yaml.Unmarshal(data, &kc); err != nil {
		return servedCluster{}, fmt.Errorf("%s: %v", path, err)
	}
	wantCluster, wantUser := "", ""
	for _, c := range kc.Contexts {
		if c.Name == kc.Current {
			wantCluster, wantUser = c.Context.Cluster, c.Context.User
		}
	}
	var sc servedCluster
	for _, u := range kc.Users {
		if u.Name == wantUser || wantUser == "" {
			sc.Token = u.User.Token
			if u.User.Cert != "" || u.User.Key != "" {
				certPEM, err1 := base64.StdEncoding.DecodeString(u.User.Cert)
				keyPEM, err2 := base64.StdEncoding.DecodeString(u.User.Key)
				if err := errors.Join(err1, err2); err != nil {
					return servedCluster{}, fmt.Errorf("%s: user %q: client-certificate-data or client-key-data: %v", path, u.Name, err)
				}
				cert, err := tls.X509KeyPair(certPEM, keyPEM)
				if err != nil {
					return servedCluster{}, fmt.Errorf("%s: user %q: client-certificate-data and client-key-data: %v", path, u.Name, err)
				}
				sc.Cert = &cert
			}
			break
		}
	}
	for _, c := range kc.Clusters {
		if c.Name == wantCluster || wantCluster == "" {
			sc.Server = strings.TrimSuffix(c.Cluster.Server, "/")
			if c.Cluster.CA != "" {
				ca, err := base64.StdEncoding.DecodeString(c.Cluster.CA)
				if err != nil {
					return servedCluster{}, fmt.Errorf("%s: certificate-authority-data: %v", path, err)
				}
				sc.CA = ca
			}
			return sc, nil
		}
	}
	return servedCluster{}, errors.New(path + ": no cluster for the current context")
}

func pick(l narrate.Lang, en, ko string) string {
	if l == narrate.Korean {
		return ko
	}
	return en
}

// answerKey is kubesim run on an incident: the breakage on the cluster
// incident start would serve, the symptom, the scripted fix narrated with
// its diagnosis, and the checks graded until they pass (five minutes of
// virtual time at most). It exits 0 when the fix works: an instructor's
// check of a file, or a trainee's way to watch the answer.
func answerKey(inc *drill.Drill, seed uint64, lang narrate.Lang, stdout, stderr io.Writer) int {
	fmt.Fprintf(stdout, "%s — %s (seed %d): %s\n\n", inc.Name, inc.Title.In(string(lang)), seed,
		pick(lang, "the answer key (to practise: kubesim incident start "+inc.Name+")", "정답 풀이 (직접 풀어 보려면: kubesim incident start "+inc.Name+")"))
	c, err := incident.Boot(inc, seed, nil)
	if err != nil {
		fmt.Fprintln(stderr, "kubesim:", err)
		return 2
	}
	defer c.Stop()
	s := incident.NewSession(inc, seed, lang, c, time.Time{})
	fmt.Fprintf(stdout, "%s\n\n%s\n%s\n", s.Symptom(), pick(lang, "Diagnosis and fix:", "진단과 해결:"), inc.Solution.Diagnosis.In(string(lang)))
	ok := true
	for _, st := range drill.Apply(c, inc, inc.Solution.Steps, string(lang)) {
		fmt.Fprintf(stdout, "  $ %s\n", drill.StepCommand(&inc.Solution.Steps[st.Index]))
		if out := strings.TrimSpace(st.Output); out != "" {
			fmt.Fprintf(stdout, "    %s\n", strings.ReplaceAll(out, "\n", "\n    "))
		}
		if !st.OK {
			ok = false
			fmt.Fprintf(stdout, "    %s\n", st.Error)
		}
	}
	r := s.Check(c)
	for deadline := c.K.Now() + 5*time.Minute; !r.Passed && c.K.Now() < deadline; r = s.Check(c) {
		c.K.RunFor(time.Second)
	}
	fmt.Fprint(stdout, s.Render(r, time.Time{}))
	if !ok || !r.Passed {
		return 1
	}
	return 0
}
