package frontend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/go-logr/logr"
	"io"
	"k8s.io/klog/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiwire"
	"golang.org/x/net/websocket"
	"k8s.io/streaming/pkg/httpstream"
	"k8s.io/streaming/pkg/httpstream/spdy"
	"k8s.io/streaming/pkg/httpstream/wsstream"
)

// The connect subresources: pods/exec, pods/attach and pods/portforward.
//
// kube-apiserver authorizes them (verb create, as RBAC writes them; the
// WebSocket upgrade arrives as a GET, and kubesim asks for create then too,
// as kube-apiserver does from v1.35 with
// AuthorizePodWebsocketUpgradeCreatePermission), reads the pod for its node
// and containers, and proxies the upgraded connection to the node's
// kubelet, whose streaming server speaks the protocols. Here the front end
// plays both: the request goes through kube-apiserver like any other (so
// RBAC and the trace see it), and the upgraded stream is served here, with
// the commands and ports answered by the StreamBackend.
//
// Protocols, as kubectl v1.32 negotiates them:
//
//   - exec and attach: WebSocket first, subprotocol v5.channel.k8s.io (or
//     v4): one binary message per write, its first byte the channel: 0
//     stdin, 1 stdout, 2 stderr, 3 error (the final Status), 4 resize; v5
//     adds 255, "close channel N" (the client's end of stdin). If the
//     upgrade fails kubectl falls back to SPDY/3.1 with
//     X-Stream-Protocol-Version v4.channel.k8s.io, one SPDY stream per
//     channel named by its streamType header.
//   - portforward: WebSocket with subprotocol SPDY/3.1+portforward.k8s.io,
//     SPDY frames tunnelled in binary messages (or plain SPDY/3.1 as the
//     fallback); per forwarded connection the client opens a pair of
//     streams with the same requestID — streamType error and data — and
//     the port in a header.

// StreamBackend is what a Backend implements to serve the connect
// subresources. Without it they answer 404 as a server that does not
// serve them would.
type StreamBackend interface {
	// Exec runs a command in a container (pods/exec), or attaches to its
	// main process (pods/attach), with the client's streams. It returns
	// nil when the command exited 0, an *ExitError for another exit code,
	// and any other error when it could not run.
	Exec(ctx context.Context, r ExecRequest, s ExecStreams) error
	// PortForward serves one forwarded connection to a pod's port: it reads
	// the client's bytes from conn and writes the answers, and returns when
	// either side is done. Its error (nothing listens on the port) goes to
	// the client's error stream as it is, so word it as the kubelet does
	// ("error forwarding port 80 to pod ...").
	PortForward(ctx context.Context, r PortForwardRequest, conn io.ReadWriter) error
}

// ExecRequest is a command for a container (the PodExecOptions of the
// request, resolved against the pod).
type ExecRequest struct {
	Namespace, Pod, Node, Container string
	// Command is the argv (command= repeated); empty for attach.
	Command []string
	// Stdin, TTY as asked; Attach for pods/attach.
	Stdin, TTY, Attach bool
}

// ExecStreams are the client's streams for one exec.
type ExecStreams struct {
	// Stdin is nil unless the client asked for stdin; it ends (io.EOF)
	// when the client closes it.
	Stdin io.Reader
	// Stdout and Stderr are never nil (a stream the client did not ask
	// for discards). With a TTY, stderr goes to stdout as on a terminal.
	Stdout, Stderr io.Writer
}

// ExitError is a command's non-zero exit code.
type ExitError struct{ Code int }

func (e *ExitError) Error() string {
	return fmt.Sprintf("command terminated with exit code %d", e.Code)
}

// PortForwardRequest names the port one forwarded connection goes to.
type PortForwardRequest struct {
	Namespace, Pod, Node string
	UID                  string
	Port                 int32
}

// Channel numbers of the remote command protocols.
const (
	chanStdin = iota
	chanStdout
	chanStderr
	chanError
	chanResize
)

// Subprotocols served.
const (
	protoV5          = "v5.channel.k8s.io"
	protoV4          = "v4.channel.k8s.io"
	protoPortForward = "portforward.k8s.io"
	tunnelPrefix     = "SPDY/3.1+"
)

func (h *Handler) streamBackend() (StreamBackend, bool) {
	sb, ok := h.cfg.Backend.(StreamBackend)
	return sb, ok
}

