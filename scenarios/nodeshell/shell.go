// Package nodeshell is a small simulated shell on a node of a kubesim
// cluster — what `kubesim ssh NODE` and serve's `ssh NODE` open: the files
// a kubeadm node keeps (the static pod manifests, the kubeconfigs, the
// kubelet's configuration, the CNI configuration, /etc/resolv.conf) and the
// tools incident response uses there: ls, cat, grep, mv, cp, rm, mkdir;
// systemctl and journalctl for the kubelet and containerd; crictl; etcdctl
// and etcdutl; iptables-save; cilium and hubble; ip addr and ip route;
// kubectl get, describe and events through the node's kubeconfig.
// Their output is formatted as the real tools print it. Pipes into grep,
// head, tail and wc work; other shell syntax (redirections, variables,
// globs but in ls/cat/grep arguments) does not.
//
// Reading commands (cat, crictl ps, etcdctl get, journalctl) look at the
// cluster out of band, as package views does: they spend nothing, and a
// run looked at is byte for byte the run not looked at. Commands that
// change the node — writing, moving or removing a file, systemctl
// start|stop|restart, etcdctl snapshot save|restore — go through the
// node's init system as a journaled input of the run (Cluster.NodeExec),
// so they are in the trace and time travel replays them.
//
// The same interpreter is the shell of a container for kubectl exec
// (Exec, container.go): the programs of the container's image, over the
// files the kubelet and the image put in it.
//
// Call Run from the goroutine that drives the cluster, between steps.
// `edit FILE` needs the user's editor, outside the simulation: the caller
// reads the file (ReadFile), lets the user edit a copy and writes it back
// (WriteFile).
package nodeshell

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/kubesim/kubesim/sim/cluster"
)

// Result is what a command line printed and its exit status.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Home is root's home directory, where relative paths start.
const Home = "/root"

// shell runs one command line on one node.
type shell struct {
	c    *cluster.Cluster
	node string
	cwd  string
	box  *box // the container, for kubectl exec (container.go); nil on a node
}

// Run runs one command line on a node.
func Run(c *cluster.Cluster, node, line string) Result {
	if c.NodeFS(node) == nil {
		return Result{Stderr: fmt.Sprintf("ssh: Could not resolve hostname %s: Name or service not known\n", node), Code: 255}
	}
	if c.K.NodeDown(node) {
		return Result{Stderr: fmt.Sprintf("ssh: connect to host %s port 22: No route to host\n", node), Code: 255}
	}
	stages, err := parse(line)
	if err != nil {
		return Result{Stderr: "bash: " + err.Error() + "\n", Code: 2}
	}
	sh := &shell{c: c, node: node, cwd: Home}
	var res Result
	var stderr strings.Builder
	for i, argv := range stages {
		if len(argv) == 0 {
			if len(stages) > 1 {
				return Result{Stderr: "bash: syntax error near unexpected token `|'\n", Code: 2}
			}
			return Result{}
		}
		in := res.Stdout
		res = sh.exec(argv, in, i > 0)
		stderr.WriteString(res.Stderr)
	}
	res.Stderr = stderr.String()
	return res
}

// ReadFile reads a file on a node (for `edit`).
func ReadFile(c *cluster.Cluster, node, p string) ([]byte, error) {
	d := c.NodeFS(node)
	if d == nil {
		return nil, fmt.Errorf("no node named %q", node)
	}
	return d.ReadFile(abs(Home, p))
}

// WriteFile writes a file on a node through its init system (for `edit`):
// an input of the run.
func WriteFile(c *cluster.Cluster, node, p string, data []byte) error {
	_, err := c.NodeExec(node, cluster.NodeCommand{Op: cluster.OpWrite, Path: abs(Home, p), Data: data})
	return err
}

