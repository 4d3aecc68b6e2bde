package serve

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiserver/frontend"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/images"
	"github.com/kubesim/kubesim/components/kubelet"
	"github.com/kubesim/kubesim/scenarios/nodeshell"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
)

// The streams behind kubectl exec, attach, port-forward and logs -f. The
// front end has authorized the request through kube-apiserver and
// upgraded the connection; what runs in the container is answered here,
// on the driver goroutine, between steps:
//
//   - exec runs the command with the container's shell (nodeshell.Exec):
//     curl, nslookup and the like send their packets through the
//     simulated datapath, so each exec is an input of the run, journaled
//     and replayed by time travel like any request. A bare shell with
//     stdin (kubectl exec -it POD -- sh) reads a line at a time, each line
//     one exec.
//   - attach and logs -f follow the container's log as virtual time
//     passes: every followPoll the follower reads the kubelet's log out of
//     band (ContainerLogs: reading changes nothing in the run) and sends
//     the new lines with their virtual times, until the container stops
//     running or the client goes.
//   - port-forward carries HTTP requests to the container's process (its
//     image's answer, its access log); a port no container listens on
//     gets the kubelet's error.

// followPoll is how often (wall clock) a follower looks for new lines.
const followPoll = 50 * time.Millisecond

var _ frontend.StreamBackend = (*backend)(nil)
var _ frontend.LogFollower = (*backend)(nil)

func (b *backend) Exec(ctx context.Context, r frontend.ExecRequest, st frontend.ExecStreams) error {
	s := (*Server)(b)
	ref := nodeshell.ContainerRef{Namespace: r.Namespace, Pod: r.Pod, Container: r.Container}
	if r.Attach {
		return s.attach(ctx, r, st)
	}
	if st.Stdin != nil && len(r.Command) == 1 && isShell(r.Command[0]) {
		return s.shellSession(ctx, r, st)
	}
	stdin := ""
	if st.Stdin != nil && readsStdin(r.Command) {
		data, err := io.ReadAll(io.LimitReader(st.Stdin, 8<<20))
		if err != nil {
			return err
		}
		stdin = string(data)
	}
	var res nodeshell.Result
	if err := s.Do(ctx, func(c *cluster.Cluster) { res = nodeshell.Exec(c, ref, r.Command, stdin) }); err != nil {
		return err
	}
	writeOut(st, r.TTY, res)
	if res.Code != 0 {
		return &frontend.ExitError{Code: res.Code}
	}
	return nil
}

func isShell(argv0 string) bool {
	switch argv0[strings.LastIndexByte(argv0, '/')+1:] {
	case "sh", "bash", "ash", "dash":
		return true
	}
	return false
}

// readsStdin tells the commands that read their standard input when no
// file is named (cat, grep, ...): for the others kubectl's stdin is not
// waited for.
func readsStdin(argv []string) bool {
	switch argv[0][strings.LastIndexByte(argv[0], '/')+1:] {
	case "cat", "grep", "head", "tail", "wc", "sed", "tar":
		return true
	}
	return false
}

func writeOut(st frontend.ExecStreams, tty bool, res nodeshell.Result) {
	out, errs := res.Stdout, res.Stderr
	if tty {
		out = strings.ReplaceAll(out, "\n", "\r\n")
		errs = strings.ReplaceAll(errs, "\n", "\r\n")
	}
	io.WriteString(st.Stdout, out)
	io.WriteString(st.Stderr, errs)
}