// connect serves pods/{exec,attach,portforward} (GET or POST with an
// upgrade).
func (h *Handler) connect(w http.ResponseWriter, r *http.Request, t target) {
	sb, ok := h.streamBackend()
	if !ok {
		writeError(w, notFound())
		return
	}
	pod, ok := h.podOf(w, r, t, apiwire.VerbCreate)
	if !ok {
		return
	}
	if pod.Spec.NodeName == "" {
		writeError(w, apierrors.NewBadRequest(fmt.Sprintf("pod %s does not have a host assigned", pod.Name)))
		return
	}
	if t.sub == "portforward" {
		h.portForward(w, r, sb, pod)
		return
	}
	h.exec(w, r, sb, pod, t.sub == "attach")
}

// exec serves one exec or attach.
func (h *Handler) exec(w http.ResponseWriter, r *http.Request, sb StreamBackend, pod *api.Pod, attach bool) {
	q := r.URL.Query()
	er := ExecRequest{Namespace: pod.Namespace, Pod: pod.Name, Node: pod.Spec.NodeName, Container: q.Get("container"),
		Command: q["command"], Stdin: isTrue(q.Get("stdin")), TTY: isTrue(q.Get("tty")), Attach: attach}
	stdout, stderr := isTrue(q.Get("stdout")), isTrue(q.Get("stderr"))
	if !attach && len(er.Command) == 0 {
		writeError(w, apierrors.NewBadRequest("you must specify at least 1 command"))
		return
	}
	if !er.Stdin && !stdout && !stderr {
		writeError(w, apierrors.NewBadRequest("you must specify at least one of stdin, stdout, stderr"))
		return
	}
	if er.Container == "" {
		if len(pod.Spec.Containers) != 1 {
			names := make([]string, len(pod.Spec.Containers))
			for i, c := range pod.Spec.Containers {
				names[i] = c.Name
			}
			writeError(w, apierrors.NewBadRequest(fmt.Sprintf("a container name must be specified for pod %s, choose one of: [%s]", pod.Name, strings.Join(names, " "))))
			return
		}
		er.Container = pod.Spec.Containers[0].Name
	}
	if !hasContainer(pod, er.Container) {
		writeError(w, apierrors.NewBadRequest(fmt.Sprintf("container %s is not valid for pod %s", er.Container, pod.Name)))
		return
	}
	if !containerRunning(pod, er.Container) {
		// The kubelet refuses the upgrade: kubectl prints "error: unable to
		// upgrade connection: container not found ("main")".
		writeError(w, apierrors.NewInternalError(errors.New("")).WithMessage(fmt.Sprintf("container not found (%q)", er.Container)))
		return
	}

	// A hijacked connection's request context does not end when the client
	// goes: hangup is seen on the streams (the resize channel's end, the
	// SPDY connection closing), so an attach or a shell stops with it.
	ctx, hangup := context.WithCancel(r.Context())
	defer hangup()
	var streams ExecStreams
	var errorStream io.Writer
	var closeAll func()
	switch {
	case wsstream.IsWebSocketRequest(r):
		channels := []wsstream.ChannelType{wsstream.IgnoreChannel, wsstream.IgnoreChannel, wsstream.IgnoreChannel, wsstream.WriteChannel, wsstream.ReadChannel}
		if er.Stdin {
			channels[chanStdin] = wsstream.ReadChannel
		}
		if stdout {
			channels[chanStdout] = wsstream.WriteChannel
		}
		if stderr && !er.TTY {
			channels[chanStderr] = wsstream.WriteChannel
		}
		conn := wsstream.NewConn(map[string]wsstream.ChannelProtocolConfig{
			protoV5: {Binary: true, Channels: channels},
			protoV4: {Binary: true, Channels: channels},
		})
		_, rwc, err := conn.Open(w, r)
		if err != nil {
			return // the handshake already answered
		}
		streams = ExecStreams{Stdout: rwc[chanStdout], Stderr: rwc[chanStderr]}
		if er.Stdin {
			streams.Stdin = rwc[chanStdin]
		}
		errorStream = rwc[chanError]
		go func() {
			io.Copy(io.Discard, rwc[chanResize]) // terminal sizes: nothing is drawn
			hangup()
		}()
		closeAll = func() { conn.Close() }
	case httpstream.IsUpgradeRequest(r):
		s, ok := h.spdyExec(w, r, er.Stdin, stdout, stderr && !er.TTY, er.TTY)
		if !ok {
			return
		}
		streams, errorStream, closeAll = s.streams, s.errorStream, s.close
		go func() {
			select {
			case <-s.closed:
			case <-ctx.Done():
			}
			hangup()
		}()
	default:
		writeError(w, apierrors.NewBadRequest("Upgrade request required"))
		return
	}
	defer closeAll()
	if streams.Stdout == nil {
		streams.Stdout = io.Discard
	}
	if streams.Stderr == nil {
		streams.Stderr = io.Discard
		if er.TTY {
			streams.Stderr = streams.Stdout
		}
	}
	err := sb.Exec(ctx, er, streams)
	writeExecStatus(errorStream, er, err)
}

