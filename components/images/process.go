package images

import (
	"fmt"
	"github.com/kubesim/kubesim/components/api"
	"strconv"
	"strings"
	"time"
)

// Spec is what a container's spec says about its process.
type Spec struct {
	// Command and Args are the container's command and args.
	Command, Args []string
	// Stdin keeps stdin open (stdin: true): a shell then waits for input
	// instead of exiting at once.
	Stdin bool
	// Env are the container's environment variables that have a value.
	Env map[string]string
}

// Line is one line a process prints, After its start.
type Line struct {
	After time.Duration
	Text  string
	// date marks the line `date` prints: the wall-clock time, known only
	// when the process runs (StartupLogs fills it in).
	date bool
}

// dateFormat is busybox date's default output, in UTC (no TZ is set).
const dateFormat = "Mon Jan _2 15:04:05 MST 2006"

// Process is what a container's main process does: its image's default
// command, or the command and args of the container.
type Process struct {
	// Image is the catalog entry.
	Image Image
	// Argv is the command line that runs (entrypoint and cmd, as
	// replaced by the container's command and args).
	Argv []string
	// Program names what runs ("nginx", "sleep", "sh", "agnhost netexec",
	// ""). For an unknown image it is "".
	Program string
	// Ports are the sockets the process listens on once it runs.
	Ports []Port
	// DeclaredPorts says the image is unknown: the container's declared
	// containerPorts stand for the sockets it listens on.
	DeclaredPorts bool
	// Exits says the process ends on its own, ExitAfter after its start,
	// with ExitCode; otherwise it runs until stopped.
	Exits     bool
	ExitAfter time.Duration
	ExitCode  int32
	// StartError is the runtime's error when the process cannot start
	// (an executable not on the image's PATH); the container then
	// terminates with reason StartError and exit code 128.
	StartError string

	// Loop is set when the process is a shell loop that sends HTTP
	// requests (a load generator, "while true; do wget -q -O- URL; done").
	Loop *RequestLoop

	server server
	logs   []Line
	text   string // http-echo's -text
	port   int32  // the main HTTP port
}

// Start says what a container of the image does with the spec's command
// and args.
func (im Image) Start(s Spec) Process {
	argv := resolveArgv(im, s.Command, s.Args)
	p := Process{Image: im, Argv: argv}
	if !im.Known {
		p.DeclaredPorts = true
		p.server = serveHostname
		if len(s.Command) > 0 {
			// A known program in an unknown image (sleep, sh -c) still
			// behaves as that program.
			r := runner{im: im, spec: s, p: &p}
			if r.generic(argv) {
				return p
			}
			p.Exits, p.ExitAfter, p.ExitCode, p.logs, p.Ports = false, 0, 0, nil, nil
			p.Program, p.server, p.DeclaredPorts = "", serveHostname, true
		}
		return p
	}
	r := runner{im: im, spec: s, p: &p}
	r.run(argv, 0)
	return p
}

// resolveArgv applies Kubernetes' rule: command replaces the image's
// ENTRYPOINT and drops its CMD; args alone replace CMD.
func resolveArgv(im Image, command, args []string) []string {
	switch {
	case len(command) > 0:
		return append(append([]string(nil), command...), args...)
	case len(args) > 0:
		return append(append([]string(nil), im.Entrypoint...), args...)
	}
	return append(append([]string(nil), im.Entrypoint...), im.Cmd...)
}

// IgnoresSIGTERM says the process, as PID 1 of its container, does not
// stop on SIGTERM: a shell, sleep or tail installs no handler, and the
// kernel ignores default-disposition signals for PID 1, so the runtime
// kills it with SIGKILL when the grace period ends (exit code 137).
func (p Process) IgnoresSIGTERM() bool {
	if p.Exits && p.ExitAfter == 0 || p.server != nil {
		return false
	}
	switch p.Program {
	case "sh", "sleep", "tail", "cat", "ping":
		return true
	}
	return false
}

