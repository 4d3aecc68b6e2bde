package nodeshell

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/kubesim/kubesim/components/dns"
)

// listItem is one pipeline of a list, with the operator before it ("",
// ";", "&&" or "||").
type listItem struct {
	op     string
	stages [][]string
}

// parseList splits a line into pipelines joined by ;, && and ||, outside
// quotes, and parses each as the node shell does.
func parseList(line string) ([]listItem, error) {
	var items []listItem
	op, start := "", 0
	cut := func(end int, next string) error {
		part := line[start:end]
		if strings.TrimSpace(part) == "" {
			if next != "" || op != "" && op != ";" {
				return fmt.Errorf("unexpected %q", next)
			}
		} else {
			stages, err := parse(part)
			if err != nil {
				return err
			}
			items = append(items, listItem{op: op, stages: stages})
		}
		op = next
		return nil
	}
	for i := 0; i < len(line); i++ {
		switch ch := line[i]; {
		case ch == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated quoted string")
			}
			i += j + 1
		case ch == '"':
			for i++; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' {
					i++
				}
			}
			if i >= len(line) {
				return nil, errors.New("unterminated quoted string")
			}
		case ch == '\\':
			i++
		case ch == ';':
			if err := cut(i, ";"); err != nil {
				return nil, err
			}
			start = i + 1
		case (ch == '&' || ch == '|') && i+1 < len(line) && line[i+1] == ch:
			if err := cut(i, line[i:i+2]); err != nil {
				return nil, err
			}
			i++
			start = i + 1
		}
	}
	if err := cut(len(line), ""); err != nil {
		return nil, err
	}
	if op == "&&" || op == "||" {
		return nil, errors.New("unexpected end of file")
	}
	return items, nil
}

// curlOptions are the curl flags kubesim understands.
type curlOptions struct {
	silent, showError, verbose, head, include, fail bool
	maxTime                                         int
	output, method, url                             string
}

func parseCurl(args []string) (curlOptions, error) {
	var o curlOptions
	o.method = "GET"
	takes := func(i *int, name string) (string, error) {
		if *i+1 >= len(args) {
			return "", fmt.Errorf("curl: option %s: requires parameter", name)
		}
		*i++
		return args[*i], nil
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--silent":
			o.silent = true
		case a == "--show-error":
			o.showError = true
		case a == "--verbose":
			o.verbose = true
		case a == "--head":
			o.head = true
		case a == "--include":
			o.include = true
		case a == "--fail":
			o.fail = true
		case a == "--location", a == "--insecure":
		case a == "--max-time" || a == "--connect-timeout" || a == "--output" || a == "--request" || a == "--header":
			v, err := takes(&i, a)
			if err != nil {
				return o, err
			}
			switch a {
			case "--max-time", "--connect-timeout":
				o.maxTime, _ = strconv.Atoi(v)
			case "--output":
				o.output = v
			case "--request":
				o.method = v
			}
		case strings.HasPrefix(a, "-") && len(a) > 1 && !strings.HasPrefix(a, "--"):
			for j := 1; j < len(a); j++ {
				switch a[j] {
				case 's':
					o.silent = true
				case 'S':
					o.showError = true
				case 'v':
					o.verbose = true
				case 'I':
					o.head = true
				case 'i':
					o.include = true
				case 'f':
					o.fail = true
				case 'L', 'k':
				case 'm', 'o', 'X', 'H':
					var v string
					if j+1 < len(a) {
						v = a[j+1:]
					} else {
						var err error
						if v, err = takes(&i, "-"+string(a[j])); err != nil {
							return o, err
						}
					}
					switch a[j] {
					case 'm':
						o.maxTime, _ = strconv.Atoi(v)
					case 'o':
						o.output = v
					case 'X':
						o.method = v
					}
					j = len(a)
				default:
					return o, fmt.Errorf("curl: option -%c: is unknown\ncurl: try 'curl --help' or 'curl --manual' for more information", a[j])
				}
			}
		case strings.HasPrefix(a, "--"):
			return o, fmt.Errorf("curl: option %s: is unknown\ncurl: try 'curl --help' or 'curl --manual' for more information", a)
		default:
			o.url = a
		}
	}
	if o.url == "" {
		return o, errors.New("curl: try 'curl --help' or 'curl --manual' for more information")
	}
	if o.head {
		o.method = "HEAD"
	}
	return o, nil
}