// writeExecStatus writes the final Status on the error channel, as the
// kubelet's streaming server does: Success, or NonZeroExitCode with the
// exit code as a cause, which kubectl turns into its own exit code.
func writeExecStatus(w io.Writer, er ExecRequest, err error) {
	st := apierrors.Status{Status: "Success"}
	var exit *ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		st = apierrors.Status{Status: "Failure", Reason: "NonZeroExitCode",
			Message: fmt.Sprintf("command terminated with non-zero exit code: error executing command %v, exit code %d", er.Command, exit.Code),
			Details: &apierrors.StatusDetails{Causes: []apierrors.StatusCause{{Type: "ExitCode", Message: strconv.Itoa(exit.Code)}}}}
	default:
		st = asStatus(err).ErrStatus
		st.Status = "Failure"
	}
	// metav1.Status as the kubelet writes it: no kind, apiVersion or code.
	b, _ := json.Marshal(struct {
		Metadata struct{}                 `json:"metadata"`
		Status   string                   `json:"status"`
		Message  string                   `json:"message,omitempty"`
		Reason   apierrors.StatusReason   `json:"reason,omitempty"`
		Details  *apierrors.StatusDetails `json:"details,omitempty"`
	}{Status: st.Status, Message: st.Message, Reason: st.Reason, Details: st.Details})
	w.Write(b)
}

func containerRunning(pod *api.Pod, name string) bool {
	for _, s := range pod.Status.ContainerStatuses {
		if s.Name == name {
			return s.State.Running != nil
		}
	}
	for _, s := range pod.Status.InitContainerStatuses {
		if s.Name == name {
			return s.State.Running != nil
		}
	}
	return false
}

// spdyStreams are the streams of one SPDY exec.
type spdyStreams struct {
	streams     ExecStreams
	errorStream io.Writer
	close       func()
	closed      <-chan bool
}

// spdyExec upgrades to SPDY/3.1 and waits for the client's streams.
func (h *Handler) spdyExec(w http.ResponseWriter, r *http.Request, stdin, stdout, stderr, tty bool) (spdyStreams, bool) {
	if _, err := httpstream.Handshake(r, w, []string{protoV4}); err != nil {
		writeError(w, apierrors.NewForbidden("", "", "", nil).WithMessage(err.Error()))
		return spdyStreams{}, false
	}
	got := make(chan httpstream.Stream, 8)
	conn := spdy.NewResponseUpgrader().UpgradeResponse(w, r, func(s httpstream.Stream, replySent <-chan struct{}) error {
		got <- s
		return nil
	})
	if conn == nil {
		return spdyStreams{}, false // the upgrader answered the error
	}
	want := 1 // error
	for _, b := range []bool{stdin, stdout, stderr, tty} {
		if b {
			want++
		}
	}
	var out spdyStreams
	out.close = func() { conn.Close() }
	out.closed = conn.CloseChan()
	for n := 0; n < want; n++ {
		select {
		case s := <-got:
			switch s.Headers().Get("streamType") {
			case "error":
				out.errorStream = s
			case "stdin":
				out.streams.Stdin = s
			case "stdout":
				out.streams.Stdout = s
			case "stderr":
				out.streams.Stderr = s
			case "resize":
				go io.Copy(io.Discard, s)
			}
		case <-r.Context().Done():
			conn.Close()
			return out, false
		case <-conn.CloseChan():
			return out, false
		}
	}
	if out.errorStream == nil {
		out.errorStream = io.Discard
	}
	return out, true
}