// Listens reports whether the process listens on a port (for an unknown
// image the caller checks the declared ports instead).
func (p Process) Listens(port int32, protocol string) bool {
	if protocol == "" {
		protocol = "TCP"
	}
	for _, l := range p.Ports {
		if l.Port == port && l.Protocol == protocol {
			return true
		}
	}
	return false
}

// StartupLogs are the lines the process prints from its start on (its
// banner, the output of echo), with their offsets.
func (p Process) StartupLogs(env Env) []Line {
	out := append([]Line(nil), p.logs...)
	for i := range out {
		if out[i].date {
			out[i].Text = env.Time.Add(out[i].After).UTC().Format(dateFormat)
		}
	}
	if p.server != nil && p.server.banner != nil {
		out = append(out, p.server.banner(p, env)...)
	}
	return out
}

// runner interprets a command line.
type runner struct {
	im   Image
	spec Spec
	p    *Process
	t    time.Duration // the process' own clock, for scripts
}

func (r *runner) say(text string) { r.p.logs = append(r.p.logs, Line{After: r.t, Text: text}) }

func (r *runner) exit(code int32) {
	r.p.Exits, r.p.ExitAfter, r.p.ExitCode = true, r.t, code
}

func base(cmd string) string {
	if i := strings.LastIndexByte(cmd, '/'); i >= 0 {
		return cmd[i+1:]
	}
	return cmd
}

// notFound is the runtime's error for an executable the image lacks, as
// containerd and runc word it.
func notFound(cmd string) string {
	what := fmt.Sprintf("exec: %q: executable file not found in $PATH", cmd)
	if strings.Contains(cmd, "/") {
		what = fmt.Sprintf("exec: %q: stat %s: no such file or directory", cmd, cmd)
	}
	return "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: " + what + ": unknown"
}

