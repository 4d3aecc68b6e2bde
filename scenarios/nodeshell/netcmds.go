package nodeshell

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/kubesim/kubesim/components/datapath"
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

// curlShow are the curl flags that change what it prints, not what it
// sends (the Prober's curl reads the rest).
type curlShow struct {
	silent, showError, verbose, head, include bool
	maxTime                                   int
	url                                       string
}

func curlFlags(args []string) curlShow {
	var o curlShow
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
		case (a == "-m" || a == "--max-time" || a == "--connect-timeout") && i+1 < len(args):
			o.maxTime, _ = strconv.Atoi(args[i+1])
			i++
		case a == "-X" || a == "-H" || a == "-d" || a == "-o" || a == "-w" || a == "--request" || a == "--header" || a == "--data" || a == "--output" || a == "--write-out" || a == "--retry":
			i++
		case len(a) > 1 && a[0] == '-' && a[1] != '-':
			for _, f := range a[1:] {
				switch f {
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
				}
			}
		case !strings.HasPrefix(a, "-"):
			o.url = a
		}
	}
	return o
}

// curl runs curl through the datapath (the Prober's curl: the request
// reaches the server pod's process, which answers as its image does).
// What curl prints on its standard error — the error message unless -s,
// the progress meter when its output is not a terminal, -v's trace — is
// added here.
func (sh *shell) curl(args []string) Result {
	o := curlFlags(args)
	probeArgs := args
	if o.verbose && !o.head && !o.include {
		probeArgs = append([]string{"-i"}, args...) // -v shows the response head on stderr
	}
	res := sh.prober(o.maxTime).CurlArgs(sh.podRef(), probeArgs...)
	var stderr strings.Builder
	host, port, reqPath := probeTarget(o.url)
	addr := resolvedAddr(res, host)
	if o.verbose && res.ExitCode != 6 && res.ExitCode != 2 {
		if addr != host {
			fmt.Fprintf(&stderr, "* Host %s:%d was resolved.\n* IPv6: (none)\n* IPv4: %s\n", host, port, addr)
		}
		fmt.Fprintf(&stderr, "*   Trying %s:%d...\n", addr, port)
	}
	if res.ExitCode != 0 {
		if !o.silent || o.showError || res.ExitCode == 2 {
			stderr.WriteString(res.Output)
		}
		return Result{Stderr: stderr.String(), Code: res.ExitCode}
	}
	out := res.Output
	if o.verbose {
		hostHeader := host
		if port != 80 {
			hostHeader = fmt.Sprintf("%s:%d", host, port)
		}
		method := "GET"
		if o.head {
			method = "HEAD"
		}
		fmt.Fprintf(&stderr, "* Connected to %s (%s) port %d\n* using HTTP/1.x\n> %s %s HTTP/1.1\n> Host: %s\n> User-Agent: %s\n> Accept: */*\n> \n* Request completely sent off\n",
			host, addr, port, method, reqPath, hostHeader, datapath.CurlUserAgent)
		head, body, _ := strings.Cut(out, "\r\n\r\n")
		for _, h := range strings.Split(head, "\r\n") {
			stderr.WriteString("< " + h + "\n")
		}
		stderr.WriteString("< \n")
		if !o.head && !o.include {
			out = body
		}
		fmt.Fprintf(&stderr, "* Connection #0 to host %s left intact\n", host)
	} else if !o.silent {
		stderr.WriteString(progressMeter(len(out)))
	}
	return Result{Stdout: out, Stderr: stderr.String()}
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
	res := sh.prober(timeout).CurlArgs(sh.podRef(), "-sf", target)
	addr := resolvedAddr(res, host)
	var stderr strings.Builder
	if !quiet && res.ExitCode != 6 {
		fmt.Fprintf(&stderr, "Connecting to %s (%s:%d)\n", host, addr, port)
	}
	switch res.ExitCode {
	case 0:
	case 6:
		return fail(1, "wget: bad address '%s'", host)
	case 7:
		return Result{Stderr: stderr.String() + fmt.Sprintf("wget: can't connect to remote host (%s): Connection refused\n", addr), Code: 1}
	case 22:
		code, _ := strconv.Atoi(strings.TrimSpace(res.Output[strings.LastIndexByte(strings.TrimSpace(res.Output), ' ')+1:]))
		return Result{Stderr: stderr.String() + fmt.Sprintf("wget: server returned error: HTTP/1.1 %d %s\n", code, http.StatusText(code)), Code: 1}
	case 28:
		return Result{Stderr: stderr.String() + "wget: download timed out\n", Code: 1}
	default:
		return Result{Stderr: stderr.String() + "wget: error getting response: Connection reset by peer\n", Code: 1}
	}
	body := res.Output
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
			fmt.Fprintf(&stderr, "writing to stdout\n-                    100%% |********************************| %5d  0:00:00 ETA\nwritten to stdout\n", len(body))
		}
		return Result{Stdout: body, Stderr: stderr.String()}
	}
	if !quiet {
		fmt.Fprintf(&stderr, "saving to '%s'\n%-20s 100%% |********************************| %5d  0:00:00 ETA\n'%s' saved\n", name, name, len(body), name)
	}
	return Result{Stderr: stderr.String()}
}