// portForward serves pods/portforward: each pair of streams the client
// opens is one connection to a port of the pod.
func (h *Handler) portForward(w http.ResponseWriter, r *http.Request, sb StreamBackend, pod *api.Pod) {
	pf := &forwarder{ctx: r.Context(), sb: sb, pod: pod, pairs: map[string]*streamPair{}}
	if wsstream.IsWebSocketRequest(r) {
		// SPDY tunnelled through a WebSocket: the client names the
		// subprotocol SPDY/3.1+portforward.k8s.io.
		srv := websocket.Server{
			Handshake: func(cfg *websocket.Config, req *http.Request) error {
				for _, p := range cfg.Protocol {
					if p == tunnelPrefix+protoPortForward {
						cfg.Protocol = []string{p}
						return nil
					}
				}
				return fmt.Errorf("requested protocol(s) are not supported: %v; supports %v", cfg.Protocol, []string{tunnelPrefix + protoPortForward})
			},
			Handler: func(ws *websocket.Conn) {
				ws.PayloadType = websocket.BinaryFrame
				conn, err := spdy.NewServerConnection(ws, pf.newStream)
				if err != nil {
					return
				}
				pf.serve(conn)
			},
		}
		srv.ServeHTTP(w, r)
		return
	}
	if !httpstream.IsUpgradeRequest(r) {
		writeError(w, apierrors.NewBadRequest("Upgrade request required"))
		return
	}
	if _, err := httpstream.Handshake(r, w, []string{protoPortForward}); err != nil {
		writeError(w, apierrors.NewForbidden("", "", "", nil).WithMessage(err.Error()))
		return
	}
	conn := spdy.NewResponseUpgrader().UpgradeResponse(w, r, pf.newStream)
	if conn == nil {
		return
	}
	pf.serve(conn)
}

// forwarder pairs the streams of one port-forward session.
type forwarder struct {
	ctx context.Context
	sb  StreamBackend
	pod *api.Pod

	mu    sync.Mutex
	pairs map[string]*streamPair
	wg    sync.WaitGroup
}

type streamPair struct {
	data, errs httpstream.Stream
	port       string
}

func (f *forwarder) newStream(s httpstream.Stream, replySent <-chan struct{}) error {
	id := s.Headers().Get("requestID")
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.pairs[id]
	if p == nil {
		p = &streamPair{port: s.Headers().Get("port")}
		f.pairs[id] = p
	}
	switch s.Headers().Get("streamType") {
	case "data":
		p.data = s
	case "error":
		p.errs = s
	default:
		return fmt.Errorf("invalid stream type %q", s.Headers().Get("streamType"))
	}
	if p.data != nil && p.errs != nil {
		delete(f.pairs, id)
		f.wg.Add(1)
		go f.forward(p)
	}
	return nil
}

// forward runs one forwarded connection; an error goes to the error
// stream as the kubelet words it, and kubectl prints it.
func (f *forwarder) forward(p *streamPair) {
	defer f.wg.Done()
	defer p.data.Close()
	defer p.errs.Close()
	port, err := strconv.ParseInt(p.port, 10, 32)
	if err != nil || port <= 0 || port > 65535 {
		fmt.Fprintf(p.errs, "invalid port %q", p.port)
		return
	}
	req := PortForwardRequest{Namespace: f.pod.Namespace, Pod: f.pod.Name, Node: f.pod.Spec.NodeName, UID: string(f.pod.UID), Port: int32(port)}
	if err := f.sb.PortForward(f.ctx, req, p.data); err != nil {
		io.WriteString(p.errs, err.Error())
	}
}

// serve waits until the client closes the connection or the request ends.
func (f *forwarder) serve(conn httpstream.Connection) {
	select {
	case <-conn.CloseChan():
	case <-f.ctx.Done():
	}
	conn.Close()
	f.wg.Wait()
}

// QuietStreamLogs silences klog, through which the k8s.io stream libraries
// behind exec and port-forward log (a client hanging up is "Error on
// socket receive"); kubesim's own logs are zap on virtual time. The
// kubesim command calls it once at start.
func QuietStreamLogs() { klog.SetLogger(logr.Discard()) }