// run interprets the main process' argv; depth bounds exec chains.
func (r *runner) run(argv []string, depth int) {
	p := r.p
	if len(argv) == 0 {
		p.StartError = "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: no command specified: unknown"
		return
	}
	if depth > 8 {
		return
	}
	name := base(argv[0])
	if !r.im.Has(argv[0]) {
		p.StartError = notFound(argv[0])
		return
	}
	args := argv[1:]
	if r.generic(argv) {
		return
	}
	p.Program = name
	switch name {
	case "docker-entrypoint.sh":
		if r.im.Name == "nginx" && len(args) > 0 && (args[0] == "nginx" || args[0] == "nginx-debug") {
			for _, l := range nginxEntrypointLines {
				r.say(l)
			}
		}
		if r.im.Name == "redis" && len(args) > 0 && strings.HasPrefix(args[0], "-") {
			args = append([]string{"redis-server"}, args...)
		}
		r.run(args, depth+1)
	case "entrypoint.sh": // curlimages/curl: flags go to curl
		if len(args) > 0 && strings.HasPrefix(args[0], "-") {
			args = append([]string{"curl"}, args...)
		}
		r.run(args, depth+1)
	case "nginx", "nginx-debug":
		if hasFlagValue(args, "-g", "daemon off;") {
			r.listen(nginxServer, tcp(80)...)
			return
		}
		if hasAny(args, "-v", "-V") {
			r.say("nginx version: nginx/" + r.im.Version)
		}
		r.exit(0) // the master daemonises: the container's process ends
	case "httpd-foreground":
		r.listen(httpdServer, tcp(80)...)
	case "docker-php-entrypoint":
		r.run(args, depth+1)
	case "apache2-foreground":
		if r.im.Name == "hpa-example" {
			r.listen(phpApache, tcp(80)...)
		}
	case "httpd", "apachectl":
		if r.im.Name == "httpd" && (hasAny(args, "-DFOREGROUND") || hasFlagValue(args, "-D", "FOREGROUND")) {
			r.listen(httpdServer, tcp(80)...)
			return
		}
		if r.im.Name != "httpd" && hasAny(args, "-f") { // busybox httpd -f -p PORT
			r.listen(busyboxHTTPD, tcp(int32(intFlag(args, "-p", 80)))...)
			return
		}
		r.exit(0)
	case "redis-server":
		r.listen(redisServer, tcp(int32(intFlag(args, "--port", 6379)))...)
	case "agnhost":
		r.agnhost(args)
	case "serve_hostname":
		r.listen(serveHostnameServer, tcp(int32(intFlag(args, "--port", 9376)))...)
	case "http-echo":
		r.p.text = stringFlag(args, "-text", "hello-world")
		r.listen(httpEcho, tcp(int32(listenPort(stringFlag(args, "-listen", ":5678"))))...)
	case "starwars":
		r.listen(deathstar, tcp(80)...)
	case "json-server":
		r.listen(jsonServer, tcp(int32(intFlag(args, "--port", 3000)))...)
	case "run.sh": // json-mock's entrypoint script
		port := int32(80)
		if v, err := strconv.Atoi(r.spec.Env["PORT"]); err == nil {
			port = int32(v)
		}
		r.listen(jsonServer, tcp(port)...)
	case "netserver":
		r.listen(noHTTP, tcp(int32(intFlag(args, "-p", 12865)))...)
	case "perl":
		r.perl(args)
	case "pause":
	case "coredns":
		r.listen(corednsServer, r.im.Ports...)
	case "kube-apiserver":
		r.listen(tlsOnly, tcp(int32(intFlag(args, "--secure-port", 6443)))...)
	case "etcd":
		ports := []Port{{urlPort(stringFlag(args, "--listen-client-urls", "http://localhost:2379"), 2379), "TCP"},
			{urlPort(stringFlag(args, "--listen-peer-urls", "http://localhost:2380"), 2380), "TCP"}}
		if m := stringFlag(args, "--listen-metrics-urls", ""); m != "" {
			ports = append(ports, Port{urlPort(m, 2381), "TCP"})
		}
		r.listen(etcdServer, ports...)
	case "kube-scheduler":
		r.listen(tlsOnly, tcp(int32(intFlag(args, "--secure-port", 10259)))...)
	case "kube-controller-manager":
		r.listen(tlsOnly, tcp(int32(intFlag(args, "--secure-port", 10257)))...)
	case "metrics-server":
		r.listen(tlsOnly, tcp(int32(intFlag(args, "--secure-port", 10250)))...)
	case "kube-proxy":
		r.listen(kubeProxyHealth, tcp(10256)...)
	case "cilium-agent", "cilium-operator-generic":
		r.listen(noHTTP, r.im.Ports...)
	default:
		// A program the catalog does not model runs until stopped.
	}
}

// generic handles the programs every image may have (shells, sleep,
// echo, ...); it reports whether argv was one of them.
func (r *runner) generic(argv []string) bool {
	name, args := base(argv[0]), argv[1:]
	p := r.p
	switch name {
	case "sh", "bash", "ash", "dash", "zsh":
		p.Program = "sh"
		if i := indexOf(args, "-c"); i >= 0 {
			script := ""
			if i+1 < len(args) {
				script = args[i+1]
			}
			r.script(name, script)
			return true
		}
		if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			if r.im.Name == "json-mock" && args[0] == "/run.sh" {
				r.run(args, 1)
				return true
			}
			return true // a script file the catalog cannot read: runs until stopped
		}
		if !r.spec.Stdin {
			r.exit(0) // no terminal, stdin at EOF: the shell exits at once
		}
		return true
	case "sleep":
		p.Program = "sleep"
		r.sleep(name, args)
		return true
	case "true", ":":
		p.Program = name
		r.exit(0)
		return true
	case "false":
		p.Program = name
		r.exit(1)
		return true
	case "echo":
		p.Program = name
		r.say(strings.Join(args, " "))
		r.exit(0)
		return true
	case "tail":
		p.Program = name
		if !hasAny(args, "-f", "-F") {
			r.exit(0)
		}
		return true
	case "cat":
		p.Program = name
		if len(args) > 0 || !r.spec.Stdin {
			r.exit(0)
		}
		return true
	case "curl", "wget", "nslookup", "dig", "ls", "env", "printenv", "hostname", "date", "id", "whoami", "uname":
		p.Program = name
		if name == "curl" && len(args) == 0 {
			r.say("curl: try 'curl --help' or 'curl --manual' for more information")
			r.exit(2)
			return true
		}
		if name == "date" && len(args) == 0 {
			r.p.logs = append(r.p.logs, Line{After: r.t, date: true})
		}
		r.exit(0) // a one-shot command: kubesim does not run its request
		return true
	case "ping":
		p.Program = name
		if n := intFlag(args, "-c", -1); n > 0 {
			r.t += time.Duration(n-1) * time.Second
			r.exit(0)
		}
		return true
	}
	return false
}