// parse splits a command line into pipeline stages of words, with the
// shell's quoting: '...', "...", and backslash escapes.
func parse(line string) ([][]string, error) {
	var stages [][]string
	var words []string
	var cur strings.Builder
	inWord := false
	flush := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case ch == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unexpected EOF while looking for matching `''")
			}
			cur.WriteString(line[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case ch == '"':
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' && i+1 < len(line) && strings.IndexByte("\"\\$`", line[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(line[i])
			}
			if i >= len(line) {
				return nil, errors.New("unexpected EOF while looking for matching `\"'")
			}
			inWord = true
		case ch == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			inWord = true
		case ch == '|':
			flush()
			stages = append(stages, words)
			words = nil
		case ch == ' ' || ch == '\t':
			flush()
		case ch == '#' && !inWord:
			i = len(line)
		case ch == '>' || ch == '<' || ch == ';' || ch == '&' || ch == '`' || ch == '$' && i+1 < len(line) && line[i+1] == '(':
			return nil, fmt.Errorf("%q: this shell runs one command or a pipeline into grep, head, tail or wc (no redirections, lists or substitutions); to change a file use edit FILE", string(ch))
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	flush()
	stages = append(stages, words)
	return stages, nil
}

func ok(out string) Result { return Result{Stdout: out} }

func fail(code int, format string, args ...any) Result {
	return Result{Stderr: fmt.Sprintf(format, args...) + "\n", Code: code}
}

