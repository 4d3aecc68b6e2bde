package kubelet

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/images"
)

// The container runtime the kubelet drives (containerd through CRI) is
// modelled inside the kubelet: an image store, a serialized image puller
// and per-container logs.

// image is one image in the node's store.
type image struct {
	ref    string // docker.io/library/nginx:1.27
	repo   string // docker.io/library/nginx
	digest string // sha256:...
	size   int64
}

// normalizeImage expands a reference as containerd does (images.Normalize).
func normalizeImage(ref string) (full, repo string) {
	full, repo, _ = images.Normalize(ref)
	return full, repo
}

// imageFacts are an image's digest and size: derived from its name, so
// every node agrees on them, as they would pull the same bytes.
func imageFacts(full string) (digest string, size int64) {
	sum := sha256.Sum256([]byte(full))
	digest = "sha256:" + hex.EncodeToString(sum[:])
	size = 2_000_000 + int64(sum[0])<<18 + int64(sum[1])<<10 + int64(sum[2])
	return digest, size
}

func newImage(ref string) *image {
	full, repo := normalizeImage(ref)
	digest, size := imageFacts(full)
	if i := strings.Index(full, "@"); i >= 0 {
		digest = full[i+1:]
	}
	return &image{ref: full, repo: repo, digest: digest, size: size}
}

func (st *state) preload(ref string) {
	im := newImage(ref)
	st.images[im.ref] = im
}

func (st *state) hasImage(ref string) bool {
	full, _ := normalizeImage(ref)
	_, ok := st.images[full]
	return ok
}

// pull reserves the serialized puller (serializeImagePulls is true by
// default) and returns when the pull ends and how long it took including
// the wait. Pull times come from the kubelet's seeded stream: a registry
// round trip, then the layers at 20-60 MB/s; a re-pull of a present image
// only checks the manifest.
func (st *state) pull(ref string) (done time.Duration, took time.Duration, pulled time.Duration) {
	im := newImage(ref)
	r := st.c.Rand()
	d := 300*time.Millisecond + time.Duration(r.Int64N(int64(600*time.Millisecond)))
	// A pull queued behind one of the same image finds the layers there:
	// only the manifest is fetched.
	if !st.hasImage(ref) && st.pulling[im.ref] <= st.c.Now() {
		mbps := 20 + r.Float64()*40
		d += time.Duration(float64(im.size) / (mbps * 1e6) * float64(time.Second))
	}
	d = d.Truncate(time.Millisecond)
	start := max(st.c.Now(), st.pullsFree)
	st.pullsFree = start + d
	if st.pulling == nil {
		st.pulling = map[string]time.Duration{}
	}
	st.pulling[im.ref] = max(st.pulling[im.ref], start+d)
	return start + d, start + d - st.c.Now(), d
}

// pullError is the error a pull of ref ends with, or "" when the registry
// has the image.
func (st *state) pullError(ref string) string {
	full, _ := normalizeImage(ref)
	if st.cfg.ImageExists == nil || st.cfg.ImageExists(full) {
		return ""
	}
	return fmt.Sprintf("rpc error: code = NotFound desc = failed to pull and unpack image %q: failed to resolve reference %q: %s: not found", full, full, full)
}

func (st *state) imageInfo(ref string) *image {
	full, _ := normalizeImage(ref)
	if im, ok := st.images[full]; ok {
		return im
	}
	return newImage(ref)
}

// hashHex is n bytes of a name's SHA-256 in hex (machine ids).
func hashHex(name string, n int) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:n])
}