// shellSession is an interactive shell: each line typed runs as one
// `sh -c LINE`. With a TTY the terminal is raw, so the shell echoes what
// is typed and handles Enter, backspace, ^C and ^D itself.
func (s *Server) shellSession(ctx context.Context, r frontend.ExecRequest, st frontend.ExecStreams) error {
	ref := nodeshell.ContainerRef{Namespace: r.Namespace, Pod: r.Pod, Container: r.Container}
	var prompt string
	var has bool
	if err := s.Do(ctx, func(c *cluster.Cluster) {
		if im, ok := nodeshell.ContainerImage(c, ref); ok {
			prompt, has = im.Prompt(), im.Has(r.Command[0][strings.LastIndexByte(r.Command[0], '/')+1:])
		}
	}); err != nil {
		return err
	}
	if !has {
		var res nodeshell.Result
		if err := s.Do(ctx, func(c *cluster.Cluster) { res = nodeshell.Exec(c, ref, r.Command, "") }); err != nil {
			return err
		}
		writeOut(st, r.TTY, res)
		return &frontend.ExitError{Code: res.Code}
	}
	in := bufio.NewReader(st.Stdin)
	echo := func(text string) {
		if r.TTY {
			io.WriteString(st.Stdout, text)
		}
	}
	echo(prompt)
	var line []byte
	code := 0
	for {
		ch, err := in.ReadByte()
		if err != nil {
			break // the client closed stdin: the shell exits
		}
		if r.TTY {
			switch ch {
			case '\r', '\n':
				echo("\r\n")
			case 0x7f, 0x08:
				if len(line) > 0 {
					line = line[:len(line)-1]
					echo("\b \b")
				}
				continue
			case 0x03:
				echo("^C\r\n" + prompt)
				line = line[:0]
				continue
			case 0x04:
				if len(line) == 0 {
					echo("exit\r\n")
					return exitErr(code)
				}
				continue
			default:
				line = append(line, ch)
				echo(string(ch))
				continue
			}
		} else if ch != '\n' {
			line = append(line, ch)
			continue
		}
		text := strings.TrimSpace(string(line))
		line = line[:0]
		if f := strings.Fields(text); len(f) > 0 && f[0] == "exit" {
			if len(f) > 1 {
				fmt.Sscanf(f[1], "%d", &code)
			}
			return exitErr(code)
		}
		if text != "" {
			var res nodeshell.Result
			if err := s.Do(ctx, func(c *cluster.Cluster) { res = nodeshell.Exec(c, ref, []string{r.Command[0], "-c", text}, "") }); err != nil {
				return err
			}
			writeOut(st, r.TTY, res)
			code = res.Code
		}
		echo(prompt)
	}
	return exitErr(code)
}

func exitErr(code int) error {
	if code == 0 {
		return nil
	}
	return &frontend.ExitError{Code: code}
}

// attach follows the container's output from now on, as attaching to its
// main process shows what it prints next.
func (s *Server) attach(ctx context.Context, r frontend.ExecRequest, st frontend.ExecStreams) error {
	if st.Stdin != nil {
		go io.Copy(io.Discard, st.Stdin) // no process reads it
	}
	lr := frontend.LogsRequest{Namespace: r.Namespace, Pod: r.Pod, Node: r.Node, Container: r.Container}
	var from int
	if err := s.Do(ctx, func(c *cluster.Cluster) { lines, _ := logsOf(c, lr); from = len(lines) }); err != nil {
		return err
	}
	return (*backend)(s).FollowLogs(ctx, lr, from, func(line string) error {
		if r.TTY {
			line += "\r"
		}
		_, err := io.WriteString(st.Stdout, line+"\n")
		return err
	})
}

// logsOf reads a container's current log out of band (the kubelet's
// ContainerLogs, with each line's virtual time), and whether the
// container is still running.
func logsOf(c *cluster.Cluster, r frontend.LogsRequest) ([]kubelet.LogLine, bool) {
	for _, kl := range c.Kubelets {
		if kl.Node() != r.Node {
			continue
		}
		lines, err := kl.ContainerLogs(r.Namespace, r.Pod, r.Container, false)
		if err != nil {
			return nil, false
		}
		return lines, containerRunning(kl, r)
	}
	return nil, false
}

func containerRunning(kl *kubelet.Kubelet, r frontend.LogsRequest) bool {
	for _, sb := range kl.Sandboxes() {
		if sb.Namespace != r.Namespace || sb.Name != r.Pod {
			continue
		}
		for _, ct := range sb.Containers {
			if ct.Name == r.Container && ct.Running {
				return true
			}
		}
	}
	return false
}