// exec runs one command; piped tells whether stdin comes from a pipe.
func (sh *shell) exec(argv []string, stdin string, piped bool) Result {
	// VAR=value prefixes (ETCDCTL_API=3) are accepted and ignored.
	for len(argv) > 1 && regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`).MatchString(argv[0]) {
		argv = argv[1:]
	}
	if argv[0] == "sudo" && len(argv) > 1 {
		argv = argv[1:]
	}
	name, args := argv[0], argv[1:]
	switch name {
	case "ls":
		return sh.ls(args)
	case "cat":
		return sh.cat(args, stdin, piped)
	case "grep":
		return sh.grep(args, stdin, piped)
	case "sed":
		return sh.sed(args, stdin, piped)
	case "head", "tail":
		return headTail(name, args, stdin)
	case "wc":
		return wc(args, stdin)
	case "mv", "cp":
		return sh.mvcp(name, args)
	case "rm":
		return sh.rm(args)
	case "mkdir":
		return sh.mkdir(args)
	case "pwd":
		return ok(sh.cwd + "\n")
	case "hostname":
		return ok(sh.node + "\n")
	case "whoami":
		return ok("root\n")
	case "echo":
		return ok(strings.Join(args, " ") + "\n")
	case "date":
		return ok(sh.c.K.WallTime().Format("Mon Jan _2 03:04:05 PM MST 2006") + "\n")
	case "systemctl":
		return sh.systemctl(args)
	case "journalctl":
		return sh.journalctl(args)
	case "crictl":
		return sh.crictl(args)
	case "etcdctl":
		return sh.etcdctl(args)
	case "etcdutl":
		return sh.etcdutl(args)
	case "iptables-save":
		return sh.iptablesSave(args)
	case "cilium", "cilium-dbg":
		return sh.cilium(name, args)
	case "hubble":
		return sh.hubble(args)
	case "ip":
		return sh.ip(args)
	case "kubectl":
		return sh.kubectl(args)
	case "edit", "vi", "vim", "nano":
		return fail(1, "%s: the editor runs in your own terminal: use `edit FILE` at a kubesim ssh prompt", name)
	case "exit", "logout", "true", ":":
		return Result{}
	case "false":
		return Result{Code: 1}
	}
	return fail(127, "bash: %s: command not found", name)
}

// abs resolves p against dir.
func abs(dir, p string) string {
	if p == "~" {
		return Home
	}
	if strings.HasPrefix(p, "~/") {
		p = Home + p[1:]
	}
	if !strings.HasPrefix(p, "/") {
		p = dir + "/" + p
	}
	return path.Clean(p)
}

// glob expands a * or ? in the last element of a path, as the shell
// does (a pattern that matches nothing stays as it is).
func (sh *shell) glob(p string) []string {
	full := abs(sh.cwd, p)
	if !strings.ContainsAny(path.Base(full), "*?[") {
		return []string{p}
	}
	entries, err := sh.fs().ReadDir(path.Dir(full))
	if err != nil {
		return []string{p}
	}
	var out []string
	for _, e := range entries {
		if m, _ := path.Match(path.Base(full), e.Name); m && !strings.HasPrefix(e.Name, ".") {
			out = append(out, path.Join(path.Dir(full), e.Name))
		}
	}
	if len(out) == 0 {
		return []string{p}
	}
	return out
}

func (sh *shell) globAll(args []string) []string {
	var out []string
	for _, a := range args {
		out = append(out, sh.glob(a)...)
	}
	return out
}

// splitFlags separates short flags (-la, -n 5 is left to callers) from
// operands.
func splitFlags(args []string) (flags string, operands []string) {
	for _, a := range args {
		if strings.HasPrefix(a, "-") && len(a) > 1 && !strings.HasPrefix(a, "--") {
			flags += a[1:]
			continue
		}
		operands = append(operands, a)
	}
	return flags, operands
}

func (sh *shell) ls(args []string) Result {
	flags, ops := splitFlags(args)
	long, all := strings.Contains(flags, "l"), strings.Contains(flags, "a")
	if len(ops) == 0 {
		ops = []string{"."}
	}
	ops = sh.globAll(ops)
	d := sh.fs()
	var out, errs strings.Builder
	code := 0
	for i, op := range ops {
		p := abs(sh.cwd, op)
		if !d.Exists(p) {
			fmt.Fprintf(&errs, "ls: cannot access '%s': No such file or directory\n", op)
			code = 2
			continue
		}
		if !d.IsDir(p) {
			data, _ := d.ReadFile(p)
			if long {
				fmt.Fprintf(&out, "%s 1 root root %d %s %s\n", fs.FileMode(0o600).String(), len(data), sh.mtime(), op)
			} else {
				fmt.Fprintln(&out, op)
			}
			continue
		}
		entries, _ := d.ReadDir(p)
		if len(ops) > 1 {
			if i > 0 {
				out.WriteString("\n")
			}
			fmt.Fprintf(&out, "%s:\n", op)
		}
		if long {
			fmt.Fprintf(&out, "total %d\n", 4*len(entries))
		}
		var names []string
		for _, e := range entries {
			if strings.HasPrefix(e.Name, ".") && !all {
				continue
			}
			if !long {
				names = append(names, e.Name)
				continue
			}
			mode, size := e.Mode.String(), e.Size
			if e.Dir {
				mode, size = "drwxr-xr-x", 4096
			}
			fmt.Fprintf(&out, "%s %d root root %5d %s %s\n", mode, 1+boolInt(e.Dir), size, sh.mtime(), e.Name)
		}
		if len(names) > 0 {
			out.WriteString(strings.Join(names, "  ") + "\n")
		}
	}
	return Result{Stdout: out.String(), Stderr: errs.String(), Code: code}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// mtime is the time ls shows: kubesim does not keep file times; it shows
// the cluster's boot.
func (sh *shell) mtime() string { return sh.c.K.Epoch().Format("Jan _2 15:04") }

func (sh *shell) cat(args []string, stdin string, piped bool) Result {
	_, ops := splitFlags(args)
	if len(ops) == 0 && piped {
		return ok(stdin)
	}
	d := sh.fs()
	var out, errs strings.Builder
	code := 0
	for _, op := range sh.globAll(ops) {
		p := abs(sh.cwd, op)
		data, err := d.ReadFile(p)
		if err != nil {
			if d.IsDir(p) {
				fmt.Fprintf(&errs, "cat: %s: Is a directory\n", op)
			} else {
				fmt.Fprintf(&errs, "cat: %s: No such file or directory\n", op)
			}
			code = 1
			continue
		}
		out.Write(data)
	}
	return Result{Stdout: out.String(), Stderr: errs.String(), Code: code}
}

func (sh *shell) grep(args []string, stdin string, piped bool) Result {
	var pattern string
	var files []string
	ignore, invert, count, recursive, number, fixed, onlyNames := false, false, false, false, false, false, false
	havePattern := false
	endOfOptions := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--" && !endOfOptions:
			endOfOptions = true
		case endOfOptions && !havePattern:
			pattern, havePattern = a, true
		case endOfOptions:
			files = append(files, a)
		case a == "-e" && i+1 < len(args):
			pattern, havePattern = args[i+1], true
			i++
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for _, f := range a[1:] {
				switch f {
				case 'i':
					ignore = true
				case 'v':
					invert = true
				case 'c':
					count = true
				case 'r', 'R':
					recursive = true
				case 'n':
					number = true
				case 'F':
					fixed = true
				case 'E':
				case 'l':
					onlyNames = true
				default:
					return fail(2, "grep: invalid option -- '%c'\nUsage: grep [OPTION]... PATTERNS [FILE]...", f)
				}
			}
		case !havePattern:
			pattern, havePattern = a, true
		default:
			files = append(files, a)
		}
	}
	if !havePattern {
		return fail(2, "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.")
	}
	expr := pattern
	if fixed {
		expr = regexp.QuoteMeta(pattern)
	}
	if ignore {
		expr = "(?i)" + expr
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return fail(2, "grep: Invalid regular expression")
	}
	type input struct{ name, text string }
	var inputs []input
	var errs strings.Builder
	d := sh.fs()
	if len(files) == 0 && !piped {
		if !recursive {
			return fail(2, "grep: (standard input): no input")
		}
		files = []string{"."}
	}
	for _, f := range sh.globAll(files) {
		p := abs(sh.cwd, f)
		if d.IsDir(p) {
			if !recursive {
				fmt.Fprintf(&errs, "grep: %s: Is a directory\n", f)
				continue
			}
			for _, file := range d.Files() {
				if strings.HasPrefix(file, strings.TrimSuffix(p, "/")+"/") {
					data, _ := d.ReadFile(file)
					name := strings.TrimPrefix(file, sh.cwd+"/")
					if strings.HasPrefix(f, "/") {
						name = file
					}
					inputs = append(inputs, input{name, string(data)})
				}
			}
			continue
		}
		data, err := d.ReadFile(p)
		if err != nil {
			fmt.Fprintf(&errs, "grep: %s: No such file or directory\n", f)
			continue
		}
		inputs = append(inputs, input{f, string(data)})
	}
	if len(files) == 0 {
		inputs = []input{{"(standard input)", stdin}}
	}
	prefix := len(inputs) > 1 || recursive
	var out strings.Builder
	matched := false
	for _, in := range inputs {
		n := 0
		for i, l := range lines(in.text) {
			if re.MatchString(l) == invert {
				continue
			}
			n++
			matched = true
			if count || onlyNames {
				continue
			}
			if prefix {
				out.WriteString(in.name + ":")
			}
			if number {
				fmt.Fprintf(&out, "%d:", i+1)
			}
			out.WriteString(l + "\n")
		}
		switch {
		case onlyNames && n > 0:
			out.WriteString(in.name + "\n")
		case count && prefix:
			fmt.Fprintf(&out, "%s:%d\n", in.name, n)
		case count:
			fmt.Fprintf(&out, "%d\n", n)
		}
	}
	code := 0
	if !matched {
		code = 1
	}
	if errs.Len() > 0 {
		code = 2
	}
	return Result{Stdout: out.String(), Stderr: errs.String(), Code: code}
}

// lines splits text into lines without their newlines.
func lines(text string) []string {
	if text == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(text, "\n"), "\n")
}

func headTail(name string, args []string, stdin string) Result {
	n := 10
	for i := 0; i < len(args); i++ {
		a := args[i]
		var v string
		switch {
		case a == "-n" && i+1 < len(args):
			v = args[i+1]
			i++
		case strings.HasPrefix(a, "-n"):
			v = a[2:]
		case strings.HasPrefix(a, "-") && len(a) > 1:
			v = a[1:]
		default:
			return fail(1, "%s: this shell's %s reads a pipe: cat %s | %s", name, name, a, name)
		}
		x, err := strconv.Atoi(v)
		if err != nil || x < 0 {
			return fail(1, "%s: invalid number of lines: '%s'", name, v)
		}
		n = x
	}
	ls := lines(stdin)
	if name == "head" && len(ls) > n {
		ls = ls[:n]
	}
	if name == "tail" && len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	if len(ls) == 0 {
		return ok("")
	}
	return ok(strings.Join(ls, "\n") + "\n")
}

func wc(args []string, stdin string) Result {
	n := strings.Count(stdin, "\n")
	flags, _ := splitFlags(args)
	switch flags {
	case "l":
		return ok(fmt.Sprintf("%d\n", n))
	case "w":
		return ok(fmt.Sprintf("%d\n", len(strings.Fields(stdin))))
	case "c":
		return ok(fmt.Sprintf("%d\n", len(stdin)))
	}
	return ok(fmt.Sprintf("%7d %7d %7d\n", n, len(strings.Fields(stdin)), len(stdin)))
}

// change runs a node command and turns its error into the tool's message.
func (sh *shell) change(tool string, cmd cluster.NodeCommand) Result {
	out, err := sh.c.NodeExec(sh.node, cmd)
	if err != nil {
		msg := err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			msg = fmt.Sprintf("cannot %s '%s': %s", pe.Op, pe.Path, pathErrText(pe.Err))
			return Result{Stdout: out, Stderr: tool + ": " + msg + "\n", Code: 1}
		}
		return Result{Stdout: out, Stderr: msg + "\n", Code: 1}
	}
	return ok(out)
}

func pathErrText(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "No such file or directory"
	case errors.Is(err, fs.ErrExist):
		return "File exists"
	}
	s := err.Error()
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

func (sh *shell) mvcp(name string, args []string) Result {
	flags, ops := splitFlags(args)
	_ = flags
	if len(ops) < 2 {
		return fail(1, "%s: missing destination file operand after '%s'", name, strings.Join(ops, " "))
	}
	d := sh.fs()
	srcs, dst := sh.globAll(ops[:len(ops)-1]), abs(sh.cwd, ops[len(ops)-1])
	var res Result
	for _, s := range srcs {
		src := abs(sh.cwd, s)
		if !d.Exists(src) {
			res.Stderr += fmt.Sprintf("%s: cannot stat '%s': No such file or directory\n", name, s)
			res.Code = 1
			continue
		}
		to := dst
		if d.IsDir(dst) {
			to = path.Join(dst, path.Base(src))
		}
		var r Result
		if name == "mv" {
			r = sh.change(name, cluster.NodeCommand{Op: cluster.OpRename, Path: src, To: to})
		} else {
			data, err := d.ReadFile(src)
			if err != nil {
				res.Stderr += fmt.Sprintf("cp: -r not specified; omitting directory '%s'\n", s)
				res.Code = 1
				continue
			}
			r = sh.change(name, cluster.NodeCommand{Op: cluster.OpWrite, Path: to, Data: data})
		}
		res.Stderr += r.Stderr
		if r.Code != 0 {
			res.Code = r.Code
		}
	}
	return res
}

func (sh *shell) rm(args []string) Result {
	flags, ops := splitFlags(args)
	force, recursive := strings.Contains(flags, "f"), strings.ContainsAny(flags, "rR")
	if len(ops) == 0 {
		if force {
			return ok("")
		}
		return fail(1, "rm: missing operand")
	}
	d := sh.fs()
	var res Result
	for _, op := range sh.globAll(ops) {
		p := abs(sh.cwd, op)
		if !d.Exists(p) {
			if !force {
				res.Stderr += fmt.Sprintf("rm: cannot remove '%s': No such file or directory\n", op)
				res.Code = 1
			}
			continue
		}
		if d.IsDir(p) && !recursive {
			res.Stderr += fmt.Sprintf("rm: cannot remove '%s': Is a directory\n", op)
			res.Code = 1
			continue
		}
		r := sh.change("rm", cluster.NodeCommand{Op: cluster.OpRemove, Path: p})
		res.Stderr += r.Stderr
		if r.Code != 0 {
			res.Code = r.Code
		}
	}
	return res
}

func (sh *shell) mkdir(args []string) Result {
	_, ops := splitFlags(args)
	if len(ops) == 0 {
		return fail(1, "mkdir: missing operand")
	}
	var res Result
	for _, op := range ops {
		r := sh.change("mkdir", cluster.NodeCommand{Op: cluster.OpMkdir, Path: abs(sh.cwd, op)})
		res.Stderr += r.Stderr
		if r.Code != 0 {
			res.Code = r.Code
		}
	}
	return res
}

// sortedKeys is a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