// curl runs curl through the datapath: its connection is the Prober's,
// the answer the server pod's image's.
func (sh *shell) curl(args []string) Result {
	o, err := parseCurl(args)
	if err != nil {
		return fail(2, "%s", err)
	}
	host, port, reqPath := probeTarget(o.url)
	res, server := sh.probe(host, port, o.maxTime)
	var stderr strings.Builder
	addr := resolvedAddr(res, host)
	if o.verbose && res.ExitCode != 6 {
		if addr != host {
			fmt.Fprintf(&stderr, "* Host %s:%d was resolved.\n* IPv6: (none)\n* IPv4: %s\n", host, port, addr)
		}
		fmt.Fprintf(&stderr, "*   Trying %s:%d...\n", addr, port)
	}
	if res.ExitCode != 0 {
		if !o.silent || o.showError {
			stderr.WriteString(res.Output)
		}
		return Result{Stderr: stderr.String(), Code: res.ExitCode}
	}
	a := answer(server, res.Endpoint.Port(), o.method, reqPath)
	headers := sh.httpHeaders(a)
	if o.verbose {
		fmt.Fprintf(&stderr, "* Connected to %s (%s) port %d\n* using HTTP/1.x\n> %s %s HTTP/1.1\n> Host: %s\n> User-Agent: curl/8.11.1\n> Accept: */*\n> \n* Request completely sent off\n",
			host, addr, port, o.method, reqPath, hostHeader(host, port))
		for _, h := range strings.Split(strings.TrimSuffix(headers, "\r\n"), "\r\n") {
			stderr.WriteString("< " + h + "\n")
		}
		stderr.WriteString("< \n")
	}
	var stdout strings.Builder
	if o.head || o.include {
		stdout.WriteString(headers + "\r\n")
	}
	if !o.head {
		stdout.WriteString(a.Body)
	}
	if o.output != "" {
		stdout.Reset() // -o FILE: the body goes to the file (not kept: the container's files are fresh each exec)
	}
	if !o.silent && !o.verbose {
		stderr.WriteString(progressMeter(len(a.Body)))
	}
	if o.verbose {
		fmt.Fprintf(&stderr, "* Connection #0 to host %s left intact\n", host)
	}
	if o.fail && a.Status >= 400 {
		return Result{Stderr: stderr.String() + fmt.Sprintf("curl: (22) The requested URL returned error: %d\n", a.Status), Code: 22}
	}
	return Result{Stdout: stdout.String(), Stderr: stderr.String()}
}

func hostHeader(host string, port uint16) string {
	if port == 80 {
		return host
	}
	return fmt.Sprintf("%s:%d", host, port)
}

// httpHeaders is the status line and headers of an answer, CRLF-ended.
func (sh *shell) httpHeaders(a HTTPAnswer) string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", a.Status, statusText(a.Status))
	if a.Server != "" {
		fmt.Fprintf(&b, "Server: %s\r\n", a.Server)
	}
	fmt.Fprintf(&b, "Date: %s\r\n", sh.c.K.WallTime().UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT"))
	fmt.Fprintf(&b, "Content-Type: %s\r\nContent-Length: %d\r\nConnection: keep-alive\r\n", a.ContentType, len(a.Body))
	return b.String()
}

func statusText(code int) string {
	switch code {
	case 200:
		return "OK"
	case 404:
		return "Not Found"
	case 500:
		return "Internal Server Error"
	}
	return ""
}

// progressMeter is curl's meter on stderr when its output is not a
// terminal (kubectl exec without -t).
func progressMeter(size int) string {
	return "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n" +
		"                                 Dload  Upload   Total   Spent    Left  Speed\n" +
		fmt.Sprintf("\r100 %5d  100 %5d    0     0      0      0 --:--:-- --:--:-- --:--:--     0\n", size, size)
}