// FollowLogs sends the lines the container prints after its first from,
// as virtual time passes, until it stops running or ctx ends.
func (b *backend) FollowLogs(ctx context.Context, r frontend.LogsRequest, from int, line func(string) error) error {
	s := (*Server)(b)
	t := time.NewTicker(followPoll)
	defer t.Stop()
	for {
		var lines []kubelet.LogLine
		var running bool
		if err := s.Do(ctx, func(c *cluster.Cluster) { lines, running = logsOf(c, r) }); err != nil {
			return nil
		}
		for ; from < len(lines); from++ {
			text := lines[from].Text
			if r.Timestamps {
				text = lines[from].Time.UTC().Format(time.RFC3339Nano) + " " + text
			}
			if err := line(text); err != nil {
				return nil
			}
		}
		if !running {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.done:
			return nil
		case <-t.C:
		}
	}
}

// PortForward carries the HTTP requests that come through a forwarded
// port to the container that listens on it: each request goes to the
// node's container runtime (kubelet.KindServe) from the endpoint
// "portforward-<ns>-<pod>", as the kubelet's port-forward dials the port
// inside the pod's network namespace; the process answers as its image
// does and logs the request (from 127.0.0.1). Each request is so an input
// of the run, in the trace and in the journal.
func (b *backend) PortForward(ctx context.Context, r frontend.PortForwardRequest, conn io.ReadWriter) error {
	s := (*Server)(b)
	var container, sandbox string
	if err := s.Do(ctx, func(c *cluster.Cluster) {
		pod, err := client.Get[*api.Pod](c.Admin, r.Namespace, r.Pod)
		if err != nil {
			return
		}
		for _, ct := range pod.Spec.Containers {
			if containerRunningIn(pod, ct.Name) && images.OfContainer(&ct).Listens(r.Port, "TCP") {
				container = ct.Name
				break
			}
		}
		for _, kl := range c.Kubelets {
			if kl.Node() == r.Node {
				for _, sb := range kl.Sandboxes() {
					if sb.Namespace == r.Namespace && sb.Name == r.Pod {
						sandbox = sb.ID
					}
				}
			}
		}
	}); err != nil {
		return err
	}
	if container == "" {
		netns := sandbox
		if len(netns) >= 32 {
			netns = netns[:8] + "-" + netns[8:12] + "-" + netns[12:16] + "-" + netns[16:20] + "-" + netns[20:32]
		}
		return fmt.Errorf("error forwarding port %d to pod %s, uid : failed to execute portforward in network namespace \"/var/run/netns/cni-%s\": failed to connect to localhost:%d inside namespace \"%s\", IPv4: dial tcp4 127.0.0.1:%d: connect: connection refused IPv6 dial tcp6 [::1]:%d: connect: connection refused ",
			r.Port, sandbox, netns, r.Port, sandbox, r.Port, r.Port)
	}
	br := bufio.NewReader(conn)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return nil // the client closed the connection, or sent no HTTP
		}
		io.Copy(io.Discard, io.LimitReader(req.Body, 8<<20))
		req.Body.Close()
		var reply kubelet.ServeReply
		var callErr error
		if err := s.Do(ctx, func(c *cluster.Cluster) {
			s.forwardPort++
			sr := kubelet.ServeRequest{Namespace: r.Namespace, Pod: r.Pod, Container: container, Request: images.Request{
				Method: req.Method, Path: req.URL.RequestURI(), Host: req.Host, UserAgent: req.UserAgent(),
				ClientIP: "127.0.0.1", ClientPort: uint16(32768 + s.forwardPort%28232), Port: r.Port}}
			ext := c.K.External("portforward-"+r.Namespace+"-"+r.Pod, r.Node)
			var m *sim.Message
			m, callErr = ext.Call(kubelet.RuntimeName(r.Node), kubelet.KindServe, sr, 10*time.Second)
			if callErr == nil {
				reply, _ = m.Body.(kubelet.ServeReply)
			}
		}); err != nil {
			return err
		}
		resp := reply.Response
		if callErr != nil || resp.Status == 0 {
			return nil // no HTTP answer: the connection closes, as an empty reply
		}
		out := resp.Head()
		if req.Method != http.MethodHead {
			out += resp.Body
		}
		if _, err := io.WriteString(conn, out); err != nil || req.Close {
			return nil
		}
	}
}

func containerRunningIn(pod *api.Pod, name string) bool {
	for _, st := range pod.Status.ContainerStatuses {
		if st.Name == name {
			return st.State.Running != nil
		}
	}
	return false
}