func (r *runner) sleep(shell string, args []string) {
	if len(args) == 0 {
		r.say("sleep: missing operand")
		r.exit(1)
		return
	}
	for _, a := range args {
		if a == "infinity" || a == "inf" {
			return
		}
		d, ok := sleepDuration(a)
		if !ok {
			if r.im.Base == "debian" || r.im.Base == "ubuntu" {
				r.say(fmt.Sprintf("sleep: invalid time interval '%s'", a))
			} else {
				r.say(fmt.Sprintf("sleep: invalid number '%s'", a))
			}
			r.exit(1)
			return
		}
		r.t += d
	}
	r.exit(0)
}

func sleepDuration(a string) (time.Duration, bool) {
	unit := time.Second
	switch {
	case strings.HasSuffix(a, "s"):
		a = a[:len(a)-1]
	case strings.HasSuffix(a, "m"):
		a, unit = a[:len(a)-1], time.Minute
	case strings.HasSuffix(a, "h"):
		a, unit = a[:len(a)-1], time.Hour
	case strings.HasSuffix(a, "d"):
		a, unit = a[:len(a)-1], 24*time.Hour
	}
	f, err := strconv.ParseFloat(a, 64)
	if err != nil || f < 0 || f > 1e9 {
		return 0, false
	}
	return time.Duration(f * float64(unit)), true
}

// script interprets "sh -c" text statement by statement.
func (r *runner) script(shell, text string) {
	if isLoop(text) {
		// A loop runs until stopped; its first echo shows in the log, and
		// a wget or curl in it makes it a load generator (RequestLoop).
		said := false
		for _, st := range statements(text) {
			w := words(st.text)
			for len(w) > 0 && (w[0] == "do" || w[0] == "then") {
				w = w[1:]
			}
			if len(w) > 0 && w[0] == "echo" && !said {
				r.say(strings.Join(w[1:], " "))
				said = true
			}
			if len(w) > 0 && (w[0] == "wget" || w[0] == "curl") && r.p.Loop == nil && r.im.Has(w[0]) {
				if url := loopURL(w[1:]); url != "" {
					r.p.Loop = &RequestLoop{Client: w[0], URL: url, Interval: LoopInterval}
				}
			}
		}
		return
	}
	status := int32(0)
	line := 0
	for _, st := range statements(text) {
		line++
		w := words(st.text)
		if len(w) == 0 {
			continue
		}
		if st.op == "&&" && status != 0 || st.op == "||" && status == 0 {
			continue
		}
		switch w[0] {
		case "exit":
			code := status
			if len(w) > 1 {
				if n, err := strconv.Atoi(w[1]); err == nil {
					code = int32(n & 0xff)
				}
			}
			r.exit(code)
			return
		case "exec":
			r.run(w[1:], 1)
			return
		case "set", "trap", "export", "cd", "umask", "wait", "mkdir", "touch", "cp", "rm", "mv", "ln", "chmod":
			status = 0
			continue
		case "sleep":
			sub := runner{im: r.im, spec: r.spec, p: &Process{}, t: r.t}
			sub.sleep(w[0], w[1:])
			if !sub.p.Exits {
				r.p.logs = append(r.p.logs, sub.p.logs...)
				return // sleep infinity
			}
			r.p.logs = append(r.p.logs, sub.p.logs...)
			r.t, status = sub.p.ExitAfter, sub.p.ExitCode
			continue
		case "echo":
			r.say(strings.Join(w[1:], " "))
			status = 0
			continue
		case "true", ":":
			status = 0
			continue
		case "false":
			status = 1
			continue
		}
		if !r.im.Has(w[0]) {
			r.say(shellNotFound(r.im, shell, line, w[0]))
			status = 127
			continue
		}
		// Another program: as the main process would run it; a server
		// keeps the shell waiting, a one-shot command succeeds.
		sub := Process{Image: r.im}
		sr := runner{im: r.im, spec: r.spec, p: &sub, t: r.t}
		if !sr.generic(w) {
			sr.run(w, 1)
		}
		r.p.logs = append(r.p.logs, sub.logs...)
		if !sub.Exits {
			r.p.Program, r.p.server, r.p.Ports, r.p.text, r.p.port = sub.Program, sub.server, sub.Ports, sub.text, sub.port
			return
		}
		r.t, status = sub.ExitAfter, sub.ExitCode
	}
	r.exit(status)
}