// wget is busybox's wget.
func (sh *shell) wget(args []string) Result {
	quiet, output, target, timeout, spider := false, "", "", 0, false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-q":
			quiet = true
		case a == "-qO-" || a == "-qO" && i+1 < len(args) && args[i+1] == "-":
			quiet, output = true, "-"
			if a == "-qO" {
				i++
			}
		case a == "-O" && i+1 < len(args):
			output = args[i+1]
			i++
		case strings.HasPrefix(a, "-O"):
			output = a[2:]
		case a == "-T" && i+1 < len(args):
			timeout, _ = strconv.Atoi(args[i+1])
			i++
		case a == "--spider":
			spider = true
		case strings.HasPrefix(a, "-"):
			return fail(1, "wget: unrecognized option '%s'\nBusyBox v1.37.0 (2024-09-26 21:31:42 UTC) multi-call binary.\n\nUsage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]\n\t[--post-data STR | --post-file FILE] [-Y on/off]\n\t[-P DIR] [-U AGENT] [-T SEC] URL...", a)
		default:
			target = a
		}
	}
	if target == "" {
		return fail(1, "BusyBox v1.37.0 (2024-09-26 21:31:42 UTC) multi-call binary.\n\nUsage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]\n\t[--post-data STR | --post-file FILE] [-Y on/off]\n\t[-P DIR] [-U AGENT] [-T SEC] URL...")
	}
	host, port, reqPath := probeTarget(target)
	res, server := sh.probe(host, port, timeout)
	addr := resolvedAddr(res, host)
	var stderr strings.Builder
	switch res.ExitCode {
	case 0:
	case 6:
		return fail(1, "wget: bad address '%s'", host)
	case 7:
		if !quiet {
			fmt.Fprintf(&stderr, "Connecting to %s (%s:%d)\n", host, addr, port)
		}
		return Result{Stderr: stderr.String() + fmt.Sprintf("wget: can't connect to remote host (%s): Connection refused\n", addr), Code: 1}
	default:
		if !quiet {
			fmt.Fprintf(&stderr, "Connecting to %s (%s:%d)\n", host, addr, port)
		}
		return Result{Stderr: stderr.String() + "wget: download timed out\n", Code: 1}
	}
	if !quiet {
		fmt.Fprintf(&stderr, "Connecting to %s (%s:%d)\n", host, addr, port)
	}
	a := answer(server, res.Endpoint.Port(), "GET", reqPath)
	if a.Status >= 400 {
		return Result{Stderr: stderr.String() + fmt.Sprintf("wget: server returned error: HTTP/1.1 %d %s\n", a.Status, statusText(a.Status)), Code: 1}
	}
	if spider {
		if !quiet {
			stderr.WriteString("remote file exists\n")
		}
		return Result{Stderr: stderr.String()}
	}
	name := output
	if name == "" {
		name = path.Base(reqPath)
		if name == "/" || name == "." {
			name = "index.html"
		}
	}
	if name == "-" {
		if !quiet {
			fmt.Fprintf(&stderr, "writing to stdout\n-                    100%% |********************************| %5d  0:00:00 ETA\nwritten to stdout\n", len(a.Body))
		}
		return Result{Stdout: a.Body, Stderr: stderr.String()}
	}
	if !quiet {
		fmt.Fprintf(&stderr, "saving to '%s'\n%-20s 100%% |********************************| %5d  0:00:00 ETA\n'%s' saved\n", name, name, len(a.Body), name)
	}
	return Result{Stderr: stderr.String()}
}

// nslookup resolves through the pod's resolv.conf and CoreDNS.
func (sh *shell) nslookup(args []string) Result {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return fail(1, "Usage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]")
	}
	res := sh.c.Prober().Nslookup(sh.box.pod.Namespace+"/"+sh.box.pod.Name, args[0])
	return Result{Stdout: res.Output, Code: res.ExitCode}
}

// host is bind's host(1).
func (sh *shell) host(args []string) Result {
	if len(args) == 0 {
		return fail(1, "Usage: host [-aCdilrTvVw] [-c class] [-N ndots] [-t type] [-W time]\n            [-R number] [-m flag] [-p port] hostname [server]")
	}
	res := sh.c.Prober().Nslookup(sh.box.pod.Namespace+"/"+sh.box.pod.Name, args[0])
	l := res.Lookup
	switch {
	case l == nil:
		return Result{Stderr: res.Output, Code: 1}
	case l.TimedOut:
		return Result{Stdout: ";; connection timed out; no servers could be reached\n", Code: 1}
	case l.Answer == nil:
		return Result{Stdout: fmt.Sprintf("Host %s not found: 3(NXDOMAIN)\n", args[0]), Code: 1}
	}
	var b strings.Builder
	for _, rr := range l.Answer.Answer {
		name := strings.TrimSuffix(rr.Name, ".")
		switch rr.Type {
		case dns.TypeA:
			fmt.Fprintf(&b, "%s has address %s\n", name, rr.Data)
		case dns.TypeCNAME:
			fmt.Fprintf(&b, "%s is an alias for %s\n", name, rr.Data)
		}
	}
	return ok(b.String())
}