// nslookup resolves through the pod's resolv.conf and CoreDNS.
func (sh *shell) nslookup(args []string) Result {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return fail(1, "Usage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]")
	}
	res := sh.c.Prober().Nslookup(sh.podRef(), args[0])
	return Result{Stdout: res.Output, Code: res.ExitCode}
}

// host is bind's host(1).
func (sh *shell) host(args []string) Result {
	if len(args) == 0 {
		return fail(1, "Usage: host [-aCdilrTvVw] [-c class] [-N ndots] [-t type] [-W time]\n            [-R number] [-m flag] [-p port] hostname [server]")
	}
	res := sh.c.Prober().Nslookup(sh.podRef(), args[0])
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
	res := sh.prober(timeout).Connect(sh.podRef(), host, uint16(port))
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
// `kubectl cp POD:PATH LOCAL` reads. tar xf - (kubectl cp into a
// container) works only into the mount of a PersistentVolumeClaim, the
// one part of a container's filesystem kubesim keeps (claims.go).
func (sh *shell) tar(args []string, stdin string) Result {
	if len(args) >= 1 && (args[0] == "xf" || args[0] == "-xf" || args[0] == "-xmf" || args[0] == "xmf") {
		return sh.untar(args[1:], stdin)
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

// ping [-c COUNT] [-W SEC] HOST: ICMP echo through the datapath (busybox's
// ping). Without -c a real ping runs until interrupted; kubesim sends 4.
func (sh *shell) ping(args []string) Result {
	count := 4
	var host string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case (a == "-c" || a == "-W" || a == "-w" || a == "-i") && i+1 < len(args):
			if a == "-c" {
				n, err := strconv.Atoi(args[i+1])
				if err != nil || n <= 0 {
					return fail(1, "ping: invalid number '%s'", args[i+1])
				}
				count = n
			}
			i++
		case strings.HasPrefix(a, "-c") && len(a) > 2:
			n, err := strconv.Atoi(a[2:])
			if err != nil || n <= 0 {
				return fail(1, "ping: invalid number '%s'", a[2:])
			}
			count = n
		case strings.HasPrefix(a, "-"):
			return fail(1, "ping: unrecognized option '%s'", a)
		default:
			host = a
		}
	}
	if host == "" {
		return fail(1, "BusyBox v1.37.0 (2024-09-26 21:31:42 UTC) multi-call binary.\n\nUsage: ping [OPTIONS] HOST")
	}
	res := sh.c.Prober().Ping(sh.podRef(), host, count)
	if res.ExitCode != 0 && strings.HasPrefix(res.Output, "ping: bad address") {
		return Result{Stderr: res.Output, Code: res.ExitCode}
	}
	return Result{Stdout: res.Output, Code: res.ExitCode}
}

// untar extracts an archive from stdin under -C DIR (or the working
// directory), which must lie in a writable claim mount.
func (sh *shell) untar(args []string, stdin string) Result {
	dir := sh.cwd
	for i := 0; i < len(args); i++ {
		if args[i] == "-C" && i+1 < len(args) {
			dir = abs(sh.cwd, args[i+1])
			i++
		}
	}
	inClaim := false
	if sh.box != nil {
		for _, m := range sh.box.claims {
			inClaim = inClaim || (!m.readOnly && (dir == m.mountPath || strings.HasPrefix(dir, m.mountPath+"/")))
		}
	}
	if !inClaim {
		return fail(2, "tar: kubesim keeps no writable container filesystem outside the mounts of PersistentVolumeClaims: copying files to %s is not simulated", dir)
	}
	tr := tar.NewReader(strings.NewReader(stdin))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return Result{}
		}
		if err != nil {
			return fail(2, "tar: This does not look like a tar archive")
		}
		target := path.Join(dir, path.Clean("/"+h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			sh.fs().MkdirAll(target)
		case tar.TypeReg:
			data, err := io.ReadAll(tr)
			if err != nil {
				return fail(2, "tar: Unexpected EOF in archive")
			}
			sh.fs().MkdirAll(path.Dir(target))
			if err := sh.fs().WriteFile(target, data, 0o644); err != nil {
				return fail(2, "tar: %s: Cannot open: %v", h.Name, err)
			}
		}
	}
}