func shellNotFound(im Image, shell string, line int, cmd string) string {
	switch {
	case shell == "bash":
		return fmt.Sprintf("bash: line %d: %s: command not found", line, cmd)
	case im.Base == "debian" || im.Base == "ubuntu":
		return fmt.Sprintf("sh: %d: %s: not found", line, cmd)
	}
	return fmt.Sprintf("sh: %s: not found", cmd)
}

func (r *runner) listen(s server, ports ...Port) {
	r.p.server, r.p.Ports = s, ports
	if len(ports) > 0 {
		r.p.port = ports[0].Port
	}
}

func (r *runner) agnhost(args []string) {
	if len(args) == 0 {
		r.say("Usage:\n  agnhost [command]")
		r.exit(0)
		return
	}
	sub, flags := args[0], args[1:]
	r.p.Program = "agnhost " + sub
	switch sub {
	case "netexec":
		http := int32(intFlag(flags, "--http-port", 8080))
		udp := int32(intFlag(flags, "--udp-port", 8081))
		ports := tcp(http)
		if udp > 0 {
			ports = append(ports, Port{udp, "UDP"})
		}
		if sctp := intFlag(flags, "--sctp-port", -1); sctp > 0 {
			ports = append(ports, Port{int32(sctp), "SCTP"})
		}
		r.listen(netexec, ports...)
	case "serve-hostname":
		port := int32(intFlag(flags, "--port", 9376))
		var ports []Port
		if boolFlag(flags, "--http", true) {
			ports = append(ports, Port{port, "TCP"})
		} else if boolFlag(flags, "--tcp", false) {
			ports = append(ports, Port{port, "TCP"})
		}
		if boolFlag(flags, "--udp", false) {
			ports = append(ports, Port{port, "UDP"})
		}
		r.listen(serveHostnameServer, ports...)
	case "test-webserver":
		r.listen(testWebserver, tcp(int32(intFlag(flags, "--port", 80)))...)
	case "pause":
		r.say("Paused")
	case "liveness":
		r.listen(agnhostLiveness, tcp(8080)...)
	case "dns-server", "fake-gitserver", "porter", "webhook", "mounttest", "connect":
		// run until stopped, nothing modelled
	default:
		r.say(fmt.Sprintf("Error: unknown command %q for \"agnhost\"", sub))
		r.say("Run 'agnhost --help' for usage.")
		r.exit(1)
	}
}

// ---------------------------------------------------------------- flags

func indexOf(args []string, s string) int {
	for i, a := range args {
		if a == s {
			return i
		}
	}
	return -1
}

func hasAny(args []string, flags ...string) bool {
	for _, f := range flags {
		if indexOf(args, f) >= 0 {
			return true
		}
	}
	return false
}