// uuidOf is a version-4-shaped UUID derived from a name.
func uuidOf(name string) string {
	sum := sha256.Sum256([]byte(name))
	u := sum[:16]
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// backOff is one container's restart back-off, as the kubelet keeps it per
// pod and container: the first restart is immediate, then the container
// waits 10 s, 20 s, 40 s ... up to 5 minutes after each exit; an exit more
// than twice the maximum (10 minutes) after the previous one starts over.
type backOff struct {
	has        bool
	delay      time.Duration
	lastUpdate time.Duration // the exit the delay was computed for
}

// inBackOffSince reports whether a container that exited at exit must
// still wait at now.
func (b *backOff) inBackOffSince(exit, now time.Duration, max time.Duration) bool {
	if !b.has || exit-b.lastUpdate > 2*max {
		return false
	}
	return now-exit < b.delay
}

// next records a restart after the exit at exit.
func (b *backOff) next(exit time.Duration, initial, max time.Duration) {
	if !b.has || exit-b.lastUpdate > 2*max {
		b.has, b.delay = true, initial
	} else {
		b.delay = min(2*b.delay, max)
	}
	b.lastUpdate = exit
}

// LogsRequest asks a kubelet for a container's log, as kubectl logs does
// through the apiserver's pods/log.
type LogsRequest struct {
	Namespace string
	Pod       string
	// Container may be empty when the pod has one container.
	Container string
	// Previous asks for the previous, terminated instance (--previous).
	Previous bool
	// Timestamps prefixes each line with its RFC 3339 time (--timestamps).
	Timestamps bool
}

// Summary implements sim.Summarizer.
func (r LogsRequest) Summary() string {
	s := "logs " + r.Namespace + "/" + r.Pod
	if r.Container != "" {
		s += " -c " + r.Container
	}
	if r.Previous {
		s += " --previous"
	}
	return s
}

// LogsResponse is a container's log.
type LogsResponse struct {
	Lines []string
}

// Summary implements sim.Summarizer.
func (r *LogsResponse) Summary() string { return fmt.Sprintf("%d lines", len(r.Lines)) }

// LogLine is one line a container printed.
type LogLine struct {
	Time time.Time
	Text string
}

// containerLog holds the log of a container's current and previous
// instance, as the runtime keeps the last terminated container's log.
type containerLog struct {
	current, previous []LogLine
}

func logKey(ns, pod, container string) string { return ns + "/" + pod + "/" + container }

func (st *state) appendLog(pw *podWorker, ct *container, lines ...string) {
	now := st.wall()
	for _, s := range lines {
		st.appendLogLine(pw, ct, now, s)
	}
}

// appendLogAt records a line the process prints at t (a script's echo
// after a sleep): it shows from then on.
func (st *state) appendLogAt(pw *podWorker, ct *container, t time.Time, line string) {
	st.appendLogLine(pw, ct, t, line)
}

func (m *machine) appendLogLine(pw *podWorker, ct *container, t time.Time, line string) {
	k := logKey(pw.ns, pw.name, ct.spec.Name)
	l := m.logs[k]
	if l == nil {
		l = &containerLog{}
		m.logs[k] = l
	}
	// Lines stay in time order: a request answered before a script's
	// later echo goes before it.
	i := len(l.current)
	for i > 0 && l.current[i-1].Time.After(t) {
		i--
	}
	l.current = append(l.current, LogLine{})
	copy(l.current[i+1:], l.current[i:])
	l.current[i] = LogLine{Time: t, Text: line}
}

func (st *state) rotateLog(pw *podWorker, ct *container) {
	k := logKey(pw.ns, pw.name, ct.spec.Name)
	if l := st.logs[k]; l != nil {
		l.previous, l.current = l.current, nil
	}
}

// visible are the lines printed by now (a later line of a script is
// already recorded with its time).
func visible(lines []LogLine, now time.Time) []LogLine {
	n := len(lines)
	for n > 0 && lines[n-1].Time.After(now) {
		n--
	}
	return lines[:n]
}

// logTail is what FallbackToLogsOnError puts in a failed container's
// termination message: the end of its log, at most 80 lines and 2048 bytes.
func (st *state) logTail(pw *podWorker, c *container) string {
	l := st.logs[logKey(pw.ns, pw.name, c.spec.Name)]
	if l == nil {
		return ""
	}
	lines := visible(l.current, st.wall())
	if len(lines) > 80 {
		lines = lines[len(lines)-80:]
	}
	var b strings.Builder
	for _, ln := range lines {
		b.WriteString(ln.Text)
		b.WriteByte('\n')
	}
	out := b.String()
	if len(out) > 2048 {
		out = out[len(out)-2048:]
	}
	return out
}

// logsFor answers a logs request with kubectl's error texts.
func (st *state) logsFor(req LogsRequest) (*LogsResponse, error) {
	pw := st.pods[req.Namespace+"/"+req.Pod]
	if pw == nil {
		return nil, fmt.Errorf("pods %q not found", req.Pod)
	}
	name := req.Container
	if name == "" {
		if len(pw.ctrs) != 1 {
			names := make([]string, 0, len(pw.ctrs))
			for _, c := range pw.ctrs {
				names = append(names, c.spec.Name)
			}
			return nil, fmt.Errorf("a container name must be specified for pod %s, choose one of: [%s]", req.Pod, strings.Join(names, " "))
		}
		name = pw.ctrs[0].spec.Name
	}
	ct := pw.container(name)
	if ct == nil {
		return nil, fmt.Errorf("container %s is not valid for pod %s", name, req.Pod)
	}
	l := st.logs[logKey(req.Namespace, req.Pod, name)]
	var lines []LogLine
	switch {
	case req.Previous:
		if ct.prev == nil {
			return nil, fmt.Errorf("previous terminated container %q in pod %q not found", name, req.Pod)
		}
		if l != nil {
			lines = l.previous
		}
	case ct.cur == nil:
		reason := ct.waitReason
		if reason == "" {
			reason = "ContainerCreating"
		}
		return nil, fmt.Errorf("container %q in pod %q is waiting to start: %s", name, req.Pod, reason)
	default:
		if l != nil {
			lines = l.current
		}
	}
	lines = visible(lines, st.wall())
	out := make([]string, 0, len(lines))
	for _, ln := range lines {
		if req.Timestamps {
			out = append(out, ln.Time.UTC().Format(time.RFC3339Nano)+" "+ln.Text)
			continue
		}
		out = append(out, ln.Text)
	}
	return &LogsResponse{Lines: out}, nil
}

// Logs returns a container's log lines. Call it from the driver (a test,
// the kubesim command) between kernel steps; actors ask with KindLogs.
func (kl *Kubelet) Logs(namespace, pod, container string, previous bool) ([]string, error) {
	if kl.st == nil {
		return nil, fmt.Errorf("kubelet on %s is not running", kl.cfg.Node)
	}
	res, err := kl.st.logsFor(LogsRequest{Namespace: namespace, Pod: pod, Container: container, Previous: previous})
	if err != nil {
		return nil, err
	}
	return res.Lines, nil
}

// HasImage reports whether the node's image store holds an image.
func (kl *Kubelet) HasImage(ref string) bool { return kl.st != nil && kl.st.hasImage(ref) }