// nc -z[v] [-w SEC] HOST PORT: a TCP connect through the datapath
// (busybox nc's words).
func (sh *shell) nc(args []string) Result {
	zero, verbose, timeout := false, false, 0
	var operands []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-w" && i+1 < len(args):
			timeout, _ = strconv.Atoi(args[i+1])
			i++
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for _, f := range a[1:] {
				switch f {
				case 'z':
					zero = true
				case 'v':
					verbose = true
				case 'n':
				default:
					return fail(1, "nc: invalid option -- '%c'", f)
				}
			}
		default:
			operands = append(operands, a)
		}
	}
	if !zero || len(operands) != 2 {
		return fail(1, "nc: kubesim runs nc only as a port check: nc -zv HOST PORT")
	}
	port, err := strconv.Atoi(operands[1])
	if err != nil || port <= 0 || port > 65535 {
		return fail(1, "nc: bad port '%s'", operands[1])
	}
	host := operands[0]
	res, _ := sh.probe(host, uint16(port), timeout)
	addr := resolvedAddr(res, host)
	switch res.ExitCode {
	case 0:
		if verbose {
			return Result{Stderr: fmt.Sprintf("%s (%s:%d) open\n", host, addr, port)}
		}
		return Result{}
	case 6:
		return fail(1, "nc: bad address '%s'", host)
	case 7:
		return fail(1, "nc: %s (%s:%d): Connection refused", host, addr, port)
	}
	return fail(1, "nc: %s (%s:%d): Connection timed out", host, addr, port)
}

// tar cf - PATH...: an archive of the container's files on stdout, what
// `kubectl cp POD:PATH LOCAL` reads. (kubectl cp into a container, tar
// xf -, needs a writable container filesystem, which kubesim does not
// keep.)
func (sh *shell) tar(args []string) Result {
	if len(args) >= 1 && (args[0] == "xf" || args[0] == "-xf" || args[0] == "-xmf" || args[0] == "xmf") {
		return fail(2, "tar: kubesim keeps no writable container filesystem: copying files into a container is not simulated")
	}
	if len(args) < 2 || (args[0] != "cf" && args[0] != "-cf") || args[1] != "-" {
		return fail(2, "tar: kubesim's tar writes archives to stdout only: tar cf - PATH...")
	}
	dir := sh.cwd
	var files []string
	rest := args[2:]
	for i := 0; i < len(rest); i++ {
		if rest[i] == "-C" && i+1 < len(rest) {
			dir = abs(sh.cwd, rest[i+1])
			i++
			continue
		}
		files = append(files, rest[i])
	}
	if len(files) == 0 {
		return fail(2, "tar: empty archive")
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mtime := sh.c.K.WallTime()
	var stderr strings.Builder
	code := 0
	var add func(full, name string)
	add = func(full, name string) {
		fs := sh.fs()
		if fs.IsDir(full) {
			tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: 0o755, ModTime: mtime})
			entries, _ := fs.ReadDir(full)
			for _, e := range entries {
				add(path.Join(full, e.Name), path.Join(name, e.Name))
			}
			return
		}
		data, err := fs.ReadFile(full)
		if err != nil {
			fmt.Fprintf(&stderr, "tar: %s: Cannot stat: No such file or directory\n", name)
			code = 2
			return
		}
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: mtime})
		tw.Write(data)
	}
	for _, f := range files {
		name := strings.TrimPrefix(path.Clean(f), "/")
		if strings.HasPrefix(f, "/") && !strings.Contains(stderr.String(), "Removing leading") {
			stderr.WriteString("tar: Removing leading `/' from member names\n")
		}
		add(abs(dir, f), name)
	}
	tw.Close()
	if code != 0 {
		stderr.WriteString("tar: Exiting with failure status due to previous errors\n")
	}
	return Result{Stdout: buf.String(), Stderr: stderr.String(), Code: code}
}