func hasFlagValue(args []string, flag, value string) bool {
	for i, a := range args {
		if a == flag && i+1 < len(args) && strings.Contains(args[i+1], value) {
			return true
		}
		if strings.HasPrefix(a, flag) && a != flag && strings.Contains(a, value) {
			return true
		}
	}
	return false
}

// stringFlag reads "-f v", "-f=v", "--f v" or "--f=v" (Go's flag package
// accepts one or two dashes).
func stringFlag(args []string, flag, def string) string {
	names := []string{flag}
	if strings.HasPrefix(flag, "--") {
		names = append(names, flag[1:])
	} else if strings.HasPrefix(flag, "-") {
		names = append(names, "-"+flag)
	}
	for i, a := range args {
		for _, n := range names {
			if a == n && i+1 < len(args) {
				return args[i+1]
			}
			if v, ok := strings.CutPrefix(a, n+"="); ok {
				return v
			}
		}
	}
	return def
}

func intFlag(args []string, flag string, def int) int {
	v := stringFlag(args, flag, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 65535 {
		return def
	}
	return n
}

func boolFlag(args []string, flag string, def bool) bool {
	for _, a := range args {
		if a == flag {
			return true
		}
		if v, ok := strings.CutPrefix(a, flag+"="); ok {
			b, err := strconv.ParseBool(v)
			if err == nil {
				return b
			}
		}
	}
	return def
}

func listenPort(addr string) int {
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		if n, err := strconv.Atoi(addr[i+1:]); err == nil && n > 0 && n <= 65535 {
			return n
		}
	}
	return 5678
}

// urlPort is the port of the first URL of a comma-separated list.
func urlPort(urls string, def int32) int32 {
	first, _, _ := strings.Cut(urls, ",")
	if i := strings.LastIndexByte(first, ':'); i >= 0 {
		if n, err := strconv.Atoi(strings.TrimRight(first[i+1:], "/")); err == nil && n > 0 && n <= 65535 {
			return int32(n)
		}
	}
	return def
}

// ---------------------------------------------------------------- shell text

type statement struct {
	op   string // the operator before it: "", ";", "&&", "||"
	text string
}

func isLoop(text string) bool {
	for _, w := range strings.Fields(text) {
		switch strings.Trim(w, ";") {
		case "while", "until", "for":
			return true
		}
	}
	return false
}

// statements splits a script at newlines, ";", "&&" and "||" outside
// quotes.
func statements(text string) []statement {
	var out []statement
	var cur strings.Builder
	op := ""
	var quote byte
	flush := func(next string) {
		if s := strings.TrimSpace(cur.String()); s != "" {
			out = append(out, statement{op: op, text: s})
		}
		cur.Reset()
		op = next
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
			cur.WriteByte(c)
		case c == '\'' || c == '"':
			quote = c
			cur.WriteByte(c)
		case c == '\n' || c == ';':
			flush(";")
		case c == '&' && i+1 < len(text) && text[i+1] == '&':
			flush("&&")
			i++
		case c == '|' && i+1 < len(text) && text[i+1] == '|':
			flush("||")
			i++
		default:
			cur.WriteByte(c)
		}
	}
	flush("")
	return out
}

// words splits a statement into words, removing quotes.
func words(s string) []string {
	var out []string
	var cur strings.Builder
	in := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ' || c == '\t':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

// OfContainer is what a pod's container runs: its image's catalog entry
// started with the container's command, args, stdin and literal
// environment. For an image the catalog does not know, the container's
// declared containerPorts stand for the sockets it listens on
// (DeclaredPorts).
func OfContainer(c *api.Container) Process {
	env := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			env[e.Name] = e.Value
		}
	}
	p := Lookup(c.Image).Start(Spec{Command: c.Command, Args: c.Args, Stdin: c.Stdin, Env: env})
	if p.DeclaredPorts {
		p.Ports = nil
		for _, cp := range c.Ports {
			proto := string(cp.Protocol)
			if proto == "" {
				proto = "TCP"
			}
			p.Ports = append(p.Ports, Port{Port: cp.ContainerPort, Protocol: proto})
		}
	}
	return p
}
